"""Parameter draws per replication (run.parameter_draws): which draw each replication runs at, that it is
applied and recorded, what a bad draws file gives, and that paired comparisons still pair."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import compare as cmp
from journeysim import draws as pd_draws
from journeysim import runner
from journeysim.cli import main
from journeysim.eventlog import file_digest, read_log
from journeysim.interrupts import RunError, RunInterrupted
from journeysim.knobs import KNOBS
from journeysim.scenario import PARAMS

from conftest import SCENARIOS, small


def draws_table(n: int = 12, seed: int = 0, knobs=KNOBS) -> pd.DataFrame:
    """``n`` parameter draws at random points of the knobs' prior ranges, as calibrate writes them."""
    rng = np.random.default_rng(seed)
    rows = [[k.value(u) for k, u in zip(knobs, rng.uniform(size=len(knobs)))] for _ in range(n)]
    out = pd.DataFrame(rows, columns=[k.name for k in knobs]).round(6)
    out.insert(0, "draw", range(len(out)))
    return out


def write_draws(path: Path, n: int = 12, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    draws_table(n, seed).to_csv(path, index=False)
    return path


def knob_value(scenario, knob) -> float | dict:
    """What a knob's key holds in ``scenario``, in the knob's terms (a band table for a multiplier)."""
    raw = scenario.raw()[knob.key]
    return raw if knob.part in (None, "*") else raw[knob.part]


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    """The test runs in ``tmp_path`` (so that --set run.parameter_draws=NAME reads a file there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- which draw each replication runs at
def test_the_order_is_a_permutation_drawn_from_the_seed(in_tmp):
    write_draws(in_tmp / "plausible.csv", n=12)
    d = pd_draws.read(small("hampshire.toml", "run.parameter_draws=plausible.csv"))
    assert len(d) == 12 and d.knobs == tuple(k.name for k in KNOBS)
    first = [x.number for x in d.for_replications(5, 12)]
    assert first == [x.number for x in d.for_replications(5, 12)], "same seed, same draws"
    assert sorted(first) == list(range(12)), "replications use distinct draws while reps <= N"
    assert first != [x.number for x in d.for_replications(6, 12)], "another seed, another order"
    assert [x.number for x in d.for_replications(5, 30)] == first * 2 + first[:6], "beyond N the order repeats"
    assert [x.number for x in d.for_replications(5, 4)] == first[:4], "a replication's draw does not depend on --reps"


def test_runs_record_reproducible_distinct_draws_and_apply_them(in_tmp, monkeypatch):
    write_draws(in_tmp / "plausible.csv", n=12)
    scenario = small("hampshire.toml", "run.parameter_draws=plausible.csv")
    table = pd.read_csv(in_tmp / "plausible.csv").set_index("draw")
    seen: dict[int, tuple] = {}
    simulate = runner.simulate

    def spy(sc, seed, path=None, meta=None, **kw):
        seen[int(meta["journeysim.replication"])] = (sc, dict(meta))
        return simulate(sc, seed, path, meta, **kw)

    monkeypatch.setattr(runner, "simulate", spy)
    _, _, one = runner.run(scenario, in_tmp / "one", reps=3, seed=5, workers=1)
    monkeypatch.setattr(runner, "simulate", simulate)
    _, _, two = runner.run(scenario, in_tmp / "two", reps=3, seed=5, workers=1)
    drawn = [e["draw"] for e in one["event_logs"]]
    assert drawn == [e["draw"] for e in two["event_logs"]]
    assert len(set(drawn)) == 3
    assert [e["sha256"] for e in one["event_logs"]] == [e["sha256"] for e in two["event_logs"]]
    other = runner.run(scenario, in_tmp / "other", reps=3, seed=6, workers=1)[2]
    assert drawn != [e["draw"] for e in other["event_logs"]]
    assert one["parameter_draws"]["sha256"] == file_digest(in_tmp / "plausible.csv")
    # the replication's scenario holds its draw's values
    for rep, number in enumerate(drawn):
        sc, meta = seen[rep]
        assert meta["journeysim.parameter_draw"] == str(number)
        for knob in KNOBS:
            value, held = table.loc[number, knob.name], knob_value(sc, knob)
            if knob.part == "*":
                default = PARAMS[knob.key].default
                assert held == pytest.approx({b: min(1.0, p * value) for b, p in default.items()}), knob.name
            elif PARAMS[knob.key].kind == "int":
                assert held == round(value), knob.name
            else:
                assert held == pytest.approx(value, rel=1e-12), knob.name
    # the folder keeps its draws, and runs again from its own scenario.toml to the same logs
    assert (in_tmp / "one" / "parameter_draws.csv").read_bytes() == (in_tmp / "plausible.csv").read_bytes()
    assert 'parameter_draws = "parameter_draws.csv"' in (in_tmp / "one" / "scenario.toml").read_text()
    monkeypatch.chdir(in_tmp / "one")
    r = CliRunner().invoke(main, ["run", "scenario.toml", "--reps", "3", "--seed", "5", "--out", str(in_tmp / "again"),
                                  "--workers", "1"])
    assert r.exit_code == 0, r.output
    again = json.loads((in_tmp / "again" / "manifest.json").read_text())
    assert [e["sha256"] for e in again["event_logs"]] == [e["sha256"] for e in one["event_logs"]]


def test_a_resumed_run_keeps_its_draws_and_refuses_others(in_tmp):
    write_draws(in_tmp / "plausible.csv", n=6)
    scenario = small("hampshire.toml", "run.parameter_draws=plausible.csv")

    def stop(result, done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        runner.run(scenario, in_tmp / "run", 3, 2, workers=1, progress=stop)
    write_draws(in_tmp / "plausible.csv", n=6, seed=1)  # the file changes meanwhile
    with pytest.raises(RunError, match="was started with the parameter draws of plausible.csv, now those of "
                                       "plausible.csv .* a draws file that changed counts as other draws"):
        runner.run(scenario, in_tmp / "run", 3, 2, workers=1, resume=True)
    write_draws(in_tmp / "plausible.csv", n=6)
    resumed = runner.run(scenario, in_tmp / "run", 3, 2, workers=1, resume=True)[2]
    whole = runner.run(scenario, in_tmp / "whole", 3, 2, workers=1)[2]
    assert resumed["resumed_replications"] == [0]
    assert [(e["draw"], e["sha256"]) for e in resumed["event_logs"]] == \
        [(e["draw"], e["sha256"]) for e in whole["event_logs"]]


def test_a_run_without_draws_is_as_before(tmp_path):
    """No draws: no draw in the manifest or the logs' metadata, and the logs of the same replications as
    a run that never heard of draws (the model's own entry point)."""
    scenario = small("hampshire.toml")
    _, _, manifest = runner.run(scenario, tmp_path / "out", reps=1, seed=5, workers=1)
    assert "parameter_draws" not in manifest and "draw" not in manifest["event_logs"][0]
    assert not (tmp_path / "out" / "parameter_draws.csv").exists()
    meta = read_log(tmp_path / "out" / "events" / "rep-000.parquet").schema.metadata
    assert b"journeysim.parameter_draw" not in meta


# --------------------------------------------------------------------------- a bad draws file: one clean error
def _scenario(folder: Path, value: str) -> Path:
    """A small scenario file in ``folder`` whose run.parameter_draws is ``value`` (on line 6)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "what_if.toml"
    path.write_text(f'name = "w"\n\n[run]\nscale = 0.05\nwarmup_days = 30\nparameter_draws = "{value}"\n',
                    encoding="utf-8")
    return path


def error_line(args: list[str]) -> str:
    """The one line a command that refuses ``args`` prints (exit code 2, no traceback)."""
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit))
    lines = r.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    return lines[0]


CSV_CASES = {
    "first column not draw": ("x,referral.p_nfa\n0,0.1\n", "the first column must be 'draw'"),
    "unknown knob": ("draw,referral.p_nfaa\n0,0.1\n", "column 'referral.p_nfaa' is not a calibration knob; did you "
                                                     "mean 'referral.p_nfa'?"),
    "no knob columns": ("draw\n0\n", "has no knob columns"),
    "not a number": ("draw,referral.p_nfa\n0,lots\n", "line 2, column referral.p_nfa: must be a number; got 'lots'"),
    "not finite": ("draw,referral.p_nfa\n0,nan\n", "must be a number; got 'nan'"),
    "no rows": ("draw,referral.p_nfa\n", "has a header but no draws"),
    "empty": ("", "is empty"),
    "draw twice": ("draw,referral.p_nfa\n0,0.1\n0,0.2\n", "line 3: draw 0 is listed twice"),
    "draw not whole": ("draw,referral.p_nfa\n0.5,0.1\n", "draw must be a whole number"),
    "ragged": ("draw,referral.p_nfa\n0,0.1,3\n", "line 2: has 3 values; the header names 2 columns"),
    "column twice": ("draw,referral.p_nfa,referral.p_nfa\n0,0.1,0.1\n", "column 'referral.p_nfa' appears twice"),
    "out of range": ("draw,referral.p_nfa\n0,1.5\n", "referral.p_nfa is a probability and must be between 0 and 1"),
    "probability part": ("draw,mash.outcome[referral]\n0,-0.1\n", "is a probability and must be between 0 and 1"),
    "binary": (b"\xff\xfe\x00draw", "not a text file"),
    "line numbers past a blank line": ("draw,referral.p_nfa\n\n0,abc\n", "line 3, column referral.p_nfa: must be a number"),
    "negative multiplier": ("draw,care.p_adoption[x]\n0,-1\n", "is a multiplier and must be 0 or more; got -1"),
    "length not above 0": ("draw,cin.duration[median]\n0,0\n", "is a length and must be above 0; got 0"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_file_that_is_not_a_draws_table_is_one_error_naming_file_and_key(tmp_path, case):
    text, message = CSV_CASES[case]
    draws = tmp_path / "calibration" / "plausible.csv"
    draws.parent.mkdir()
    draws.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    scenario = _scenario(tmp_path / "scenarios", "../calibration/plausible.csv")
    line = error_line(["validate", str(scenario)])
    assert line.startswith(f"error: {scenario}: run.parameter_draws: '../calibration/plausible.csv'"), line
    assert message in line


@pytest.mark.parametrize("value, message", [
    ("/etc/passwd", "line 6: run.parameter_draws must be a path relative to the scenario file, like "
                    "\"../calibration/plausible.csv\", or \"none\", not an absolute path; got '/etc/passwd'"),
    ("../../outside.csv", "run.parameter_draws: '../../outside.csv' leads outside"),
    ("../calibration/missing.csv", "run.parameter_draws: no such file '../calibration/missing.csv' (looked for"),
    ("../calibration", "run.parameter_draws: '../calibration' is a folder, not a file of parameter draws"),
    ("", "run.parameter_draws must be a path relative to the scenario file"),
])
def test_a_bad_path_is_one_error_naming_file_and_key(tmp_path, value, message):
    write_draws(tmp_path / "project" / "calibration" / "plausible.csv")
    write_draws(tmp_path / "outside.csv")
    scenario = _scenario(tmp_path / "project" / "scenarios", value)
    line = error_line(["validate", str(scenario)])
    assert line.startswith(f"error: {scenario}"), line
    assert message in line


def test_the_folder_above_the_scenario_is_allowed_and_run_refuses_before_writing(tmp_path):
    write_draws(tmp_path / "project" / "calibration" / "plausible.csv")
    good = _scenario(tmp_path / "project" / "scenarios", "../calibration/plausible.csv")
    r = CliRunner().invoke(main, ["validate", str(good)])
    assert r.exit_code == 0 and r.output.startswith("OK:"), r.output
    bad = _scenario(tmp_path / "project" / "other", "../calibration/missing.csv")
    out = tmp_path / "out"
    line = error_line(["run", str(bad), "--out", str(out)])
    assert "no such file" in line and not out.exists() and not (tmp_path / "out.incomplete").exists()


def test_an_override_with_set_is_relative_to_the_current_folder_and_named(in_tmp):
    write_draws(in_tmp / "d.csv")
    scenario = str(SCENARIOS / "hampshire.toml")
    r = CliRunner().invoke(main, ["validate", scenario, "--set", "run.parameter_draws=d.csv"])
    assert r.exit_code == 0, r.output
    line = error_line(["validate", scenario, "--set", "run.parameter_draws=nothing.csv"])
    assert line.startswith("error: --set run.parameter_draws=nothing.csv: no such file 'nothing.csv'"), line
    r = CliRunner().invoke(main, ["validate", scenario, "--set", "run.parameter_draws=d.csv",
                                  "--set", "referral.p_nfa=0.1"])
    assert r.exit_code == 0
    assert "note: referral.p_nfa (--set) is replaced in every replication by its parameter draw" in r.output


# --------------------------------------------------------------------------- paired comparisons
def test_paired_comparisons_pair_the_draws(in_tmp):
    write_draws(in_tmp / "plausible.csv", n=8)
    a = small("hampshire.toml", "run.parameter_draws=plausible.csv")
    b = small("hampshire.toml", "run.parameter_draws=plausible.csv", "name=twin")
    result = cmp.run_comparison(a, b, in_tmp / "cmp", reps=3, seed=4, workers=1)
    spread = result.per_rep_a[result.per_rep_a["measure"] == "referrals"].groupby("year")["value"].std()
    assert (spread > 0).all(), "the replications differ (they run at different draws)"
    assert (result.diffs["diff"].fillna(0) == 0).all(), "yet each pair runs at the same draw: no difference"
    manifests = [json.loads((in_tmp / "cmp" / f / "manifest.json").read_text()) for f in ("a-hampshire", "b-twin")]
    assert [e["draw"] for e in manifests[0]["event_logs"]] == [e["draw"] for e in manifests[1]["event_logs"]]
    with pytest.raises(RunError, match="cannot be paired: the parameters are drawn from plausible.csv in A, not "
                                       "drawn in B"):
        cmp.run_comparison(a, small("hampshire.toml", "name=plain"), in_tmp / "cmp2", reps=1, seed=4, workers=1)
