"""Numbers a single wrong change would move, pinned where a mutation audit found the suite blind:
working days across weekends, the cost line of every placement type, a comparison whose difference
is a clear fall, and probability tables that are nearly right."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.calendar import Calendar, working_days_between
from journeysim.compare import Comparison, paired_differences, statement
from journeysim.costs import PLACEMENT_TYPES, annual_costs
from journeysim.eventlog import table_from_rows
from journeysim.scenario import ScenarioError

# ------------------------------------------------------------------------------- working days
MONDAY = dt.date(2018, 4, 2)  # a Monday; the calendar's start


@pytest.mark.parametrize("start, end, expected", [
    ("2018-04-02", "2018-04-09", 5),   # Monday to the next Monday
    ("2018-04-06", "2018-04-09", 1),   # Friday to Monday: the weekend is not counted
    ("2018-04-07", "2018-04-09", 1),   # Saturday to Monday
    ("2018-04-08", "2018-04-09", 1),   # Sunday to Monday
    ("2018-04-06", "2018-04-08", 0),   # Friday to Sunday
    ("2018-04-06", "2018-04-06", 0),   # the same day
    ("2018-04-02", "2018-06-04", 45),  # nine whole weeks: the 45-working-day assessment limit
    ("2018-04-05", "2018-04-12", 5),   # Thursday to Thursday, across a weekend
])
def test_working_days_across_weekends(start, end, expected):
    got = working_days_between(np.array([start], dtype="datetime64[D]"), np.array([end], dtype="datetime64[D]"))
    assert got.tolist() == [expected]


def test_the_calendar_moves_weekend_work_to_monday_and_rota_weeks_start_on_mondays():
    cal = Calendar(MONDAY, dt.date(2019, 4, 1))
    # days 0-6 are Monday to Sunday: work waits 2 days from a Saturday, 1 from a Sunday, none on a weekday
    assert [cal.to_working_day(d) for d in range(7)] == [0, 0, 0, 0, 0, 2, 1]
    assert cal.to_working_day(5.75) == 2 and cal.to_working_day(13.5) == 1
    assert [cal.week_index(d) for d in (0, 6.99, 7, 13, 14)] == [0, 0, 1, 1, 2]
    assert [cal.next_monday(d) for d in (0, 3, 6.5, 7)] == [7, 7, 7, 14]
    thursday = Calendar(dt.date(2018, 4, 5), dt.date(2019, 4, 1))  # a run starting on a Thursday
    assert [thursday.to_working_day(d) for d in range(4)] == [0, 0, 2, 1]  # Thu, Fri, Sat, Sun
    assert thursday.week_index(3) == 0 and thursday.week_index(4) == 1  # the week turns on Monday (day 4)
    assert thursday.next_monday(0) == 4


# -------------------------------------------------------------------- costs of every placement type
def _placements_log():
    """A log with one child in a placement of each type, each for its own number of days in 2014-15, and
    those days by type."""
    rows, days = [], {}
    for i, (kind, length) in enumerate(zip(PLACEMENT_TYPES, (30, 61, 91, 122, 152))):
        child = 10 + i
        rows += [{"time": 10.0 * i, "event": "PlacementStarted", "case_id": child, "child_id": child,
                  "family_id": child, "outcome": kind},
                 {"time": 10.0 * i + length, "event": "CareLeft", "case_id": child, "child_id": child,
                  "family_id": child, "reason": "returned_home"}]
        days[kind] = length
    return table_from_rows(sorted(rows, key=lambda r: r["time"]), dt.date(2014, 4, 1)), days


SETTINGS = ["run.start=2014-04-01", "run.warmup_days=0", "run.end=2015-04-01"]
UNIT = {"foster": 35000, "kinship": 15000, "residential": 250000, "independent": 45000, "adoption": 20000}


def test_every_placement_type_is_costed_on_its_own_line_at_its_own_rate():
    log, days = _placements_log()
    costs = annual_costs(log, sc.load(None, SETTINGS), [2014]).set_index("component")["value"]
    for kind, line in PLACEMENT_TYPES.items():
        assert costs[f"placements_{line}"] == pytest.approx(days[kind] / 365 * UNIT[line]), kind
    for line in UNIT:  # a dearer placement of one type moves its line only
        dear = annual_costs(log, sc.load(None, [*SETTINGS, f"costs.placement_{line}={2 * UNIT[line]}"]), [2014])
        dear = dear.set_index("component")["value"]
        for other in UNIT:
            factor = 2 if other == line else 1
            assert dear[f"placements_{other}"] == pytest.approx(factor * costs[f"placements_{other}"]), (line, other)


# ------------------------------------------------------------------------ a comparison's clear fall
def _per_rep(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"rep": range(len(values)), "measure": "cla_starts", "year": "2019-20", "value": values})


def test_a_clear_fall_is_a_negative_difference_with_an_interval_below_zero_and_said_so():
    a = _per_rep([100, 104, 98, 102, 101])
    b = _per_rep([90, 95, 87, 93, 90])  # each replication lower by 10, 9, 11, 9, 11
    d = paired_differences(a, b).iloc[0]
    assert d["diff"] == pytest.approx(-10.0)
    half = 2.7764 * np.std([-10, -9, -11, -9, -11], ddof=1) / np.sqrt(5)  # t(4) = 2.776
    assert (d["ci_low"], d["ci_high"]) == (pytest.approx(-10 - half, abs=1e-3), pytest.approx(-10 + half, abs=1e-3))
    assert d["ci_high"] < 0 and not d["includes_zero"]
    assert d["pct_change"] == pytest.approx(-1000 / 101)
    cmp = Comparison("before", "after", ["2019-20"], a, b, paired_differences(a, b), 5, 1)
    sentence = statement(cmp, [("cla_starts", "CLA starts", 0)])[1]
    assert sentence.endswith("(-9.9%); a clear fall.")
    assert "difference -10 [" in sentence


def test_a_difference_whose_interval_crosses_zero_is_no_clear_effect():
    a, b = _per_rep([100, 104, 98, 102, 101]), _per_rep([101, 99, 100, 103, 98])
    d = paired_differences(a, b).iloc[0]
    assert d["ci_low"] < 0 < d["ci_high"] and d["includes_zero"]


# ---------------------------------------------------------------------- probability tables
PROBABILITY_TABLES = sorted(k for k, p in sc.PARAMS.items() if p.kind == "probs")


def test_there_are_probability_tables_to_check():
    assert {"frontdoor.triage", "mash.outcome", "care.placement", "icpc.outcome"} <= set(PROBABILITY_TABLES)


@pytest.mark.parametrize("key", PROBABILITY_TABLES)
def test_a_probability_table_with_a_negative_entry_summing_to_one_is_refused(key):
    keys = list(sc.PARAMS[key].keys)
    table = {k: 0.0 for k in keys}
    table[keys[0]], table[keys[1]] = -0.1, 1.1  # sums to 1, but neither is a probability
    value = "{" + ", ".join(f"{k} = {v}" for k, v in table.items()) + "}"
    with pytest.raises(ScenarioError, match=rf"{key}\.{keys[0]} is a probability and must be between 0 and 1; "
                                            r"got -0\.1"):
        sc.load(None, [f"{key}={value}"])


@pytest.mark.parametrize("key", PROBABILITY_TABLES)
@pytest.mark.parametrize("total", [0.97, 0.999, 1.03])
def test_a_probability_table_not_summing_to_one_is_refused(key, total):
    keys = list(sc.PARAMS[key].keys)
    table = {k: 0.0 for k in keys}
    table[keys[0]] = round(total - 0.5, 6)
    table[keys[1]] = 0.5
    value = "{" + ", ".join(f"{k} = {v}" for k, v in table.items()) + "}"
    with pytest.raises(ScenarioError, match=rf"{key}: the probabilities of .* must sum to 1; they sum to {total:g}"):
        sc.load(None, [f"{key}={value}"])
    table[keys[0]] = 0.5
    exact = "{" + ", ".join(f"{k} = {v}" for k, v in table.items()) + "}"
    assert sc.load(None, [f"{key}={exact}"])[key][keys[0]] == 0.5


# ------------------------------------------------------------ a worker leaving on 31 March
def test_a_worker_who_leaves_on_31_march_holds_nobody_at_its_end():
    """Caseloads at the end of 31 March: a worker leaving that day is out of post (their children are
    nobody's), one leaving on 1 April still holds theirs; a reallocation on 31 March counts for the new
    worker only, and a journey closed that day for nobody."""
    from journeysim.projections import measures
    from journeysim.projections.caseload import caseloads_at

    from test_projections import APR1, MAR31, ev, log_of

    rows = [
        ev(0, "WorkerJoined", team="D3-CIN1", worker=1, outcome="permanent", count=20),
        ev(0, "WorkerJoined", team="D3-CIN1", worker=2, outcome="permanent", count=20),
        ev(0, "WorkerJoined", team="D3-CIN1", worker=3, outcome="permanent", count=20),
        *[ev(1, "ReferralReceived", c, c) for c in range(1, 8)],
        *[ev(2, "WorkerAllocated", c, c, worker=1, reason="new_case") for c in (1, 2)],
        *[ev(2, "WorkerAllocated", c, c, worker=2, reason="new_case") for c in (3, 4, 5)],
        *[ev(2, "WorkerAllocated", c, c, worker=3, reason="new_case") for c in (6, 7)],
        ev(MAR31, "WorkerLeft", team="D3-CIN1", worker=1, outcome="permanent", count=1),
        ev(MAR31, "WorkerAllocated", 6, 6, worker=2, reason="reallocation"),  # 6 moves from 3 to 2 that day
        ev(MAR31, "CaseClosed", 5, 5, reason="not_in_need"),  # closed that day
        ev(APR1, "WorkerLeft", team="D3-CIN1", worker=3, outcome="permanent", count=1),
    ]
    log = log_of(rows)
    held = caseloads_at(log, "2015-03-31")
    assert held.to_dict() == {2: 3, 3: 1}  # worker 2: children 3, 4, 6; worker 3: child 7; worker 1 gone
    m = measures(log, [2014]).set_index("measure")["value"]
    assert m["sw_caseload_children_mean"] == pytest.approx(2.0)
