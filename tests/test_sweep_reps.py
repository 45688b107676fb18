"""Sensitivity sweeps and the replications algorithm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import scenario as sc
from journeysim.cli import main
from journeysim.replications import look_ahead, relative_precision, replications_needed, run_until_precise
from journeysim.sweep import Vary, parse_vary, points, split_values

from conftest import SCENARIOS, SMALL, small

SETS = [x for s in SMALL for x in ("--set", s)]


def test_vary_values_split_outside_brackets():
    assert split_values("0, 18,22") == ["0", "18", "22"]
    assert split_values("[[1, 2], [3, 4]],[]") == ["[[1, 2], [3, 4]]", "[]"]
    v = parse_vary("teams.intake_rota=[[1, 2], [3, 4]],[[1], [2], [3], [4]]")
    assert v.key == "teams.intake_rota" and len(v.values) == 2
    with pytest.raises(sc.ScenarioError, match="unknown key 'workforce.hardcap'"):
        parse_vary("workforce.hardcap=1,2")
    with pytest.raises(sc.ScenarioError, match="expected KEY=V1,V2"):
        parse_vary("workforce.hard_cap")


def test_sweep_points_grid_and_one_at_a_time():
    a, b = Vary("x.a", ["1", "2"]), Vary("x.b", ["3", "4", "5"])
    assert points([a, b], False) == [{"x.a": "1", "x.b": "3"}, {"x.a": "1", "x.b": "4"}, {"x.a": "1", "x.b": "5"},
                                     {"x.a": "2", "x.b": "3"}, {"x.a": "2", "x.b": "4"}, {"x.a": "2", "x.b": "5"}]
    assert points([a, b], True) == [{}, {"x.a": "1"}, {"x.a": "2"}, {"x.b": "3"}, {"x.b": "4"}, {"x.b": "5"}]
    with pytest.raises(sc.ScenarioError, match="one or two keys"):
        points([a, b, Vary("x.c", ["1"])], False)


def test_sweep_command_runs_every_point(tmp_path):
    out = tmp_path / "sweep"
    r = CliRunner().invoke(main, ["sweep", str(SCENARIOS / "hampshire.toml"), "--vary",
                                  "arrivals.contacts_per_year=50000,100000", "--measure", "referrals", "--measure",
                                  "cost_total", "--reps", "1", "--out", str(out), "--workers", "1", *SETS])
    assert r.exit_code == 0, r.output
    result = pd.read_csv(out / "sweep.csv")
    ref = result[result["measure"] == "referrals"].groupby("arrivals.contacts_per_year")["mean"].sum()
    assert ref[100000] > 1.6 * ref[50000], "twice the contacts, about twice the referrals (over the years run)"
    assert (out / "sweep.png").exists() and (out / "point-01" / "costs.csv").exists()
    assert "referrals" in r.output and "cost_total" in r.output


def test_sweep_user_errors(tmp_path):
    base = ["sweep", str(SCENARIOS / "hampshire.toml"), "--out", str(tmp_path / "s")]
    r = CliRunner().invoke(main, [*base, "--vary", "workforce.hard_cap=0,18", "--measure", "cla_startz"])
    assert r.exit_code == 2 and "--measure cla_startz: unknown measure" in r.output
    r = CliRunner().invoke(main, [*base, "--vary", "workforce.hard_cap=0,-3"])
    assert r.exit_code == 2 and "workforce.hard_cap must be between 0 and 500" in r.output
    r = CliRunner().invoke(main, [*base, "--vary", "workforce.hard_cap=0,18", "--year", "2030-31"])
    assert r.exit_code == 2 and "--year 2030-31: not a reported year" in r.output


def test_look_ahead_grows_beyond_100_replications():
    assert look_ahead(3, 5) == 5 and look_ahead(100, 5) == 5 and look_ahead(200, 5) == 10 and look_ahead(250, 4) == 10


def test_relative_precision_by_hand():
    # values 9, 10, 11: mean 10, sd 1, half-width 4.3027 / sqrt(3)
    assert relative_precision(np.array([9.0, 10.0, 11.0])) == pytest.approx(4.3027 / np.sqrt(3) / 10)
    assert relative_precision(np.array([5.0, 5.0, 5.0])) == 0.0
    assert relative_precision(np.array([-1.0, 1.0])) == np.inf


def test_replications_on_a_known_distribution():
    """Normal(100, 10): the 95% half-width is within 5% of the mean at about (1.96 x 10 / 5)^2 = 15.4 replications."""
    answers = []
    for seed in range(40):
        values = np.random.default_rng(seed).normal(100.0, 10.0, 400)
        a = replications_needed(values, 0.05)
        assert a.n is not None and a.precision[a.n - 1] <= 0.05
        assert all(d <= 0.05 for d in a.precision[a.n - 1:a.n + 5]), "the look-ahead confirmed it"
        answers.append(a.n)
    assert 13 <= np.median(answers) <= 19
    assert np.mean([8 <= n <= 30 for n in answers]) >= 0.8


def test_look_ahead_rejects_an_early_dip():
    """Precision meets the target at n = 3 by chance, then fails: the answer waits for a stable n."""
    values = [100.0, 100.5, 100.2, 80.0, 120.0, 100.0, 101.0, 99.0, 100.0, 100.0, 100.5, 99.5, 100.0, 100.0, 100.0,
              100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    a = replications_needed(values, 0.05)
    assert a.precision[2] <= 0.05 and a.precision[3] > 0.05
    assert a.n is not None and a.n > 4
    assert all(d <= 0.05 for d in a.precision[a.n - 1:a.n + 5])
    assert replications_needed(values[:6], 0.05).n is None, "too few values to confirm anything"


@pytest.mark.slow
def test_replications_for_a_scenario_runs_until_settled():
    g = run_until_precise(small("hampshire.toml"), [("contacts", "2019-20"), ("cla_starts", "2019-20")], 0.10, seed=2,
                          max_reps=40, workers=2)
    assert g.needed is not None
    table = g.table().set_index("measure")
    assert table.loc["cla_starts", "replications_needed"] > table.loc["contacts", "replications_needed"]
    assert table.loc["cla_starts", "replications_run"] >= g.needed + 5


@pytest.mark.parametrize("measures", [["sw_caseload_children_mean"],
                                      ["cla_starts", "cp_plans_started", "sw_caseload_children_mean"]])
def test_tornado_titles_fit_inside_the_picture(monkeypatch, tmp_path, measures):
    """The figure's title and each panel's title are wrapped to fit: none runs off either side."""
    import matplotlib.pyplot as plt

    from journeysim import sweep as sw

    varies = [Vary("hubs.family_workers", ["3", "6"]), Vary("workforce.hard_cap", ["0", "20"])]
    rows = []
    for point, (key, value) in enumerate([(None, None), ("hubs.family_workers", "3"), ("hubs.family_workers", "6"),
                                          ("workforce.hard_cap", "0"), ("workforce.hard_cap", "20")]):
        for i, measure in enumerate(measures):
            rows.append({"point": point, "hubs.family_workers": value if key == "hubs.family_workers" else "base",
                         "workforce.hard_cap": value if key == "workforce.hard_cap" else "base",
                         "measure": measure, "year": "2017-18", "mean": 10.0 + point * (i + 1), "ci95": 1.0, "n": 2})
    kept = []
    monkeypatch.setattr(plt, "close", lambda fig: kept.append(fig))
    title = "hampshire: hubs.family_workers, workforce.hard_cap (2 replications per point, seed 1)"
    sw.tornado(pd.DataFrame(rows), varies, measures, "2017-18", tmp_path / "t.png", title)
    fig = kept[0]
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle, *[ax.title for ax in fig.axes]]
    assert fig._suptitle.get_text().replace("\n", " ") == title
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, (text.get_text(), box, fig.bbox.width)
