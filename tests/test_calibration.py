"""Calibration: the history-matching method on a toy model with known parameters, the
knobs, the fitted-parameter file, the fit report's numbers, and a small end-to-end run."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import calibrate as cal
from journeysim import historymatch as hm
from journeysim import scenario as sc
from journeysim.cli import main
from journeysim.fitreport import comparison, goodness, mape_range, noise_floor
from journeysim.knobs import KNOBS, Fit, Settings, knob_named
from journeysim.targets import load_targets, target_sd

from conftest import SCENARIOS

TRUE = np.array([0.3, 0.7, 0.55, 0.2])


def toy(X: np.ndarray, seeds: list[int], full: list[bool] | None = None) -> np.ndarray:
    """Eight noisy outputs of four parameters, some non-linear, each parameter in several outputs."""
    out = []
    for x, s in zip(X, seeds):
        a, b, c, d = x
        y = np.array([100 + 40 * a + 5 * b, 50 + 30 * b**2 + 10 * a * b, 20 + 15 * np.exp(c), 30 - 20 * c + 5 * d,
                      10 + 25 * d, 5 + 10 * a + 10 * d, 60 + 20 * b - 10 * c, 40 + 30 * a * d + 15 * b])
        out.append(y + np.random.default_rng(s).normal(0, 0.5, y.shape))
    return np.array(out)


def toy_observations() -> hm.Observations:
    z = toy(TRUE[None, :], [12345])[0]
    return hm.Observations([f"y{i}" for i in range(len(z))], z, np.full(len(z), 1.0), np.ones(len(z)))


def test_history_matching_recovers_the_toy_model_parameters():
    res = hm.history_match(toy, toy_observations(), 4, waves=3, runs_per_wave=30, replicates=4, seed=5)
    assert np.abs(res.best - TRUE).max() < 0.08, res.best
    lo, hi = res.plausible_range((0.0, 1.0)).T
    assert ((lo <= TRUE) & (TRUE <= hi)).all(), "the true parameters are never ruled out"
    # the waves rule out most of the prior box: every plausible range is a small part of the prior
    width = np.diff(res.plausible_range(), axis=1).ravel()
    assert (width < 0.25).all(), width
    assert not any(w.kept_least_implausible for w in res.waves)


def test_history_matching_is_reproducible_and_seed_dependent():
    a = hm.history_match(toy, toy_observations(), 4, waves=2, runs_per_wave=20, seed=3)
    b = hm.history_match(toy, toy_observations(), 4, waves=2, runs_per_wave=20, seed=3)
    c = hm.history_match(toy, toy_observations(), 4, waves=2, runs_per_wave=20, seed=4)
    assert np.array_equal(a.best, b.best) and np.array_equal(a.nroy, b.nroy)
    assert not np.array_equal(a.best, c.best)


def test_emulator_fits_a_linear_function_exactly_and_knows_its_noise():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    Y = np.column_stack([2 + 3 * X[:, 0] - X[:, 2], 5 + rng.normal(0, 2.0, 40)])
    em = hm.fit_emulator(X, Y, noise=np.array([0.0, 4.0]), sim_var=np.array([0.0, 1.0]))
    mean, var = em.predict_mean(np.array([[0.5, 0.5, 0.5]]))
    assert mean[0, 0] == pytest.approx(3.0, abs=1e-3) and var[0, 0] < 1e-4
    assert var[0, 1] < 1.0  # pure noise (variance 4), no lack of fit: the mean is known to within 4 x leverage
    _, total = em.predict(np.array([[0.5, 0.5, 0.5]]))
    assert total[0, 1] == pytest.approx(var[0, 1] + 1.0)
    blind = hm.fit_emulator(X, Y, noise=np.zeros(2), sim_var=np.zeros(2))  # all residual is lack of fit
    assert 2.0 < blind.predict_mean(np.array([[0.5, 0.5, 0.5]]))[1][0, 1] < 8.0


def test_latin_hypercube_puts_one_point_in_each_stratum():
    X = hm.latin_hypercube(10, 3, np.random.default_rng(1))
    for j in range(3):
        assert sorted(np.floor(X[:, j] * 10).astype(int)) == list(range(10))


def test_implausibility_keeps_the_second_largest():
    assert hm.second_largest(np.array([[1.0, 9.0, 2.0], [4.0, 3.0, 5.0]])).tolist() == [2.0, 4.0]


def test_best_point_weighs_errors_by_observation_sd_not_by_the_simulators_noise():
    """Two outputs with the same observation sd; the second is very noisy run to run.  Point
    (1, 0) misses the first output by 1.5 sd; point (0, 1) misses the noisy one by 2 sd.  The
    mean is what the fit is judged on, so (1, 0) is closer.  Implausibility, which compares one
    run, still allows for the noise."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]] * 3)
    Y = np.column_stack([10 + 1.5 * X[:, 0], 10 + 2.0 * X[:, 1]])  # exactly linear: no emulator error
    em = hm.fit_emulator(X, Y, noise=np.zeros(2), sim_var=np.array([0.0, 100.0]))
    obs = hm.Observations(["a", "b"], np.array([10.0, 10.0]), np.array([1.0, 1.0]), np.ones(2))
    points = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert hm.loss(em, points, obs) == pytest.approx([2.25, 4.0], abs=1e-3)
    assert hm._best(em, points, obs)[0].tolist() == [1.0, 0.0]
    assert hm.simulated_loss(np.array([[11.5, 10.0], [11.5, 10.0]]), obs) == pytest.approx(2.25)
    assert hm.simulated_loss(np.array([[10.0, 11.0], [10.0, 13.0]]), obs) == pytest.approx(4.0)
    # implausibility: the noisy output's 2 sd miss is small beside its noise (sd 10)
    assert hm.implausibility(em, points, obs)[1] == pytest.approx([0.0, 2.0 / np.sqrt(101.0)], abs=1e-3)


# ----------------------------------------------------------------------------- knobs
def test_knobs_set_tables_distributions_and_multipliers_from_the_defaults():
    base = sc.load(SCENARIOS / "hampshire.toml", ["assessment.strategy_trend_per_year=0.5"])
    knobs = [knob_named(n) for n in ("assessment.outcome[strategy_discussion]", "assessment.outcome[not_in_need]",
                                     "cin.duration[median]", "care.p_adoption[x]", "initial.cla_children",
                                     "assessment.strategy_trend_per_year")]
    out = cal.apply_knobs(base, knobs, np.array([0.5, 0.0, 1.0, 1.0, 0.25, 1.0]))
    outcome = out["assessment.outcome"]
    assert outcome["strategy_discussion"] == pytest.approx(0.24) and outcome["not_in_need"] == pytest.approx(0.18)
    assert sum(outcome.values()) == pytest.approx(1.0)
    default = sc.PARAMS["assessment.outcome"].default
    assert outcome["early_help"] / outcome["cin_plan"] == pytest.approx(default["early_help"] / default["cin_plan"])
    assert out["cin.duration"].median == pytest.approx(240.0)
    assert out["cin.duration"].p90 == pytest.approx(240.0 * 330 / 110)  # the default's p90/median ratio kept
    assert out["care.p_adoption"]["under_1"] == 1.0  # 0.70 x 1.6, capped at 1
    assert out["care.p_adoption"]["1_4"] == pytest.approx(0.80)
    assert out["initial.cla_children"] == 1050 and isinstance(out["initial.cla_children"], int)
    assert out["assessment.strategy_trend_per_year"] == pytest.approx(0.05)
    # the knobs start from the defaults, not from what the scenario already held
    again = cal.apply_knobs(out, knobs, np.array([0.5, 0.0, 1.0, 1.0, 0.25, 1.0]))
    assert again.values == out.values


def test_fitted_file_loads_as_the_base_of_a_scenario(tmp_path):
    base = sc.load(SCENARIOS / "hampshire.toml")
    knobs = [knob_named(n) for n in ("mash.outcome[referral]", "cp.duration[median]", "teams.rebalance_over")]
    u = np.array([0.3, 0.6, 0.2])
    chosen = cal.apply_knobs(base, knobs, u)
    result = hm.Result(u, np.array([[0.2, 0.5, 0.1], [0.4, 0.7, 0.3]]), [], np.zeros(1), np.zeros(1), [])
    f = Fit(knobs, result, chosen, pd.DataFrame({"year": ["2014-15"]}), pd.DataFrame(), pd.DataFrame(),
            Settings(), 0.0, 1)
    text = cal.fitted_toml(f, "journeysim calibrate --seed 1")
    doc = tomllib.loads(text)
    assert doc["teams"]["rebalance_over"] == pytest.approx(0.8)  # 0.6 + 0.2 x (1.6 - 0.6)
    assert "plausible 0.71 to 0.89" in text  # 5-95% quantiles of the NROY points 0.1 and 0.3, on the prior 0.6-1.6
    (tmp_path / "fitted.toml").write_text(text)
    (tmp_path / "s.toml").write_text('extends = "fitted.toml"\nname = "s"\n')
    loaded = sc.load(tmp_path / "s.toml")
    assert loaded["mash.outcome"]["referral"] == pytest.approx(chosen["mash.outcome"]["referral"], rel=1e-3)
    assert loaded["cp.duration"].median == pytest.approx(chosen["cp.duration"].median, rel=1e-3)
    # the report's replications run the values as written, not the unrounded point
    written = cal.as_written(chosen, knobs)
    for key in {k.key for k in knobs}:
        assert written.values[key] == loaded.values[key], key
    assert written.values["mash.outcome"] != chosen.values["mash.outcome"]


def test_fitted_probabilities_are_rounded_and_still_sum_to_one():
    raw = {"not_in_need": 0.29904, "early_help": 0.11462, "cin_plan": 0.29984, "strategy_discussion": 0.2865}
    assert abs(sum(cal._rounded(raw).values()) - 1.0) > 1e-6  # rounding each entry alone breaks the sum
    out = cal._rounded_probs(raw)
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-9)
    assert out == {"not_in_need": 0.299, "early_help": 0.1146, "cin_plan": 0.2999, "strategy_discussion": 0.2865}
    assert sc.parse_override(f"assessment.outcome={cal._fmt(out)}")  # written as TOML a scenario accepts


def test_shipped_scenarios_load_the_fitted_file_and_it_holds_only_fitted_parameters():
    """scenarios/hampshire.toml extends calibration/hampshire.toml, so every shipped scenario uses
    the fit; and every key there is a calibration knob's, a year-to-year shift's or a random walk's
    step, so a refit (which starts each knob from its default and sets every shift and step itself)
    does not depend on the file it replaces."""
    from journeysim.refit import WALK_SERIES

    fitted = SCENARIOS.parent / "calibration" / "hampshire.toml"
    doc = tomllib.loads(fitted.read_text())
    keys = {f"{section}.{name}" for section, table in doc.items() for name in table}
    assert keys <= ({k.key for k in KNOBS} | {f"variation.{c}_sd" for c in cal.VARIATION_SERIES}
                    | {f"variation.{c}_walk_sd" for c in WALK_SERIES}
                    | {"variation.jump_off_year"} | {f"variation.{c}_jump_off" for c in cal.JUMP_OFF_SERIES})
    for path in sorted(SCENARIOS.glob("*.toml")):
        s = sc.load(path)
        assert any(Path(f).resolve() == fitted.resolve() for f in s.files), path.name
        for key in keys:
            assert s.sources[key] != "default", (path.name, key)


# ----------------------------------------------------------------------------- the report's numbers
def test_comparison_and_goodness_of_fit_on_known_numbers():
    targets = pd.DataFrame({
        "model_measure": ["cla_starts", "cla_starts", "cla_starts", "re_referral_12m_pct"],
        "year": ["2014-15", "2015-16", "2016-17", "2014-15"],
        "value": [100.0, 200.0, 300.0, 30.0], "use": ["fit", "fit", "fit", "fit"], "weight": 1.0, "source": "x",
    })
    per_rep = pd.DataFrame({
        "rep": [0, 1, 2] * 4,
        "measure": ["cla_starts"] * 9 + ["re_referral_12m_pct"] * 3,
        "year": ["2014-15"] * 3 + ["2015-16"] * 3 + ["2016-17"] * 3 + ["2014-15"] * 3,
        "value": [105, 106, 107, 180, 180, 180, 290, 300, 310, 20, 21, 22],
    })
    comp = comparison(targets, per_rep, ["2014-15", "2015-16"]).set_index(["model_measure", "year"])
    assert comp.loc[("cla_starts", "2014-15"), "error_pct"] == pytest.approx(6.0)
    # the 90% prediction interval of 105, 106, 107: on the log scale, mean +- t(2) sd sqrt(1 + 1/3)
    logs = np.log([105.0, 106.0, 107.0])
    low = math.exp(logs.mean() - 2.92 * logs.std(ddof=1) * math.sqrt(4 / 3))
    assert comp.loc[("cla_starts", "2014-15"), "lo"] == pytest.approx(low) and 100 < low < 105
    assert not comp.loc[("cla_starts", "2014-15"), "inside"]
    assert comp.loc[("cla_starts", "2016-17"), "inside"] and not comp.loc[("cla_starts", "2016-17"), "fitted"]
    g = goodness(comp.reset_index()).set_index("model_measure")
    assert g.loc["cla_starts", "mape_pct"] == pytest.approx((6 + 10 + 0) / 3)
    assert g.loc["cla_starts", "inside_pct"] == pytest.approx(100 / 3)
    assert g.loc["re_referral_12m_pct", "mape_pct"] == pytest.approx(30.0)


def test_noise_floor_is_each_replication_against_the_mean_of_the_others():
    per_rep = pd.DataFrame({
        "rep": [0, 1, 2] * 3,
        "measure": ["cla_starts"] * 6 + ["cin_at_31_march"] * 3,
        "year": ["2014-15"] * 3 + ["2015-16"] * 3 + ["2014-15"] * 3,
        "value": [90.0, 100.0, 110.0, 200.0, 200.0, 200.0, 5.0, 5.0, 5.0],
    })
    # 2014-15: 90 against 105, 100 against 100, 110 against 95; 2015-16 exact
    expected = 100 * (15 / 90 + 0 + 15 / 110 + 0 + 0 + 0) / 6
    assert noise_floor(per_rep, "cla_starts", ["2014-15", "2015-16"]) == pytest.approx(expected)
    assert noise_floor(per_rep, "cla_starts", ["2015-16"]) == 0.0
    assert noise_floor(per_rep, "cin_at_31_march", ["2014-15"]) == 0.0
    assert np.isnan(noise_floor(per_rep[per_rep["rep"] == 0], "cla_starts", ["2014-15"]))
    zero = pd.DataFrame({"rep": [0, 1, 2], "measure": "cla_starts", "year": "2014-15", "value": [0.0, 10.0, 20.0]})
    # the zero is left out: 10 against 10, 20 against 5
    assert noise_floor(zero, "cla_starts", ["2014-15"]) == pytest.approx(100 * (0 + 15 / 20) / 2)


def test_mape_range_resamples_the_replications():
    observed = pd.Series({"2014-15": 100.0})
    two = pd.DataFrame({"rep": [0, 1], "measure": "cla_starts", "year": "2014-15", "value": [90.0, 110.0]})
    # resampled means 90, 100 or 110 (chances 1/4, 1/2, 1/4): errors 10, 0 or 10
    lo, hi = mape_range(two, "cla_starts", observed, draws=4000)
    assert (lo, hi) == (0.0, 10.0)
    same = pd.DataFrame({"rep": [0, 1, 2], "measure": "cla_starts", "year": "2014-15", "value": [104.0] * 3})
    assert mape_range(same, "cla_starts", observed) == pytest.approx((4.0, 4.0))
    assert mape_range(two, "cla_starts", observed) == mape_range(two, "cla_starts", observed)  # seeded


def test_observation_uncertainty_by_kind_of_figure():
    assert target_sd("cla_starts", 600) == pytest.approx(600 * np.hypot(0.02, 0.05))
    assert target_sd("social_workers_per_journey_pct_1", 10) == pytest.approx(np.hypot(100 * np.sqrt(0.09 / 110), 2))
    assert cal.is_count("cin_at_31_march") and not cal.is_count("re_referral_12m_pct")
    assert not cal.is_count("sw_caseload_children_mean")
    assert not cal.is_count("social_workers_per_journey_pct_2") and not cal.is_count("social_workers_per_journey_pct_5plus")


# ----------------------------------------------------------------------------- end to end
TINY = ["run.scale=0.04", "run.warmup_days=365"]


def test_a_small_fit_is_reproducible_with_the_same_seed():
    base = sc.load(SCENARIOS / "hampshire.toml", TINY)
    settings = Settings(waves=1, runs_per_wave=8, replicates=2, scale=1.0, reps=2,
                        knobs=("arrivals.contacts_per_year", "cp.duration[median]", "teams.rebalance_over"))
    targets = load_targets()
    a = cal.fit(base, targets, settings, seed=7, workers=2)
    b = cal.fit(base, targets, settings, seed=7, workers=1)
    assert cal.fitted_toml(a, "c") == cal.fitted_toml(b, "c")
    pd.testing.assert_frame_equal(a.per_rep, b.per_rep)


def test_calibrate_command_writes_the_fitted_file_fit_table_and_report(tmp_path):
    out = tmp_path / "cal"
    result = CliRunner().invoke(main, ["calibrate", "--quick", "--budget", "16", "--reps", "2", "--no-backtest",
                                       "--workers", "2", "--out", str(out), "--report", str(out / "report.md"),
                                       *[a for s in TINY for a in ("--set", s)]])
    assert result.exit_code == 0, result.output
    assert "Fit report:" in result.output and "MAPE" in result.output
    fitted = tomllib.loads((out / "hampshire.toml").read_text())
    assert set(fitted) == {"arrivals", "assessment", "cin", "cp", "practice", "workforce", "care", "variation"}
    assert set(fitted["variation"]) == ({f"{c}_sd" for c in cal.VARIATION_SERIES} | {"front_door_walk_sd", "care_entry_walk_sd"}
                                        | {"jump_off_year"} | {f"{c}_jump_off" for c in cal.JUMP_OFF_SERIES})
    assert fitted["variation"]["jump_off_year"] == 2018  # the last fitted year, 2018-19
    draws = pd.read_csv(out / "plausible.csv")
    assert list(draws.columns) == ["draw", *Settings.quick().knobs] and len(draws) == cal.PLAUSIBLE_DRAWS
    fit = pd.read_csv(out / "fit.csv")
    assert {"observed", "mean", "lo", "hi", "inside", "error_pct"} - {"observed"} <= set(fit.columns)
    assert (fit["lo"] <= fit["mean"]).all() and (fit["mean"] <= fit["hi"]).all()
    report = (out / "report.md").read_text()
    for section in ("## Goodness of fit", "## Year-to-year variation", "## Method", "## Every observed figure", "## Fitted parameters", "## The waves"):
        assert section in report
    assert "noise floor" in report and "with other replications" in report
    assert (out / "img" / "calibration" / "firm.png").stat().st_size > 10_000


def test_calibrate_reports_a_missing_targets_file_cleanly(tmp_path):
    result = CliRunner().invoke(main, ["calibrate", "--targets", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "none.csv: no such targets file" in result.output
    assert not (tmp_path / "o").exists()


def test_predictive_interval_adds_the_assumed_discrepancy_to_the_ensemble():
    from journeysim.fitreport import predictive

    ens = pd.DataFrame({"rep": range(5), "measure": "cla_starts", "year": "2016-17", "value": 600.0})
    pr = predictive(ens).iloc[0]
    half = 1.645 * 600 * np.hypot(0.02, 0.05)  # no spread across replications: the discrepancy alone
    assert pr["pr_lo"] == pytest.approx(600 - half, rel=0.01) and pr["pr_hi"] == pytest.approx(600 + half, rel=0.01)
    spread = ens.assign(value=[500.0, 550, 600, 650, 700])
    wide = predictive(spread).iloc[0]
    assert wide["pr_hi"] - wide["pr_lo"] > pr["pr_hi"] - pr["pr_lo"] + 100
