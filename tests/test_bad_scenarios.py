"""The bad-scenario corpus: every file in tests/bad_scenarios is refused with exactly its expected message.

``tests/bad_scenarios/expected.csv`` gives, for each file, the one line ``journeysim validate``
prints (after ``error: ``) when run in that folder. Each message names the file, the line
where one can be found, the key and what is allowed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from journeysim.cli import main

from conftest import SCENARIOS, SMALL

CORPUS = Path(__file__).resolve().parent / "bad_scenarios"


def _expected() -> dict[str, str]:
    with open(CORPUS / "expected.csv", newline="", encoding="utf-8") as fh:
        return {row["file"]: row["message"] for row in csv.DictReader(fh)}


EXPECTED = _expected()


def test_the_corpus_is_large_and_every_file_has_its_message():
    files = sorted(p.name for p in CORPUS.iterdir() if p.name != "expected.csv")
    assert len(files) >= 40
    assert files == sorted(EXPECTED), "expected.csv must list exactly the files of the corpus"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_scenario_gives_its_one_line_message_and_exit_2(name, monkeypatch):
    monkeypatch.chdir(CORPUS)
    r = CliRunner().invoke(main, ["validate", name])
    assert r.exit_code == 2, r.output
    assert r.output == f"error: {EXPECTED[name]}\n"
    assert r.exception is None or isinstance(r.exception, SystemExit)


@pytest.mark.parametrize("name", ["prob_above_one.toml", "rota_team_never.toml", "not_toml_json.json"])
def test_run_refuses_a_bad_scenario_with_the_same_message_and_writes_nothing(name, monkeypatch, tmp_path):
    monkeypatch.chdir(CORPUS)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", name, "--out", str(out)])
    assert r.exit_code == 2
    assert f"error: {EXPECTED[name]}" in r.output and "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_bad_value_given_with_set_names_the_option():
    r = CliRunner().invoke(main, ["validate", str(SCENARIOS / "hampshire.toml"), "--set", "s47.duration="
                                  '{ dist = "fixed", value = -3 }'])
    assert r.exit_code == 2
    assert r.output == ('error: --set s47.duration={ dist = "fixed", value = -3 }: s47.duration.value must be >= 0 '
                        "(times and sizes cannot be negative), got -3\n")


def test_validate_accepts_the_shipped_scenarios_with_a_one_line_summary():
    for name, n_files in (("hampshire.toml", 2), ("counterfactual.toml", 3)):
        r = CliRunner().invoke(main, ["validate", str(SCENARIOS / name), *[x for s in SMALL for x in ("--set", s)]])
        assert r.exit_code == 0, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"OK: {SCENARIOS / name}: scenario '{name[:-5]}'")
        assert f"in {n_files} file(s), 4 by --set); reports 2016-04-01 to 2020-03-31 after 365 warm-up days" in lines[0]


def test_validate_notes_components_that_never_start_within_the_run():
    r = CliRunner().invoke(main, ["validate", str(SCENARIOS / "hampshire.toml"), "--set", "run.end=2018-01-01"])
    assert r.exit_code == 0
    assert "note: run.end (2018-01-01) is not 1 April: the last financial year is reported in part" in r.output
    assert "note: hubs.start (2019-04-01) is on or after run.end (2018-01-01): it never takes effect in this run" in r.output
    assert "note: teams.cast_start_by_district" not in r.output, "the 2017 pilot starts inside the run"
