"""Paired comparisons: the statistic, common random numbers at work, the statement, the command."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import runner
from journeysim.cli import OFFICIAL_ROWS, main
from journeysim.compare import Comparison, paired_differences, statement
from journeysim.eventlog import read_log
from journeysim.projections import measures
from journeysim.scenario import reported_years
from journeysim.stats import t95

from conftest import SCENARIOS, SMALL, small

SETS = [x for s in SMALL for x in ("--set", s)]


def table(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = [{"rep": r, "measure": m, "year": y, "value": v} for (m, y), vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_paired_differences_by_hand():
    a = table({("cla_starts", "2019-20"): [100, 110, 120], ("cla_ceased", "2019-20"): [50, 60, np.nan]})
    b = table({("cla_starts", "2019-20"): [101, 112, 123], ("cla_ceased", "2019-20"): [40, 30, 99]})
    d = paired_differences(a, b).set_index("measure")
    assert list(d.columns) == ["year", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "pct_change", "includes_zero", "n"]
    cla = d.loc["cla_starts"]
    half = 4.3027 * 1.0 / math.sqrt(3)  # differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.3027
    assert cla["diff"] == pytest.approx(2) and cla["n"] == 3
    assert (cla["ci_low"], cla["ci_high"]) == pytest.approx((2 - half, 2 + half))
    assert cla["pct_change"] == pytest.approx(100 * 2 / 110) and cla["includes_zero"]
    ceased = d.loc["cla_ceased"]  # the pair with a missing value is left out: differences -10, -30
    assert ceased["n"] == 2 and ceased["mean_a"] == 55 and ceased["diff"] == -20
    assert ceased["ci_high"] == pytest.approx(-20 + 12.7062 * math.sqrt(200) / math.sqrt(2))


def test_t95_beyond_the_table():
    assert t95(2) == pytest.approx(4.3027)
    assert t95(40) == pytest.approx(2.0211, abs=2e-4)
    assert t95(120) == pytest.approx(1.9799, abs=2e-4)
    assert math.isnan(t95(0))


def per_rep(scenario, seed: int, reps: int, tmp_path) -> pd.DataFrame:
    folder = tmp_path / f"{scenario.name}-{seed}-{len(list(tmp_path.iterdir()))}"
    frames = []
    for r in runner.run_replications(scenario, seed, reps, folder):
        frames.append(measures(read_log(r.path), reported_years(scenario)).assign(rep=r.rep))
    return pd.concat(frames, ignore_index=True)


def test_identical_scenarios_differ_by_exactly_zero(tmp_path):
    """The rota written out ([[1], [2], [3], [4]]) is the default rota: on the same seeds, nothing differs."""
    a = per_rep(small("hampshire.toml"), 7, 2, tmp_path)
    b = per_rep(small("whatif_rota_1_in_4.toml"), 7, 2, tmp_path)
    d = paired_differences(a, b).dropna(subset=["diff"])
    assert len(d) > 100
    assert (d["diff"] == 0).all() and (d["ci_low"] == 0).all() and (d["ci_high"] == 0).all()
    assert d["includes_zero"].all()


def test_common_random_numbers_narrow_the_interval(tmp_path):
    """A small real change (a stronger practice-model effect): the paired interval of B - A is narrower than
    the interval from independent seeds, for the count measures of the years after the change."""
    a = small("hampshire.toml", "run.start=2017-04-01")
    b = small("hampshire.toml", "run.start=2017-04-01", "practice.model_effect=0.5")
    runs_a = per_rep(a, 1, 3, tmp_path)
    paired = paired_differences(runs_a, per_rep(b, 1, 3, tmp_path))
    unpaired_b = per_rep(b, 99, 3, tmp_path)
    counts = ["referrals", "assessments_completed", "cin_at_31_march", "cp_plans_started", "cp_at_31_march",
              "cla_starts", "cla_at_31_march", "contacts"]
    widths_paired, widths_independent = [], []
    for m in counts:
        for y in ("2018-19", "2019-20"):
            p = paired[(paired["measure"] == m) & (paired["year"] == y)].iloc[0]
            widths_paired.append(p["ci_high"] - p["ci_low"])
            sa = runs_a[(runs_a["measure"] == m) & (runs_a["year"] == y)]["value"]
            sb = unpaired_b[(unpaired_b["measure"] == m) & (unpaired_b["year"] == y)]["value"]
            widths_independent.append(2 * t95(4) * math.sqrt(sa.var() / 3 + sb.var() / 3))
    assert sum(widths_paired) < 0.6 * sum(widths_independent), (widths_paired, widths_independent)
    assert sum(wp < wi for wp, wi in zip(widths_paired, widths_independent)) >= 10


def comparison() -> Comparison:
    a = table({("cla_starts", "2019-20"): [100, 104, 96], ("cost_total", "2019-20"): [2e6, 2e6, 2e6]})
    b = table({("cla_starts", "2019-20"): [110, 116, 104], ("cost_total", "2019-20"): [2.5e6, 2.5e6, 2.5e6]})
    return Comparison("counterfactual", "hampshire", ["2019-20"], a, b, paired_differences(a, b), 3, 1)


def test_statement_in_words_and_numbers():
    lines = statement(comparison(), [("cla_starts", "CLA starts", 0)])
    assert lines[0].startswith("Estimated effect of 'hampshire' (with the change) against 'counterfactual'")
    # with: 110 +/- 4.3027 x 6 / sqrt(3); without: 100 +/- 4.3027 x 4 / sqrt(3); differences 10, 12, 8
    assert lines[1] == ("CLA starts 2019-20: 110 [95, 125] with the change, 100 [90, 110] without: "
                        "difference +10 [5, 15] (+10.0%); a clear rise.")
    assert lines[-1] == ("Cost (GBP m): Total 2019-20: 2.50 [2.50, 2.50] with the change, 2.00 [2.00, 2.00] without: "
                         "difference +0.50 [0.50, 0.50] (+25.0%); a clear rise.")


def test_statement_says_when_the_interval_includes_zero():
    a = table({("re_referral_12m_pct", "2018-19"): [25.0, 27.0, 26.0]})
    b = table({("re_referral_12m_pct", "2018-19"): [26.0, 26.0, 26.5]})
    cmp = Comparison("a", "b", ["2018-19"], a, b, paired_differences(a, b), 3, 1)
    line = statement(cmp, [("re_referral_12m_pct", "Re-referrals within 12 months %", 1)])[1]
    # differences 1, -1, 0.5: mean 0.17, sd 1.04, half-width 4.3027 x 1.04 / sqrt(3) = 2.59
    assert line == ("Re-referrals within 12 months % 2018-19: 26.2 [25.4, 26.9] with the change, 26.0 [23.5, 28.5] "
                    "without: difference +0.2 [-2.4, 2.8] points (+0.6% relative); the interval includes zero: "
                    "no clear effect.")


def test_compare_command_prints_effects_intervals_and_costs(tmp_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "counterfactual.toml"), str(SCENARIOS / "hampshire.toml"),
                                  "--reps", "3", "--seed", "4", "--out", str(out), "--workers", "1", "--statement", *SETS])
    assert r.exit_code == 0, r.output
    d = pd.read_csv(out / "comparison.csv")
    for m, _, _ in OFFICIAL_ROWS:
        for year in ("2018-19", "2019-20"):
            assert len(d[(d["measure"] == m) & (d["year"] == year)]) == 1, (m, year)
    # before the CAST pilot (July 2017) the two scenarios are the same county: every difference is zero
    early = d[d["year"] == "2016-17"].dropna(subset=["diff"])
    assert (early["diff"] == 0).all()
    one_worker = d[(d["measure"] == "social_workers_per_journey_pct_1") & (d["year"] == "2019-20")].iloc[0]
    assert one_worker["diff"] > 20 and one_worker["ci_low"] > 0, "CAST keeps one worker per journey far more often"
    hubs = d[(d["measure"] == "cost_hub_family_workers") & (d["year"] == "2019-20")].iloc[0]
    assert hubs["mean_a"] == 0 and hubs["mean_b"] > 0
    for name in ("comparison.txt", "statement.txt", "comparison.png", "a-counterfactual/costs.csv", "b-hampshire/measures.csv"):
        assert (out / name).exists(), name
    assert "Cost (GBP m): Total" in r.output and "with the change" in r.output
    for line in ("CLA starts 2018-19: ", "CLA starts 2019-20: ", "CP plans started 2019-20: ",
                 "CLA ceased: returned home 2018-19: ", "Cost (GBP m): Total 2019-20: "):
        assert line in r.output, line


def test_compare_user_errors(tmp_path):
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"), "nope.toml"])
    assert r.exit_code == 2 and "nope.toml: no such scenario file" in r.output
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"), str(SCENARIOS / "hampshire.toml"),
                                  "--set-b", "workforce.hard_cap=-1"])
    assert r.exit_code == 2 and "workforce.hard_cap must be between 0 and 500" in r.output
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"), str(SCENARIOS / "counterfactual.toml"),
                                  "--years", "2018-19,2021-22", "--out", str(tmp_path / "never-written")])
    assert r.exit_code == 2 and "--years: 2021-22 is not a year both scenarios report" in r.output
    assert not (tmp_path / "never-written").exists()


def quarter_county(tmp_path, name_a: str, name_b: str, *sets: str, reps: int = 4):
    extra = ["run.scale=0.25", "run.start=2017-04-01", *sets]
    a, b = small(name_a, *extra), small(name_b, *extra)
    d = paired_differences(per_rep(a, 2018, reps, tmp_path), per_rep(b, 2018, reps, tmp_path))
    return d[d["year"] == "2019-20"].set_index("measure")


@pytest.mark.slow
def test_levers_move_the_measures_they_should(tmp_path):
    """A quarter of the county: a cap lowers caseloads and slows allocation; sharing intake over two teams
    speeds allocation under a cap; doubling the hubs starts more families sooner."""
    cap = quarter_county(tmp_path, "hampshire.toml", "whatif_caseload_cap_18.toml")
    assert cap.loc["sw_caseload_children_mean", "ci_high"] < 0
    assert cap.loc["assessment_within_45wd_pct", "ci_high"] < -20
    rota = quarter_county(tmp_path, "hampshire.toml", "whatif_rota_1_in_2.toml", "workforce.hard_cap=30")
    assert rota.loc["assessment_within_45wd_pct", "diff"] > 0
    hubs = quarter_county(tmp_path, "hampshire.toml", "whatif_hubs_doubled.toml")
    assert hubs.loc["hub_starts", "ci_low"] > 0 and hubs.loc["hub_wait_days_mean", "ci_high"] < 0


def test_a_clear_effect_never_prints_an_interval_touching_zero():
    """An adoption difference of +0.35 [0.23, 0.47] at no decimals printed as "+0 [0, 0]; a clear rise":
    a value that is not zero gets the decimals it needs not to show as 0."""
    from journeysim.compare import format_table

    a = table({("cla_ceased_adoption", "2019-20"): [5.0, 6.0, 7.0]})
    b = table({("cla_ceased_adoption", "2019-20"): [5.3, 6.4, 7.35]})  # differences 0.3, 0.4, 0.35
    cmp = Comparison("a", "b", ["2019-20"], a, b, paired_differences(a, b), 3, 1)
    rows = [("cla_ceased_adoption", "CLA ceased: adoption", 0)]
    line = statement(cmp, rows)[1]
    assert "difference +0.3 [0.2, 0.5] (+5.8%); a clear rise." in line, line
    assert "0.3 [0.2, 0.5]" in format_table(cmp, rows)
    # a bound that is zero, or a clear effect that needs no more decimals, prints as before
    assert "difference +10 [5, 15]" in statement(comparison(), [("cla_starts", "CLA starts", 0)])[1]
    # the floating-point noise of two means of the same numbers is no difference: 0.00, not 0.000000
    from journeysim.compare import _bound
    assert _bound(0.1 + 0.2 - 0.3, 2) == "0.00" and _bound(-2e-12, 1) == "0.0" and _bound(3e-4, 2) == "0.0003"


def test_compare_refuses_scenarios_of_another_size_or_period(tmp_path):
    out = tmp_path / "never-written"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "counterfactual.toml"), str(SCENARIOS / "hampshire.toml"),
                                  "--out", str(out), "--set-b", "run.scale=0.04", *SETS])
    assert r.exit_code == 2, r.output
    assert ("error: A (counterfactual) and B (hampshire) cannot be paired: run.scale is 0.05 in A, 0.04 in B; "
            "differences between runs of another size or period are not the effect of a change") in r.output
    assert not out.exists()


def test_one_scenario_against_itself_with_set_b_is_named_by_what_changed(tmp_path):
    """A what-if made with --set-b alone is named by the keys it sets, never 'hampshire minus hampshire'."""
    out = tmp_path / "surge"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"), str(SCENARIOS / "hampshire.toml"),
                                  "--set-b", "arrivals.surge_factor=1.5", "--set-b", "arrivals.surge_start=2019-04-01",
                                  "--reps", "1", "--years", "2019-20", "--out", str(out), "--workers", "1",
                                  *[x for kv in SMALL for x in ("--set", kv)]])
    assert r.exit_code == 0, r.output
    assert "hampshire+arrivals.surge_factor+arrivals.surge_start minus hampshire:" in r.output
    assert "hampshire minus hampshire" not in r.output
    assert (out / "a-hampshire").is_dir() and (out / "b-hampshire+arrivals.surge_factor+arrivals.surge_start").is_dir()
