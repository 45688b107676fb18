"""Model numbers a single wrong change would move: when and how often families come back, which
intake team takes a referral, and the age at which children leave care (small runs, seeds fixed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import log_frame, small

NO_RETURN = ("permanence", "age_18", "moved_on")
#: A delay before a family comes back long enough to tell from others, short enough to see in a small run.
DELAY = 'arrivals.return_delay={dist="exponential", mean=100}'


def _case_closures(log: pd.DataFrame) -> pd.DataFrame:
    """Each case's closure: the time and reason of the last child's CaseClosed, with its family."""
    closed = log[log["event"] == "CaseClosed"].sort_values("seq")
    return closed.groupby("case_id").tail(1)[["case_id", "family_id", "time", "reason"]]


def _returns(log: pd.DataFrame) -> pd.DataFrame:
    return log[(log["event"] == "ContactReceived") & (log["reason"] == "known_family")][["family_id", "time"]]


def test_no_family_comes_back_when_none_may():
    log = log_frame(small("hampshire.toml", "practice.p_return_no_plan=0", "practice.p_return_change=0",
                          "practice.p_return_no_change=0"), seed=4)
    assert len(_case_closures(log)) > 500
    assert _returns(log).empty


def test_families_come_back_after_the_delay_the_scenario_gives():
    """Every family may come back (chance 1): the time from its case's closure to its return contact is
    the scenario's delay, exponential with mean 100 days (so its median is 100 ln 2, about 69)."""
    log = log_frame(small("hampshire.toml", "practice.p_return_no_plan=1", "practice.p_return_change=1",
                          "practice.p_return_no_change=1", "variation.returns_sd=0", DELAY), seed=4)
    end = log["time"].max()
    closures = _case_closures(log)
    closures = closures[~closures["reason"].isin(NO_RETURN) & (closures["time"] < end - 1000)]
    returns = _returns(log)
    delays = []
    for family, t0 in zip(closures["family_id"], closures["time"]):
        later = returns.loc[(returns["family_id"] == family) & (returns["time"] >= t0), "time"]
        if len(later):
            delays.append(later.min() - t0)
    delays = np.array(delays)
    assert len(delays) > 0.9 * len(closures) > 300, "nearly every closed family came back"
    se = 100 / np.sqrt(len(delays))
    assert abs(delays.mean() - 100) < 4 * se, delays.mean()
    assert abs(np.median(delays) - 100 * np.log(2)) < 10, np.median(delays)


@pytest.mark.parametrize("chance", [0.2, 0.8])
def test_families_closed_without_a_plan_come_back_as_often_as_the_scenario_says(chance):
    """Only families closed without a plan may come back, with the chance given: the share of them that
    come back is that chance (to within four standard errors)."""
    log = log_frame(small("hampshire.toml", f"practice.p_return_no_plan={chance}", "practice.p_return_change=0",
                          "practice.p_return_no_change=0", "variation.returns_sd=0", "early_help.return_odds=1",
                          DELAY), seed=6)
    end = log["time"].max()
    plans = set(log.loc[log["event"].isin(["CinPlanStarted", "CpPlanStarted"]), "case_id"])
    closures = _case_closures(log)
    eligible = closures[~closures["case_id"].isin(plans) & ~closures["reason"].isin(NO_RETURN)
                        & (closures["time"] < end - 1000)]
    returns = _returns(log)
    came_back = [((returns["family_id"] == f) & (returns["time"] >= t)).any()
                 for f, t in zip(eligible["family_id"], eligible["time"])]
    n = len(came_back)
    assert n > 300
    share = float(np.mean(came_back))
    assert abs(share - chance) < 4 * np.sqrt(chance * (1 - chance) / n) + 0.01, (share, n)
    with_plan = closures[closures["case_id"].isin(plans) & ~closures["reason"].isin(NO_RETURN)
                         & (closures["time"] < end - 1000)]
    assert not any(((returns["family_id"] == f) & (returns["time"] >= t)).any()
                   for f, t in zip(with_plan["family_id"], with_plan["time"]))


def test_a_referral_goes_to_one_of_the_intake_teams_of_its_week_chosen_by_load():
    """With two CAST teams on intake a week ([[1, 2], [3, 4]]), every new referral in a CAST district goes
    to one of that week's two, the one with the fewer children per worker: so not always the first named."""
    log = log_frame(small("hampshire.toml", "teams.intake_rota=[[1, 2], [3, 4]]", "teams.cast_start=2017-04-03",
                          "teams.cast_start_by_district={}"), seed=8)
    weeks = log[log["event"] == "IntakeWeekStarted"][["time", "team"]].astype({"team": str})
    referrals = log[(log["event"] == "ReferralReceived") & log["team"].astype(str).str.contains("-CAST")]
    referrals = referrals[["time", "team"]].astype({"team": str})
    assert len(referrals) > 500
    weeks["district"] = [t.split("-")[0] for t in weeks["team"]]
    referrals["district"] = [t.split("-")[0] for t in referrals["team"]]
    # a week's intake teams are named on its Monday: a referral belongs to its district's latest naming
    on_intake = weeks.groupby(["district", "time"])["team"].apply(frozenset).reset_index(name="on_intake")
    placed = pd.merge_asof(referrals.sort_values("time"), on_intake.rename(columns={"time": "monday"}).sort_values("monday"),
                           left_on="time", right_on="monday", by="district").dropna(subset=["monday"])
    assert len(placed) > 0.9 * len(referrals)
    assert all(len(teams) == 2 for teams in placed["on_intake"])
    assert all(team in teams for team, teams in zip(placed["team"], placed["on_intake"]))
    # the choice between the two is by load, not by order: the second-named team of a pair takes its part
    second = placed[[team == sorted(teams)[1] for team, teams in zip(placed["team"], placed["on_intake"])]]
    share = len(second) / len(placed)
    assert 0.2 < share < 0.8, share


@pytest.mark.parametrize("leaving_age", [18.0, 17.5])
def test_children_leave_care_at_the_leaving_age(leaving_age):
    """No child is looked after past the leaving age: those who age out leave within a day of it, and
    everyone else earlier."""
    log = log_frame(small("hampshire.toml", f"care.leaving_age={leaving_age}",
                          f"teams.care_leavers_age={leaving_age - 0.5}"), seed=9)
    left = log[log["event"] == "CareLeft"]
    aged_out = left[left["reason"] == "age_18"]
    assert len(aged_out) > 10
    assert aged_out["age"].between(leaving_age - 1.5 / 365.25, leaving_age + 1e-3).all(), \
        aged_out["age"].describe()
    assert (left.loc[left["reason"] != "age_18", "age"] < leaving_age + 1e-3).all()
    entered = log[log["event"] == "CareEntered"]
    assert (entered["age"] < leaving_age).all()


def test_a_family_home_from_care_on_a_plan_comes_back_as_one_closed_after_a_plan():
    """A child taken into care in an emergency straight from a section 47 enquiry (no plan before) who
    goes home does so on a CIN plan: when the case closes, the family comes back with the chance after
    a plan (here none), not the chance after no plan (here all)."""
    log = log_frame(small("hampshire.toml", "s47.p_emergency_care=0.5", "care.p_breakdown=0",
                          'care.p_return_home={under_1=1.0, 1_4=1.0, 5_9=1.0, 10_15=1.0, 16_17=1.0}',
                          "practice.p_return_no_plan=1", "practice.p_return_change=0", "practice.p_return_no_change=0",
                          "variation.returns_sd=0", "early_help.return_odds=1", DELAY), seed=6)
    end = log["time"].max()
    planned = set(log.loc[log["event"].isin(["CinPlanStarted", "CpPlanStarted"]) & (log["reason"] != "returned_home"),
                          "case_id"])
    home = set(log.loc[(log["event"] == "CareLeft") & (log["reason"] == "returned_home"), "case_id"])
    closures = _case_closures(log)
    straight_home = closures[closures["case_id"].isin(home - planned) & (closures["reason"] == "plan_ended")
                             & (closures["time"] < end - 1000)]
    assert len(straight_home) > 20
    returns = _returns(log)
    assert not any(((returns["family_id"] == f) & (returns["time"] >= t)).any()
                   for f, t in zip(straight_home["family_id"], straight_home["time"]))
    # and the families closed without any plan still all come back
    assert not returns.empty
