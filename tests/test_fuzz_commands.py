"""Fuzzing the commands as a user drives them (click's runner, in this process): damaged results
folders (manifests, event logs, CSVs, the resolved scenario), scenario files and ``--set`` values,
and output paths of every kind (a user's file, a folder, a link, a FIFO, a device, the run's own
files), with and without ``--force``.

Every example asserts that the command ends with exit code 0 or 2 and never a traceback; that no
file outside the output path changed (a snapshot of the temporary tree before and after); and that
what is accepted is valid: a traced journey tells the child asked for, an export holds every event
of the log, an accepted output path is a regular file journeysim's record lists, an accepted
scenario validates with the values it names.

The fast profile runs in the default suite; the ``slow`` variants search much longer.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from journeysim import ownership
from journeysim.cli import main
from journeysim.eventlog import file_digest

from conftest import SCENARIOS

FAST = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
DEEP = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def slow(fn):
    return pytest.mark.slow(DEEP(fn))


# ------------------------------------------------------------------------------------------ harness
def _snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple]:
    """Every entry under ``root`` (not following links) but ``skip`` and what is under it: its kind and,
    for a file, its digest; for a link, where it points."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if skip is not None and (path == skip or skip in path.parents):
                continue
            st_ = os.lstat(path)
            if path.is_symlink():
                seen[str(path)] = ("link", os.readlink(path))
            elif path.is_file():
                seen[str(path)] = ("file", file_digest(path))
            elif path.is_dir():
                seen[str(path)] = ("dir",)
            else:
                seen[str(path)] = ("special", st_.st_mode)
    return seen


def _invoke(args: list[str]):
    """Run the command; fail on anything but exit code 0 or 2 with one error line, or a traceback."""
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: raised {result.exception!r}\n{result.output}") from result.exception
    assert result.exit_code in (0, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    if currently_in_test_context():
        event(f"{args[0]}: exit code {result.exit_code}")
    if result.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith(("error:", "Error:"))]
        assert len(errors) == 1, result.output
    return result


@pytest.fixture(scope="module")
def pristine(small_results, tmp_path_factory) -> Path:
    """A copy of the session's small results folder (never changed) and the id of a child in it."""
    return Path(shutil.copytree(small_results, tmp_path_factory.mktemp("fuzz") / "run"))


def _child(folder: Path) -> int:
    ids = pq.read_table(folder / "events" / "rep-000.parquet", columns=["child_id"])["child_id"].drop_null()
    return int(ids[0].as_py())


# ---------------------------------------------------------------------- damaged results folders
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


@st.composite
def damage(draw):
    """One change to a results folder: (what, how, detail)."""
    what = draw(st.sampled_from(["manifest-key", "manifest-entry", "manifest-bytes", "log-bytes", "log-truncate",
                                 "csv", "scenario", "remove", "extra-log"]))
    return what, draw(st.sampled_from(["replications", "seed", "complete", "event_logs", "files", "scenario_name",
                                       "rep", "file", "events", "sha256", "warnings"])), \
        draw(json_values), draw(st.binary(max_size=64)), draw(st.integers(0, 10_000))


def _damage(folder: Path, change) -> None:
    what, key, value, data, at = change
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    if what == "manifest-key":
        manifest[key] = value
        manifest_file.write_text(json.dumps(manifest))
    elif what == "manifest-entry":
        manifest["event_logs"][at % 2][key] = value
        manifest_file.write_text(json.dumps(manifest))
    elif what == "manifest-bytes":
        text = manifest_file.read_bytes()
        manifest_file.write_bytes(text[: at % len(text)] + data + text[at % len(text):])
    elif what in ("log-bytes", "log-truncate"):
        log = folder / "events" / "rep-000.parquet"
        raw = log.read_bytes()
        cut = at % len(raw)
        log.write_bytes(raw[:cut] + (data if what == "log-bytes" else b"") + raw[cut + len(data):])
    elif what == "csv":
        (folder / "measures.csv").write_bytes(data)
    elif what == "scenario":
        (folder / "scenario.toml").write_bytes(data)
    elif what == "remove":
        target = [folder / "measures.csv", folder / "scenario.toml", folder / "events" / "rep-001.parquet",
                  manifest_file][at % 4]
        target.unlink()
    else:  # a log the manifest does not list
        shutil.copy(folder / "events" / "rep-000.parquet", folder / "events" / "rep-007.parquet")


def _check_results_command(pristine: Path, change, command: str, flags: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = Path(shutil.copytree(pristine, root / "run"))
        out_dir = root / "out"
        out_dir.mkdir()
        _damage(folder, change)
        before = _snapshot(root, skip=out_dir)
        child = _child(pristine)
        if command == "trace":
            result = _invoke(["trace", str(folder), str(child), *flags])
        else:
            result = _invoke(["export", str(folder), "--format", "pm4py-csv", "--out", str(out_dir / "log.csv"),
                              *flags])
        assert _snapshot(root, skip=out_dir) == before, "a file outside the output path changed"
        if result.exit_code != 0:
            assert not (out_dir / "log.csv").exists()
            return
        if command == "trace":
            assert f"Child {child}," in result.output
        else:
            rows = pq.read_metadata(pristine / "events" / "rep-000.parquet").num_rows
            exported = pd.read_csv(out_dir / "log.csv")
            assert 0 < len(exported) <= rows
            assert ownership.recorded(out_dir) == {"log.csv": file_digest(out_dir / "log.csv")}


@FAST
@given(change=damage(), command=st.sampled_from(["trace", "export"]), no_verify=st.booleans())
def test_a_damaged_results_folder_is_read_or_refused_cleanly(pristine, change, command, no_verify):
    _check_results_command(pristine, change, command, ["--no-verify"] if no_verify else [])


@slow
@given(change=damage(), command=st.sampled_from(["trace", "export"]), no_verify=st.booleans())
def test_a_damaged_results_folder_deep(pristine, change, command, no_verify):
    _check_results_command(pristine, change, command, ["--no-verify"] if no_verify else [])


def test_every_damage_is_refused_when_it_touches_what_the_manifest_vouches_for(pristine):
    """Not only no crash: a manifest that lies, a scenario or a log that changed is refused (exit 2)."""
    for change in [("manifest-key", "replications", "2", b"", 0), ("manifest-key", "complete", False, b"", 0),
                   ("manifest-entry", "sha256", "0" * 64, b"", 0), ("scenario", "", None, b"x = 1", 0),
                   ("csv", "", None, b"rep,measure\n", 0), ("remove", "", None, b"", 2),
                   ("log-bytes", "", None, b"\x00" * 8, 100)]:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(shutil.copytree(pristine, Path(tmp) / "run"))
            _damage(folder, change)
            assert _invoke(["trace", str(folder), str(_child(pristine))]).exit_code == 2, change


# ----------------------------------------------------------------------------------- output paths
KINDS = ["nothing", "user-file", "journeysim-file", "edited-journeysim-file", "folder", "link", "dangling-link",
         "fifo", "under-a-file", "the-runs-log", "the-runs-scenario", "dev-null"]


def _place(root: Path, run: Path, kind: str, name: str) -> Path:
    """An output path ``name`` of ``kind`` (in ``root/out`` unless it is the run's own file or a device)."""
    out = root / "out"
    path = out / name
    if kind == "user-file":
        path.write_text("mine")
    elif kind in ("journeysim-file", "edited-journeysim-file"):
        path.write_text("written by journeysim")
        ownership.claim_file(path)
        if kind.startswith("edited"):
            path.write_text("edited since")
    elif kind == "folder":
        path.mkdir()
    elif kind in ("link", "dangling-link"):
        target = root / "elsewhere"
        if kind == "link":
            target.write_text("theirs")
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "under-a-file":
        (out / "afile").write_text("x")
        path = out / "afile" / name
    elif kind == "the-runs-log":
        path = run / "events" / "rep-000.parquet"
    elif kind == "the-runs-scenario":
        path = run / "scenario.toml"
    elif kind == "dev-null":
        path = Path("/dev/null")
    return path


def _command(command: str, run: Path, path: Path, child: int) -> list[str]:
    if command == "export":
        return ["export", str(run), "--format", "pm4py-csv", "--out", str(path)]
    if command == "trace":
        return ["trace", str(run), str(child), "--figure", str(path)]
    return ["reps", str(SCENARIOS / "hampshire.toml"), "--out", str(path), "--max-reps", "3", "--k-limit", "1",
            "--set", "run.scale=0.02", "--set", "run.warmup_days=0", "--set", "run.start=2018-04-01",
            "--set", "run.end=2019-04-01", "--measure", "referrals", "--workers", "1"]


def _check_output_path(pristine: Path, kind: str, command: str, force: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run = Path(shutil.copytree(pristine, root / "run"))
        (root / "out").mkdir()
        path = _place(root, run, kind, "result.png" if command == "trace" else "result.csv")
        writable = kind == "nothing" or (kind == "journeysim-file" and force)
        before = _snapshot(root, skip=root / "out" if writable else None)
        result = _invoke([*_command(command, run, path, _child(pristine)), *(["--force"] if force else [])])
        assert _snapshot(root, skip=root / "out" if writable else None) == before, \
            f"{kind}: a file outside the output path changed"
        assert (result.exit_code == 0) == writable, (kind, command, force, result.output)
        if writable:
            assert path.is_file() and not path.is_symlink()
            assert ownership.recorded(path.parent)[path.name] == file_digest(path)


@FAST
@given(kind=st.sampled_from(KINDS), command=st.sampled_from(["export", "trace"]), force=st.booleans())
def test_an_output_path_of_any_kind_is_written_only_when_it_may_be(pristine, kind, command, force):
    _check_output_path(pristine, kind, command, force)


@slow
@given(kind=st.sampled_from(KINDS), command=st.sampled_from(["export", "trace", "reps"]), force=st.booleans())
def test_an_output_path_of_any_kind_deep(pristine, kind, command, force):
    _check_output_path(pristine, kind, command, force)


# ------------------------------------------------------------------------------ results folders as output
TINY = ["--set", "run.scale=0.02", "--set", "run.warmup_days=0", "--set", "run.start=2018-04-01",
        "--set", "run.end=2019-04-01", "--workers", "1"]
FOLDER_KINDS = ["nothing", "empty-folder", "results-folder", "results-folder-with-a-note", "documents", "a-file",
                "link-to-a-folder", "current-folder", "scenario-folder", "foreign-incomplete", "interrupted-run"]


def _folder_place(root: Path, pristine: Path, kind: str) -> Path:
    """An output folder of ``kind`` under ``root`` (the scenario file is in ``root/scenarios``)."""
    out = root / "out"
    if kind == "empty-folder":
        out.mkdir()
    elif kind in ("results-folder", "results-folder-with-a-note"):
        shutil.copytree(pristine, out)
        if kind.endswith("note"):
            (out / "note.txt").write_text("mine")
    elif kind == "documents":
        out.mkdir()
        (out / "thesis.docx").write_bytes(b"years of work")
    elif kind == "a-file":
        out.write_text("mine")
    elif kind == "link-to-a-folder":
        (root / "elsewhere").mkdir()
        (root / "elsewhere" / "keep.txt").write_text("theirs")
        out.symlink_to(root / "elsewhere")
    elif kind == "current-folder":
        out = Path(".")
    elif kind == "scenario-folder":
        out = root / "scenarios"
    elif kind == "foreign-incomplete":
        (root / "out.incomplete").mkdir()
        (root / "out.incomplete" / "budget.xlsx").write_bytes(b"numbers")
    elif kind == "interrupted-run":
        partial = root / "out.incomplete"
        shutil.copytree(pristine, partial)
        manifest = json.loads((partial / "manifest.json").read_text())
        (partial / "manifest.json").write_text(json.dumps({**manifest, "complete": False}))
    return out


def _check_output_folder(pristine: Path, kind: str, force: bool) -> None:
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "scenarios").mkdir()
        scenario = root / "scenarios" / "mine.toml"
        scenario.write_text(f'extends = "{SCENARIOS / "hampshire.toml"}"\n')
        out = _folder_place(root, pristine, kind)
        may = kind == "nothing" or (force and kind in ("empty-folder", "results-folder", "interrupted-run"))
        os.chdir(root)
        try:
            before = _snapshot(root, skip=root / "out" if may else None)
            result = _invoke(["run", str(scenario), "--out", str(out), *TINY, *(["--force"] if force else [])])
            after = _snapshot(root, skip=root / "out" if may else None)
        finally:
            os.chdir(here)
        if may:  # what the run may change: its folder, and its .incomplete on the way
            before = {k: v for k, v in before.items() if not k.startswith(str(root / "out.incomplete"))}
            after = {k: v for k, v in after.items() if not k.startswith(str(root / "out.incomplete"))}
        assert after == before, f"{kind}: a file outside the output folder changed"
        assert (result.exit_code == 0) == may, (kind, force, result.output)
        if may:
            manifest = json.loads((root / "out" / "manifest.json").read_text())
            assert manifest["complete"] is True and not (root / "out.incomplete").exists()
            assert ownership.foreign(root / "out") is None


@FAST
@given(kind=st.sampled_from(FOLDER_KINDS), force=st.booleans())
def test_an_output_folder_of_any_kind_is_replaced_only_when_it_may_be(pristine, kind, force):
    _check_output_folder(pristine, kind, force)


@slow
@given(kind=st.sampled_from(FOLDER_KINDS), force=st.booleans())
def test_an_output_folder_of_any_kind_deep(pristine, kind, force):
    _check_output_folder(pristine, kind, force)


# --------------------------------------------------------------------------- scenarios and --set
set_values = st.one_of(
    st.sampled_from(["workforce.hard_cap=18", "run.scale=0.5", "hubs.start=never", "run.end=2019-04-01",
                     "teams.cast_start=2017-01-01"]),
    st.text(max_size=40),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["workforce.hard_cap", "run.scale", "run.end", "hubs.start",
                                                          "frontdoor.triage", "run.seed_offset", "nope"]),
              st.one_of(st.text(max_size=20), st.integers(-10**20, 10**20).map(str),
                        st.floats(allow_nan=True).map(str), st.just("{advice=0.5, early_help=0.5}"),
                        st.just("2019-01-01\nrun.scale=9"))),
)


def _check_validate(text: bytes, sets: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scenario = root / "s.toml"
        scenario.write_bytes(text)
        before = _snapshot(root)
        result = _invoke(["validate", str(scenario), *[x for s in sets for x in ("--set", s)]])
        assert _snapshot(root) == before, "validate changed a file"
        if result.exit_code == 0:
            assert result.output.splitlines()[-1].startswith(f"OK: {scenario}: scenario ")
            assert all("\n" not in s and "\r" not in s for s in sets), "a value with a line break was accepted"


scenario_texts = st.one_of(
    st.binary(max_size=120),
    st.just(b'extends = "' + str(SCENARIOS / "hampshire.toml").encode() + b'"\n'),
    st.builds(lambda lines: ("extends = \"" + str(SCENARIOS / "hampshire.toml") + "\"\n" + "\n".join(lines)).encode(),
              st.lists(st.sampled_from(["[workforce]", "hard_cap = 18", "\"workforce.hard_cap\" = 20",
                                        "[run]", "scale = 0.1", "scale = -1", "end = 2019-04-01", "x = 1",
                                        "[frontdoor]", "triage = {advice = 0.5, early_help = 0.47, mash = 0.03}",
                                        "triage = {advice = -0.1, early_help = 0.6, mash = 0.5}"]), max_size=5)),
)


@FAST
@given(text=scenario_texts, sets=st.lists(set_values, max_size=1))
def test_a_scenario_and_set_values_are_validated_or_refused_cleanly(text, sets):
    _check_validate(text, sets)


@slow
@given(text=scenario_texts, sets=st.lists(set_values, max_size=3))
def test_a_scenario_and_set_values_deep(text, sets):
    _check_validate(text, sets)
