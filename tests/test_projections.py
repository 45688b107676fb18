"""Projections: hand-written event logs with known answers for every measure.

Logs start on Tuesday 1 April 2014 (day 0); day 364 is 31 March 2015, the last day
of financial year 2014-15.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from journeysim.eventlog import read_log, table_from_rows, write_log
from journeysim.projections import (
    MEASURES,
    caseload_series,
    child_events,
    journeys,
    measures,
    social_workers_distribution,
    stocks_at,
)

START = dt.date(2014, 4, 1)
MAR31 = 364  # 31 March 2015
APR1 = 365  # 1 April 2015
FY = "2014-15"
NEXT = "2015-16"


def day(y: int, m: int, d: int) -> float:
    return float((dt.date(y, m, d) - START).days)


def ev(t, event, case=None, child=None, **kw) -> dict:
    """A row; child events get a family (= case) and an age unless given."""
    row = dict(time=float(t), event=event, **kw)
    if child is not None:
        row.update(case_id=case, child_id=child)
        row.setdefault("family_id", case)
        row.setdefault("age", 5.0)
    return row


def log_of(rows):
    return table_from_rows(sorted(rows, key=lambda r: r["time"]), START)


def by_measure(log, years=None) -> pd.Series:
    """Measures as a Series indexed by (measure, year label)."""
    ms = measures(log, years)
    assert not ms.duplicated(["measure", "year"]).any()
    return ms.set_index(["measure", "year"])["value"]


def approx(x):
    return pytest.approx(x, rel=1e-9)


# ----------------------------------------------------------------- scenario logs
def referral_rows():
    """Re-referrals: child 1 200 days apart, child 2 400 apart, boundaries 365/366, same day."""
    return [
        ev(0, "ReferralReceived", 1, 1),
        ev(200, "ReferralReceived", 2, 1),
        ev(0, "ReferralReceived", 3, 2),
        ev(400, "ReferralReceived", 4, 2),
        ev(0, "ReferralReceived", 5, 3),
        ev(365, "ReferralReceived", 6, 3),
        ev(0, "ReferralReceived", 7, 4),
        ev(366, "ReferralReceived", 8, 4),
        ev(500, "ReferralReceived", 9, 5),
        ev(500, "ReferralReceived", 10, 5),
    ]


def assessment_rows():
    """Durations 1 wd (Fri -> Mon), 5 wd, 50 wd; and one journey without a referral."""
    return [
        ev(3, "ReferralReceived", 1, 1),  # Friday 4 April 2014
        ev(6, "AssessmentCompleted", 1, 1, outcome="not_in_need"),  # Monday 7 April
        ev(0, "ReferralReceived", 2, 2),
        ev(7, "AssessmentCompleted", 2, 2, outcome="early_help"),
        ev(0, "ReferralReceived", 3, 3),
        ev(70, "AssessmentCompleted", 3, 3, outcome="cin_plan"),
        ev(0, "CaseLoaded", 4, 4, outcome="cin_plan"),
        ev(10, "AssessmentCompleted", 4, 4, outcome="strategy_discussion"),
    ]


def cp_stock_rows():
    return [
        # child 1: plan starts on 31 March -> on a plan
        ev(300, "ReferralReceived", 1, 1),
        ev(MAR31, "CpPlanStarted", 1, 1, reason="icpc", count=1),
        # child 2: plan ends on 31 March -> not on a plan
        ev(0, "CaseLoaded", 2, 2, outcome="cp_plan", count=0),
        ev(0, "CpPlanStarted", 2, 2, reason="initial_stock", count=1),
        ev(MAR31, "CpPlanEnded", 2, 2, reason="step_down"),
        # child 3: plan ends on 1 April -> on a plan
        ev(10, "ReferralReceived", 3, 3),
        ev(50, "CpPlanStarted", 3, 3, reason="icpc", count=1),
        ev(APR1, "CpPlanEnded", 3, 3, reason="closed"),
        # child 4: journey closed on 31 March without CpPlanEnded -> not on a plan
        ev(10, "ReferralReceived", 4, 4),
        ev(50, "CpPlanStarted", 4, 4, reason="icpc", count=1),
        ev(MAR31, "CaseClosed", 4, 4, reason="plan_ended"),
        # child 5: plan ended then a new one in the same journey -> on a plan
        ev(10, "ReferralReceived", 5, 5),
        ev(50, "CpPlanStarted", 5, 5, reason="icpc", count=1),
        ev(100, "CpPlanEnded", 5, 5, reason="step_down"),
        ev(200, "CpPlanStarted", 5, 5, reason="icpc", count=2),
    ]


def cla_rows():
    return [
        ev(MAR31, "CareEntered", 1, 1, legal_status="ico", reason="proceedings"),
        ev(0, "CareEntered", 2, 2, legal_status="s20", reason="initial_stock"),
        ev(MAR31, "CareLeft", 2, 2, reason="returned_home", age=0.99),
        ev(10, "CareEntered", 3, 3, legal_status="s20", reason="voluntary"),
        ev(20, "CareLeft", 3, 3, reason="returned_home", age=1.0),
        ev(30, "CareEntered", 3, 3, legal_status="ico", reason="breakdown"),
        ev(5, "CareEntered", 4, 4, legal_status="uasc_s20", reason="uasc"),
        ev(5, "CareEntered", 5, 5, legal_status="uasc_s20", reason="uasc"),
        ev(50, "CareLeft", 5, 5, reason="other", age=16.0),
        ev(60, "CareEntered", 5, 5, legal_status="s20", reason="voluntary"),
    ]


def worker_rows():
    """Closed journeys with plans having 1, 2, 3 and 2 (A, B, A) workers, plus excluded ones."""

    def journey(case, workers, close=300, plan="CinPlanStarted"):
        rows = [ev(10, "ReferralReceived", case, case)]
        rows += [ev(20 + i, "WorkerAllocated", case, case, worker=w, reason="new_case") for i, w in enumerate(workers)]
        if plan:
            rows.append(ev(40, plan, case, case, reason="assessment", count=1))
        if close is not None:
            rows.append(ev(close, "CaseClosed", case, case, reason="plan_ended"))
        return rows

    return [
        *journey(1, [10]),
        *journey(2, [10, 11], plan="CpPlanStarted"),
        *journey(3, [10, 11, 12]),
        *journey(4, [10, 11, 10]),
        *journey(5, [10, 11, 12], plan=None),  # no plan
        *journey(6, [10, 11, 12], close=None),  # still open
        *journey(7, []),  # never allocated
        *journey(8, [10, 11, 12, 13, 14, 15], close=APR1 + 10),  # closed next year, 6 workers
    ]


def caseload_rows():
    return [
        ev(0, "WorkerJoined", team="D3-CIN1", worker=1, outcome="permanent", count=20),
        ev(0, "WorkerJoined", team="D3-CIN1", worker=2, outcome="permanent", count=20),
        ev(0, "WorkerJoined", team="D3-RA", worker=3, outcome="agency", count=20),
        ev(0, "WorkerJoined", team="D3-RA", worker=4, outcome="agency", count=20),
        *[ev(1, "ReferralReceived", c, c) for c in range(1, 8)],
        ev(2, "WorkerAllocated", 1, 1, worker=1, reason="new_case"),
        ev(2, "WorkerAllocated", 2, 2, worker=1, reason="new_case"),
        ev(2, "WorkerAllocated", 3, 3, worker=2, reason="new_case"),
        ev(100, "WorkerAllocated", 3, 3, worker=1, reason="reallocation"),  # now worker 1's
        ev(2, "WorkerAllocated", 4, 4, worker=3, reason="new_case"),
        ev(2, "WorkerAllocated", 5, 5, worker=3, reason="new_case"),
        ev(MAR31, "CaseClosed", 5, 5, reason="not_in_need"),  # closed on 31 March
        ev(2, "WorkerAllocated", 6, 6, worker=4, reason="new_case"),
        ev(200, "WorkerLeft", team="D3-RA", worker=4, outcome="agency", count=1),  # not in post
        ev(APR1, "WorkerAllocated", 7, 7, worker=3, reason="new_case"),  # after 31 March
    ]


def hub_rows():
    return [
        ev(10, "HubReferred", 1, 1, team="HUB2"),
        ev(10, "HubReferred", 1, 2, team="HUB2"),  # same family / case
        ev(30, "HubSupportStarted", 1, 1, team="HUB2", worker=90, value=20.0),
        ev(30, "HubSupportStarted", 1, 2, team="HUB2", worker=90, value=20.0),
        ev(20, "HubReferred", 2, 3, team="HUB2"),
        ev(60, "HubSupportStarted", 2, 3, team="HUB2", worker=91, value=40.0),
        ev(300, "HubReferred", 3, 4, team="HUB2"),
        ev(400, "HubSupportStarted", 3, 4, team="HUB2", worker=91, value=100.0),
    ]


def rich_rows():
    """All the scenarios above in one log, with case/child ids kept apart."""
    rows = []
    makers = [referral_rows, assessment_rows, cp_stock_rows, cp_repeat_rows, cla_rows, worker_rows, caseload_rows, hub_rows]
    for k, make in enumerate(makers):
        for row in make():
            row = dict(row)
            for col in ("case_id", "child_id", "family_id"):
                if row.get(col) is not None:
                    row[col] += 1000 * (k + 1)
            rows.append(row)
    rows.append(ev(5, "ContactReceived", family_id=1, count=2, outcome="mash", reason="new_family"))
    return rows


# ----------------------------------------------------------------- front door
def test_contacts_and_referrals_counted_by_financial_year():
    log = log_of(
        [
            ev(0, "ContactReceived", family_id=1, count=2, outcome="mash"),
            ev(MAR31, "ContactReceived", family_id=2, count=1, outcome="advice"),
            ev(APR1, "ContactReceived", family_id=3, count=1, outcome="advice"),
            ev(MAR31, "ReferralReceived", 1, 1),
            ev(APR1, "ReferralReceived", 2, 2),
            ev(APR1, "ReferralReceived", 2, 3),
        ]
    )
    v = by_measure(log)
    assert v["contacts", FY] == 2 and v["contacts", NEXT] == 1
    assert v["referrals", FY] == 1 and v["referrals", NEXT] == 2


def test_re_referral_within_12_months():
    log = log_of(referral_rows())
    # 2014-15: child 1 twice (200 days apart: one re-referral), children 2,3,4 once
    v = by_measure(log)
    assert v["referrals", FY] == 5
    assert v["re_referral_12m_pct", FY] == approx(100 * 1 / 5)
    # 2015-16: child 2 after 400 days (no), child 3 after 365 (yes), child 4 after 366 (no),
    # child 5 twice on the same day with nothing before (no)
    assert v["referrals", NEXT] == 5
    assert v["re_referral_12m_pct", NEXT] == approx(100 * 1 / 5)


def test_referrals_nfa_pct_uses_journey_closure_even_in_a_later_year():
    log = log_of(
        [
            ev(0, "ReferralReceived", 1, 1),
            ev(APR1 + 5, "CaseClosed", 1, 1, reason="referral_nfa"),
            ev(0, "ReferralReceived", 2, 2),
            ev(30, "CaseClosed", 2, 2, reason="not_in_need"),
            ev(0, "ReferralReceived", 3, 3),
            ev(0, "ReferralReceived", 4, 3),
            ev(30, "CaseClosed", 4, 3, reason="referral_nfa"),
        ]
    )
    v = by_measure(log)
    assert v["referrals_nfa_pct", FY] == approx(50.0)


# ----------------------------------------------------------------- assessments
def test_assessment_counts_and_working_day_durations():
    log = log_of(assessment_rows())
    v = by_measure(log)
    assert v["assessments_completed", FY] == 4
    # 1 wd (Friday -> Monday over the weekend), 5 wd, 50 wd; the loaded case has no referral
    assert v["assessment_duration_median_wd", FY] == 5
    assert v["assessment_within_45wd_pct", FY] == approx(100 * 2 / 3)


def test_assessment_over_weekend_is_one_working_day():
    log = log_of([ev(3, "ReferralReceived", 1, 1), ev(6, "AssessmentCompleted", 1, 1, outcome="cin_plan")])
    v = by_measure(log)
    assert v["assessment_duration_median_wd", FY] == 1


def test_assessment_45_working_days_boundary():
    log = log_of(
        [
            ev(0, "ReferralReceived", 1, 1),
            ev(63, "AssessmentCompleted", 1, 1, outcome="cin_plan"),  # Tue + 9 weeks = 45 wd
            ev(0, "ReferralReceived", 2, 2),
            ev(64, "AssessmentCompleted", 2, 2, outcome="cin_plan"),  # 46 wd
        ]
    )
    v = by_measure(log)
    assert v["assessment_within_45wd_pct", FY] == approx(50.0)
    assert v["assessment_duration_median_wd", FY] == 45.5


def test_children_assessed_not_in_need_pct_of_referrals():
    log = log_of(assessment_rows())
    # not_in_need + early_help = 2 assessments; 3 referrals in the year
    v = by_measure(log)
    assert v["children_assessed_not_in_need_pct", FY] == approx(100 * 2 / 3)


# ----------------------------------------------------------------- stocks at 31 March
def test_cin_at_31_march():
    log = log_of(
        [
            ev(MAR31, "ReferralReceived", 1, 1),  # opened on 31 March: counts
            ev(0, "ReferralReceived", 2, 2),
            ev(MAR31, "CaseClosed", 2, 2, reason="not_in_need"),  # closed on 31 March: no
            ev(0, "CaseLoaded", 3, 3, outcome="cin_plan"),  # initial stock: counts
            ev(10, "UascArrived", 4, 4),
            ev(APR1, "CaseClosed", 4, 4, reason="age_18"),  # closed 1 April: counts
            ev(0, "ReferralReceived", 5, 6),
            ev(50, "CaseClosed", 5, 6, reason="referral_nfa"),
            ev(100, "ReferralReceived", 6, 6),  # second journey of child 6: counts once
            ev(APR1 + 1, "ReferralReceived", 7, 7),  # after 31 March
        ]
    )
    v = by_measure(log)
    assert v["cin_at_31_march", FY] == 4
    assert v["cin_at_31_march", NEXT] == 4  # 1, 3, 6, 7


def test_cp_at_31_march_counts_start_on_the_day_excludes_end_on_the_day():
    log = log_of(cp_stock_rows())
    v = by_measure(log)
    assert v["cp_at_31_march", FY] == 3  # children 1, 3 and 5


def test_cla_and_uasc_at_31_march():
    log = log_of(cla_rows())
    # child 1 entered on 31 March (yes), child 2 left on 31 March (no), child 3 re-entered
    # (once), child 4 uasc, child 5 left as uasc and re-entered under s20
    v = by_measure(log)
    assert v["cla_at_31_march", FY] == 4
    assert v["uasc_at_31_march", FY] == 1


def test_stocks_at_matches_31_march_measures_and_other_dates():
    rows = cp_stock_rows() + [dict(r, case_id=r["case_id"] + 100, child_id=r["child_id"] + 100) for r in cla_rows()]
    log = log_of(rows)
    # open journeys: children 1, 2 (loaded), 3, 5; child 4's closed on 31 March
    assert stocks_at(log, dt.date(2015, 3, 31)) == {"cin": 4, "cp": 3, "cla": 4}
    v = by_measure(log)
    assert v["cin_at_31_march", FY] == 4
    assert v["cp_at_31_march", FY] == 3 and v["cla_at_31_march", FY] == 4
    assert stocks_at(log, "2015-04-01")["cp"] == 2  # child 3's plan ended that day
    assert stocks_at(log, dt.date(2014, 4, 6)) == {"cin": 1, "cp": 1, "cla": 3}


# ----------------------------------------------------------------- child protection
def test_cp_plans_started_excludes_initial_stock():
    log = log_of(cp_stock_rows())
    v = by_measure(log)
    assert v["cp_plans_started", FY] == 5  # children 1, 3, 4 and 5 (twice); not child 2


def cp_repeat_rows():
    y2 = 740  # 10 April 2016: 730 days after day 10
    return [
        ev(0, "CpPlanStarted", 1, 1, reason="icpc", count=1),
        ev(10, "CpPlanEnded", 1, 1, reason="closed"),
        ev(y2, "CpPlanStarted", 2, 1, reason="icpc", count=2),  # ended exactly 730 days before
        ev(0, "CpPlanStarted", 3, 2, reason="initial_stock", count=1),
        ev(10, "CpPlanEnded", 3, 2, reason="closed"),
        ev(y2 + 1, "CpPlanStarted", 4, 2, reason="icpc", count=1),  # 731 days; count wrongly 1
        ev(y2, "CpPlanStarted", 5, 3, reason="icpc", count=2),  # second plan, first before the log
        ev(y2, "CpPlanStarted", 6, 4, reason="icpc", count=1),  # first ever
    ]


def test_cp_second_or_subsequent_and_within_two_years():
    log = log_of(cp_repeat_rows())
    years = [2014, 2015, 2016]
    v = by_measure(log, years)
    assert v["cp_plans_started", FY] == 1  # the initial-stock plan is not a start
    assert v["cp_second_or_subsequent_pct", FY] == 0
    assert v["cp_second_within_2y_pct", FY] == 0
    assert v["cp_plans_started", "2016-17"] == 4
    # children 1 (count 2), 2 (earlier plan in the log), 3 (count 2): 3 of 4
    assert v["cp_second_or_subsequent_pct", "2016-17"] == approx(75.0)
    # only child 1's previous plan ended within 730 days
    assert v["cp_second_within_2y_pct", "2016-17"] == approx(25.0)


# ----------------------------------------------------------------- looked after
def test_cla_starts_include_reentries_but_not_initial_stock():
    log = log_of(cla_rows())
    v = by_measure(log)
    assert v["cla_starts", FY] == 6  # 1, 3 (twice), 4, 5 (twice); child 2 was initial stock


def test_cla_ceased_by_reason():
    log = log_of(cla_rows())
    v = by_measure(log)
    assert v["cla_ceased", FY] == 3
    assert v["cla_ceased_returned_home", FY] == 2
    assert v["cla_ceased_other", FY] == 1
    assert v["cla_ceased_sgo", FY] == 0 and v["cla_ceased_adoption", FY] == 0
    assert v["cla_ceased_age_18", FY] == 0


def test_cla_ceased_by_age_band_boundaries():
    ages = [0.99, 1.0, 4.99, 5.0, 9.99, 10.0, 15.99, 16.0, 17.9]
    reasons = ["adoption", "sgo", "sgo", "returned_home", "other", "other", "other", "age_18", "age_18"]
    rows = []
    for i, (age, reason) in enumerate(zip(ages, reasons), start=1):
        rows += [ev(0, "CareEntered", i, i, legal_status="s20", reason="voluntary"), ev(100, "CareLeft", i, i, reason=reason, age=age)]
    ms = measures(log_of(rows)).set_index("measure")["value"]
    assert ms["cla_ceased"] == 9
    assert ms["cla_ceased_age_under_1"] == 1
    assert ms["cla_ceased_age_1_4"] == 2
    assert ms["cla_ceased_age_5_9"] == 2
    assert ms["cla_ceased_age_10_15"] == 2
    assert ms["cla_ceased_age_16_plus"] == 2
    assert (ms["cla_ceased_adoption"], ms["cla_ceased_sgo"], ms["cla_ceased_age_18"]) == (1, 2, 2)


# ----------------------------------------------------------------- workers
def test_social_workers_per_closed_journey_with_plan():
    log = log_of(worker_rows())
    # journeys 1..4 count: 1, 2, 3 and 2 distinct workers
    v = by_measure(log)
    assert v["social_workers_per_journey_pct_1", FY] == approx(25.0)
    assert v["social_workers_per_journey_pct_2", FY] == approx(50.0)
    assert v["social_workers_per_journey_pct_3", FY] == approx(25.0)
    assert v["social_workers_per_journey_pct_4", FY] == 0
    assert v["social_workers_per_journey_pct_5plus", FY] == 0
    assert v["social_workers_per_journey_mean", FY] == approx(2.0)
    # handoffs 0, 1, 2 and 2 (A, B, A)
    assert v["handoffs_per_journey_mean", FY] == approx(1.25)


def test_positive_change_pct_over_closed_journeys_with_a_plan():
    rows = worker_rows()
    for row in rows:  # journeys 2 and 3 close after positive change; 5 too, but it had no plan
        if row["event"] == "CaseClosed" and row["case_id"] in (2, 3, 5):
            row["count"] = 1
    v = by_measure(log_of(rows))
    assert v["positive_change_pct", FY] == approx(50.0)  # 2 of journeys 1..4
    assert v["positive_change_pct", NEXT] == 0.0
    jr = journeys(log_of(rows)).set_index("case_id")
    assert jr["positive_change"].to_dict() == {1: False, 2: True, 3: True, 4: False, 5: True, 6: False, 7: False, 8: False}


def test_social_workers_five_plus_in_year_of_closure():
    log = log_of(worker_rows())
    v = by_measure(log)
    assert v["social_workers_per_journey_pct_5plus", NEXT] == 100.0
    assert v["social_workers_per_journey_mean", NEXT] == 6.0
    assert v["handoffs_per_journey_mean", NEXT] == 5.0


def test_social_workers_distribution_over_a_window():
    log = log_of(worker_rows())
    dist = social_workers_distribution(log, dt.date(2014, 4, 1), dt.date(2015, 3, 31))
    assert list(dist.index) == ["1", "2", "3", "4", "5+"]
    assert dist.tolist() == [25.0, 50.0, 25.0, 0.0, 0.0]
    later = social_workers_distribution(log, "2015-04-01", "2015-12-31")
    assert later["5+"] == 100.0
    assert social_workers_distribution(log, "2017-11-01", "2018-02-28").isna().all()


def test_sw_caseload_children_mean_at_31_march():
    log = log_of(caseload_rows())
    # worker 1 holds children 1, 2, 3 (reallocated from worker 2); worker 3 holds child 4
    # (child 5 closed on 31 March, child 7 allocated after); worker 4 has left
    v = by_measure(log)
    assert v["sw_caseload_children_mean", FY] == approx(2.0)


def test_caseload_series_with_teams():
    log = log_of(
        [
            ev(0, "WorkerJoined", team="D3-CIN1", worker=1, outcome="permanent", count=20),
            ev(10, "ReferralReceived", 1, 1),
            ev(10, "WorkerAllocated", 1, 1, worker=1, reason="new_case"),
            ev(day(2014, 5, 15), "WorkerMoved", team="D3-CAST2", worker=1, reason="operating_model_change"),
            ev(day(2014, 6, 1), "ReferralReceived", 2, 2),
            ev(day(2014, 6, 1), "WorkerAllocated", 2, 2, worker=1, reason="new_case"),
            ev(day(2014, 7, 2), "CaseClosed", 1, 1, reason="not_in_need"),
        ]
    )
    s = caseload_series(log)
    assert list(s.columns) == ["date", "team", "worker", "children"]
    got = [(d.strftime("%Y-%m-%d"), t, int(w), int(c)) for d, t, w, c in s.itertuples(index=False)]
    assert got == [
        ("2014-05-01", "D3-CIN1", 1, 1),
        ("2014-06-01", "D3-CAST2", 1, 1),  # child 2 allocated that day, after the period start
        ("2014-07-01", "D3-CAST2", 1, 2),
    ]


# ----------------------------------------------------------------- hubs
def test_hub_measures_count_families_once():
    log = log_of(hub_rows())
    v = by_measure(log)
    assert v["hub_referrals", FY] == 3
    assert v["hub_starts", FY] == 2
    assert v["hub_wait_days_mean", FY] == approx(30.0)  # (20 + 40) / 2, not (20+20+40)/3
    assert v["hub_referrals", NEXT] == 0
    assert v["hub_starts", NEXT] == 1
    assert v["hub_wait_days_mean", NEXT] == 100.0


# ----------------------------------------------------------------- shape and undefined values
def test_zero_denominators_are_nan_and_counts_zero():
    log = log_of([ev(0, "ContactReceived", family_id=1, count=1, outcome="advice")])
    ms = measures(log).set_index("measure")["value"]
    assert ms["contacts"] == 1
    for name in ["referrals", "assessments_completed", "cp_plans_started", "cla_starts", "cla_ceased",
                 "cin_at_31_march", "cp_at_31_march", "cla_at_31_march", "hub_starts"]:
        assert ms[name] == 0, name
    for name in ["re_referral_12m_pct", "referrals_nfa_pct", "assessment_duration_median_wd",
                 "assessment_within_45wd_pct", "children_assessed_not_in_need_pct",
                 "cp_second_or_subsequent_pct", "cp_second_within_2y_pct",
                 "social_workers_per_journey_pct_1", "social_workers_per_journey_mean",
                 "handoffs_per_journey_mean", "sw_caseload_children_mean", "hub_wait_days_mean"]:
        assert math.isnan(ms[name]), name


def test_output_has_every_measure_for_every_year():
    log = log_of(rich_rows())
    ms = measures(log)
    assert list(ms.columns) == ["measure", "year", "value"]
    assert sorted(ms["year"].unique()) == ["2014-15", "2015-16", "2016-17"]
    assert len(ms) == len(MEASURES) * 3 and ms.groupby("measure").size().eq(3).all()
    assert ms["measure"].drop_duplicates().tolist() == MEASURES
    assert measures(log, [2015])["year"].unique().tolist() == [NEXT]
    assert measures(log, [2020]).query("measure == 'contacts'")["value"].tolist() == [0.0]


def test_parquet_round_trip_and_dataframe_input_give_same_measures(tmp_path):
    log = log_of(rich_rows())
    path = tmp_path / "events.parquet"
    write_log(log, path)
    expected = measures(log)
    pd.testing.assert_frame_equal(measures(read_log(path)), expected)
    pd.testing.assert_frame_equal(measures(path), expected)  # scanned where it lies
    pd.testing.assert_frame_equal(measures(log.to_pandas()), expected)
    assert not expected["value"].isna().all()


def test_events_selected_in_the_log_files_scans_are_the_events_of_the_logs_frame(tmp_path):
    """Logs.rows on log files filters each file's scan before the replication column is added (so
    that the Parquet reader decodes only the rows kept): the same rows, in the same order, with the
    same columns and types, as filtering the logs' frame, and in each batch too."""
    from journeysim.projections.logs import EVENT, Logs

    paths = {}
    for rep, rows in ((0, rich_rows()), (3, [*referral_rows(), *cla_rows()])):
        paths[rep] = tmp_path / f"rep-{rep}.parquet"
        write_log(log_of(rows), paths[rep])
    logs = Logs.files(paths)
    for events, reps in ((["ReferralReceived", "CareEntered"], {0, 3}), (["CaseClosed"], {0})):
        scanned = logs.rows(*events).collect()
        filtered = logs.frame.filter(EVENT.is_in(events)).collect()
        assert scanned.equals(filtered) and scanned.schema == filtered.schema
        assert set(scanned["rep"]) == reps and set(scanned["event"]) == set(events)
        batches = [b.rows(*events).collect() for b in logs.batches(max_events=1)]
        assert len(batches) == 2 and all(b.equals(filtered.filter(filtered["rep"] == r)) for b, r in zip(batches, (0, 3)))


# ----------------------------------------------------------------- journeys and traces
def test_journeys_table():
    jr = journeys(log_of(worker_rows())).set_index("case_id")
    assert list(jr.columns) == ["child_id", "opened", "closed", "opening", "closing_reason", "positive_change", "had_plan",
                                "workers", "allocations"]
    assert len(jr) == 8
    assert jr.loc[4, "workers"] == 2 and jr.loc[4, "allocations"] == 3
    assert jr.loc[4, "opened"] == pd.Timestamp("2014-04-11") and jr.loc[4, "opening"] == "ReferralReceived"
    assert jr.loc[4, "closing_reason"] == "plan_ended" and bool(jr.loc[4, "had_plan"])
    assert not jr.loc[5, "had_plan"] and pd.isna(jr.loc[6, "closed"])
    assert jr.loc[7, "workers"] == 0 and jr.loc[7, "allocations"] == 0


def test_child_events_in_seq_order():
    log = log_of(cla_rows())
    trace = child_events(log, 3)
    assert trace["event"].tolist() == ["CareEntered", "CareLeft", "CareEntered"]
    assert trace["seq"].is_monotonic_increasing and (trace["child_id"] == 3).all()
    assert child_events(log, 99).empty


def test_projections_do_not_import_the_model():
    package = Path(__file__).resolve().parents[1] / "src" / "journeysim" / "projections"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any("model" in n for n in names), (path.name, names)


def test_stocks_carry_into_a_year_without_events():
    log = log_of(cla_rows())
    v = by_measure(log, [2014, 2015])
    assert v["cla_at_31_march", NEXT] == 4 and v["uasc_at_31_march", NEXT] == 1
    assert v["cla_starts", NEXT] == 0 and v["cla_ceased", NEXT] == 0


def test_caseload_series_without_allocations_is_empty():
    s = caseload_series(log_of([ev(0, "ReferralReceived", 1, 1), ev(70, "CaseClosed", 1, 1, reason="referral_nfa")]))
    assert s.empty and list(s.columns) == ["date", "team", "worker", "children"]


def test_journey_opening_events_and_open_journeys():
    log = log_of(
        [
            ev(0, "CaseLoaded", 1, 1, outcome="in_care"),
            ev(0, "CareEntered", 1, 1, legal_status="ico", reason="initial_stock"),
            ev(5, "UascArrived", 2, 2),
            ev(5, "CareEntered", 2, 2, legal_status="uasc_s20", reason="uasc"),
            ev(9, "CaseClosed", 2, 2, reason="moved_on"),
        ]
    )
    jr = journeys(log)
    assert jr["opening"].tolist() == ["CaseLoaded", "UascArrived"]
    assert pd.isna(jr.loc[0, "closed"]) and jr.loc[1, "closed"] == pd.Timestamp("2014-04-10")
    assert jr["closing_reason"].isna().tolist() == [True, False] and not jr["had_plan"].any()


def test_an_event_name_journeysim_never_logs_is_read_as_no_event_at_all(tmp_path):
    """A hand-edited log's unknown event type (the projections read the event column as an Enum of
    the model's events) is selected by no projection and breaks none: the measures are those of the
    log without the edited rows, read from a table and from a file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [*referral_rows(), *cla_rows()]
    table = log_of(rows)
    names = table.column("event").to_pylist()
    edit = {i for i, n in enumerate(names) if n in ("ReferralReceived", "CareEntered")}
    edit = set(sorted(edit)[::2])  # every other referral and entry into care
    field = table.schema.field("event")
    column = pa.array([f"{n}d" if i in edit else n for i, n in enumerate(names)]).dictionary_encode().cast(field.type)
    edited = table.set_column(table.schema.get_field_index("event"), field, column)
    pq.write_table(edited, tmp_path / "edited.parquet")
    plain = measures(table.take([i for i in range(len(names)) if i not in edit]))
    pd.testing.assert_frame_equal(measures(edited), plain)
    pd.testing.assert_frame_equal(measures(tmp_path / "edited.parquet"), plain)
    assert len(edit) >= 2 and plain.loc[plain["measure"] == "referrals", "value"].sum() > 0
