"""Child journeys, the social workers each one had, and a child's own events.

A journey is one child's passage (``case_id``, ``child_id``) from its opening event
(``ReferralReceived``, ``CaseLoaded`` or ``UascArrived``) to ``CaseClosed``.
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from ..events import CASE_OPENING, WORKER_CHANGE_REASONS, Event
from .logs import EVENT, JOURNEY, Logs, fy

#: Bands of the number of social workers a journey had (000 Table 9).
WORKER_BANDS = ["1", "2", "3", "4", "5+"]

#: The events :func:`journey_table` reads.
JOURNEY_EVENTS = [*CASE_OPENING, Event.CASE_CLOSED, Event.CIN_PLAN_STARTED, Event.CP_PLAN_STARTED, Event.WORKER_ALLOCATED]

JOURNEY_COLUMNS = ["date", "event", "case_id", "child_id", "worker", "reason", "count"]

_OPENING = [e.value for e in CASE_OPENING]
_PLANS = [Event.CIN_PLAN_STARTED.value, Event.CP_PLAN_STARTED.value]


def journey_table(rows: pl.LazyFrame, in_order: bool = False) -> pl.LazyFrame:
    """One row per journey among ``rows`` (events of child journeys as :meth:`Logs.read` gives them,
    all of a journey's :data:`JOURNEY_EVENTS` at least), in order of first row when ``in_order``:
    ``rep``, ``journey``, ``case_id``, ``child_id`` and

    ``opened`` and ``opening``: the date and name of its first opening event; ``referred``: the
    date of its first ``ReferralReceived``; ``closed``, ``closing_reason``: its first ``CaseClosed``;
    ``positive_change``: that ``CaseClosed`` has ``count`` 1; ``had_plan``: a ``CinPlanStarted`` or
    ``CpPlanStarted``; ``workers``: distinct workers of its ``WorkerAllocated`` events, and
    ``allocations`` their number."""
    opening, closing, allocated = EVENT.is_in(_OPENING), EVENT == Event.CASE_CLOSED.value, EVENT == Event.WORKER_ALLOCATED.value
    child = rows.filter(pl.col(JOURNEY).is_not_null())
    if not in_order:  # grouped as contiguous runs of rows, which takes a third less memory than hashing
        child = child.sort(JOURNEY, maintain_order=True)
    return child.group_by(JOURNEY, maintain_order=in_order).agg(
        pl.col("rep", "case_id", "child_id").first(),
        opened=pl.col("date").filter(opening).first(),
        opening=EVENT.filter(opening).first(),
        referred=pl.col("date").filter(EVENT == Event.REFERRAL_RECEIVED.value).first(),
        closed=pl.col("date").filter(closing).first(),
        closing_reason=pl.col("reason").filter(closing).first(),
        positive_change=(pl.col("count").filter(closing).first() == 1).fill_null(False),
        had_plan=EVENT.is_in(_PLANS).any(),
        workers=pl.col("worker").filter(allocated).drop_nulls().n_unique().cast(pl.Int64),
        allocations=allocated.sum().cast(pl.Int64),
    )


def journeys(log) -> pd.DataFrame:
    """One row per child journey (``case_id``, ``child_id``), in order of first event.

    Columns: ``opened`` (date of the opening event), ``closed`` (date of ``CaseClosed``,
    NaT while open), ``opening`` (the opening event's name), ``closing_reason``,
    ``positive_change`` (the family had made positive change when the journey closed:
    ``CaseClosed.count`` = 1),
    ``had_plan`` (a ``CinPlanStarted`` or ``CpPlanStarted`` in the journey),
    ``workers`` (distinct workers in its ``WorkerAllocated`` events) and
    ``allocations`` (number of ``WorkerAllocated`` events).
    """
    logs = Logs.of(log).read(columns=JOURNEY_COLUMNS)
    columns = ["opened", "closed", "opening", "closing_reason", "positive_change", "had_plan", "workers", "allocations"]
    return logs.answer(journey_table(logs.frame, in_order=True).select("rep", "case_id", "child_id", *columns))


def closed_plan_journeys(jr: pl.LazyFrame) -> pl.LazyFrame:
    """The journeys counted in the social-workers-per-journey measures: closed
    (``CaseClosed``), with a CIN or CP plan, and at least one worker allocated."""
    return jr.filter(pl.col("closed").is_not_null() & pl.col("had_plan") & (pl.col("allocations") > 0))


def worker_band(workers: pl.Expr) -> pl.Expr:
    """``1`` .. ``4`` and ``5+`` for a count of workers."""
    return pl.when(workers >= 5).then(pl.lit("5+")).otherwise(workers.cast(pl.String))


def worker_shares(logs: Logs, windows: dict[str, tuple], journeys: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Per replication and window (a name: ``(start_date, end_date)``), the share (%) of journeys closed
    in the window (inclusive) with a CIN or CP plan, by number of distinct social workers allocated:
    ``rep``, ``window``, ``band`` (``"1"`` .. ``"5+"``, every band), ``pct`` (null when no journey
    qualifies) and ``journeys`` (how many journeys qualify in the replication and window: the size
    of the population a case-file sample is drawn from).  ``journeys``: the log's journey table, if
    at hand."""
    if journeys is None:
        journeys = journey_table(logs.read(JOURNEY_EVENTS, JOURNEY_COLUMNS).frame)
    journeys_ = closed_plan_journeys(journeys).collect()
    out = []
    for window, (start, end) in windows.items():
        closed = journeys_.filter(pl.col("closed").is_between(pd.Timestamp(start).date(), pd.Timestamp(end).date()))
        counts = closed.group_by("rep", band=worker_band(pl.col("workers"))).agg(n=pl.len())
        grid = logs.rep_frame().join(pl.DataFrame({"band": WORKER_BANDS}), how="cross").with_columns(window=pl.lit(window))
        shares = grid.join(counts, on=["rep", "band"], how="left").with_columns(pl.col("n").fill_null(0))
        total = pl.col("n").sum().over("rep")
        out.append(shares.select("rep", "window", "band", pct=pl.when(total > 0).then(100.0 * pl.col("n") / total),
                                 journeys=total.cast(pl.Int64)))
    return pl.concat(out)


def social_workers_distribution(log, start_date, end_date) -> pd.Series:
    """Share (%) of journeys closed between ``start_date`` and ``end_date`` (inclusive)
    that had a CIN or CP plan, by number of distinct social workers allocated
    (index ``"1"``, ``"2"``, ``"3"``, ``"4"``, ``"5+"``; journeys never allocated are
    left out).  All NaN when no journey qualifies.

    Comparable with the 000 Table 9 baseline sample (cases closed Nov 2017 - Feb 2018).
    """
    shares = worker_shares(Logs.of(log), {"": (start_date, end_date)})
    return pd.Series(shares["pct"].fill_null(float("nan")).to_numpy(), index=pd.Index(WORKER_BANDS), name="pct")


def handoff_frame(logs: Logs, years: list[int]) -> pl.DataFrame:
    """:func:`handoffs_by_reason` with ``rep``."""
    moves = logs.rows(Event.WORKER_ALLOCATED).filter(pl.col("reason").ne_missing("new_case"))
    moves = moves.select("rep", fy(), reason=pl.col("reason").cast(pl.String)).filter(pl.col("fy").is_in(years))
    counts = moves.group_by("rep", "fy", "reason").agg(changes=pl.len().cast(pl.Int64)).collect()
    seen = set(counts["reason"].drop_nulls())
    reasons = [*WORKER_CHANGE_REASONS, *sorted(seen - set(WORKER_CHANGE_REASONS))]
    grid = logs.rep_frame().join(pl.DataFrame({"fy": years}, schema={"fy": pl.Int32}), how="cross")
    grid = grid.join(pl.DataFrame({"reason": reasons}), how="cross")
    out = grid.join(counts.with_columns(pl.col("fy").cast(pl.Int32)), on=["rep", "fy", "reason"], how="left")
    return out.select("rep", year=pl.col("fy").cast(pl.Int64), reason="reason", changes=pl.col("changes").fill_null(0))


def handoffs_by_reason(log, years: list[int]) -> pd.DataFrame:
    """Changes of a child's worker in each financial year (by the date of the change), by reason:
    every ``WorkerAllocated`` but a journey's first (``new_case``).  One row per year and reason
    of :data:`journeysim.events.WORKER_CHANGE_REASONS` (any other reason after them, in order of
    name): ``year`` (start year), ``reason``, ``changes``."""
    logs = Logs.of(log)
    return logs.answer(handoff_frame(logs, years))


def child_events(log, child_id: int) -> pd.DataFrame:
    """Every event of one child (all its journeys), in seq order."""
    logs = Logs.of(log)
    return logs.answer(logs.frame.filter(pl.col("child_id") == child_id))
