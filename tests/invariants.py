"""Invariants every event log must satisfy, whatever the scenario.

Each ``check_*`` function raises AssertionError with the first counter-example. They are used
by tests/test_model.py on the shipped scenarios and by tests/test_invariants.py on random
valid scenarios.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd

from journeysim import pathway
from journeysim.events import CASE_OPENING, CHILD_EVENTS, Event
from journeysim.narrative import tell
from journeysim.projections import measures, stocks_at
from journeysim.scenario import Scenario

OPENING = {e.value for e in CASE_OPENING}

#: Stocks and the events that start and end them (a CP plan also ends when its journey closes).
STOCKS = {
    "cin": (OPENING, {Event.CASE_CLOSED.value}, "cin_at_31_march"),
    "cp": ({Event.CP_PLAN_STARTED.value}, {Event.CP_PLAN_ENDED.value}, "cp_at_31_march"),
    "cla": ({Event.CARE_ENTERED.value}, {Event.CARE_LEFT.value}, "cla_at_31_march"),
}


def journeys(df: pd.DataFrame):
    """Each child's journey, keyed (case_id, child_id), its events in log order."""
    kids = df[df["child_id"].notna()]
    return kids.sort_values("seq").groupby(["case_id", "child_id"], sort=False)


def check_log_order_and_fields(df: pd.DataFrame) -> None:
    """Events are appended in time order with consecutive seq; child events carry their ids."""
    assert (np.diff(df["seq"].to_numpy()) == 1).all(), "seq must be 0, 1, 2, ..."
    assert (np.diff(df["time"].to_numpy()) >= 0).all(), "events must be appended in time order"
    child = df["event"].isin({e.value for e in CHILD_EVENTS})
    assert df.loc[child, ["case_id", "child_id", "family_id", "age"]].notna().all().all()
    assert df.loc[~child, "child_id"].isna().all()


def check_journeys(df: pd.DataFrame, scenario: Scenario) -> None:
    """Every child's events are in time order and form a valid path through the pathway graph:
    one opening event first, at most one CaseClosed, and it comes last."""
    g = pathway.build(scenario)
    for key, j in journeys(df):
        events = j["event"].tolist()
        assert (np.diff(j["time"].to_numpy()) >= 0).all(), f"{key}: events out of time order"
        assert events[0] in OPENING and sum(e in OPENING for e in events) == 1, f"{key}: {events[:3]}"
        closes = events.count(Event.CASE_CLOSED.value)
        assert closes <= 1 and (closes == 0 or events[-1] == Event.CASE_CLOSED.value), f"{key}: closes {closes}"
        ok, why = pathway.journey_is_valid(g, events, complete=closes == 1)
        assert ok, f"{key}: {why}"


def caseload_fold(df: pd.DataFrame):
    """Replay allocations; yield each worker's caseload after every change (and check the fields
    that state caseloads: WorkerAllocated.value, WorkerLeft.count, WorkerAbsent.count).  A worker
    who leaves or goes on a long absence is counted with their children until each is allocated
    again (an absent worker's stay on their caseload while they wait)."""
    holder: dict[tuple, int] = {}
    load: dict[int, int] = defaultdict(int)
    rows = df[df["event"].isin(["WorkerAllocated", "CaseClosed", "WorkerLeft", "WorkerAbsent"])]
    for ev, case, child, worker, count, value in rows[["event", "case_id", "child_id", "worker", "count",
                                                       "value"]].itertuples(index=False):
        key = (case, child)
        if ev in ("WorkerLeft", "WorkerAbsent"):
            assert load[int(worker)] == int(count), f"{ev}.count must equal the children the worker held"
            continue
        old = holder.pop(key, None)
        if old is not None:
            load[old] -= 1
            yield old, load[old]
        if ev == "WorkerAllocated":
            holder[key] = int(worker)
            load[int(worker)] += 1
            assert load[int(worker)] == int(value), "WorkerAllocated.value is the caseload after allocation"
            yield int(worker), load[int(worker)]


def check_caseloads(df: pd.DataFrame, hard_cap: int) -> list[int]:
    """No worker's caseload is ever negative, nor above the hard cap when one is set; returns the loads."""
    loads = [n for _, n in caseload_fold(df)]
    assert not loads or min(loads) >= 0
    if hard_cap:
        assert not loads or max(loads) <= hard_cap, f"a caseload of {max(loads)} above the hard cap {hard_cap}"
    return loads


def march_31s(df: pd.DataFrame) -> list[dt.date]:
    """Every 31 March from the log's first day to its last."""
    first, last = pd.Timestamp(df["date"].min()), pd.Timestamp(df["date"].max())
    return [dt.date(y, 3, 31) for y in range(first.year, last.year + 1) if first <= pd.Timestamp(y, 3, 31) <= last]


def check_stocks(df: pd.DataFrame) -> int:
    """At every 31 March, each stock the projections report equals cumulative starts minus ends,
    and the official 31 March measures agree; returns how many dates were checked."""
    days = march_31s(df)
    dates = pd.to_datetime(df["date"])
    years = sorted({d.year - 1 for d in days})
    official = measures(df, years).set_index(["measure", "year"])["value"] if years else None
    for day in days:
        upto = df[dates <= pd.Timestamp(day)]
        stocks = stocks_at(df, day)
        for name, (starts, ends, measure) in STOCKS.items():
            expected = int(upto["event"].isin(starts).sum() - upto["event"].isin(ends).sum())
            if name == "cp":  # a CP plan also ends when its child's journey closes without CpPlanEnded
                expected -= _cp_closed_without_end(upto)
            assert stocks[name] == expected, f"{name} at {day}: projection {stocks[name]}, starts - ends {expected}"
            label = f"{day.year - 1}-{day.year % 100:02d}"
            assert official.loc[(measure, label)] == expected, f"{measure} {label}"
    return len(days)


def _cp_closed_without_end(rows: pd.DataFrame) -> int:
    cp = rows[rows["event"].isin(["CpPlanStarted", "CpPlanEnded", "CaseClosed"])]
    last = cp.groupby(["case_id", "child_id"])["event"].agg(list)
    return int(sum(1 for evs in last if "CpPlanStarted" in evs and _open_plan_at_close(evs)))


def _open_plan_at_close(events: list[str]) -> bool:
    open_plan = False
    for e in events:
        if e == "CpPlanStarted":
            open_plan = True
        elif e == "CpPlanEnded":
            open_plan = False
        elif e == "CaseClosed" and open_plan:
            return True
    return False


def check_open_at_end(df: pd.DataFrame, last_day: dt.date, sample: int = 5) -> int:
    """Every journey opened is closed or still open at the end, and those open are exactly the
    children the projections count on the last day; ``trace`` says they are still open.
    Returns the number open at the end."""
    opened = set(df[df["event"].isin(OPENING)].set_index(["case_id", "child_id"]).index)
    closed = set(df[df["event"] == Event.CASE_CLOSED.value].set_index(["case_id", "child_id"]).index)
    assert closed <= opened, "a journey closed that never opened"
    still_open = opened - closed
    assert stocks_at(df, last_day)["cin"] == len({child for _, child in still_open})
    assert len({child for _, child in still_open}) == len(still_open), "a child with two open journeys"
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    for _, child in sorted(still_open)[:sample]:
        lines = tell(table, int(child))
        assert any(line.startswith("  (still open when the run ended") for line in lines), f"trace of {child}"
    return len(still_open)
