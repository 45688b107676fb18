"""The transformation's effect by component: the runs built from two scenarios, the arithmetic of the
decomposition on hand-made replications, and ``journeysim effects`` end to end."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import effects as fx
from journeysim.cli import SUMMARY_ROWS, main
from journeysim.compare import paired_differences
from journeysim.interrupts import RunError
from journeysim.scenario import PARAMS, load, parse_override
from journeysim.stats import t95

from conftest import SCENARIOS

HAMPSHIRE = SCENARIOS / "hampshire.toml"


def without_hubs(tmp_path, *lines: str):
    """A scenario file: Hampshire without the hubs and the practice model, and whatever ``lines`` add."""
    path = tmp_path / "partial.toml"
    path.write_text(f'extends = "{HAMPSHIRE.as_posix()}"\nname = "partial"\n' + "".join(f"{line}\n" for line in lines)
                    + '[hubs]\nstart = "never"\n[practice]\nmodel_start = "never"\n')
    return path


# ------------------------------------------------------------------ the components and the runs they make
def test_every_component_key_is_a_parameter_and_belongs_to_one_component():
    keys = [k for c in fx.COMPONENTS for k in c.keys]
    assert set(keys) <= set(PARAMS) and len(keys) == len(set(keys))
    assert [c.name for c in fx.COMPONENTS] == ["cast", "mash", "hubs", "reunification", "practice", "recruitment"]


def test_the_shipped_pair_differs_in_the_six_components_and_nothing_else():
    plan = fx.plan(load(HAMPSHIRE), load(SCENARIOS / "counterfactual.toml"))
    assert [c.name for c in plan.components] == [c.name for c in fx.COMPONENTS] and not plan.left_out
    assert len(plan.arms) == 2 + 2 * 6
    arms = {a.folder: a.scenario for a in plan.arms}
    # tables and lists survive being written as overrides: CAST's pilot district, the recruitment drive
    assert arms["on-cast"]["teams.cast_start_by_district"] == {"D1": dt.date(2017, 7, 1)}
    assert arms["on-cast"]["teams.cast_start"] == dt.date(2018, 5, 1) and arms["on-cast"]["hubs.start"] is None
    assert arms["off-cast"]["teams.cast_start_by_district"] == {} and arms["off-cast"]["teams.cast_start"] is None
    assert arms["off-cast"]["hubs.start"] == dt.date(2019, 4, 1)
    drive = load(HAMPSHIRE)["workforce.drives"]
    assert drive and arms["on-recruitment"]["workforce.drives"] == drive and arms["off-recruitment"]["workforce.drives"] == []


def test_on_alone_and_off_alone_take_the_components_keys_from_the_other_scenario(tmp_path):
    programme = load(HAMPSHIRE, ["run.scale=0.05"])
    counterfactual = load(without_hubs(tmp_path, "[workforce]", "hard_cap = 30"), ["run.scale=0.05"])
    plan = fx.plan(programme, counterfactual)
    assert [c.name for c in plan.components] == ["hubs", "practice", "other"]
    assert plan.components[-1].keys == ("workforce.hard_cap",), "a stray difference is its own component"
    assert [c.name for c in plan.left_out] == ["cast", "mash", "reunification", "recruitment"]
    assert any("CAST (teams.cast_start, teams.cast_start_by_district) is left out" in n for n in plan.notes())
    arms = {a.folder: a for a in plan.arms}
    assert list(arms) == ["programme", "counterfactual", "on-hubs", "off-hubs", "on-practice", "off-practice",
                          "on-other", "off-other"]
    keys = ("hubs.start", "practice.model_start", "workforce.hard_cap")
    expected = {  # (hubs.start, practice.model_start, workforce.hard_cap)
        "on-hubs": (dt.date(2019, 4, 1), None, 30), "off-hubs": (None, dt.date(2019, 4, 1), 0),
        "on-practice": (None, dt.date(2019, 4, 1), 30), "off-practice": (dt.date(2019, 4, 1), None, 0),
        "on-other": (None, None, 0), "off-other": (dt.date(2019, 4, 1), dt.date(2019, 4, 1), 30),
    }
    for folder, values in expected.items():
        scenario = arms[folder].scenario
        assert tuple(scenario[k] for k in keys) == values, folder
        assert scenario["run.scale"] == 0.05, "the --set given to both goes into every run"
        assert scenario.overrides[0] == "run.scale=0.05"
    # everything else is the scenario each starts from
    same = [k for k in PARAMS if k not in (*keys, "name", "description")]
    assert all(arms["on-hubs"].scenario[k] == counterfactual[k] for k in same)
    assert all(arms["off-hubs"].scenario[k] == programme[k] for k in same)
    assert arms["on-hubs"].scenario.name == "partial+hubs" and arms["off-hubs"].scenario.name == "hampshire-hubs"


def test_a_pair_that_cannot_be_paired_or_does_not_differ_is_refused(tmp_path):
    with pytest.raises(RunError, match=r"cannot be paired: run.scale is 0.1 in partial, 1.0 in hampshire"):
        fx.plan(load(HAMPSHIRE), load(without_hubs(tmp_path), ["run.scale=0.1"]))
    with pytest.raises(RunError, match="there is no effect to decompose"):
        fx.plan(load(HAMPSHIRE), load(HAMPSHIRE, ["name=again"]))


@pytest.mark.parametrize("text", [
    "teams.cast_start_by_district={ D1 = 2017-07-01, D2 = \"never\" }",
    "workforce.drives=[{ date = 2019-01-15, posts = 65, nq_share = 0.8 }]",
    "description=\"a \\\"quoted\\\" word, a back\\\\slash\"",
    "arrivals.trend_per_year=-0.0125",
    "teams.intake_rota=[[1, 2], [3, 4]]",
])
def test_values_are_written_back_as_the_overrides_they_came_from(text):
    key, _ = parse_override(text)
    value = load(None, [text]).raw()[key]
    again = load(None, [f"{key}={fx.toml_value(value)}"]).raw()[key]
    assert again == value


# ------------------------------------------------------------------ the arithmetic, on hand-made replications
def per_rep(values, measure="x", year="2019-20") -> pd.DataFrame:
    return pd.DataFrame({"rep": range(len(values)), "measure": measure, "year": year, "value": values})


C = np.array([10.0, 12.0, 14.0])
ARMS = {
    "counterfactual": C,
    "on-a": C + 2,                      # a alone: +2 in every replication
    "on-b": C + [3, 4, 5],              # b alone: +4 on average
    "programme": C + [10, 12, 14],      # both: +12, of which 6 is neither a's nor b's alone
    "off-a": C + [10, 12, 14] - [7, 8, 9],    # taking a away from the programme loses 8
    "off-b": C + [10, 12, 14] - [8, 10, 12],  # taking b away loses 10
}


def estimates(arms=ARMS, components=("a", "b")) -> pd.DataFrame:
    table = fx.decompose({k: per_rep(v) for k, v in arms.items()}, list(components))
    return table.set_index(["component", "estimate"])


def test_the_decomposition_on_known_effects():
    e = estimates()
    assert set(e.index.get_level_values("estimate")) == set(fx.ESTIMATES)
    assert e.loc[("all", "total"), "effect"] == pytest.approx(12)
    assert e.loc[("a", "on_alone"), "effect"] == pytest.approx(2)
    assert e.loc[("a", "on_alone"), ["ci_low", "ci_high"]].tolist() == pytest.approx([2, 2]), "no spread, no width"
    assert e.loc[("b", "on_alone"), "effect"] == pytest.approx(4)
    assert e.loc[("a", "off_alone"), "effect"] == pytest.approx(8)
    assert e.loc[("b", "off_alone"), "effect"] == pytest.approx(10)
    # interaction: (P - C) - (on_a - C) - (on_b - C) = [10-2-3, 12-2-4, 14-2-5] = [5, 6, 7]
    half = t95(2) * 1.0 / math.sqrt(3)
    inter = e.loc[("all", "interaction")]
    assert inter["effect"] == pytest.approx(6)
    assert [inter["ci_low"], inter["ci_high"]] == pytest.approx([6 - half, 6 + half])
    assert not inter["includes_zero"] and inter["n"] == 3
    assert inter["mean_without"] == pytest.approx(12 + 2 + 4) and inter["mean_with"] == pytest.approx(24)
    # each component's share: (P - off) - (on - C): a [7-2, 8-2, 9-2], b [8-3, 10-4, 12-5]
    assert e.loc[("a", "off_minus_on"), "effect"] == pytest.approx(6)
    assert e.loc[("b", "off_minus_on"), "effect"] == pytest.approx(6)
    # the total is the paired difference compare gives
    cmp = paired_differences(per_rep(C), per_rep(ARMS["programme"])).iloc[0]
    assert e.loc[("all", "total"), ["effect", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [cmp["diff"], cmp["ci_low"], cmp["ci_high"]])


def test_effects_that_add_up_have_no_interaction():
    arms = {"counterfactual": C, "on-a": C + [1, 2, 3], "on-b": C + [4, 4, 7],
            "programme": C + [5, 6, 10], "off-a": C + [4, 4, 7], "off-b": C + [1, 2, 3]}
    e = estimates(arms)
    assert e.loc[("all", "interaction"), "effect"] == pytest.approx(0)
    assert e.loc[("all", "interaction"), "includes_zero"]
    assert e.loc[("a", "off_minus_on"), "effect"] == pytest.approx(0)


def test_where_the_arms_add_up_exactly_the_interaction_is_exactly_zero():
    """Sums of runs are exact before their one rounding, so a rounding error cannot pass for an interaction
    with an interval of no width: here six components leave a cost fixed by the scenario alone (each run has
    the same value; -5 x it + 6 x it in floating point is not it), and one moves it by 0.2."""
    cost = np.array([1e7 / 3, 481234.56, 0.1])
    parts = "abcdef"
    arms = {"counterfactual": cost, "programme": cost, **{f"on-{x}": cost for x in parts},
            **{f"off-{x}": cost for x in parts}}
    e = estimates(arms, parts)
    assert e.loc[("all", "interaction"), "effect"] == 0.0 and e.loc[("all", "interaction"), "includes_zero"]
    arms = dict(arms, **{"programme": cost + 0.2, "on-a": cost + 0.2, **{f"off-{x}": cost + 0.2 for x in "bcdef"}})
    e = estimates(arms, parts)
    assert e.loc[("all", "interaction"), "effect"] == 0.0 and e.loc[("a", "off_minus_on"), "effect"] == 0.0
    assert e.loc[("a", "on_alone"), "effect"] == pytest.approx(0.2)


def test_a_missing_value_leaves_out_that_replication_only():
    arms = dict(ARMS, **{"on-b": np.array([13.0, np.nan, 19.0])})
    e = estimates(arms)
    assert e.loc[("all", "interaction"), "n"] == 2 and e.loc[("all", "interaction"), "effect"] == pytest.approx(6)
    assert e.loc[("a", "on_alone"), "n"] == 3


def hand_made_effects() -> fx.Effects:
    plan = fx.Plan(load(HAMPSHIRE), load(SCENARIOS / "counterfactual.toml"),
                   [fx.Component("a", "first part", ("x",)), fx.Component("b", "second part", ("y",))])
    frames = {k: pd.concat([per_rep(v, "cp_plans_started"), per_rep(v * 1e5, "cost_total")]) for k, v in ARMS.items()}
    table = fx.decompose(frames, ["a", "b"])
    return fx.Effects(plan, frames, table, ["2019-20"], 3, 1)


def test_the_table_keeps_its_columns_apart_and_the_words_say_where_parts_interact():
    eff = hand_made_effects()
    text = fx.format_table(eff, ["cp_plans_started", "cost_total"], ["2019-20"], SUMMARY_ROWS)
    head, *lines = text.splitlines()
    assert head.split() == ["a", "b", "total", "interaction"]
    cells = [line.split("  ") for line in lines]
    assert [c.strip() for c in cells[0] if c.strip()] == ["CP plans started 2019-20", "+2 ±0", "+4 ±2", "+12 ±5",
                                                          "+6 ±2"]
    assert "Cost (GBP m): Total 2019-20" in lines[1] and "+1.20 ±0.50" in lines[1]
    ends = [len(line) for line in text.splitlines()]
    assert len(set(ends)) == 1, "right-aligned columns end together"
    words = fx.interactions(eff, ["cp_plans_started"], ["2019-20"], SUMMARY_ROWS)
    assert words == ["CP plans started 2019-20: the components together change it by +12, their effects alone add "
                     "up to +6; the interaction is +6 [4, 8].",
                     "  first part: +2 alone, +8 with the others; the difference, +6 [4, 8], is its share of the "
                     "interaction.",
                     "  second part: +4 alone, +10 with the others; the difference, +6 [4, 8], is its share of the "
                     "interaction."]
    whole = fx.text(eff, ["cp_plans_started"], ["2019-20"], SUMMARY_ROWS).splitlines()
    assert whole[0] == ("hampshire against counterfactual, by component (3 paired replications, seed 1; effect ± 95% "
                        "half-width; costs in GBP million)")
    rows = [i for i, line in enumerate(whole) if line.startswith("CP plans started 2019-20 ")]
    assert len(rows) == 2 and whole[rows[0] + 2].startswith("Each component off alone"), "on alone, then off alone"
    assert whole[-3:] == words


# ------------------------------------------------------------------ journeysim effects, end to end
SMALL = ["--set", "run.scale=0.05", "--set", "run.start=2017-04-01", "--set", "run.warmup_days=365"]


@pytest.fixture(scope="module")
def effects_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("effects")
    partial = without_hubs(tmp, "[workforce]", "hard_cap = 40")
    out = tmp / "out"
    result = CliRunner().invoke(main, ["effects", str(HAMPSHIRE), str(partial), "--reps", "2", "--seed", "4", *SMALL,
                                       "--measure", "cla_starts", "--measure", "cost_total", "--out", str(out)])
    return partial, out, result


def test_effects_writes_its_table_figure_and_runs(effects_run):
    _, out, result = effects_run
    assert result.exit_code == 0, result.output
    assert {"effects.csv", "effects.txt", "effects.png"} <= {p.name for p in out.iterdir()}
    folders = ["programme", "counterfactual", "on-hubs", "off-hubs", "on-practice", "off-practice", "on-other",
               "off-other"]
    assert all((out / f / "measures.csv").exists() for f in folders)
    table = pd.read_csv(out / "effects.csv")
    assert list(table.columns) == fx.COLUMNS
    assert set(table["component"]) == {"hubs", "practice", "other", "all"}
    # the total is the paired difference of the two runs' measures
    m = {f: pd.read_csv(out / f / "measures.csv").query("measure == 'cla_starts' and year == '2019-20'")
         .set_index("rep")["value"] for f in ("programme", "counterfactual")}
    total = table.query("estimate == 'total' and measure == 'cla_starts' and year == '2019-20'").iloc[0]
    assert total["effect"] == pytest.approx((m["programme"] - m["counterfactual"]).mean())
    assert total["n"] == 2
    # every run shares the seed: replication k of each has the same seed
    import json
    seeds = {json.dumps(json.loads((out / f / "manifest.json").read_text())["replication_seeds"]) for f in folders}
    assert len(seeds) == 1
    assert "note: CAST (teams.cast_start, teams.cast_start_by_district) is left out" in result.output
    assert "Each component on alone" in result.output and "interaction" in result.output
    assert (out / "effects.txt").read_text().startswith("hampshire against partial, by component")


def test_effects_refuses_what_it_cannot_do(effects_run, tmp_path):
    partial, out, _ = effects_run
    args = ["effects", str(HAMPSHIRE), str(partial), "--reps", "2", *SMALL]
    again = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert again.exit_code == 2 and again.output.strip().splitlines()[-1].startswith(
        f"error: {out}: output folder already exists; choose another --out or pass --force")
    bad = CliRunner().invoke(main, [*args, "--measure", "cla_stars", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "error: --measure cla_stars: unknown measure; choose from" in bad.output
    year = CliRunner().invoke(main, [*args, "--year", "2012-13", "--out", str(tmp_path / "x")])
    assert year.exit_code == 2 and "error: --year 2012-13: not a reported year; the years are 2017-18, 2018-19, 2019-20" \
        in year.output
    missing = CliRunner().invoke(main, ["effects", str(HAMPSHIRE), str(tmp_path / "nope.toml"), "--out", str(tmp_path / "y")])
    assert missing.exit_code == 2 and "no such scenario file" in missing.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
