"""Simulate -> export -> snapshot + estimate -> simulate from the snapshot.

The default scenario (a tenth of Hampshire, from April 2023 after its two years of warm-up) runs to
1 April 2027 in four replications; each one's 2025-26 returns are
exported, the snapshot at 31 March 2026 (and, from the first, the estimates) are made from them,
and the scenario runs again from each snapshot for 2026-27.  The estimates must recover the scenario's parameters
within their intervals, and the run from the snapshot must continue the original runs'
official measures within the replication noise (entries to care and the measures of a family's
history before the census are known gaps, marked as such).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.projections import stocks_at
from journeysim.results.reader import open_results
from journeysim.returns import export_return
from journeysim.returns.estimate import estimate
from journeysim.returns.snapshot import snapshot, write
from journeysim.runner import run as run_scenario

ROOT = Path(__file__).resolve().parents[1]
REPS = 4
SCALE = ["run.scale=0.1"]


def _from_snapshot(base: Path, log, original, seed: int, name: str):
    """Export rep ``log``'s 2025-26 returns, snapshot them at 31 March 2026, and run one replication
    of the scenario from the snapshot over 2026-27; (snapshot, report, results, estimates)."""
    export_return(log, "ssda903", "2025-26", base / "903")
    export_return(log, "cin-census", "2025-26", base / "cin.xml")
    snap, report = snapshot(base / "903", base / "cin.xml", "2026-03-31")
    (base / "scenario").mkdir()
    write(snap, base / "scenario" / "snapshot.csv")
    parent = os.path.relpath(ROOT / "scenarios" / "hampshire.toml", base / "scenario")
    (base / "scenario" / "from_snapshot.toml").write_text(
        f'extends = "{parent}"\nname = "{name}"\n\n[run]\nstart = 2026-04-01\nend = 2027-04-01\n'
        f'warmup_days = 0\nstart_state = "snapshot.csv"\ntrends_from = {original["run.start"]}\n', encoding="utf-8")
    again = sc.load(base / "scenario" / "from_snapshot.toml", SCALE)
    run_scenario(again, base / "again", 1, seed, workers=1)
    return snap, report, open_results(base / "again"), base


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    base = tmp_path_factory.mktemp("trip")
    original = sc.load(ROOT / "scenarios" / "hampshire.toml", [*SCALE, "run.start=2023-04-01", "run.end=2027-04-01"])
    run_scenario(original, base / "original", REPS, 5, workers=2)
    found = open_results(base / "original")
    pairs = [_from_snapshot(base / f"rep{k}", found.log(k), original, 100 + k, f"from-snapshot-{k}") for k in range(REPS)]
    snap, report, again, first = pairs[0]
    return {"original": found, "again": again, "pairs": pairs, "snapshot": snap, "report": report,
            "log": found.log(0), "scenario": original, "estimates": estimate(first / "903", first / "cin.xml")[0]}


def test_snapshot_holds_the_runs_open_caseload(trip):
    """The snapshot's children are the log's own stocks at 31 March 2026, less any of 18 and over
    (a young person's plan ends at 18, but care may go on to the day they leave; the census stops at 18)."""
    from journeysim.projections.logs import Logs
    from journeysim.projections.stocks import held
    from journeysim.returns.history import histories

    snap, log = trip["snapshot"], trip["log"]
    day = pd.Timestamp("2026-03-31")
    birth = histories(log).children.set_index("child_id")["birth"]
    children = set(birth[birth + pd.DateOffset(years=18) > day].index)
    stocks = {k: set(v.collect()["child_id"].to_list()) for k, v in held(Logs.of(log), [day.date()]).items()}
    cla, cp, cin = stocks["cla"], stocks["cp"], stocks["cin"]
    counts = snap["stage"].value_counts()
    assert counts["care"] == len(cla & children) > 50
    assert counts["cp"] == len((cp - cla) & children) > 50
    assert counts["care"] + counts["cp"] + counts["cin"] + counts["assessment"] == len((cin | cla) & children)
    assert counts["closed"] > counts["cin"]  # a year of closures, who may come back
    assert trip["report"].problems == []  # an export is read whole
    assert snap["id"].tolist() == list(range(1, len(snap) + 1))


def test_run_from_the_snapshot_starts_with_its_caseload(trip):
    """The run loads every child of the snapshot: in care, exactly (the children loaded into care, plus
    the day's entries, less its leavers, are the stock at the end of the first day); on plans and open
    cases, within the first day's endings."""
    from journeysim.projections import as_frame

    log = trip["again"].log(0)
    first = stocks_at(log, "2026-04-01")
    counts = trip["snapshot"]["stage"].value_counts()
    df = as_frame(log)
    day1 = df[df["date"] <= pd.Timestamp("2026-04-01")]
    entered = day1[day1["event"] == "CareEntered"]
    loaded = (entered["reason"] == "initial_stock").sum()
    assert loaded == counts["care"] > 50
    assert first["cla"] == loaded + (entered["reason"] != "initial_stock").sum() - (day1["event"] == "CareLeft").sum()
    assert abs(first["cp"] - counts["cp"]) <= 3  # a plan loaded near its review may end on the first day
    assert abs(first["cin"] - (counts["care"] + counts["cp"] + counts["cin"] + counts["assessment"])) <= 15


#: The official measures a run from a snapshot must continue, and how close (in combined standard
#: errors of the two sets of replications) its 2026-27 mean must be to the original runs'.
CONTINUED = ["referrals", "referrals_nfa_pct", "assessments_completed", "cin_at_31_march", "cp_at_31_march",
             "cla_at_31_march", "cla_ceased", "children_assessed_not_in_need_pct"]

#: Entries to care, which runs from a snapshot overstate in their first year with the current
#: calibration (55.2 against 44.2 at a tenth of the county, more in all four pairs, 3.70 standard
#: errors): the excess is CIN plans ending in care (114 against 69 over the four pairs) and
#: unaccompanied children (37 against 28); entries from emergencies and proceedings are not higher.
#: Edge-of-care support, which averts some of those entries, reaches far fewer families in the runs
#: from a snapshot (15 episodes against 56 over the four pairs; 6 averted entries against 19). A
#: known gap, not yet explained: a snapshot makes each child its own family (the returns do not link
#: siblings) while the service takes a family by its oldest child's age, and it does not say which
#: families the hubs' specialists were working with. The strict mark makes the test fail, and the
#: gap be looked at again, once it closes.
CONTINUED_NOT_YET = ["cla_starts"]

#: The measures that turn on a family's history before the census year: a snapshot holds the children
#: open at its date and those closed in the year before it, so a family whose case closed earlier comes
#: back as a new family, without its earlier referrals and child protection plans (and the log of a run
#: from a snapshot starts at the snapshot, so a referral's previous one is not in it either).
HISTORY = ["cp_plans_started", "re_referral_12m_pct", "cp_second_or_subsequent_pct"]


def test_run_from_the_snapshot_continues_the_official_measures(trip):
    """Each original replication against the run from its own snapshot: the mean paired difference
    of each 2026-27 measure within 3.5 standard errors of the pairs' differences."""
    _continues(trip, CONTINUED)


@pytest.mark.xfail(strict=True, reason="runs from a snapshot start more children in care in their first year "
                   "(CIN plans ending in care; known gap, see CONTINUED_NOT_YET)")
def test_run_from_the_snapshot_continues_entries_to_care(trip):
    _continues(trip, CONTINUED_NOT_YET)


@pytest.mark.xfail(strict=True, reason="a snapshot does not hold families whose cases closed before the census "
                   "year: in the first year they come back without their earlier referrals and CP plans (known gap)")
def test_run_from_the_snapshot_continues_the_measures_of_a_family_s_history(trip):
    _continues(trip, HISTORY)


def _continues(trip, continued: list[str]) -> None:
    m = trip["original"].measures
    a = m[m["year"] == "2026-27"].pivot(index="rep", columns="measure", values="value")
    rows = []
    for k, (_, _, again, _) in enumerate(trip["pairs"]):
        mk = again.measures
        rows.append(mk[mk["year"] == "2026-27"].set_index("measure")["value"].rename(k))
    b = pd.DataFrame(rows)
    lines = []
    for measure in continued:
        d = b[measure] - a[measure]
        se = d.std() / math.sqrt(len(d))
        lines.append(f"{measure}: original {a[measure].mean():.1f}, from the snapshots {b[measure].mean():.1f}, "
                     f"mean paired difference {d.mean():+.1f} ({d.mean() / se if se else 0:+.2f} SE)")
    print("\n" + "\n".join(lines))
    for measure, line in zip(continued, lines):
        d = b[measure] - a[measure]
        assert abs(d.mean()) <= 3.5 * max(d.std() / math.sqrt(len(d)), 1.0), line


#: The 95% intervals the estimates carry, widened to 99.9% (z 3.29 for 1.96) for the test: with
#: eight quantities each inside its 95% interval by chance only 0.95**8 = 66% of the time, a test
#: at 95% would fail a right model one seed in three; at 99.9% it fails one in 125.
WIDEN = 3.29 / 1.96


def _widened(estimate: float, low: float, high: float) -> tuple[float, float]:
    return estimate - WIDEN * (estimate - low), estimate + WIDEN * (high - estimate)


def test_estimates_recover_the_scenarios_parameters(trip):
    s = trip["scenario"]
    est = trip["estimates"].set_index("quantity")
    mash = s["mash.hold_longer_nfa_factor"]  # the MASH holds longer from 2018: the share of NFA falls
    truth = {
        "referrals_nfa_share": s["referral.p_nfa"] * mash,
        "assessment_days_median": s["assessment.duration"].median,
        "assessment_days_p90": s["assessment.duration"].p90,
        "conference_to_cp_plan_share": s["icpc.outcome"]["cp_plan"],
        "s47_to_conference_share": s["s47.outcome"]["icpc"] * (1 - s["s47.p_emergency_care"]),
        "cp_first_review_days": s["cp.first_review_days"],
        "cp_review_interval_days": s["cp.review_interval_days"],
        "return_home_days_median": s["care.return_home_time"].median,
    }
    lines = []
    for q, value in truth.items():
        row = est.loc[q]
        lines.append(f"{q}: scenario {value:.4g}; estimate {row['estimate']:.4g} ({row['low']:.4g} to {row['high']:.4g})")
        low, high = _widened(row["estimate"], row["low"], row["high"])
        assert low - 1e-9 <= value <= high + 1e-9, lines[-1]
    print("\n" + "\n".join(lines))
    # the counts are the log's own measures of the year
    m = trip["original"].measures
    own = m[(m["rep"] == 0) & (m["year"] == "2025-26")].set_index("measure")["value"]
    assert est.at["cla_starts_per_year", "estimate"] == own["cla_starts"]
    assert est.at["cla_ceased_per_year", "estimate"] == own["cla_ceased"]
    # the census stops at 18; the log counts the rare plan that starts later
    assert own["cp_plans_started"] - 3 <= est.at["cp_plans_started_per_year", "estimate"] <= own["cp_plans_started"]
    assert np.isclose(est.at["referrals_per_year", "estimate"], own["referrals"], rtol=0.02)
