"""Continuity follows the operating model: every change of a child's worker has a named cause, each
cause can be switched off alone, and with them all off a CAST worker holds every journey from
referral to closure.  Also the by-reason projection on a hand-written log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from journeysim.eventlog import table_from_rows
from journeysim.events import WORKER_CHANGE_REASONS
from journeysim.projections import handoffs_by_reason, journeys

from conftest import log_frame, small

START = dt.date(2014, 4, 1)

#: Every cause of a change of worker under model B, switched off.
CAUSES_OFF = {
    "worker_left": ["workforce.turnover_permanent=0", "workforce.turnover_agency=0"],
    "absence": ["workforce.absence_rate=0"],
    "rebalancing": ["teams.rebalance_over=0", "workforce.handover_on_joining=0"],
    "permanence": ["teams.permanence_days=0"],
    "leaving_care": ["teams.care_leavers_age=18"],
}

#: Model B from before the run starts, and no vacancies or agency cover at the start (so no cover ends).
MODEL_B = ["teams.cast_start=2000-01-01", "teams.cast_start_by_district={}", "workforce.vacancy_share=0",
           "workforce.agency_share=0"]


def _changes(df: pd.DataFrame) -> pd.Series:
    moves = df[(df["event"] == "WorkerAllocated") & (df["reason"] != "new_case")]
    return moves["reason"].value_counts()


def test_with_every_cause_off_a_cast_worker_holds_every_journey_from_start_to_end():
    """A property of model B: with turnover, absence, rebalancing and the care teams' transfers off,
    every journey that starts after the switch has exactly one worker."""
    off = [s for sets in CAUSES_OFF.values() for s in sets]
    for seed in (3, 4):
        df = log_frame(small("hampshire.toml", *MODEL_B, *off, "workforce.drives=[]"), seed)
        assert _changes(df).empty, _changes(df)
        jr = journeys(df)
        started = jr[jr["opening"] == "ReferralReceived"]
        assert len(started) > 500
        assert (started.loc[started["allocations"] > 0, "workers"] == 1).all()


@pytest.mark.parametrize("cause", list(CAUSES_OFF))
def test_each_cause_switched_off_alone_removes_exactly_its_reason(cause):
    df = log_frame(small("hampshire.toml", *MODEL_B, *CAUSES_OFF[cause]), 5)
    changes = _changes(df)
    assert changes.get(cause, 0) == 0, changes
    others = {c for c in CAUSES_OFF if c != cause}
    assert others <= set(changes.index), f"with only {cause} off every other cause still acts: {changes.to_dict()}"


def test_the_structure_of_model_a_hands_journeys_on_and_model_b_does_not():
    a = _changes(log_frame(small("counterfactual.toml"), 6))
    b = _changes(log_frame(small("hampshire.toml", *MODEL_B), 6))
    assert a["team_transfer"] > 0.3 * a.sum(), a
    assert "team_transfer" not in b and "permanence" not in a


def test_an_absent_worker_is_covered_and_a_short_absence_hands_the_children_back():
    df = log_frame(small("hampshire.toml", *MODEL_B, "workforce.absence_rate=1.0",
                         'workforce.absence_length={dist="fixed", value=20}', "workforce.absence_handback_days=30"), 7)
    absent = df[df["event"] == "WorkerAbsent"]
    back = df[df["event"] == "WorkerReturned"]
    assert len(absent) > 20 and len(back) > 0.8 * len(absent)
    pairs = back[["worker", "time"]].assign(start=(back["time"] - 20.0).round(6))
    matched = pairs.merge(absent[["worker", "time"]].assign(start=absent["time"].round(6)).drop(columns="time"),
                          on=["worker", "start"])
    assert len(matched) == len(back), "each worker is back exactly the absence's length after it started"
    changes = _changes(df)
    assert changes["absence"] > 0 and changes["absence_over"] > 0
    # a long absence (beyond the handback) hands nothing back
    longer = log_frame(small("hampshire.toml", *MODEL_B, "workforce.absence_rate=1.0",
                             'workforce.absence_length={dist="fixed", value=60}', "workforce.absence_handback_days=30"), 7)
    assert _changes(longer).get("absence_over", 0) == 0


def test_no_review_moves_a_case_to_a_worker_over_their_cap():
    """Rebalancing at a review moves a case only to a colleague who stays within their own cap, and
    only from a worker over teams.rebalance_over times theirs."""
    df = log_frame(small("hampshire.toml", "teams.rebalance_over=1.1", "workforce.handover_on_joining=0",
                         "workforce.soft_cap=10", "workforce.nq_cap=6"), 8)
    moves = df[(df["event"] == "WorkerAllocated") & (df["reason"] == "rebalancing")]
    assert len(moves) > 20
    assert (moves["value"] <= 10).all(), moves["value"].max()


# ------------------------------------------------------------------------------ the projection
def _ev(t, event, case=None, child=None, **kw) -> dict:
    row = dict(time=float(t), event=event, **kw)
    if child is not None:
        row.update(case_id=case, child_id=child, family_id=case, age=5.0)
    return row


def test_handoffs_by_reason_counts_every_change_but_the_first_in_the_year_it_happens():
    mar31, apr1 = 364.0, 365.0
    log = table_from_rows([
        _ev(10, "ReferralReceived", 1, 1),
        _ev(11, "WorkerAllocated", 1, 1, worker=1, reason="new_case", value=1.0),
        _ev(50, "WorkerAllocated", 1, 1, worker=2, reason="team_transfer", value=1.0),
        _ev(60, "WorkerAllocated", 1, 1, worker=3, reason="absence", value=1.0),
        _ev(mar31, "WorkerAllocated", 1, 1, worker=4, reason="rebalancing", value=1.0),
        _ev(apr1, "WorkerAllocated", 1, 1, worker=5, reason="rebalancing", value=1.0),
        _ev(20, "ReferralReceived", 2, 2),
        _ev(21, "WorkerAllocated", 2, 2, worker=1, reason="new_case", value=2.0),
        _ev(400, "WorkerAllocated", 2, 2, worker=6, reason="worker_left", value=1.0),
        _ev(800, "WorkerAllocated", 2, 2, worker=7, reason="absence", value=1.0),  # 2016-17: not asked for
    ], START)
    out = handoffs_by_reason(log, [2014, 2015]).set_index(["year", "reason"])["changes"]
    assert list(out.index.get_level_values("reason")[:len(WORKER_CHANGE_REASONS)]) == list(WORKER_CHANGE_REASONS)
    assert out[(2014, "team_transfer")] == 1 and out[(2014, "absence")] == 1 and out[(2014, "rebalancing")] == 1
    assert out[(2015, "rebalancing")] == 1 and out[(2015, "worker_left")] == 1 and out[(2015, "absence")] == 0
    assert out.sum() == 5, "new_case is no change; 2016-17 is outside the years asked for"
    assert "new_case" not in set(out.index.get_level_values("reason"))
