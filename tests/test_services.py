"""The old offer as services (Family Intervention Teams, early help, edge of care, the PA pilot) and a
service that responds when it is full: capacity is never exceeded, flows are conserved, and each
response does what it says."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import invariants
from journeysim.model.practice import with_odds
from journeysim.projections import measures

from conftest import log_frame, small


def _concurrent(df: pd.DataFrame, start: str, end: str, key: list[str]) -> pd.Series:
    """The most of ``key`` (families, in a unit) between a ``start`` and its ``end`` at once, per unit (``team``)."""
    rows = df[df["event"].isin([start, end])].drop_duplicates([*key, "event", "time"])
    step = np.where(rows["event"] == start, 1, -1)
    order = rows.assign(step=step).sort_values(["time", "step"], kind="stable")  # ends before starts at a tie
    return order.groupby("team")["step"].cumsum().groupby(order["team"]).max()


@pytest.fixture(scope="module")
def old_offer_log() -> pd.DataFrame:
    return log_frame(small("counterfactual.toml", "fit.workers=1", "fit.families_per_worker=4",
                           "early_help.workers=1", "early_help.families_per_worker=2", "edge_of_care.workers=1"), 3)


def test_a_fit_never_supports_more_families_than_its_places(old_offer_log):
    df = old_offer_log
    places = df[df["event"] == "FitOpened"].set_index("team")["count"]
    most = _concurrent(df[df["event"].isin(["FitSupportStarted", "FitSupportEnded"])], "FitSupportStarted",
                       "FitSupportEnded", ["case_id"])
    assert len(most) == 8 and (most <= places.reindex(most.index)).all() and (most == places.reindex(most.index)).any()


def test_every_fit_referral_is_supported_or_closed_and_every_support_ends(old_offer_log):
    df = old_offer_log
    by_case = df[df["event"].str.startswith("Fit") & df["case_id"].notna()].groupby("event")["case_id"].nunique()
    assert by_case["FitSupportStarted"] <= by_case["FitReferred"]
    started = df[df["event"] == "FitSupportStarted"][["case_id", "child_id"]]
    ended = df[df["event"] == "FitSupportEnded"][["case_id", "child_id"]]
    open_at_end = len(started) - len(ended)
    assert 0 <= open_at_end <= 8 * 4 * 3, "each support ends (by completion or closure) but those still running"


def test_the_hubs_replace_each_district_fit_when_they_open():
    df = log_frame(small("hampshire.toml"), 4)
    closed = df[df["event"] == "FitClosed"].set_index("team")["time"]
    assert len(closed) == 8
    later = df[(df["event"] == "FitSupportStarted") & df["team"].map(closed).lt(df["time"])]
    referred_later = df[(df["event"] == "FitReferred") & df["team"].map(closed).lt(df["time"])]
    assert referred_later.empty, "no family is referred to a FIT after its district's hub opened"
    assert later["case_id"].nunique() <= 8 * 3 * 6 * 0.05 + 8, "only families already waiting start after"
    hubs = df[df["event"] == "HubOpened"]["time"].sort_values()
    assert closed.min() == hubs.min()


def test_early_help_never_takes_more_families_than_its_places(old_offer_log):
    df = old_offer_log
    rows = df[df["event"].isin(["EarlyHelpStarted", "EarlyHelpEnded"])]
    most = _concurrent(rows, "EarlyHelpStarted", "EarlyHelpEnded", ["family_id"])
    assert (most <= 1).all() and (most == 1).all(), "one place in each district at this scale"
    routes = df[df["event"] == "EarlyHelpStarted"]["reason"].value_counts()
    assert set(routes.index) == {"front_door", "step_down"}


def test_edge_of_care_takes_only_adolescents_within_its_places_and_each_support_ends(old_offer_log):
    df = old_offer_log
    starts = df[df["event"] == "EdgeOfCareStarted"]
    assert len(starts) > 0
    oldest = starts.groupby(["case_id", "time"])["age"].max()
    assert (oldest >= 14.0).all()
    places = 1  # at least one, at this scale
    most = _concurrent(df[df["event"].isin(["EdgeOfCareStarted", "EdgeOfCareEnded"])].assign(team="EDGE"),
                       "EdgeOfCareStarted", "EdgeOfCareEnded", ["case_id"])
    assert most["EDGE"] <= places
    ends = df[df["event"] == "EdgeOfCareEnded"]
    assert set(ends["outcome"]) <= {"care", "home"}


def test_after_edge_of_care_a_young_person_enters_care_at_the_chance_given():
    df = log_frame(small("counterfactual.toml", "run.scale=0.15", "edge_of_care.workers=200", "edge_of_care.min_age=0",
                         "edge_of_care.p_care=0.3", 'edge_of_care.duration={dist="fixed", value=30}'), 5)
    ends = df[df["event"] == "EdgeOfCareEnded"].drop_duplicates(["case_id", "time"])
    n, share = len(ends), (ends["outcome"] == "care").mean()
    assert n > 100  # enough for the share to be tested
    assert abs(share - 0.3) < 3 * math.sqrt(0.3 * 0.7 / n), (share, n)
    # the ones who go home do not enter care at that decision (within the day after support ended)
    home = ends[ends["outcome"] == "home"][["case_id", "time"]].rename(columns={"time": "ended"})
    entered = df[df["event"] == "CareEntered"][["case_id", "time"]].merge(home, on="case_id")
    assert not ((entered["time"] >= entered["ended"]) & (entered["time"] < entered["ended"] + 1)).any()
    care = ends[ends["outcome"] == "care"][["case_id", "time"]].rename(columns={"time": "ended"})
    # into care; or to court first (care proceedings, which may outlast the run); or closed if the young
    # person turned 18 meanwhile (a child of 18 is not taken into care)
    entry = (df["event"].isin(["CareEntered", "CareProceedingsIssued"])
             | ((df["event"] == "CaseClosed") & (df["reason"] == "age_18")))
    into = df[entry][["case_id", "time"]].merge(care, on="case_id")
    after = into[into["time"] >= into["ended"]]
    assert len(after.drop_duplicates(["case_id", "ended"])) == len(care.drop_duplicates()), "each goes into care after"


def test_a_pa_pilot_lowers_the_caseload_weight_from_its_start():
    from types import SimpleNamespace

    from journeysim import scenario as sc
    from journeysim.model.practice import pa_time_weight
    from journeysim.model.run import Parameters

    def weight(*sets, active=lambda date: date is not None):
        return pa_time_weight(SimpleNamespace(params=Parameters.of(sc.load(None, list(sets))), active=active))

    pilot = weight("workforce.pa_pilot_ratio=0.1")
    assert pilot == pytest.approx(0.34 / (0.34 + 0.24 * 0.3))
    assert weight("workforce.pa_pilot_start=never") == 1.0
    assert weight("workforce.pa_start=2018-04-01") == pytest.approx(0.34 / 0.58), "the extension replaces the pilot"


# ------------------------------------------------------------------------------ a full service
def test_a_cap_with_a_start_date_binds_only_from_it():
    df = log_frame(small("hampshire.toml", "workforce.hard_cap=12", "workforce.hard_cap_start=2018-04-01",
                         "run.end=2019-04-01"), 2)
    cap_day = df.loc[df["date"] >= dt.date(2018, 4, 1), "time"].min()
    before = invariants.check_caseloads(df[df["time"] < cap_day], 0)
    assert max(before) > 12, "no cap before its date"
    after = df[(df["event"] == "WorkerAllocated") & (df["time"] >= cap_day)]
    assert after["value"].max() <= 12


def test_managers_hold_no_more_than_allowed_and_hand_cases_on():
    df = log_frame(small("hampshire.toml", "workforce.hard_cap=10", "responses.manager_holds=3",
                         "run.end=2018-04-01"), 2)
    managers = set(df[(df["event"] == "WorkerJoined") & (df["outcome"] == "manager")]["worker"])
    assert managers
    held = df[(df["event"] == "WorkerAllocated") & df["worker"].isin(managers)]
    assert held["value"].max() <= 3 and len(held) > 10
    moved_on = df[(df["event"] == "WorkerAllocated") & (df["reason"] == "rebalancing")]
    assert len(moved_on) > 0


def test_a_queue_brings_in_agency_workers_within_the_limit_who_leave_when_it_is_gone():
    df = log_frame(small("hampshire.toml", "workforce.hard_cap=10", "responses.queue_agency=3",
                         "responses.queue_agency_max=1", "run.end=2018-04-01"), 2)
    left = df[(df["event"] == "WorkerLeft") & (df["reason"] == "queue_cleared")]
    assert len(left) > 0
    joined = df[df["event"].isin(["WorkerJoined", "WorkerMoved"])].drop_duplicates("worker", keep="last")
    extra = joined[joined["worker"].isin(left["worker"])]
    assert (extra["outcome"].isin(["agency"]) | (extra["event"] == "WorkerMoved")).all()


def test_thresholds_that_tighten_with_the_queue_take_fewer_referrals_into_a_full_service():
    # a small county has room to spare (teams keep two posts at least): call it full at 3 children a worker
    base = ["workforce.hard_cap=14", "run.end=2019-04-01", "responses.full_caseload=3"]
    plain = measures(log_frame(small("hampshire.toml", *base), 3))
    tight = measures(log_frame(small("hampshire.toml", *base, "responses.threshold_elasticity=4"), 3))

    def total(m, name):
        return m[m["measure"] == name]["value"].sum()

    assert total(tight, "referrals") < 0.95 * total(plain, "referrals")
    assert total(tight, "cin_at_31_march") < total(plain, "cin_at_31_march")


def test_with_odds_keeps_the_sum_and_the_shares_on_each_side():
    probs = {"a": 0.2, "b": 0.3, "c": 0.5}
    out = with_odds(probs, ("a", "b"), 2.0)
    q = 0.5 * 2 / (0.5 + 0.5 * 2)
    assert out["a"] + out["b"] == pytest.approx(q) and out["a"] / out["b"] == pytest.approx(0.2 / 0.3)
    assert sum(out.values()) == pytest.approx(1.0)
    assert with_odds(probs, ("a",), 1.0) is probs
