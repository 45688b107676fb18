"""The official measures by financial year, as pure functions of the event log.

Each ``_group`` function below computes a few related measures per replication and year
(``rep``, ``fy``) and :func:`measures` puts them together in long format.  The docstrings
give the definitions.  A count of a year with no rows is 0; a percentage with a zero
denominator, or a mean/median of nothing, is NaN.

Starts loaded as initial stock (``reason`` = ``initial_stock``, emitted when the run
begins for cases already open) are not counted as CP plan or care *starts*: they began
before the log.  They do count in the stocks and as earlier plans of a child.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
import polars.selectors as cs

from ..events import Event
from .caseload import mean_caseloads
from .journeys import JOURNEY_EVENTS, WORKER_BANDS, closed_plan_journeys, journey_table, worker_band
from .logs import CHILD, EVENT, JOURNEY, Logs, all_years, fy, fy_end, per_batch, year_label
from .stocks import FAR, STOCK_EVENTS, stock_frame
from .waits import queue_frame

CEASED_REASONS = ["returned_home", "sgo", "adoption", "age_18", "other"]
AGE_BANDS = {"under_1": 1, "1_4": 5, "5_9": 10, "10_15": 16, "16_plus": float("inf")}  # band: upper bound (exclusive)

#: Every measure, in output order.
MEASURES = [
    "contacts",
    "referrals",
    "re_referral_12m_pct",
    "referrals_nfa_pct",
    "assessments_completed",
    "assessment_duration_median_wd",
    "assessment_within_45wd_pct",
    "children_assessed_not_in_need_pct",
    "cin_at_31_march",
    "cp_plans_started",
    "cp_at_31_march",
    "cp_second_or_subsequent_pct",
    "cp_second_within_2y_pct",
    "cla_starts",
    "cla_at_31_march",
    "uasc_at_31_march",
    "cla_ceased",
    *[f"cla_ceased_{r}" for r in CEASED_REASONS],
    *[f"cla_ceased_age_{b}" for b in AGE_BANDS],
    *[f"social_workers_per_journey_pct_{b.replace('+', 'plus')}" for b in WORKER_BANDS],
    "social_workers_per_journey_mean",
    "handoffs_per_journey_mean",
    "positive_change_pct",
    "sw_caseload_children_mean",
    "awaiting_allocation_at_31_march",
    "hub_referrals",
    "hub_starts",
    "hub_wait_days_mean",
]

#: The events the measures read (besides ContactReceived, which they only count), and their columns.
MEASURE_EVENTS = sorted({*JOURNEY_EVENTS, *STOCK_EVENTS, Event.ASSESSMENT_COMPLETED, Event.WORKER_LEFT,
                         Event.HUB_REFERRED, Event.HUB_SUPPORT_STARTED, Event.HUB_SUPPORT_ENDED}, key=list(Event).index)
MEASURE_COLUMNS = ["date", "event", "case_id", "child_id", "worker", "outcome", "reason", "legal_status", "age", "count",
                   "value"]

_INITIAL = "initial_stock"
_YEAR = ["rep", "fy"]


def _n(condition: pl.Expr | None = None) -> pl.Expr:
    """How many rows (meet ``condition``)."""
    return pl.len() if condition is None else condition.sum()


def pct(numerator: str, denominator: str) -> pl.Expr:
    """100 * numerator / denominator, NaN where the denominator is 0."""
    return pl.when(pl.col(denominator) > 0).then(100.0 * pl.col(numerator) / pl.col(denominator))


def mean_of(total: str, n: str) -> pl.Expr:
    """total / n, NaN where n is 0."""
    return pl.when(pl.col(n) > 0).then(pl.col(total) / pl.col(n))


def _referrals(ev: pl.LazyFrame, jr: pl.LazyFrame) -> pl.LazyFrame:
    """``referrals``: ReferralReceived events.  ``re_referral_12m_pct``: % of referrals whose
    child had an earlier referral 1-365 days before.  ``referrals_nfa_pct``: % of referrals whose
    journey closed with reason ``referral_nfa`` (at any later time in the log)."""
    refs = ev.filter(EVENT == Event.REFERRAL_RECEIVED.value).select("rep", JOURNEY, CHILD, "date")
    same_child = pl.col(CHILD) == pl.col(CHILD).shift()
    new_day = ~same_child | (pl.col("date") != pl.col("date").shift())
    # the child's latest referral on an earlier day: the day before a child's new day, carried over its day
    previous = pl.when(new_day).then(pl.when(same_child).then(pl.col("date").shift()).otherwise(pl.lit(FAR)))
    refs = refs.sort(CHILD, maintain_order=True).with_columns(previous=previous.forward_fill().replace(FAR, None))
    refs = refs.join(jr.select(JOURNEY, "closing_reason"), on=JOURNEY, how="left")
    return refs.group_by("rep", fy()).agg(
        referrals=_n(),
        _rereferred=_n((pl.col("date") - pl.col("previous")).dt.total_days() <= 365),
        _nfa=_n(pl.col("closing_reason") == "referral_nfa"),
    )


def _working_days_before(date: pl.Expr) -> pl.Expr:
    """Weekdays (Monday to Friday) from Monday 3 January 2000 to the day before ``date``."""
    days = (date - pl.lit(dt.date(2000, 1, 3))).dt.total_days()
    return 5 * (days // 7) + pl.min_horizontal(days % 7, 5)


def _assessments(ev: pl.LazyFrame, jr: pl.LazyFrame) -> pl.LazyFrame:
    """``assessments_completed``: AssessmentCompleted events.
    ``assessment_duration_median_wd``: median working days (Monday to Friday, bank holidays not
    excluded) from the journey's ReferralReceived to AssessmentCompleted, not counting the day of
    referral (assessments with a referral in the log); ``assessment_within_45wd_pct``: % of those
    within 45 working days.  ``children_assessed_not_in_need_pct``: assessments concluding
    ``not_in_need`` or ``early_help``, as % of the year's referrals."""
    done = ev.filter(EVENT == Event.ASSESSMENT_COMPLETED.value).join(jr.select(JOURNEY, "referred"), on=JOURNEY, how="left")
    one_day = pl.duration(days=1)
    working_days = _working_days_before(pl.col("date") + one_day) - _working_days_before(pl.col("referred") + one_day)
    return done.with_columns(wd=working_days).group_by("rep", fy()).agg(
        assessments_completed=_n(),
        assessment_duration_median_wd=pl.col("wd").median(),
        _timed=pl.col("wd").count(),
        _within_45=_n(pl.col("wd") <= 45),
        _not_in_need=_n(pl.col("outcome").is_in(["not_in_need", "early_help"])),
    )


def _child_protection(ev: pl.LazyFrame) -> pl.LazyFrame:
    """``cp_plans_started``: CpPlanStarted events (not initial stock).
    ``cp_second_or_subsequent_pct``: % of those with plan number (``count``) > 1 or an
    earlier CpPlanStarted of the child in the log.  ``cp_second_within_2y_pct``: % of
    those where the child's previous plan (in the log) ended 0-730 days before."""
    start = EVENT == Event.CP_PLAN_STARTED.value
    cp = ev.filter(start | (EVENT == Event.CP_PLAN_ENDED.value))
    starts = start.cast(pl.Int32)
    cp = cp.with_columns(
        earlier_plans=(starts.cum_sum() - starts).over(CHILD),
        last_ended=pl.when(~start).then(pl.col("date")).forward_fill().over(CHILD),
    )
    started = cp.filter(start & pl.col("reason").ne_missing(_INITIAL))
    return started.group_by("rep", fy()).agg(
        cp_plans_started=_n(),
        _second=_n((pl.col("count").fill_null(0) > 1) | (pl.col("earlier_plans") > 0)),
        _within_2y=_n((pl.col("date") - pl.col("last_ended")).dt.total_days().is_between(0, 730)),
    )


def _looked_after(ev: pl.LazyFrame) -> pl.LazyFrame:
    """``cla_starts``: CareEntered events, re-entries included (not initial stock).
    ``cla_ceased``: CareLeft events, split by ``reason`` and by the child's ``age``
    when leaving (under 1, 1-4, 5-9, 10-15, 16 and over; bands on whole years)."""
    left = EVENT == Event.CARE_LEFT.value
    bands, lower = {}, float("-inf")
    for band, upper in AGE_BANDS.items():
        bands[f"cla_ceased_age_{band}"] = _n(left & (pl.col("age") >= lower) & (pl.col("age") < upper))
        lower = upper
    care = ev.filter(EVENT.is_in([Event.CARE_ENTERED.value, Event.CARE_LEFT.value]))
    return care.group_by("rep", fy()).agg(
        cla_starts=_n((EVENT == Event.CARE_ENTERED.value) & pl.col("reason").ne_missing(_INITIAL)),
        cla_ceased=_n(left),
        **{f"cla_ceased_{reason}": _n(left & (pl.col("reason") == reason)) for reason in CEASED_REASONS},
        **bands,
    )


def _workers(jr: pl.LazyFrame) -> pl.LazyFrame:
    """Over child journeys closed in the year that had a CIN or CP plan and at least
    one allocation: ``social_workers_per_journey_pct_<k>``: % with k distinct workers
    (1, 2, 3, 4, 5 or more); ``social_workers_per_journey_mean``; and
    ``handoffs_per_journey_mean``: mean of allocations - 1; ``positive_change_pct``: % whose
    family had made positive change at closure (000 Table 13's case-file measure)."""
    band = worker_band(pl.col("workers"))
    return closed_plan_journeys(jr).group_by("rep", fy("closed")).agg(
        _journeys=_n(),
        **{f"_workers_{b}": _n(band == b) for b in WORKER_BANDS},
        _workers=pl.col("workers").sum(),
        _handoffs=(pl.col("allocations") - 1).sum(),
        _positive=_n(pl.col("positive_change")),
    )


def _hubs(ev: pl.LazyFrame) -> pl.LazyFrame:
    """``hub_referrals`` / ``hub_starts``: distinct case_ids (families) with HubReferred /
    HubSupportStarted in the year.  ``hub_wait_days_mean``: mean ``value`` (days waited)
    of HubSupportStarted, one per case_id and year of start (its first)."""
    started = EVENT == Event.HUB_SUPPORT_STARTED.value
    hubs = ev.filter(EVENT.is_in([Event.HUB_REFERRED.value, Event.HUB_SUPPORT_STARTED.value]))
    first = hubs.group_by("rep", fy(), "event", "case_id", maintain_order=True).agg(pl.col("value").first())
    return first.group_by(_YEAR).agg(
        hub_referrals=_n(EVENT == Event.HUB_REFERRED.value),
        hub_starts=_n(started),
        _waits=pl.col("value").filter(started),
    ).with_columns(hub_wait_days_mean=pl.col("_waits").map_elements(_mean, return_dtype=pl.Float64))


def _mean(values: pl.Series) -> float | None:
    """The mean of ``values`` summed exactly (math.fsum), so that it does not depend on the order they come
    in; None for none.  (The pandas projections' mean could differ from it in the last binary digit.)"""
    return math.fsum(values) / len(values) if len(values) else None


def _at_31_march(logs: Logs, jr: pl.LazyFrame, years: list[int]) -> pl.LazyFrame:
    """Children at the end of 31 March: ``cin_at_31_march`` with an open journey,
    ``cp_at_31_march`` on a CP plan, ``cla_at_31_march`` looked after and
    ``uasc_at_31_march`` looked after with latest legal status ``uasc_s20``
    (definitions in :mod:`journeysim.projections.stocks`); ``sw_caseload_children_mean``:
    mean children per worker in post holding at least one child (see
    :mod:`journeysim.projections.caseload`)."""
    ends = [fy_end(y) for y in years]
    stocks = stock_frame(logs, ends, jr).lazy().join(mean_caseloads(logs, ends, jr), on=["rep", "day"], how="left")
    return stocks.select("rep", fy("day"), *[pl.col(k).alias(f"{k}_at_31_march") for k in ("cin", "cp", "cla", "uasc")],
                         sw_caseload_children_mean=pl.col("caseload"))


def _queues(logs: Logs, years: list[int]) -> pl.LazyFrame:
    """``awaiting_allocation_at_31_march``: children referred and neither allocated a worker nor
    closed at the end of 31 March (see :func:`journeysim.projections.queue_lengths`)."""
    queues = queue_frame(logs, [fy_end(y) for y in years]).lazy()
    return queues.select("rep", fy("date"), awaiting_allocation_at_31_march="awaiting_allocation")


def _contacts(logs: Logs) -> pl.LazyFrame:
    """``contacts``: ContactReceived events."""
    return logs.rows(Event.CONTACT_RECEIVED).group_by("rep", fy()).agg(contacts=_n())


def _yearly(logs: Logs, years: list[int]) -> pl.DataFrame:
    """Every measure per replication and year (wide: a column per measure), for a batch of logs."""
    contacts = _contacts(logs)
    logs = logs.read(MEASURE_EVENTS, MEASURE_COLUMNS)  # once, for every group below
    queues = _queues(logs, years)
    ev = logs.frame
    jr = journey_table(logs.rows(*JOURNEY_EVENTS)).collect().lazy()  # read by several groups
    parts = pl.collect_all([contacts, _referrals(ev, jr), _assessments(ev, jr), _at_31_march(logs, jr, years),
                            _child_protection(ev), _looked_after(ev), _workers(jr), queues, _hubs(ev)])
    grid = logs.rep_frame().join(pl.DataFrame({"fy": years}, schema={"fy": pl.Int32}), how="cross")
    for part in parts:
        grid = grid.join(part.with_columns(pl.col("fy").cast(pl.Int32)), on=_YEAR, how="left")
    wide = grid.with_columns(cs.integer().fill_null(0)).with_columns(
        re_referral_12m_pct=pct("_rereferred", "referrals"),
        referrals_nfa_pct=pct("_nfa", "referrals"),
        assessment_within_45wd_pct=pct("_within_45", "_timed"),
        children_assessed_not_in_need_pct=pct("_not_in_need", "referrals"),
        cp_second_or_subsequent_pct=pct("_second", "cp_plans_started"),
        cp_second_within_2y_pct=pct("_within_2y", "cp_plans_started"),
        **{f"social_workers_per_journey_pct_{b.replace('+', 'plus')}": pct(f"_workers_{b}", "_journeys")
           for b in WORKER_BANDS},
        social_workers_per_journey_mean=mean_of("_workers", "_journeys"),
        handoffs_per_journey_mean=mean_of("_handoffs", "_journeys"),
        positive_change_pct=pct("_positive", "_journeys"),
    )
    return wide.select("rep", "fy", *[pl.col(m).cast(pl.Float64) for m in MEASURES])


def measures_frame(logs: Logs, years: list[int] | None = None) -> pl.DataFrame:
    """:func:`measures` as a Polars frame, always with ``rep`` (and ``fy``, the start year)."""
    years = sorted(years) if years is not None else all_years(logs)
    wide = per_batch(logs, _yearly, years)
    long = wide.unpivot(index=["rep", "fy"], on=MEASURES, variable_name="measure", value_name="value")
    order = pl.col("measure").replace_strict(MEASURES, list(range(len(MEASURES))), return_dtype=pl.Int32)
    long = long.sort("rep", order, "fy").with_columns(pl.col("value").fill_null(float("nan")))
    return long.with_columns(year_label(years))


def measures(log, years: list[int] | None = None) -> pd.DataFrame:
    """Every official measure for each financial year, long format.

    ``years`` are financial-year start years (2014 = "2014-15"); by default every
    financial year with at least one event.  Columns: ``measure``, ``year`` (label
    such as ``"2014-15"``), ``value`` (float; NaN where undefined); and first ``rep``,
    the replication, when ``log`` is :class:`~journeysim.projections.Logs` of a results folder.
    """
    logs = Logs.of(log)
    return logs.answer(measures_frame(logs, years).select("rep", "measure", "year", "value"))
