"""Nothing journeysim reads can crash it: a hand-edited or damaged results folder, a malformed
event log, a scenario path that is a device, a FIFO or a loop of links; each gives one ``error:``
line naming the file and what was expected (exit code 2)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.eventlog import file_digest

from conftest import SCENARIOS, SMALL, one_error

SETS = [x for s in SMALL for x in ("--set", s)]




@pytest.fixture
def folder(small_results, tmp_path) -> Path:
    """A copy of the session's small results folder, for this test to damage."""
    return Path(shutil.copytree(small_results, tmp_path / "run"))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _write_manifest(folder: Path, manifest) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _trace(folder: Path, *extra: str):
    return CliRunner().invoke(main, ["trace", str(folder), "1", *extra])


def _rewrite_log(folder: Path, change, relist: bool = True) -> Path:
    """Rewrite replication 0's log through ``change(table)``; with ``relist``, the manifest records the new
    digest (so that it is the log itself, not its digest, that is checked)."""
    log = folder / "events" / "rep-000.parquet"
    pq.write_table(change(pq.read_table(log)), log)
    if relist:
        manifest = _manifest(folder)
        manifest["event_logs"][0]["sha256"] = file_digest(log)
        _write_manifest(folder, manifest)
    return log


# ------------------------------------------------------------------------------------- the manifest
@pytest.mark.parametrize("content, expected", [
    (b"\x89\xff\x00garbage", "not a manifest journeysim wrote (not UTF-8 text)"),
    (b"{\"complete\": tru", "not valid JSON (Expecting value, line 1)"),
    (b"[1, 2, 3]", "expected a JSON object (as journeysim writes), got a list"),
])
def test_a_manifest_that_is_not_one_is_one_line(folder, content, expected):
    (folder / "manifest.json").write_bytes(content)
    assert one_error(_trace(folder)) == f"error: {folder / 'manifest.json'}: {expected}"


@pytest.mark.parametrize("edit, expected", [
    (lambda m: m.update(complete=False), 'says "complete": false: an unfinished run, not a results folder; '
                                         "finish it with the 'resume' command in that manifest"),
    (lambda m: m.pop("complete"), "'complete' should be true (a finished run); got null"),
    (lambda m: m.update(replications="2"), "'replications' should be a whole number; got \"2\""),
    (lambda m: m.update(event_logs={}), "'event_logs' should be a list of the run's event logs; got an object"),
    (lambda m: m["event_logs"][0].update(rep="0"),
     "'event_logs[0].rep' should be a replication number (whole, 0 or more, listed once); got \"0\""),
    (lambda m: m["event_logs"][1].update(rep=0),
     "'event_logs[1].rep' should be a replication number (whole, 0 or more, listed once); got 0"),
    (lambda m: m["event_logs"][0].update(file="../../etc/passwd"),
     "'event_logs[0].file' should be 'events/rep-000.parquet'; got \"../../etc/passwd\""),
    (lambda m: m["event_logs"][0].update(events=0), "'event_logs[0].events' should be the number of events "
                                                    "(more than 0); got 0"),
    (lambda m: m["event_logs"][0].update(sha256=None), "'event_logs[0].sha256' should be a SHA-256 digest "
                                                       "(64 hexadecimal digits); got null"),
    (lambda m: m.update(files=["scenario.toml"]), "'files' should be an object (file name -> SHA-256); got a list"),
    (lambda m: m["files"].update({"../x": "0" * 64}), "'files.../x' should be the name of a file in the folder; "
                                                      "got \"../x\""),
])
def test_a_manifest_of_the_wrong_shape_is_one_line_naming_the_key(folder, edit, expected):
    manifest = _manifest(folder)
    edit(manifest)
    _write_manifest(folder, manifest)
    assert one_error(_trace(folder)) == f"error: {folder / 'manifest.json'}: {expected}"


# ---------------------------------------------------------------------------- digests of what it lists
def test_an_edited_scenario_is_refused_and_read_with_a_note_under_no_verify(folder):
    with open(folder / "scenario.toml", "a") as f:
        f.write("# edited\n")
    message = (f"{folder / 'scenario.toml'}: does not match the SHA-256 that {folder / 'manifest.json'} records: "
               f"it changed since the run wrote it")
    assert one_error(_trace(folder)) == (f"error: {message}; run again for results to trust, or pass --no-verify "
                                          f"to read it anyway")
    child = int(pc.min(pq.read_table(folder / "events" / "rep-000.parquet", columns=["child_id"])["child_id"])
                .as_py())
    r = CliRunner().invoke(main, ["trace", str(folder), str(child), "--no-verify"])
    assert r.exit_code == 0, r.output
    assert f"note: {message}; read anyway (--no-verify)" in r.output
    assert f"Child {child}" in r.output


def test_a_log_that_no_longer_matches_its_digest_is_refused(folder):
    log = _rewrite_log(folder, lambda t: t.slice(0, t.num_rows - 1), relist=False)
    assert one_error(_trace(folder)).startswith(f"error: {log}: does not match the SHA-256 that ")


def test_an_export_and_a_report_refuse_an_edited_folder_too(folder, tmp_path):
    (folder / "measures.csv").write_text("rep,measure,year,value\n0,cla_starts,2017-18,1\n")
    for args in (["export", str(folder), "--format", "xes", "--out", str(tmp_path / "x.xes")],
                 ["report", str(folder), "--out", str(tmp_path / "r.html")]):
        line = one_error(CliRunner().invoke(main, args))
        assert line.startswith(f"error: {folder / 'measures.csv'}: does not match the SHA-256")
    assert not (tmp_path / "x.xes").exists() and not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------------------------------ the logs
def test_a_log_with_no_events_is_refused(folder):
    log = _rewrite_log(folder, lambda t: t.slice(0, 0))
    assert one_error(_trace(folder)) == (f"error: {log}: an event log with no events; a run's logs always "
                                          f"have some")


def test_a_schema_version_that_is_not_a_number_is_refused(folder):
    def change(t):
        return t.replace_schema_metadata({**t.schema.metadata, b"journeysim.schema_version": b"two"})
    log = _rewrite_log(folder, change)
    assert one_error(_trace(folder)) == (f"error: {log}: 'journeysim.schema_version' in the file metadata should "
                                          f"be a whole number; got b'two'")


@pytest.mark.parametrize("stored", ["text", "nulls"])
def test_a_child_id_of_the_wrong_type_is_refused(folder, stored):
    def change(t):
        i = t.schema.get_field_index("child_id")
        column = (pc.cast(t["child_id"], pa.string()) if stored == "text" else pa.nulls(t.num_rows))
        return t.set_column(i, pa.field("child_id", column.type), column).replace_schema_metadata(t.schema.metadata)
    log = _rewrite_log(folder, change)
    kind = "string" if stored == "text" else "null"
    assert one_error(_trace(folder)) == (f"error: {log}: column 'child_id' is stored as {kind}; an event log "
                                          f"stores it as int64")


def test_a_child_id_beyond_any_log_is_one_line(small_results):
    for child in ("1e30", "-5"):
        line = one_error(CliRunner().invoke(main, ["trace", str(small_results), "--", child]))
        assert line == f"error: CHILD_ID {int(float(child))}: not a child id; ids are whole numbers from 0 (see the event log)"


# ------------------------------------------------------------------------------------- scenario files
def test_a_device_a_fifo_and_a_loop_of_links_are_not_read_as_scenarios(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    loop_a, loop_b = tmp_path / "a.toml", tmp_path / "b.toml"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    cases = {"/dev/zero": "/dev/zero: is a device, not a scenario file (a scenario is a .toml file)",
             str(fifo): f"{fifo}: is a FIFO (named pipe), not a scenario file (a scenario is a .toml file)",
             str(loop_a): f"{loop_a}: a symbolic link that leads round in a loop; cannot read the scenario file"}
    for path, expected in cases.items():
        for command in ("validate", "run", "describe"):
            assert one_error(CliRunner().invoke(main, [command, path])) == f"error: {expected}"


def test_a_scenario_file_too_large_to_be_one_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (5 << 20) + b"\n")
    assert one_error(CliRunner().invoke(main, ["validate", str(big)])) == (
        f"error: {big}: larger than 4 MB, far more than a scenario file holds; is it the file you meant?")


def test_an_extends_chain_too_deep_is_one_line(tmp_path):
    for i in range(1000):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\n')
    line = one_error(CliRunner().invoke(main, ["validate", str(tmp_path / "s0.toml")]))
    assert line == (f"error: {tmp_path / 's31.toml'}, line 1: extends: a chain of more than 32 scenario files; "
                    f"a scenario extends a few at most")


def test_a_set_value_with_a_line_break_is_refused_not_cut_short():
    value = "workforce.hard_cap=18\nrun.scale=2"
    line = one_error(CliRunner().invoke(main, ["validate", str(SCENARIOS / "hampshire.toml"), "--set", value]))
    assert line == (f"error: --set {value!r}: a value is one line; this one has a line break (set each key with "
                    f"its own --set)")


def test_the_same_key_in_a_table_and_as_a_quoted_dotted_name_is_refused(tmp_path):
    scenario = tmp_path / "twice.toml"
    scenario.write_text(f'extends = "{SCENARIOS / "hampshire.toml"}"\n"workforce.hard_cap" = 18\n\n'
                        f'[workforce]\nhard_cap = 20\n')
    line = one_error(CliRunner().invoke(main, ["validate", str(scenario)]))
    assert line == (f"error: {scenario}, line 2: workforce.hard_cap is given twice (once in a [table] and once as "
                    f"a quoted dotted name); give it once")


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe\x00\x01", "not a table journeysim wrote ('utf-8' codec can't decode byte 0xff in position 0: "
                            "invalid start byte)"),
    (b"", "not a table journeysim wrote (No columns to parse from file)"),
    (b"rep,measure,year\n0,cla_starts,2017-18\n", "missing column(s) value; expected rep, measure, year, value"),
    (b"rep,measure,year,value\n0,cla_starts,2017-18,many\n", "column 'value' should hold numbers"),
    (b"rep,measure,year,value\nfirst,cla_starts,2017-18,1\n", "column 'rep' should hold whole numbers"),
])
def test_a_hand_edited_measures_table_read_with_no_verify_is_one_line(folder, tmp_path, content, expected):
    (folder / "measures.csv").write_bytes(content)
    line = one_error(CliRunner().invoke(main, ["report", str(folder), "--out", str(tmp_path / "r.html"),
                                                "--no-verify"]))
    assert line == f"error: {folder / 'measures.csv'}: {expected}"


def test_files_a_scenario_names_are_read_only_if_regular(tmp_path):
    """A FIFO named as parameter draws or as a starting snapshot would wait for a writer for ever."""
    os.mkfifo(tmp_path / "pipe.csv")
    hampshire = SCENARIOS / "hampshire.toml"
    (tmp_path / "draws.toml").write_text(f'extends = "{hampshire}"\n[run]\nparameter_draws = "pipe.csv"\n')
    (tmp_path / "start.toml").write_text(f'extends = "{hampshire}"\n[run]\nstart_state = "pipe.csv"\n'
                                         f'parameter_draws = "none"\n')
    line = one_error(CliRunner().invoke(main, ["validate", str(tmp_path / "draws.toml")]))
    assert line == (f"error: {tmp_path / 'draws.toml'}: run.parameter_draws: 'pipe.csv' is a FIFO (named pipe), not "
                    f"a file of parameter draws (looked for {tmp_path / 'pipe.csv'})")
    line = one_error(CliRunner().invoke(main, ["run", str(tmp_path / "start.toml"), "--out", str(tmp_path / "o"),
                                                "--workers", "1", *SETS]))
    assert line == (f"error: run.start_state: {tmp_path / 'pipe.csv'}: is a FIFO (named pipe), not a snapshot file "
                    f"(a CSV file journeysim snapshot wrote)")


def test_an_extract_that_is_a_fifo_or_a_device_is_not_read(tmp_path):
    extracts = tmp_path / "903"
    extracts.mkdir()
    os.mkfifo(extracts / "episodes.csv")
    line = one_error(CliRunner().invoke(main, ["snapshot", "--ssda903", str(extracts), "--cin-census", "/dev/zero",
                                                "--at", "2019-03-31", "--out", str(tmp_path / "snap.csv")]))
    assert line == "error: --cin-census /dev/zero: is a device, not a file; expected the CIN census's XML message"
    assert not (tmp_path / "snap.csv").exists()


@pytest.mark.parametrize("varies, expected", [
    (["workforce.hard_cap=18,18.0"], "--vary workforce.hard_cap=18,18.0: 18.0 is given twice (as 18); give each "
                                     "value once"),
    (["workforce.hard_cap=18", "workforce.hard_cap=22"], "--vary workforce.hard_cap: given twice; give all its "
                                                         "values in one --vary workforce.hard_cap=V1,V2,..."),
])
def test_a_sweep_over_the_same_point_twice_is_refused_before_any_run(tmp_path, varies, expected):
    args = [x for v in varies for x in ("--vary", v)]
    line = one_error(CliRunner().invoke(main, ["sweep", str(SCENARIOS / "hampshire.toml"), *args,
                                                "--out", str(tmp_path / "s"), *SETS]))
    assert line == f"error: {expected}"
    assert not (tmp_path / "s").exists()
