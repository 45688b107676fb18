"""Validation against queueing theory, with the model configured through scenario parameters only.

**M/M/c allocation queue.** One district whose Referral & Assessment team has c permanent
workers (no vacancies, turnover or agency), a hard cap of one child per worker, one-child
families arriving as a Poisson process, no allocation delay, exponential assessments, and every
assessment concluding "not in need" (the case closes and the worker is free). New families'
contacts arrive in Poisson-sized batches at the start of each day; a MASH screening time
uniform on [0, 1) day spreads them into a homogeneous Poisson process of referrals (the
displacement theorem), so the referrals waiting for a worker form an M/M/c queue. Erlang C
gives the probability of waiting, C(c, a) with a = lambda/mu, and the mean wait,
Wq = C(c, a) / (c mu - lambda).

**Little's law.** A stationary county: no trend, seasonality or dated components; no families
coming back after closure (the re-referral loop only settles once the children of every
returning family have grown up, over about 18 years); care episodes ending in a return home
after an exponential time of mean 200 days, with more entries to care than the baseline so the
care stock is not tiny. For open cases (the CIN census stock), CP plans and children looked
after, the mean stock that the official stock projection reports equals the start rate times
the mean duration, L = lambda W, over a window after a warm-up; the run goes on for some years
after the window so that the episodes started in it have ended when their length is measured.

Tolerances: each check passes when the theoretical value lies inside the 95% confidence
interval (Student t) of the replication means, and that interval is narrow enough to detect a
real error (its half-width is stated per test). Seeds are fixed, so the tests are
deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.model import simulate
from journeysim.projections import as_frame
from journeysim.projections.stocks import stock_counts
from journeysim.rng import replication_seeds
from journeysim.stats import t95

# ----------------------------------------------------------------------------------------- M/M/c
WARMUP_DAYS = 365


def mmc_scenario(c: int, lam: float, mean_service: float, years: int) -> sc.Scenario:
    """The model as an M/M/c queue: ``lam`` referrals a day, ``c`` workers, service mean ``mean_service`` days."""
    return sc.load(None, [
        "population.districts=1", "run.scale=1", "arrivals.trend_per_year=0", "arrivals.seasonality=0",
        f"arrivals.contacts_per_year={lam * 365.25}",
        "frontdoor.triage={ advice = 0, early_help = 0, mash = 1 }",
        "mash.outcome={ nfa = 0, early_help = 0, referral = 1 }",
        'mash.screening={ dist = "uniform", low = 0, high = 1 }', "mash.hold_longer_start=never",
        'population.children_per_family={ dist = "fixed", value = 1 }', "referral.p_nfa=0",
        'assessment.allocation_delay={ dist = "fixed", value = 0 }',
        f'assessment.duration={{ dist = "exponential", mean = {mean_service} }}',
        "assessment.outcome={ not_in_need = 1, early_help = 0, cin_plan = 0, strategy_discussion = 0 }",
        "practice.p_return_no_plan=0", f"teams.ra_posts={c}", "workforce.absence_rate=0", "teams.rebalance_over=0",
        "workforce.handover_on_joining=0", "teams.cast_start=never",
        "teams.cast_start_by_district={}", "workforce.vacancy_share=0", "workforce.agency_share=0",
        "workforce.nq_share=0", "workforce.turnover_permanent=0", "workforce.turnover_agency=0", "workforce.drives=[]",
        "workforce.hard_cap=1", "hubs.start=never", "initial.cin_children=0", "initial.cp_children=0",
        "initial.cla_children=0", 'uasc.arrivals={ "2000" = 0 }',
        "run.start=2000-04-01", f"run.end={2000 + years}-04-01", f"run.warmup_days={WARMUP_DAYS}",
    ])


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a`` = lambda/mu < c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def allocation_waits(s: sc.Scenario, seed: int) -> np.ndarray:
    """Days from each referral after the warm-up (and a year before the end, so that none is still waiting)
    to its worker's allocation."""
    df = simulate(s, seed).to_table().select(["event", "child_id", "time"]).to_pandas()
    df["event"] = df["event"].astype(str)
    referred = df[df["event"] == "ReferralReceived"].set_index("child_id")["time"]
    allocated = df[df["event"] == "WorkerAllocated"].groupby("child_id")["time"].min()
    referred = referred[(referred >= WARMUP_DAYS) & (referred < df["time"].max() - 365)]
    waits = (allocated.reindex(referred.index) - referred).to_numpy()
    assert not np.isnan(waits).any(), "every referral is allocated"
    return waits


def ci(values) -> tuple[float, float]:
    """Mean and 95% confidence half-width (Student t) of replication results."""
    x = np.asarray(values, dtype=float)
    return x.mean(), t95(len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))


def check_mmc(c: int, lam: float, mean_service: float, years: int, reps: int, max_rel_halfwidth: float) -> None:
    s = mmc_scenario(c, lam, mean_service, years)
    a = lam * mean_service
    p_wait, wq = erlang_c(c, a), erlang_c(c, a) / (c / mean_service - lam)
    runs = [allocation_waits(s, seed) for seed in replication_seeds(2018, reps)]
    mean_wait, hw_wait = ci([w.mean() for w in runs])
    share, hw_share = ci([(w > 1e-9).mean() for w in runs])
    assert abs(mean_wait - wq) <= hw_wait, f"mean wait {mean_wait:.3f} ± {hw_wait:.3f} days, Erlang C {wq:.3f}"
    assert abs(share - p_wait) <= hw_share, f"P(wait) {share:.4f} ± {hw_share:.4f}, Erlang C {p_wait:.4f}"
    assert hw_wait <= max_rel_halfwidth * wq and hw_share <= max_rel_halfwidth * p_wait, "too imprecise to test"


def test_allocation_wait_matches_erlang_c():
    """c = 5 workers, lambda = 0.35 referrals a day, assessments of mean 10 days (rho = 0.7):
    Erlang C gives P(wait) = 0.378 and Wq = 2.52 days. Over 10 replications of 30 years, both
    lie inside the 95% interval of the replication means, whose half-width is at most 25% of
    the theoretical value."""
    check_mmc(c=5, lam=0.35, mean_service=10.0, years=30, reps=10, max_rel_halfwidth=0.25)


@pytest.mark.slow
@pytest.mark.parametrize("c,lam,mean_service", [(2, 0.15, 10.0), (5, 0.35, 10.0), (10, 0.4, 20.0)])
def test_allocation_wait_matches_erlang_c_deep(c, lam, mean_service):
    """rho = 0.75, 0.7 and 0.8 with 2, 5 and 10 workers; 30 replications of 40 years. Erlang C's
    P(wait) and Wq lie inside the 95% interval, whose half-width is at most 12% of each."""
    check_mmc(c, lam, mean_service, years=40, reps=30, max_rel_halfwidth=0.12)


# ------------------------------------------------------------------------------------ Little's law
OPENING = ["ReferralReceived", "CaseLoaded", "UascArrived"]
#: Stock name in the projections: the events starting and ending one episode of it.
EPISODES = {
    "cin": (OPENING, ["CaseClosed"]),
    "cp": (["CpPlanStarted"], ["CpPlanEnded", "CaseClosed"]),
    "cla": (["CareEntered"], ["CareLeft"]),
}
LITTLE_WARMUP = 1095


def steady_scenario(scale: float, window_years: int, tail_years: int) -> sc.Scenario:
    """A stationary county (see the module docstring): a warm-up, the window, then ``tail_years``."""
    return sc.load(None, [
        f"run.scale={scale}", "arrivals.trend_per_year=0", "arrivals.seasonality=0", "teams.cast_start=never",
        "teams.cast_start_by_district={}", "mash.hold_longer_start=never", "practice.model_start=never",
        "hubs.start=never", "care.reunification_drive_start=never", "workforce.drives=[]",
        'uasc.arrivals={ "2000" = 0 }', "practice.p_return_change=0", "practice.p_return_no_change=0",
        "practice.p_return_no_plan=0", "cin.p_care_no_change=0.3", "s47.p_emergency_care=0.15",
        "care.p_return_home={ under_1 = 1, 1_4 = 1, 5_9 = 1, 10_15 = 1, 16_17 = 1 }",
        "care.p_breakdown=0", 'care.return_home_time={ dist = "exponential", mean = 200 }',
        "run.start=2010-04-01", f"run.end={2010 + window_years + tail_years}-04-01", f"run.warmup_days={LITTLE_WARMUP}",
    ])


def episodes(df: pd.DataFrame, starts: list[str], ends: list[str]) -> pd.DataFrame:
    """Start and end times of every episode (per child journey); an episode still open ends at the horizon."""
    rows = df[df["event"].isin(starts + ends)]
    spans, open_ = [], {}
    for event, case, child, time in rows[["event", "case_id", "child_id", "time"]].itertuples(index=False):
        if event in starts:
            open_[(case, child)] = time
        elif (case, child) in open_:
            spans.append((open_.pop((case, child)), time))
    horizon = float(df["time"].max())
    spans += [(t, horizon) for t in open_.values()]
    return pd.DataFrame(spans, columns=["start", "end"])


def little_ratios(s: sc.Scenario, seed: int, window_years: int) -> dict[str, float]:
    """L / (lambda W) for each stock over the window after the warm-up: L from the stock projection
    (end of every 7th day), lambda = episodes started in the window per day, W = their mean length."""
    df = as_frame(simulate(s, seed).to_table())
    t0, t1 = float(LITTLE_WARMUP), LITTLE_WARMUP + 365.25 * window_years
    day0 = pd.Timestamp(s["run.start"] - dt.timedelta(days=LITTLE_WARMUP))
    stocks = stock_counts(df, pd.date_range(day0 + pd.Timedelta(days=t0), day0 + pd.Timedelta(days=t1 - 1), freq="7D"))
    out = {}
    for name, (starts, ends) in EPISODES.items():
        ep = episodes(df, starts, ends)
        inside = ep[(ep["start"] >= t0) & (ep["start"] < t1)]
        lam_w = len(inside) / (t1 - t0) * (inside["end"] - inside["start"]).mean()
        out[name] = stocks[name].mean() / lam_w
    return out


def check_little(scale: float, window_years: int, tail_years: int, reps: int, max_halfwidth: float) -> None:
    s = steady_scenario(scale, window_years, tail_years)
    runs = [little_ratios(s, seed, window_years) for seed in replication_seeds(7, reps)]
    for name in EPISODES:
        mean, hw = ci([r[name] for r in runs])
        assert abs(mean - 1.0) <= hw, f"{name}: L / (lambda W) = {mean:.3f} ± {hw:.3f}"
        assert hw <= max_halfwidth, f"{name}: ± {hw:.3f} is too imprecise to test"


def test_littles_law_for_open_cases_cp_plans_and_children_in_care():
    """8% of Hampshire, a 3-year window after 3 years' warm-up and before 3 more, 6 replications:
    for each stock the 95% interval of L / (lambda W) contains 1 and is at most ±0.15 wide."""
    check_little(scale=0.08, window_years=3, tail_years=3, reps=6, max_halfwidth=0.15)


@pytest.mark.slow
def test_littles_law_deep():
    """15% of Hampshire, a 6-year window after 3 years' warm-up and before 5 more, 20 replications:
    the 95% interval of L / (lambda W) contains 1 for each stock and is at most ±0.04 wide."""
    check_little(scale=0.15, window_years=6, tail_years=5, reps=20, max_halfwidth=0.04)


def test_the_engine_benchmark_s_queue_is_a_valid_scenario_without_changes_of_worker():
    """benchmarks/engine_overhead.py times journeysim against raw SimPy on the same M/M/c queue: its
    scenario must load (a parameter removed from the model breaks it) and hold no cause of a change
    of worker, so that its customers are served as the queue's are."""
    import importlib.util

    import sys

    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    spec = importlib.util.spec_from_file_location("engine_overhead", folder / "engine_overhead.py")
    bench = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))  # the benchmarks import their _machine helper as a script would
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(folder))
    s = bench.mmc_scenario(5)
    assert s["teams.ra_posts"] == 5 and s["workforce.hard_cap"] == 1
    assert s["workforce.absence_rate"] == 0 and s["workforce.turnover_permanent"] == 0 and s["teams.rebalance_over"] == 0
