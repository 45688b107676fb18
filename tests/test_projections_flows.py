"""Flow, intake, waiting and queue projections: hand-written logs with known answers,
and consistency with the official measures on a simulated log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from journeysim import pathway
from journeysim.projections import (
    allocation_waits,
    as_frame,
    hub_waits,
    intake_by_week,
    measures,
    queue_lengths,
    stock_series,
    stocks_at,
    transition_counts,
    transitions,
)
from journeysim.projections.stocks import latest

from test_projections import day, ev, log_of


def journey_rows():
    """Child 1 (case 1): referral -> assessment -> CIN plan -> closed, with hub support twice.
    Child 2 (case 2): referral closed with no further action.  Child 3 (case 3): referral
    in 2015-16, still waiting for a worker at the end."""
    return [
        ev(0.5, "ReferralReceived", 1, 1, team="D1-RA"),
        ev(3.25, "WorkerAllocated", 1, 1, team="D1-RA", worker=7, reason="new_case"),
        ev(3.25, "AssessmentStarted", 1, 1, team="D1-RA", worker=7),
        ev(30, "AssessmentCompleted", 1, 1, outcome="cin_plan"),
        ev(31, "WorkerAllocated", 1, 1, team="D1-CIN1", worker=8, reason="team_transfer"),
        ev(31, "CinPlanStarted", 1, 1, reason="assessment"),
        ev(40, "HubReferred", 1, 1, team="HUB1"),
        ev(52, "HubSupportStarted", 1, 1, team="HUB1", worker=1_000_000, value=12.0),
        ev(150, "HubSupportEnded", 1, 1, team="HUB1", value=98.0, reason="completed"),
        ev(160, "HubReferred", 1, 1, team="HUB1"),
        ev(200, "CinPlanEnded", 1, 1, reason="closed"),
        ev(200, "CaseClosed", 1, 1, reason="plan_ended"),
        ev(6, "ReferralReceived", 2, 2, team="D1-RA"),
        ev(6, "CaseClosed", 2, 2, reason="referral_nfa"),
        ev(day(2015, 6, 1), "ReferralReceived", 3, 3, team="D2-RA"),
    ]


def test_transitions_follow_each_journey_through_the_stages():
    steps = transitions(log_of(journey_rows()))
    got = [tuple(r) for r in steps[["source", "target"]].itertuples(index=False)]
    assert got == [  # in log order; worker changes are not stages, hub events have their own path
        ("START", "ReferralReceived"),
        ("ReferralReceived", "AssessmentStarted"),
        ("START", "ReferralReceived"),
        ("ReferralReceived", "CaseClosed"),
        ("CaseClosed", "END"),
        ("AssessmentStarted", "AssessmentCompleted"),
        ("AssessmentCompleted", "CinPlanStarted"),
        ("START", "HubReferred"),
        ("HubReferred", "HubSupportStarted"),
        ("HubSupportStarted", "HubSupportEnded"),
        ("START", "HubReferred"),
        ("CinPlanStarted", "CinPlanEnded"),
        ("CinPlanEnded", "CaseClosed"),
        ("CaseClosed", "END"),
        ("START", "ReferralReceived"),
    ]
    assert [str(d.date()) for d in steps["date"].iloc[[4, 9, 14]]] == ["2014-04-07", "2014-08-29", "2015-06-01"]
    # every step is an edge of the pathway graph
    g = pathway.build()
    assert all(g.has_edge(s, t) for s, t in got)


def test_transition_counts_by_year_fill_zero_for_quiet_years():
    counts = transition_counts(log_of(journey_rows()), [2014, 2015]).set_index(["source", "target", "year"])["count"]
    assert counts[("START", "ReferralReceived", "2014-15")] == 2
    assert counts[("START", "ReferralReceived", "2015-16")] == 1
    assert counts[("CinPlanEnded", "CaseClosed", "2014-15")] == 1
    assert counts[("CinPlanEnded", "CaseClosed", "2015-16")] == 0
    assert counts[("CaseClosed", "END", "2014-15")] == 2
    assert counts[("START", "HubReferred", "2014-15")] == 2
    assert counts.sum() == 15


def test_intake_by_week_counts_referrals_per_team_from_monday():
    # 1 April 2014 was a Tuesday: its week starts on Monday 31 March
    rows = [ev(0, "ReferralReceived", 1, 1, team="D1-CAST1"), ev(5, "ReferralReceived", 2, 2, team="D1-CAST1"),
            ev(6, "ReferralReceived", 3, 3, team="D1-CAST2"), ev(6, "ReferralReceived", 3, 4, team="D1-CAST2"),
            ev(7, "ReferralReceived", 4, 5, team="D2-RA")]
    weekly = intake_by_week(log_of(rows))
    got = {(str(w.date()), t): n for w, t, n in weekly[["week", "team", "referrals"]].itertuples(index=False)}
    assert got == {("2014-03-31", "D1-CAST1"): 2, ("2014-04-07", "D1-CAST2"): 2, ("2014-04-07", "D2-RA"): 1}
    assert list(weekly["district"]) == ["D1", "D1", "D2"]


def test_allocation_waits_from_referral_to_first_worker():
    waits = allocation_waits(log_of(journey_rows()))
    assert list(waits["child_id"]) == [1]  # child 2 closed at the referral, child 3 never allocated
    assert waits["days"].iloc[0] == pytest.approx(2.75)
    assert waits["team"].iloc[0] == "D1-RA"


def test_hub_waits_one_row_per_family_start():
    rows = [ev(10, "HubReferred", 5, 1, team="HUB2"), ev(10, "HubReferred", 5, 2, team="HUB2"),
            ev(17, "HubSupportStarted", 5, 1, team="HUB2", value=7.0),
            ev(17, "HubSupportStarted", 5, 2, team="HUB2", value=7.0)]
    waits = hub_waits(log_of(rows))
    assert len(waits) == 1 and waits["days"].iloc[0] == 7.0 and waits["team"].iloc[0] == "HUB2"


def test_queue_lengths_at_the_end_of_each_day():
    rows = journey_rows() + [
        # family 9: two children referred to the hub together, supported from day 20, case closes day 25
        ev(1, "ReferralReceived", 9, 91), ev(1, "ReferralReceived", 9, 92),
        ev(2, "WorkerAllocated", 9, 91, worker=3, reason="new_case"), ev(2, "WorkerAllocated", 9, 92, worker=3, reason="new_case"),
        ev(10, "HubReferred", 9, 91), ev(10, "HubReferred", 9, 92),
        ev(20, "HubSupportStarted", 9, 91, value=10.0), ev(20, "HubSupportStarted", 9, 92, value=10.0),
        ev(25, "HubSupportEnded", 9, 91, value=5.0, reason="case_closed"), ev(25, "CaseClosed", 9, 91, reason="moved_on"),
        ev(25, "HubSupportEnded", 9, 92, value=5.0, reason="case_closed"), ev(25, "CaseClosed", 9, 92, reason="moved_on"),
    ]
    start = dt.date(2014, 4, 1)
    days = [0, 1, 2, 3, 6, 12, 20, 45, 55, 165, 200, 500]
    q = queue_lengths(log_of(rows), [start + dt.timedelta(days=d) for d in days])
    expected = {
        # day: awaiting_allocation, hub_waiting, hub_supported
        0: (1, 0, 0),     # child 1 referred on day 0 (time 0.5)
        1: (3, 0, 0),     # + family 9's two children
        2: (1, 0, 0),     # family 9 allocated
        3: (0, 0, 0),     # child 1 allocated at 3.25; child 2 was referred and closed on day 6
        6: (0, 0, 0),
        12: (0, 1, 0),    # family 9 waits for the hub (one family, two children)
        20: (0, 0, 1),
        45: (0, 1, 0),    # family 9 closed on day 25; family 1 referred on day 40
        55: (0, 0, 1),
        165: (0, 1, 0),   # family 1 referred again on day 160
        200: (0, 0, 0),   # case 1 closed while waiting: no longer waiting
        500: (1, 0, 0),   # child 3 referred on 1 June 2015, never allocated
    }
    got = {d: tuple(int(x) for x in row) for d, row in zip(days, q.itertuples(index=False))}
    assert got == expected


def test_awaiting_allocation_at_31_march_counts_referred_children_without_a_worker():
    rows = journey_rows() + [
        # child 4: referred late on 31 March 2015, allocated on 1 April: waiting at the end of 31 March
        ev(day(2015, 3, 31) + 0.9, "ReferralReceived", 4, 4),
        ev(day(2015, 4, 1) + 0.1, "WorkerAllocated", 4, 4, worker=3, reason="new_case"),
        # child 5: referred in March 2016 and closed without a worker before 31 March: not waiting
        ev(day(2016, 3, 1), "ReferralReceived", 5, 5),
        ev(day(2016, 3, 20), "CaseClosed", 5, 5, reason="referral_nfa"),
        # child 6: allocated on 31 March 2016 itself: not waiting at the end of the day
        ev(day(2016, 3, 30), "ReferralReceived", 6, 6),
        ev(day(2016, 3, 31) + 0.5, "WorkerAllocated", 6, 6, worker=3, reason="new_case"),
    ]
    m = measures(log_of(rows), [2014, 2015, 2016]).set_index(["measure", "year"])["value"]
    # 31 March 2015: child 4; 2016 and 2017: child 3 (referred 1 June 2015, never allocated)
    assert [m[("awaiting_allocation_at_31_march", y)] for y in ("2014-15", "2015-16", "2016-17")] == [1, 1, 1]
    q = queue_lengths(log_of(rows), ["2015-03-31", "2016-03-31", "2017-03-31"])
    assert q["awaiting_allocation"].tolist() == [1, 1, 1]
    rows.append(ev(day(2016, 2, 1), "CaseClosed", 3, 3, reason="moved_on"))  # child 3 closed while waiting
    m = measures(log_of(rows), [2014, 2015]).set_index(["measure", "year"])["value"]
    assert m[("awaiting_allocation_at_31_march", "2015-16")] == 0


# ------------------------------------------------------------- consistency on a simulated log
def test_every_simulated_transition_is_a_pathway_edge(hampshire_log):
    counts = transition_counts(hampshire_log, [2016, 2017, 2018, 2019])
    g = pathway.build()
    edges = counts[["source", "target"]].drop_duplicates()
    assert all(g.has_edge(s, t) for s, t in edges.itertuples(index=False))
    # a journey starting with a referral is one START -> ReferralReceived step: the referrals measure
    m = measures(hampshire_log, [2016, 2017, 2018, 2019]).set_index(["measure", "year"])["value"]
    starts = counts[(counts["source"] == "START") & (counts["target"] == "ReferralReceived")].set_index("year")["count"]
    for year, n in starts.items():
        assert n == m[("referrals", year)]
    assert counts["count"].sum() > 10_000


def test_hub_waits_agree_with_the_hub_wait_measure(hampshire_log):
    waits = hub_waits(hampshire_log)
    assert len(waits) > 0
    m = measures(hampshire_log, [2019]).set_index(["measure", "year"])["value"]
    waits = waits[(waits["date"] >= "2019-04-01") & (waits["date"] <= "2020-03-31")]
    assert waits.drop_duplicates("case_id")["days"].mean() == pytest.approx(m[("hub_wait_days_mean", "2019-20")])


def test_queues_agree_with_a_direct_fold_of_the_log(hampshire_log):
    df = as_frame(hampshire_log)
    dates = [pd.Timestamp(d) for d in ("2017-06-30", "2018-03-31", "2019-09-30", "2020-01-15")]
    q = queue_lengths(df, dates)
    rows = df[df["event"].isin(["ReferralReceived", "WorkerAllocated", "CaseClosed"])]
    rows = rows.drop_duplicates(["case_id", "child_id", "event"])
    hub = df[df["event"].isin(["HubReferred", "HubSupportStarted", "HubSupportEnded", "CaseClosed"])]
    for date in dates:
        last = latest(rows, ["case_id", "child_id"], date)
        assert q.loc[date, "awaiting_allocation"] == (last["event"] == "ReferralReceived").sum()
        last_hub = latest(hub, ["case_id", "child_id"], date)
        assert q.loc[date, "hub_waiting"] == last_hub.loc[last_hub["event"] == "HubReferred", "case_id"].nunique()
        assert q.loc[date, "hub_supported"] == last_hub.loc[last_hub["event"] == "HubSupportStarted", "case_id"].nunique()
    assert q["awaiting_allocation"].sum() > 0 and q["hub_supported"].iloc[-1] > 0


def _stocks_by_replay(log: pd.DataFrame, date: str) -> dict[str, int]:
    """The stocks at the end of ``date`` found afresh, by replaying the log in pandas (not the projections'
    code): a journey is open from its opening event until its CaseClosed; a CP plan from CpPlanStarted
    until CpPlanEnded or the journey's CaseClosed; a child is looked after from CareEntered until CareLeft
    (the latest CareEntered's legal status telling UASC)."""
    rows = log[pd.to_datetime(log["date"]) <= pd.Timestamp(date)]
    rows = rows.assign(journey=list(zip(rows["case_id"], rows["child_id"])))  # a child's journey in a family's case
    opened = rows[rows["event"].isin(["ReferralReceived", "CaseLoaded", "UascArrived"])]
    closed = set(rows.loc[rows["event"] == "CaseClosed", "journey"])
    cin = opened.loc[~opened["journey"].isin(closed), "child_id"].nunique()
    planned = set(rows.loc[rows["event"] == "CpPlanStarted", "journey"])
    plan_rows = rows[rows["event"].isin(["CpPlanStarted", "CpPlanEnded", "CaseClosed"]) & rows["journey"].isin(planned)]
    last_plan = plan_rows.groupby("journey").tail(1)
    cp = last_plan.loc[last_plan["event"] == "CpPlanStarted", "child_id"].nunique()
    last_care = rows[rows["event"].isin(["CareEntered", "CareLeft"])].groupby("child_id").tail(1)
    in_care = last_care[last_care["event"] == "CareEntered"]
    return {"cin": cin, "cp": cp, "cla": len(in_care), "uasc": int((in_care["legal_status"] == "uasc_s20").sum())}


def test_stock_series_matches_a_replay_of_the_log(hampshire_log):
    """Every stock, at 31 March and at days between, equals a fresh replay of the log; and stocks_at
    (one date) agrees with the series."""
    log = hampshire_log.sort_values("seq", kind="stable")
    dates = ["2016-04-01", "2017-03-31", "2017-04-01", "2018-03-31", "2018-10-15", "2019-03-31", "2019-12-31",
             "2020-03-31"]
    series = stock_series(hampshire_log, dates)
    for d in dates:
        replayed = _stocks_by_replay(log, d)
        assert series.loc[pd.Timestamp(d), ["cin", "cp", "cla", "uasc"]].to_dict() == replayed, d
        assert stocks_at(hampshire_log, d) == {k: replayed[k] for k in ("cin", "cp", "cla")}
    assert series.loc[pd.Timestamp("2019-03-31"), "cla"] > 0 and series.loc[pd.Timestamp("2019-03-31"), "cp"] > 0


def test_stocks_on_a_day_a_plan_ends_and_another_starts():
    """Same-day boundaries: a CP plan that ends on a day and the next that starts on it counts once; a
    child who leaves care and comes back the same day is looked after at its end; one who leaves on
    31 March is not; a journey closed on the day is not open at its end."""
    rows = [
        ev(day(2018, 4, 2), "ReferralReceived", 1, 1), ev(day(2018, 5, 1), "CpPlanStarted", 1, 1, count=1),
        ev(day(2019, 1, 10), "CpPlanEnded", 1, 1), ev(day(2019, 1, 10), "CpPlanStarted", 1, 1, count=2),
        ev(day(2018, 4, 3), "ReferralReceived", 2, 2), ev(day(2018, 6, 1), "CareEntered", 2, 2, legal_status="s20"),
        ev(day(2019, 1, 10), "CareLeft", 2, 2, reason="returned_home"),
        ev(day(2019, 1, 10), "CareEntered", 2, 2, legal_status="uasc_s20"),
        ev(day(2018, 4, 4), "ReferralReceived", 3, 3), ev(day(2018, 7, 1), "CareEntered", 3, 3, legal_status="ico"),
        ev(day(2019, 3, 31), "CareLeft", 3, 3, reason="age_18"), ev(day(2019, 3, 31), "CaseClosed", 3, 3),
        ev(day(2018, 4, 5), "ReferralReceived", 4, 4), ev(day(2018, 6, 1), "CpPlanStarted", 4, 4, count=1),
        ev(day(2019, 3, 31), "CaseClosed", 4, 4),
    ]
    series = stock_series(log_of(rows), ["2019-01-09", "2019-01-10", "2019-03-30", "2019-03-31"])
    assert series[["cin", "cp", "cla", "uasc"]].values.tolist() == [
        [4, 2, 2, 0],  # before: children 1-4 open; 1 and 4 on plans; 2 and 3 looked after
        [4, 2, 2, 1],  # the plan that ended is followed by another; child 2 back in care (now UASC)
        [4, 2, 2, 1],
        [2, 1, 1, 1],  # child 3 left care and closed on 31 March, child 4's journey (and plan) closed
    ]
