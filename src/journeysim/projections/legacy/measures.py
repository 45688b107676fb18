"""The pandas :mod:`journeysim.projections.measures` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...calendar import working_days_between
from ...events import Event
from .._frame import JOURNEY, all_years, as_frame, by_year, count_by_year, fy_end, fy_of, label, of, pct
from .caseload import holding_rows, mean_caseload
from .journeys import WORKER_BANDS, closed_plan_journeys, journey_table, worker_band
from .stocks import stock_counts
from .waits import queue_lengths
from ..measures import AGE_BANDS, CEASED_REASONS, MEASURES  # noqa: F401  (the same measures)

_INITIAL = "initial_stock"


def _referrals(df: pd.DataFrame, jr: pd.DataFrame, years: list[int]) -> dict:
    """``contacts``: ContactReceived events.  ``referrals``: ReferralReceived events.
    ``re_referral_12m_pct``: % of referrals whose child had an earlier referral 1-365
    days before.  ``referrals_nfa_pct``: % of referrals whose journey closed with
    reason ``referral_nfa`` (at any later time in the log)."""
    refs = of(df, Event.REFERRAL_RECEIVED)
    n = count_by_year(refs["date"], years)
    gap = (refs["date"] - _previous_date(refs)).dt.days
    rereferred = refs["date"][(gap > 0) & (gap <= 365)]
    closing = refs[JOURNEY].merge(jr[[*JOURNEY, "closing_reason"]], on=JOURNEY, how="left")
    nfa = refs["date"][closing["closing_reason"].eq("referral_nfa").to_numpy()]
    return {
        "contacts": count_by_year(of(df, Event.CONTACT_RECEIVED)["date"], years),
        "referrals": n,
        "re_referral_12m_pct": pct(count_by_year(rereferred, years), n),
        "referrals_nfa_pct": pct(count_by_year(nfa, years), n),
    }


def _previous_date(refs: pd.DataFrame) -> pd.Series:
    """For each referral, the date of the same child's latest referral on an earlier day."""
    days = refs[["child_id", "date"]].drop_duplicates().sort_values(["child_id", "date"])
    days["previous"] = days.groupby("child_id")["date"].shift()
    merged = refs[["child_id", "date"]].merge(days, on=["child_id", "date"], how="left")
    return pd.Series(merged["previous"].to_numpy(), index=refs.index)


def _assessments(df: pd.DataFrame, years: list[int], referrals: pd.Series) -> dict:
    """``assessments_completed``: AssessmentCompleted events.
    ``assessment_duration_median_wd``: median working days from the journey's
    ReferralReceived to AssessmentCompleted (assessments with a referral in the log);
    ``assessment_within_45wd_pct``: % of those within 45 working days.
    ``children_assessed_not_in_need_pct``: assessments concluding ``not_in_need`` or
    ``early_help``, as % of the year's referrals."""
    done = of(df, Event.ASSESSMENT_COMPLETED)
    referred = of(df, Event.REFERRAL_RECEIVED).drop_duplicates(JOURNEY)[[*JOURNEY, "date"]]
    start = done[JOURNEY].merge(referred, on=JOURNEY, how="left")["date"].to_numpy()
    timed = done[~pd.isna(start)]
    wd = pd.Series(working_days_between(start[~pd.isna(start)], timed["date"].to_numpy()), index=timed.index)
    not_in_need = done["date"][done["outcome"].isin(["not_in_need", "early_help"])]
    return {
        "assessments_completed": count_by_year(done["date"], years),
        "assessment_duration_median_wd": by_year(wd, timed["date"], years, "median"),
        "assessment_within_45wd_pct": by_year(100.0 * (wd <= 45), timed["date"], years, "mean"),
        "children_assessed_not_in_need_pct": pct(count_by_year(not_in_need, years), referrals),
    }


def _stocks(df: pd.DataFrame, years: list[int]) -> dict:
    """Children at the end of 31 March: ``cin_at_31_march`` with an open journey,
    ``cp_at_31_march`` on a CP plan, ``cla_at_31_march`` looked after and
    ``uasc_at_31_march`` looked after with latest legal status ``uasc_s20``
    (definitions in :mod:`journeysim.projections.stocks`)."""
    counts = stock_counts(df, [fy_end(y) for y in years]).set_axis(years).astype(float)
    return {f"{k}_at_31_march": counts[k] for k in ("cin", "cp", "cla", "uasc")}


def _child_protection(df: pd.DataFrame, years: list[int]) -> dict:
    """``cp_plans_started``: CpPlanStarted events (not initial stock).
    ``cp_second_or_subsequent_pct``: % of those with plan number (``count``) > 1 or an
    earlier CpPlanStarted of the child in the log.  ``cp_second_within_2y_pct``: % of
    those where the child's previous plan (in the log) ended 0-730 days before."""
    cp = of(df, Event.CP_PLAN_STARTED, Event.CP_PLAN_ENDED).sort_values("child_id", kind="stable")
    is_start = cp["event"] == Event.CP_PLAN_STARTED.value
    earlier_starts = is_start.astype(int).groupby(cp["child_id"]).cumsum() - 1
    last_end = cp["date"].where(~is_start).groupby(cp["child_id"]).ffill()
    starts = is_start & (cp["reason"] != _INITIAL)
    dates = cp.loc[starts, "date"]
    second = (cp["count"].fillna(0) > 1) | (earlier_starts > 0)
    gap = (cp["date"] - last_end).dt.days
    n = count_by_year(dates, years)
    return {
        "cp_plans_started": n,
        "cp_second_or_subsequent_pct": pct(count_by_year(dates[second[starts]], years), n),
        "cp_second_within_2y_pct": pct(count_by_year(dates[gap[starts].between(0, 730)], years), n),
    }


def _looked_after(df: pd.DataFrame, years: list[int]) -> dict:
    """``cla_starts``: CareEntered events, re-entries included (not initial stock).
    ``cla_ceased``: CareLeft events, split by ``reason`` and by the child's ``age``
    when leaving (under 1, 1-4, 5-9, 10-15, 16 and over; bands on whole years)."""
    entered = of(df, Event.CARE_ENTERED)
    left = of(df, Event.CARE_LEFT)
    out = {
        "cla_starts": count_by_year(entered.loc[entered["reason"] != _INITIAL, "date"], years),
        "cla_ceased": count_by_year(left["date"], years),
    }
    for reason in CEASED_REASONS:
        out[f"cla_ceased_{reason}"] = count_by_year(left.loc[left["reason"] == reason, "date"], years)
    bands = pd.cut(left["age"], [-np.inf, *AGE_BANDS.values()], right=False, labels=list(AGE_BANDS))
    for band in AGE_BANDS:
        out[f"cla_ceased_age_{band}"] = count_by_year(left.loc[bands == band, "date"], years)
    return out


def _workers(df: pd.DataFrame, jr: pd.DataFrame, years: list[int]) -> dict:
    """Over child journeys closed in the year that had a CIN or CP plan and at least
    one allocation: ``social_workers_per_journey_pct_<k>``: % with k distinct workers
    (1, 2, 3, 4, 5 or more); ``social_workers_per_journey_mean``; and
    ``handoffs_per_journey_mean``: mean of allocations - 1; ``positive_change_pct``: % whose
    family had made positive change at closure (000 Table 13's case-file measure).
    ``sw_caseload_children_mean``: at the end of 31 March, mean children per worker
    in post holding at least one child (see :mod:`journeysim.projections.caseload`)."""
    pop = closed_plan_journeys(jr)
    bands = worker_band(pop["workers"])
    n = count_by_year(pop["closed"], years)
    out = {
        f"social_workers_per_journey_pct_{b.replace('+', 'plus')}": pct(
            count_by_year(pop.loc[bands == b, "closed"], years), n
        )
        for b in WORKER_BANDS
    }
    out["social_workers_per_journey_mean"] = by_year(pop["workers"], pop["closed"], years, "mean")
    out["handoffs_per_journey_mean"] = by_year(pop["allocations"] - 1, pop["closed"], years, "mean")
    out["positive_change_pct"] = by_year(100.0 * pop["positive_change"], pop["closed"], years, "mean")
    rows, gone = holding_rows(df), of(df, Event.WORKER_LEFT)
    out["sw_caseload_children_mean"] = pd.Series([mean_caseload(rows, gone, fy_end(y)) for y in years], index=years)
    return out


def _hubs(df: pd.DataFrame, years: list[int]) -> dict:
    """``hub_referrals`` / ``hub_starts``: distinct case_ids (families) with HubReferred /
    HubSupportStarted in the year.  ``hub_wait_days_mean``: mean ``value`` (days waited)
    of HubSupportStarted, one per case_id and year of start (its first)."""

    def per_case(event: Event) -> pd.DataFrame:
        rows = of(df, event)
        return rows.assign(fy=fy_of(rows["date"])).drop_duplicates(["case_id", "fy"])

    started = per_case(Event.HUB_SUPPORT_STARTED)
    return {
        "hub_referrals": count_by_year(per_case(Event.HUB_REFERRED)["date"], years),
        "hub_starts": count_by_year(started["date"], years),
        "hub_wait_days_mean": by_year(started["value"], started["date"], years, "mean"),
    }


def _queues(df: pd.DataFrame, years: list[int]) -> dict:
    """``awaiting_allocation_at_31_march``."""
    waiting = queue_lengths(df, [fy_end(y) for y in years])["awaiting_allocation"]
    return {"awaiting_allocation_at_31_march": pd.Series(waiting.to_numpy(dtype=float), index=years)}


def measures(log, years: list[int] | None = None) -> pd.DataFrame:
    """Every official measure for each financial year, long format.

    ``years`` are financial-year start years (2014 = "2014-15"); by default every
    financial year with at least one event.  Columns: ``measure``, ``year`` (label
    such as ``"2014-15"``), ``value`` (float; NaN where undefined).
    """
    df = as_frame(log)
    years = sorted(years) if years is not None else all_years(df)
    jr = journey_table(df)
    parts = _referrals(df, jr, years)
    parts.update(_assessments(df, years, parts["referrals"]))
    parts.update(_stocks(df, years))
    parts.update(_child_protection(df, years))
    parts.update(_looked_after(df, years))
    parts.update(_workers(df, jr, years))
    parts.update(_queues(df, years))
    parts.update(_hubs(df, years))
    wide = pd.DataFrame({m: parts[m].reindex(years).astype(float) for m in MEASURES}, index=years)
    long = wide.rename(index=label).rename_axis("year").reset_index()
    long = long.melt(id_vars="year", var_name="measure", value_name="value")
    return long[["measure", "year", "value"]]
