"""The pandas :mod:`journeysim.projections.journeys` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import pandas as pd

from ...events import CASE_OPENING, WORKER_CHANGE_REASONS, Event
from .._frame import JOURNEY, as_frame, fy_of, of, timestamp

#: Bands of the number of social workers a journey had (000 Table 9).
WORKER_BANDS = ["1", "2", "3", "4", "5+"]

_COLUMNS = [*JOURNEY, "opened", "closed", "opening", "closing_reason", "positive_change", "had_plan", "workers",
            "allocations"]


def _first(rows: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The first row per journey, with ``columns`` renamed (old -> new)."""
    return rows.drop_duplicates(JOURNEY)[[*JOURNEY, *columns]].rename(columns=columns)


def journey_table(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`journeys` of an already converted frame."""
    child = df[df["case_id"].notna() & df["child_id"].notna()]
    keys = child[JOURNEY].drop_duplicates()
    opened = _first(of(child, *CASE_OPENING), {"date": "opened", "event": "opening"})
    closed = _first(of(child, Event.CASE_CLOSED), {"date": "closed", "reason": "closing_reason", "count": "positive_change"})
    plans = of(child, Event.CIN_PLAN_STARTED, Event.CP_PLAN_STARTED)[JOURNEY].drop_duplicates()
    alloc = of(child, Event.WORKER_ALLOCATED).groupby(JOURNEY).agg(
        workers=("worker", "nunique"), allocations=("worker", "size")
    )
    out = (
        keys.merge(opened, on=JOURNEY, how="left")
        .merge(closed, on=JOURNEY, how="left")
        .merge(plans.assign(had_plan=True), on=JOURNEY, how="left")
        .merge(alloc.reset_index(), on=JOURNEY, how="left")
    )
    out["had_plan"] = out["had_plan"].fillna(False).astype(bool)
    out["positive_change"] = out["positive_change"].fillna(0).astype(int).eq(1) & out["closed"].notna()
    out[["workers", "allocations"]] = out[["workers", "allocations"]].fillna(0).astype(int)
    return out[_COLUMNS].reset_index(drop=True)


def journeys(log) -> pd.DataFrame:
    """One row per child journey, in order of first event."""
    return journey_table(as_frame(log))


def worker_band(workers: pd.Series) -> pd.Series:
    """``1`` .. ``4`` and ``5+`` for a count of workers."""
    return workers.clip(upper=5).astype(int).astype(str).replace("5", "5+")


def closed_plan_journeys(jr: pd.DataFrame) -> pd.DataFrame:
    """The journeys counted in the social-workers-per-journey measures: closed
    (``CaseClosed``), with a CIN or CP plan, and at least one worker allocated."""
    return jr[jr["closed"].notna() & jr["had_plan"] & (jr["allocations"] > 0)]


def social_workers_distribution(log, start_date, end_date) -> pd.Series:
    """Share (%) of journeys closed between ``start_date`` and ``end_date`` (inclusive)
    that had a CIN or CP plan, by number of distinct social workers allocated
    (index ``"1"``, ``"2"``, ``"3"``, ``"4"``, ``"5+"``; journeys never allocated are
    left out).  All NaN when no journey qualifies.

    Comparable with the 000 Table 9 baseline sample (cases closed Nov 2017 - Feb 2018).
    """
    pop = closed_plan_journeys(journeys(log))
    pop = pop[pop["closed"].between(timestamp(start_date), timestamp(end_date))]
    shares = worker_band(pop["workers"]).value_counts().reindex(WORKER_BANDS, fill_value=0)
    total = shares.sum()
    return (100.0 * shares / total if total else shares * float("nan")).astype(float).rename("pct")


def handoffs_by_reason(log, years: list[int]) -> pd.DataFrame:
    """Changes of a child's worker in each financial year (by the date of the change), by reason:
    every ``WorkerAllocated`` but a journey's first (``new_case``).  One row per year and reason
    of :data:`journeysim.events.WORKER_CHANGE_REASONS` (any other reason after them, in order of
    name): ``year`` (start year), ``reason``, ``changes``."""
    df = as_frame(log)
    moves = of(df, Event.WORKER_ALLOCATED)
    moves = moves[moves["reason"] != "new_case"]
    fy = fy_of(moves["date"]).rename("year")
    counts = moves[fy.isin(years)].groupby([fy[fy.isin(years)], "reason"]).size()
    reasons = [*WORKER_CHANGE_REASONS, *sorted(set(moves["reason"]) - set(WORKER_CHANGE_REASONS))]
    index = pd.MultiIndex.from_product([years, reasons], names=["year", "reason"])
    return counts.reindex(index, fill_value=0).rename("changes").reset_index()


def child_events(log, child_id: int) -> pd.DataFrame:
    """Every event of one child (all its journeys), in seq order."""
    df = as_frame(log)
    return df[df["child_id"] == child_id].reset_index(drop=True)
