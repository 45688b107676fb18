"""The command line, used the way a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.eventlog import file_digest, read_log
from journeysim.ownership import claim_file

from conftest import SCENARIOS, SMALL, one_error

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


# --------------------------------------------------------------------------- paths that cannot be written


def _writers(results: str, bad_folder: str, bad_file: str) -> list[tuple[str, list[str]]]:
    """(option, command line) of every command that writes a path the user gives."""
    scenario = str(SCENARIOS / "hampshire.toml")
    return [
        ("--out", ["run", scenario, "--out", bad_folder, *SETS]),
        ("--out", ["compare", str(SCENARIOS / "counterfactual.toml"), scenario, "--out", bad_folder, *SETS]),
        ("--out", ["sweep", scenario, "--vary", "hubs.family_workers=3,6", "--out", bad_folder, *SETS]),
        ("--out", ["reps", scenario, "--out", bad_file + ".csv", *SETS]),
        ("--out", ["calibrate", "--scenario", scenario, "--quick", "--out", bad_folder]),
        ("--report", ["calibrate", "--scenario", scenario, "--quick", "--report", bad_file + ".md",
                      "--out", str(Path(results).parent / "calibration-never-written")]),
        ("--out", ["report", results, "--out", bad_file + ".html"]),
        ("--out", ["animate", results, "--out", bad_file + ".gif"]),
        ("--out", ["export", results, "--format", "xes", "--out", bad_file + ".xes"]),
        ("--figure", ["trace", results, "1", "--figure", bad_file + ".png"]),
    ]


def _no_long_work(monkeypatch):
    """A check that let the command through would start a calibration: fail at once instead."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command started its work although it cannot write its output")

    monkeypatch.setattr("journeysim.refit.run_calibration", refuse)


@pytest.mark.parametrize("index", range(10))
def test_a_file_used_as_a_folder_is_one_line_naming_the_path(results, tmp_path, monkeypatch, index):
    out, _ = results
    afile = tmp_path / "afile"
    afile.write_text("already here\n")
    _no_long_work(monkeypatch)
    option, args = _writers(str(out), str(afile / "sub"), str(afile / "x"))[index]
    bad = args[args.index(option) + 1]
    line = one_error(CliRunner().invoke(main, args))
    assert line == f"error: {option} {bad}: cannot write there: {afile} is a file, not a folder"
    assert afile.read_text() == "already here\n", "nothing already written is touched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs a /proc filesystem")
@pytest.mark.parametrize("index", range(10))
def test_a_path_where_no_file_can_be_made_is_one_line_naming_the_path(results, monkeypatch, index):
    out, _ = results
    _no_long_work(monkeypatch)
    option, args = _writers(str(out), "/proc/journeysim-x", "/proc/journeysim-x")[index]
    bad = args[args.index(option) + 1]
    line = one_error(CliRunner().invoke(main, args))
    assert line.startswith(f"error: {option} {bad}: cannot write in /proc (")


def test_an_os_error_later_on_is_one_line_and_leaves_the_old_file(results, tmp_path, monkeypatch):
    """A write that fails after the checks (a full disk, say): one line naming the file, exit 2, and
    the report already at --out is left as it was, with no partial file beside it."""
    out, _ = results
    report = tmp_path / "r.html"
    report.write_text("the old report")
    claim_file(report)  # an earlier report journeysim wrote, which --force may replace
    monkeypatch.setattr("journeysim.report.build.build_html", lambda *a, **k: ("<html>new</html>", []))
    monkeypatch.setattr("journeysim.report.build.project", lambda results: None)

    def full_disk(self, target):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "replace", full_disk)
    line = one_error(CliRunner().invoke(main, ["report", str(out), "--out", str(report), "--force"]))
    assert line == f"error: {tmp_path / '.r.html.partial'}: No space left on device"
    assert report.read_text() == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".journeysim-files.json", "r.html"]


# --------------------------------------------------------------------------- trace
def test_trace_takes_an_id_written_as_a_whole_float(results):
    """The user guide's pandas snippet reads child ids from a column with gaps, which prints them as 475.0."""
    out, _ = results
    log = read_log(out / "events" / "rep-000.parquet").to_pandas()
    child = int(log["child_id"].dropna().iloc[0])
    as_int = CliRunner().invoke(main, ["trace", str(out), str(child)])
    as_float = CliRunner().invoke(main, ["trace", str(out), f"{child}.0"])
    assert as_float.exit_code == 0, as_float.output
    assert as_float.output == as_int.output
    r = CliRunner().invoke(main, ["trace", str(out), f"{child}.5"])
    assert r.exit_code == 2 and f"'{child}.5' is not a whole number" in r.output


def test_trace_checks_the_figure_before_telling_the_story(results, tmp_path):
    out, _ = results
    log = read_log(out / "events" / "rep-000.parquet").to_pandas()
    child = int(log["child_id"].dropna().iloc[0])
    r = CliRunner().invoke(main, ["trace", str(out), str(child), "--figure", str(tmp_path / "x.bmp")])
    assert one_error(r) == f"error: --figure {tmp_path / 'x.bmp'}: unknown picture type '.bmp'; use .png, .svg, .pdf"
    assert f"Child {child}" not in r.output, "refused before the story is printed"


def test_trace_counts_children_and_days_in_the_singular_and_plural():
    from journeysim.narrative import tell

    from test_projections import log_of
    from test_projections_flows import journey_rows

    rows = journey_rows()
    allocations = [r for r in rows if r["event"] == "WorkerAllocated"]
    allocations[0]["value"], allocations[1]["value"] = 1.0, 3.0
    next(r for r in rows if r["event"] == "HubSupportStarted")["value"] = 1.0
    text = "\n".join(tell(log_of(rows), 1))
    assert "they now hold 1 child)" in text and "they now hold 3 children)" in text
    assert "(waited 1 day)" in text and "hub support ends after 98 days" in text


def test_trace_has_words_for_every_event_of_a_child_s_journey():
    """Every event the pathway lets a child's journey log (its stages and the support beside them) is
    told in words by ``journeysim trace``, never by its bare name."""
    from journeysim import pathway
    from journeysim.narrative import _PHRASES

    events = set(pathway.build().nodes) - {"START", "END"}
    assert events - set(_PHRASES) == set()


def test_trace_leaves_out_the_engagement_of_a_plan_that_ended_without_one():
    """A CIN plan that ends because the young person is 18 has no engagement (its value is empty):
    the line says why it ended and nothing about engagement, not "(engagement nan)"."""
    import pyarrow as pa

    from journeysim.narrative import tell

    rows = [dict(seq=1, case_id=5, family_id=2, child_id=9, date="2019-05-01", age=17.9, event="CinPlanEnded",
                 reason="age_18", value=None, worker=None, outcome=None),
            dict(seq=2, case_id=5, family_id=2, child_id=9, date="2019-05-01", age=17.9, event="CpPlanEnded",
                 reason="closed", value=0.62, worker=None, outcome=None)]
    lines = tell(pa.Table.from_pylist(rows), 9)
    assert "  2019-05-01  age 17.9  Child in Need plan ends: age_18" in lines
    assert "  2019-05-01  age 17.9  Child Protection plan ends: closed (engagement 0.62)" in lines
    assert not any("nan" in line for line in lines)
