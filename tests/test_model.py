"""The model's behaviour, checked on its own event logs: tests that fail if the model is wrong."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import invariants
from journeysim import scenario as sc
from journeysim.eventlog import file_digest
from journeysim.model import simulate
from journeysim.projections import measures

from conftest import SCENARIOS, log_frame, small


def test_same_seed_gives_byte_identical_log(tmp_path):
    s = small("hampshire.toml", "run.end=2017-04-01")
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    simulate(s, 5, a)
    simulate(s, 5, b)
    simulate(s, 6, c)
    assert file_digest(a) == file_digest(b)
    assert file_digest(a) != file_digest(c)


def test_log_columns_are_filled_as_documented(hampshire_log):
    invariants.check_log_order_and_fields(hampshire_log)


def test_every_journey_is_a_valid_path_through_the_pathway_graph(hampshire_log, model_a_log):
    invariants.check_journeys(hampshire_log, small("hampshire.toml"))
    invariants.check_journeys(model_a_log, small("counterfactual.toml"))


def test_children_are_conserved_and_open_cases_reported_open(hampshire_log):
    """Every child who entered the pathway is either closed or still open at the end; none vanish."""
    assert invariants.check_open_at_end(hampshire_log, small("hampshire.toml")["run.end"] - dt.timedelta(days=1)) > 100


def test_stock_at_31_march_equals_cumulative_starts_minus_ends(hampshire_log):
    assert invariants.check_stocks(hampshire_log) == 5  # 2016 (warm-up) to 2020


def test_no_caseload_is_ever_negative(hampshire_log):
    assert max(invariants.check_caseloads(hampshire_log, 0)) > 12


def test_hard_cap_is_never_exceeded():
    df = log_frame(small("hampshire.toml", "workforce.hard_cap=12", "run.end=2018-04-01"))
    loads = invariants.check_caseloads(df, 12)
    assert max(loads) == 12, "the cap binds"


def test_model_b_keeps_far_more_journeys_with_one_worker(model_a_log, model_b_log):
    def share_one(df):
        m = measures(df)
        return m[m["measure"] == "social_workers_per_journey_pct_1"]["value"].mean()

    # No team transfers under model B; leavers, absences, rebalancing and the care teams (the same
    # in both models) still hand children on
    a, b = share_one(model_a_log), share_one(model_b_log)
    assert b > 2 * a and b > a + 20, (a, b)


def test_every_change_of_worker_has_a_reason(model_a_log, model_b_log):
    from journeysim.events import WORKER_CHANGE_REASONS

    reasons_a = set(model_a_log.loc[model_a_log["event"] == "WorkerAllocated", "reason"])
    reasons_b = set(model_b_log.loc[model_b_log["event"] == "WorkerAllocated", "reason"])
    allowed = {"new_case", *WORKER_CHANGE_REASONS}
    assert reasons_a <= allowed and reasons_b <= allowed
    assert {"new_case", "team_transfer", "worker_left", "absence", "rebalancing", "leaving_care"} <= reasons_a
    assert "permanence" not in reasons_a, "model A's looked-after children go to the care team on entry"
    assert "team_transfer" not in reasons_b, "CAST workers keep the child: no transfers between teams"
    assert {"new_case", "permanence", "worker_left", "absence", "rebalancing"} <= reasons_b


def test_cast_intake_rota_gives_each_district_week_to_one_team_in_rotation(model_b_log):
    df = model_b_log
    refs = df[(df["event"] == "ReferralReceived")].copy()
    refs["district"] = refs["team"].str.split("-").str[0]
    start = pd.Timestamp(df["date"].min())
    monday = start - pd.Timedelta(days=start.weekday())
    refs["week"] = ((pd.to_datetime(refs["date"]) - monday).dt.days // 7).astype(int)
    teams_per_week = refs.groupby(["district", "week"])["team"].nunique()
    assert (teams_per_week == 1).all()
    for district, g in refs.groupby("district"):
        by_week = g.groupby("week")["team"].first()
        weeks = by_week.index.to_numpy()
        consecutive = np.diff(weeks) == 1
        changed = by_week.to_numpy()[1:] != by_week.to_numpy()[:-1]
        assert changed[consecutive].all(), f"{district}: a team took two weeks running"
        assert by_week.nunique() == 4


def test_hub_places_are_never_exceeded_and_waits_are_recorded(hampshire_log):
    df = hampshire_log
    hub = df[df["event"].isin(["HubOpened", "HubSupportStarted", "HubSupportEnded"])]
    places = hub[hub["event"] == "HubOpened"].set_index("team")["count"].to_dict()
    assert places, "hubs open in the Hampshire scenario"
    spans = hub[hub["event"] != "HubOpened"].groupby(["team", "case_id"])
    starts = spans.apply(lambda g: g.loc[g["event"] == "HubSupportStarted", "time"].min())
    ends = spans.apply(lambda g: g.loc[g["event"] == "HubSupportEnded", "time"].max()).fillna(np.inf)
    assert (ends >= starts).all()
    for team in places:
        s, e = starts.loc[team].to_numpy(), ends.loc[team].to_numpy()
        sweep = sorted([(t, 1) for t in s] + [(t, -1) for t in e], key=lambda x: (x[0], x[1]))
        assert np.cumsum([d for _, d in sweep]).max() <= places[team]
    waits = df.loc[df["event"] == "HubSupportStarted", "value"]
    assert (waits >= 0).all()


def test_counterfactual_never_switches_and_has_no_hubs(model_a_log):
    events = set(model_a_log["event"])
    assert "OperatingModelSwitched" not in events and "HubOpened" not in events
    assert not model_a_log["team"].dropna().str.contains("CAST").any()


def test_uasc_enter_care_directly_and_leave_by_18(hampshire_log):
    df = hampshire_log
    uasc = df[df["event"] == "UascArrived"][["case_id", "child_id"]]
    assert len(uasc) > 0
    nxt = df.merge(uasc)
    nxt = nxt[~nxt["event"].isin(["WorkerAllocated", "UascArrived"])].groupby(["case_id", "child_id"]).first()
    assert (nxt["event"] == "CareEntered").all() and (nxt["legal_status"] == "uasc_s20").all()
    assert (df.loc[df["event"] == "CareLeft", "age"] <= 18.0 + 1e-3).all()


def test_re_referral_feedback_exists(hampshire_log):
    """Closed families come back: some children have more than one journey."""
    refs = hampshire_log[hampshire_log["event"] == "ReferralReceived"]
    journeys_per_child = refs.groupby("child_id")["case_id"].nunique()
    assert (journeys_per_child > 1).mean() > 0.05


def test_a_one_week_in_two_rota_puts_two_teams_on_intake_each_week():
    df = log_frame(small("hampshire.toml", "teams.cast_start=2000-01-01", "teams.cast_start_by_district={}",
                         "teams.intake_rota=[[1, 2], [3, 4]]"))
    weeks = df[df["event"] == "IntakeWeekStarted"].copy()
    weeks["district"] = weeks["team"].str.split("-").str[0]
    per_week = weeks.groupby(["district", "time"])["team"].apply(lambda s: tuple(sorted(s.str[-1])))
    assert set(per_week) == {("1", "2"), ("3", "4")}
    refs = df[df["event"] == "ReferralReceived"].merge(weeks[["team", "time"]], how="cross", suffixes=("", "_w"))
    # every referral goes to a team on intake in the week it arrived
    refs = refs[(refs["time_w"] <= refs["time"]) & (refs["time"] < refs["time_w"] + 7)]
    on_intake = refs.groupby("seq").apply(lambda g: (g["team"] == g["team_w"]).any())
    assert on_intake.all()


def _of_the_model(obj) -> bool:
    """An object made by journeysim or SimPy: an instance of their classes, or one of their
    functions, generators or the cells their closures keep."""
    if type(obj).__name__ == "cell":
        try:
            obj = obj.cell_contents
        except ValueError:
            return False
    code = getattr(obj, "gi_code", None) or getattr(obj, "__code__", None)
    where = code.co_filename if code is not None else (getattr(type(obj), "__module__", "") or "")
    return "journeysim" in where or "simpy" in where


def test_a_run_leaves_no_cyclic_garbage(monkeypatch):
    """The garbage collector is paused during a run (engine.collector_paused), which is safe only
    while the model's objects form no reference cycles: a family, its children, their cases,
    workers, processes and scheduled callbacks must all be freed by reference counting alone."""
    import gc

    from journeysim.model import run

    found: list[list[str]] = []
    schedule = run.schedule_changes

    def with_checks(w):
        schedule(w)

        def check():
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                gc.collect()
                found.append(sorted({type(o).__name__ for o in gc.garbage if _of_the_model(o)}))
            finally:
                gc.garbage.clear()
                gc.set_debug(0)
            w.at(200.0, check)

        w.at(200.0, check)

    monkeypatch.setattr(run, "schedule_changes", with_checks)
    gc.collect()  # what earlier tests left is not this run's
    simulate(small("hampshire.toml", "run.start=2016-04-01", "run.end=2019-04-01"), 3)
    assert len(found) >= 5
    assert all(not kinds for kinds in found), found


def test_each_team_count_of_children_held_matches_its_workers(monkeypatch):
    """Teams keep a running count of the children their workers hold (for choosing teams fast),
    and their workers in order of id with each one's load / cap beside them: both checked against
    the workers' own caseloads and caps every 50 days of a run with a hard cap, turnover, newly
    qualified workers' caps rising, the switch to CAST, long absences and rebalancing."""
    from journeysim.model import run

    checked: list[int] = []
    schedule = run.schedule_changes

    def with_checks(w):
        schedule(w)

        def check():
            for team in w.teams.all():
                assert team.load == sum(x.load for x in team.workers), team.name
                assert [x.id for x in team.workers] == sorted(x.id for x in team.workers), team.name
                for x in team.away:
                    assert x.absent and x.active and not team.has(x) and x.team is team, (team.name, x.id)
                for i, x in enumerate(team.workers):
                    assert x.slot == i and x.team is team and not x.absent, (team.name, x.id)
                    assert team.ratios[i] == x.load / x.cap, (team.name, x.id)
                    assert all(child.worker is x for child in x.held), (team.name, x.id)
            checked.append(len(w.teams.all()))
            w.at(50.0, check)

        w.at(50.0, check)

    monkeypatch.setattr(run, "schedule_changes", with_checks)
    simulate(small("hampshire.toml", "workforce.hard_cap=14", "workforce.absence_rate=0.5"), 5)
    assert len(checked) > 30


def test_a_county_larger_than_twice_hampshire_has_more_districts_not_larger_teams():
    """run.scale from 2 up copies the districts (each with Hampshire's teams and hubs) rather than
    growing every team; below 2 it scales each team's posts.  A district's own switch date applies
    to its copies."""
    from journeysim.eventlog import EventLog
    from journeysim.model.run import Parameters, build
    from journeysim.model.world import World

    def world(scale: float) -> World:
        s = sc.load(SCENARIOS / "hampshire.toml", [f"run.scale={scale}"])
        return build(Parameters.of(s), 1, EventLog(s["run.start"]))

    def posts(w: World, kind: str) -> list[int]:
        return [t.posts for d in w.teams.by_district for t in d[kind]]

    one, four, half, two_and_a_half = world(1), world(4), world(0.5), world(2.5)
    assert (one.districts, four.districts, half.districts, two_and_a_half.districts) == (8, 32, 8, 16)
    assert posts(four, "RA") == posts(one, "RA") * 4 == [9] * 32
    assert posts(four, "CIN") == [12] * 64 and posts(four, "CIC") == [7] * 32 and posts(four, "CL") == [2] * 32
    assert posts(half, "RA") == [round(9 * 0.5)] * 8  # below 2, each team scaled
    assert posts(two_and_a_half, "CIN") == [15] * 32  # 12 x 2.5 / 2
    hubs = four.support.hubs.units
    assert len(hubs) == 16 and {h.places for h in hubs} == {h.places for h in one.support.hubs.units}
    assert len(four.support.fit.units) == 32 and four.support.fit.units[31].name == "FIT-D32"
    by_district = one.params.teams.cast_start_by_district
    assert by_district, "the Hampshire scenario has a pilot district"
    for d in range(8):
        own = by_district.get(f"D{d + 1}", one.params.teams.cast_start)
        assert [four.teams.cast_date(d + 8 * k) for k in range(4)] == [own] * 4


def test_the_copied_districts_of_a_larger_county_all_take_referrals():
    log = log_frame(sc.load(SCENARIOS / "hampshire.toml", [
        "run.scale=2", "run.warmup_days=0", "run.start=2018-04-01", "run.end=2018-07-01"]), seed=5)
    referred = log[log["event"] == "ReferralReceived"]["team"].str.split("-").str[0]
    assert set(referred) == {f"D{i}" for i in range(1, 17)}
    # families are spread evenly over the 16 districts: each has between half and twice its share
    share = referred.value_counts(normalize=True)
    assert share.between(0.5 / 16, 2 / 16).all(), share


def test_the_initial_stock_leaves_care_as_a_stock_does_not_as_entries_do():
    """Every route home takes a uniform 0-200 days.  Of children in care on a given day, the time
    left is length-biased: mean E[L^2] / 2E[L] = 66.7 days, not the 50 of a uniform fraction of a
    fresh length.  (Ages 5 and over: the time in care so far can exceed any length.)"""
    from journeysim.eventlog import EventLog
    from journeysim.model import care
    from journeysim.model.run import Parameters, build

    s = small("hampshire.toml", "care.p_return_home={under_1=1.0, 1_4=1.0, 5_9=1.0, 10_15=1.0, 16_17=1.0}",
              'care.return_home_time={dist="uniform", low=0, high=200}')
    w = build(Parameters.of(s), 3, EventLog(dt.date(2015, 4, 1)))
    rs = w.streams["care"]
    left = np.array([care._route_in_stock(w, age, rs) for age in np.linspace(5.0, 15.0, 4000)], dtype=object)
    assert set(left[:, 0]) == {"returned_home"}
    t = left[:, 1].astype(float)
    assert 0.0 <= t.min() and t.max() <= 200.0
    assert abs(t.mean() - 200.0 / 3.0) < 3.0, t.mean()  # sd about 47: the mean is known to about 0.75
    assert abs(np.median(t) - 200.0 * (1 - 2 ** -0.5)) < 6.0  # the residual's median, 58.6 days


def test_no_child_stays_on_a_plan_past_the_leaving_age(hampshire_log):
    """A CIN or CP plan ends for a child at 18 (their siblings' going on): every plan's end comes at
    the latest on the child's 18th birthday, and the journey closes with reason age_18."""
    df = hampshire_log
    ends = df[df["event"].isin(["CinPlanEnded", "CpPlanEnded"])]
    assert ends.loc[ends["reason"] != "age_18", "age"].max() <= 18.0 + 1e-3
    aged_out = ends[ends["reason"] == "age_18"]
    assert len(aged_out) > 0
    # past 18 only when the plan began after the birthday (a referral at 17, an assessment past 18): it ends at once
    late = aged_out[aged_out["age"] > 18.0 + 1e-3][["child_id", "time"]]
    starts = df[df["event"].isin(["CinPlanStarted", "CpPlanStarted"])][["child_id", "time"]]
    assert len(late.merge(starts, on=["child_id", "time"])) == len(late)
    closed = df[(df["event"] == "CaseClosed") & (df["reason"] == "age_18")][["case_id", "child_id", "time"]]
    both = aged_out[["case_id", "child_id", "time"]].merge(closed, on=["case_id", "child_id", "time"])
    assert len(both) == len(aged_out), "a child whose plan ends at 18 closes then"
