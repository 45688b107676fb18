"""Nothing a user owns is destroyed: journeysim replaces only what it can prove it wrote
(:mod:`journeysim.ownership`), and says why when it will not."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from journeysim import ownership
from journeysim.cli import main
from journeysim.eventlog import file_digest

from conftest import SCENARIOS, SMALL, one_error

SETS = [x for s in SMALL for x in ("--set", s)]
SCENARIO = str(SCENARIOS / "hampshire.toml")




def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its digest (what a refusal must leave as it was)."""
    return {str(p.relative_to(root)): (file_digest(p) if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A complete results folder of one small replication, written by ``journeysim run``."""
    out = tmp_path_factory.mktemp("own") / "hants"
    r = CliRunner().invoke(main, ["run", SCENARIO, "--out", str(out), "--workers", "1", *SETS])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture
def copy(run_folder, tmp_path) -> Path:
    """A copy of :func:`run_folder` this test may change."""
    return Path(shutil.copytree(run_folder, tmp_path / "hants"))


# ---------------------------------------------------------------------------- folders of results
def test_the_manifest_lists_every_file_the_run_wrote_with_its_digest(run_folder):
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"measures.csv", "summary.csv", "costs.csv", "costs_summary.csv", "summary.xlsx",
                                      "measures_dictionary.csv",
                                      "scenario.toml"}
    for name, digest in manifest["files"].items():
        assert digest == file_digest(run_folder / name)
    assert ownership.foreign(run_folder) is None


def test_force_does_not_replace_a_folder_of_documents(tmp_path):
    docs = tmp_path / "documents"
    docs.mkdir()
    (docs / "thesis.docx").write_bytes(b"four years of work")
    before = _tree(docs)
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(docs), "--force", *SETS]))
    assert line == (f"error: --out {docs}: holds {docs / 'thesis.docx'}, which journeysim did not write, so --force "
                    f"will not replace the folder; move what is yours out of it, or choose another --out")
    assert _tree(docs) == before


def test_force_does_not_replace_a_results_folder_holding_a_file_of_the_users(copy):
    (copy / "my notes.txt").write_text("what I found")
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(copy), "--force", *SETS]))
    assert f"holds {copy / 'my notes.txt'}, which journeysim did not write" in line
    assert (copy / "my notes.txt").read_text() == "what I found"


def test_force_does_not_replace_a_results_folder_whose_scenario_was_edited(copy):
    with open(copy / "scenario.toml", "a") as f:
        f.write("# my edit\n")
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(copy), "--force", *SETS]))
    assert f"holds {copy / 'scenario.toml'}, which changed since journeysim wrote it" in line


def test_force_does_not_replace_a_folder_with_a_hand_made_manifest(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("[1, 2, 3]")
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(out), "--force", *SETS]))
    assert f"holds {out / 'manifest.json'}, which is not a manifest journeysim wrote" in line
    assert (out / "manifest.json").read_text() == "[1, 2, 3]"


def test_force_replaces_a_run_with_an_export_in_it_and_the_run_is_the_same(copy):
    """A file journeysim wrote into a results folder (an export there, as the report is by default) is
    journeysim's: --force replaces the folder with it."""
    r = CliRunner().invoke(main, ["export", str(copy), "--format", "pm4py-csv", "--out", str(copy / "log.csv")])
    assert r.exit_code == 0, r.output
    assert ownership.recorded(copy)["log.csv"] == file_digest(copy / "log.csv")
    assert ownership.foreign(copy) is None
    before = file_digest(copy / "events" / "rep-000.parquet")
    r = CliRunner().invoke(main, ["run", SCENARIO, "--out", str(copy), "--force", "--workers", "1", *SETS])
    assert r.exit_code == 0, r.output
    assert file_digest(copy / "events" / "rep-000.parquet") == before
    assert not (copy / "log.csv").exists(), "the old run's export went with it"


@pytest.mark.parametrize("where", ["scenario", "above-scenario", "cwd", "home"])
def test_never_a_folder_holding_the_scenario_the_current_or_the_home_folder(tmp_path, monkeypatch, where):
    folder = tmp_path / "work" / "project" / "scenarios"
    folder.mkdir(parents=True)
    scenario = folder / "mine.toml"
    scenario.write_text('extends = "' + SCENARIO + '"\n')
    out = {"scenario": folder, "above-scenario": folder.parent, "cwd": Path("."), "home": tmp_path / "home"}[where]
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    before = _tree(tmp_path)
    line = one_error(CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), "--force", *SETS]))
    why = {"scenario": f"is the folder holding {scenario}", "above-scenario": f"holds the folder holding {scenario}",
           "cwd": "is the current folder", "home": "is your home folder"}[where]
    assert line == (f"error: --out {out}: {why}; journeysim writes results only into a folder of their own "
                    f"(e.g. --out results/NAME)")
    assert _tree(tmp_path) == before


def test_the_root_folder_is_never_a_results_folder():
    assert ownership.protected(Path("/")) == "is the root folder"
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", "/", *SETS]))
    assert line.startswith("error: --out /: is the root folder;")


def test_a_link_is_not_followed_to_write_results(tmp_path, run_folder):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(link), "--force", *SETS]))
    assert line == (f"error: --out {link}: is a symbolic link (to {target}); journeysim does not write results "
                    f"through a link: give the folder's own path")


def test_an_incomplete_folder_journeysim_did_not_write_is_neither_resumed_nor_deleted(tmp_path):
    out = tmp_path / "hants"
    partial = tmp_path / "hants.incomplete"
    partial.mkdir()
    (partial / "budget.xlsx").write_bytes(b"numbers")
    for flags in ([], ["--force"], ["--resume"]):
        line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(out), *flags, *SETS]))
        assert line == (f"error: {partial}: a folder with the name journeysim gives an interrupted run, but it holds "
                        f"no manifest of an interrupted run, so journeysim will neither resume it nor delete it; "
                        f"move it away, or choose another --out")
    assert (partial / "budget.xlsx").read_bytes() == b"numbers"


def test_an_interrupted_run_with_a_file_added_is_not_deleted(tmp_path):
    partial = tmp_path / "hants.incomplete"
    (partial / "events").mkdir(parents=True)
    (partial / "manifest.json").write_text(json.dumps({"complete": False, "journeysim_version": "0.1.0",
                                                       "event_logs": []}))
    (partial / "events" / "notes.txt").write_text("mine")
    line = one_error(CliRunner().invoke(main, ["run", SCENARIO, "--out", str(tmp_path / "hants"), "--force", *SETS]))
    assert f"an interrupted run that now holds {partial / 'events' / 'notes.txt'}, which is not an event log" in line
    assert (partial / "events" / "notes.txt").exists()


def test_compare_force_does_not_replace_a_folder_of_documents(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "plan.txt").write_text("mine")
    counterfactual = str(SCENARIOS / "counterfactual.toml")
    line = one_error(CliRunner().invoke(main, ["compare", counterfactual, SCENARIO, "--out", str(docs), "--force",
                                                "--reps", "1", *SETS]))
    assert f"holds {docs / 'plan.txt'}, which journeysim did not write" in line
    assert (docs / "plan.txt").read_text() == "mine"


# ---------------------------------------------------------------------------------- single files
def test_report_does_not_overwrite_a_file_without_force(small_results, tmp_path):
    mine = tmp_path / "mine.html"
    mine.write_text("my page")
    line = one_error(CliRunner().invoke(main, ["report", str(small_results), "--out", str(mine)]))
    assert line == (f"error: --out {mine}: already exists; give another name, or --force to replace a file "
                    f"journeysim wrote")
    line = one_error(CliRunner().invoke(main, ["report", str(small_results), "--out", str(mine), "--force"]))
    assert line == (f"error: --out {mine}: was not written by journeysim (its folder's .journeysim-files.json does "
                    f"not list it), so --force leaves it alone; move it or write elsewhere")
    assert mine.read_text() == "my page"


@pytest.mark.parametrize("command", ["report", "export", "trace"])
def test_the_runs_own_log_a_scenario_and_a_picture_are_never_written_over(small_results, command, tmp_path):
    scenario = tmp_path / "mine.toml"
    scenario.write_text('extends = "hampshire.toml"\n')
    picture = tmp_path / "holiday.png"
    picture.write_bytes(b"holiday photo")
    victims = [picture] if command == "trace" else [scenario, small_results / "events" / "rep-000.parquet"]
    for victim in victims:
        before = file_digest(victim)
        args = {"report": ["report", str(small_results), "--out", str(victim)],
                "export": ["export", str(small_results), "--format", "xes", "--out", str(victim)],
                "trace": ["trace", str(small_results), "1", "--figure", str(victim)]}[command]
        line = one_error(CliRunner().invoke(main, [*args, "--force"]))
        assert "was not written by journeysim" in line
        assert file_digest(victim) == before


@pytest.mark.parametrize("special", ["fifo", "device", "link"])
def test_devices_fifos_and_links_are_never_written(small_results, tmp_path, special):
    path = tmp_path / "out.csv"
    if special == "fifo":
        os.mkfifo(path)
        why = "is a FIFO (named pipe), not a regular file; journeysim writes only regular files"
    elif special == "device":
        path = Path("/dev/null")
        why = "is a device, not a regular file; journeysim writes only regular files"
    else:
        (tmp_path / "target.csv").write_text("mine")
        path.symlink_to(tmp_path / "target.csv")
        why = f"is a symbolic link (to {tmp_path / 'target.csv'}); journeysim does not write through links"
    for force in ([], ["--force"]):
        line = one_error(CliRunner().invoke(main, ["export", str(small_results), "--format", "pm4py-csv",
                                                    "--out", str(path), *force]))
        assert line == f"error: --out {path}: {why}"
    if special == "device":
        assert path.is_char_device()
    if special == "link":
        assert (tmp_path / "target.csv").read_text() == "mine"


def test_an_export_journeysim_wrote_is_replaced_with_force_and_not_after_an_edit(small_results, tmp_path):
    out = tmp_path / "log.csv"
    args = ["export", str(small_results), "--format", "pm4py-csv", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = file_digest(out)
    assert ownership.recorded(tmp_path) == {"log.csv": first}
    one_error(CliRunner().invoke(main, args))  # without --force
    r = CliRunner().invoke(main, [*args, "--force"])
    assert r.exit_code == 0, r.output
    assert file_digest(out) == first
    with open(out, "a") as f:
        f.write("my row\n")
    line = one_error(CliRunner().invoke(main, [*args, "--force"]))
    assert line == (f"error: --out {out}: changed since journeysim wrote it, so --force leaves it alone; move it "
                    f"or write elsewhere")


def test_an_old_export_record_still_counts(tmp_path):
    (tmp_path / "episodes.csv").write_text("a,b\n")
    (tmp_path / ".journeysim-export.json").write_text(json.dumps(
        {"written_by": "journeysim", "files": {"episodes.csv": file_digest(tmp_path / "episodes.csv")}}))
    ownership.check_files(tmp_path, ["episodes.csv"], force=True)
    with pytest.raises(ownership.OwnershipError, match="already holds episodes.csv"):
        ownership.check_files(tmp_path, ["episodes.csv"], force=False)


def test_calibrate_refreshes_its_outputs_but_never_through_a_link_a_fifo_or_into_the_current_folder(tmp_path,
                                                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_error(CliRunner().invoke(main, ["calibrate", "--scenario", SCENARIO, "--quick", "--out", "."]))
    assert line.startswith("error: --out .: is the current folder;")
    out = tmp_path / "fit"
    out.mkdir()
    os.mkfifo(out / "fit.csv")
    line = one_error(CliRunner().invoke(main, ["calibrate", "--scenario", SCENARIO, "--quick", "--out", str(out)]))
    assert line == (f"error: --out {out / 'fit.csv'}: is a FIFO (named pipe), not a regular file; journeysim writes "
                    f"only regular files")
    (tmp_path / "theirs.md").write_text("theirs")
    (tmp_path / "report.md").symlink_to(tmp_path / "theirs.md")
    (out / "fit.csv").unlink()
    line = one_error(CliRunner().invoke(main, ["calibrate", "--scenario", SCENARIO, "--quick", "--out", str(out),
                                                "--report", str(tmp_path / "report.md")]))
    assert line.startswith(f"error: --report {tmp_path / 'report.md'}: is a symbolic link")
