"""The command line, used the way a user would."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.eventlog import file_digest, read_log

from conftest import SCENARIOS, SMALL

SETS = [x for s in SMALL for x in ("--set", s)]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "hampshire"
    r = CliRunner().invoke(main, ["run", str(SCENARIOS / "hampshire.toml"), "--reps", "2", "--seed", "3",
                                  "--out", str(out), "--workers", "1", *SETS])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_run_writes_logs_measures_and_manifest(results):
    out, output = results
    assert sorted(p.name for p in (out / "events").iterdir()) == ["rep-000.parquet", "rep-001.parquet"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["replications"] == 2
    assert manifest["scenario_name"] == "hampshire"
    assert manifest["journeysim_version"] and manifest["git_commit"]
    for entry in manifest["event_logs"]:
        assert entry["sha256"] == file_digest(out / entry["file"])
        assert entry["events"] == read_log(out / entry["file"]).num_rows
    per_rep = pd.read_csv(out / "measures.csv")
    assert set(per_rep["rep"]) == {0, 1}
    summary = pd.read_csv(out / "summary.csv")
    cp = summary[(summary["measure"] == "cp_plans_started") & (summary["year"] == "2017-18")].iloc[0]
    values = per_rep[(per_rep["measure"] == "cp_plans_started") & (per_rep["year"] == "2017-18")]["value"]
    assert cp["mean"] == pytest.approx(values.mean())
    for label in ("CP plans started", "CLA at 31 March", "Referrals", "2016-17", "2019-20"):
        assert label in output
    assert not list(out.parent.glob("*.incomplete")), "no temporary folder is left behind"


def test_rerun_from_written_scenario_reproduces_logs(results, tmp_path):
    out, _ = results
    again = tmp_path / "again"
    r = CliRunner().invoke(main, ["run", str(out / "scenario.toml"), "--reps", "2", "--seed", "3",
                                  "--out", str(again), "--workers", "2"])
    assert r.exit_code == 0, r.output
    for rep in ("rep-000.parquet", "rep-001.parquet"):
        assert file_digest(out / "events" / rep) == file_digest(again / "events" / rep)


def test_existing_output_is_not_overwritten_without_force(results):
    out, _ = results
    before = file_digest(out / "events" / "rep-000.parquet")
    r = CliRunner().invoke(main, ["run", str(SCENARIOS / "hampshire.toml"), "--out", str(out), *SETS])
    assert r.exit_code == 2
    assert "already exists" in r.output and "--force" in r.output
    assert file_digest(out / "events" / "rep-000.parquet") == before


def test_trace_tells_a_childs_journey(results):
    out, _ = results
    log = read_log(out / "events" / "rep-000.parquet").to_pandas()
    child = int(log.loc[log["event"] == "CpPlanStarted", "child_id"].iloc[0])
    r = CliRunner().invoke(main, ["trace", str(out), str(child)])
    assert r.exit_code == 0, r.output
    assert f"Child {child}" in r.output and "Child Protection plan no." in r.output
    assert "social worker(s)" in r.output
    r = CliRunner().invoke(main, ["trace", str(out), "999999999"])
    assert r.exit_code == 2 and "no events for child 999999999" in r.output


def test_describe_prints_pathway_and_every_parameter():
    r = CliRunner().invoke(main, ["describe", str(SCENARIOS / "hampshire.toml")])
    assert r.exit_code == 0, r.output
    assert "ReferralReceived -> AssessmentStarted, CaseClosed" in r.output
    from journeysim.scenario import PARAMS

    for key in PARAMS:
        assert f"  {key} = " in r.output, key
    assert "teams.cast_start = 2018-05-01  [hampshire.toml]" in r.output


@pytest.mark.parametrize("args,message", [
    (["run", "no-such.toml"], "no-such.toml: no such scenario file"),
    (["run", str(SCENARIOS / "hampshire.toml"), "--set", "workforce.hardcap=18"], "did you mean 'workforce.hard_cap'"),
    (["run", str(SCENARIOS / "hampshire.toml"), "--set", "referral.p_nfa=1.3"], "referral.p_nfa is a probability"),
    (["describe", str(SCENARIOS / "hampshire.toml"), "--set", "teams.cast_start=soon"], "teams.cast_start must be a date"),
])
def test_user_errors_give_one_message_and_exit_2(args, message):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
