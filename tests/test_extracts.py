"""An authority's extracts read back: a corpus of bad and partial ones (tests/bad_extracts), the
row-level report, and the rule that no identifier or date of birth from an extract reaches a
message, a report or a snapshot."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.returns.extracts import ExtractError
from journeysim.returns.snapshot import COLUMNS, read, snapshot

CORPUS = Path(__file__).resolve().parent / "bad_extracts"
AT = "2019-03-31"
CASES = list(csv.DictReader(open(CORPUS / "expected.csv", encoding="utf-8")))


def personal_values() -> set[str]:
    """Every identifier and date of birth in the corpus's good extracts, in each form they are written."""
    values = set()
    header = pd.read_csv(CORPUS / "good" / "header.csv", dtype=str)
    for child, dob, upn in zip(header["CHILD"], header["DOB"], header["UPN"]):
        d = pd.to_datetime(dob, format="%d/%m/%Y")
        values |= {child, dob, d.strftime("%Y-%m-%d"), upn}
    text = (CORPUS / "good.xml").read_text(encoding="utf-8")
    values |= set(re.findall(r"<LAchildID>(\w+)</LAchildID>", text))
    values |= set(re.findall(r"<PersonBirthDate>([\d-]+)</PersonBirthDate>", text))
    return {v for v in values if v and v not in ("UN1",)}


PERSONAL = personal_values()


def _inputs(case: str) -> tuple[Path, Path]:
    if case.endswith(".xml"):
        return CORPUS / "good", CORPUS / case
    return CORPUS / case, CORPUS / "good.xml"


def test_corpus_has_thirty_cases():
    assert len(CASES) >= 30
    for row in CASES:
        assert (CORPUS / row["case"]).exists(), row["case"]


@pytest.mark.parametrize("row", CASES, ids=[r["case"] for r in CASES])
def test_bad_extract_gives_its_row_level_message(row):
    ssda903, cin = _inputs(row["case"])
    try:
        snap, report = snapshot(ssda903, cin, AT)
    except ExtractError as exc:  # the census cannot be read at all: one line saying why
        message = str(exc)
        assert row["expected"] in message
        assert not any(v in message for v in PERSONAL)
        return
    lines = [p.line() for p in report.problems]
    assert any(row["expected"] in line for line in lines), lines
    for line in lines:
        assert not any(v in line for v in PERSONAL), line
    text = snap.to_csv(index=False) + report.frame().to_csv(index=False)
    assert not any(v in text for v in PERSONAL)
    assert list(snap.columns) == COLUMNS
    assert len(snap) >= 2  # what can be used is used


def test_good_extracts_give_the_expected_caseload():
    snap, report = snapshot(CORPUS / "good", CORPUS / "good.xml", AT)
    assert report.problems == []
    assert report.used == {"Header": 3, "Episodes": 3, "CIN census children": 3}
    stages = dict(zip(snap["stage"], snap["days_in_stage"]))
    # HX471920 looked after since 2 May 2018 (333 days), HX471921 since 10 January 2019 (80 days) and
    # placed 3 March 2019; HX471923 on a CP plan since 1 October 2018; HX471924 on a CIN plan since
    # 20 February 2019
    assert sorted(snap.loc[snap["stage"] == "care", "days_in_stage"]) == [80, 333]
    assert sorted(snap.loc[snap["stage"] == "care", "days_in_placement"]) == [28, 333]
    assert stages["cp"] == 181 and stages["cin"] == 39
    cp = snap[snap["stage"] == "cp"].iloc[0]
    assert cp["cp_plans"] == 1 and cp["age"] == 5.74  # 2,100 days, rounded down
    assert snap["id"].tolist() == [1, 2, 3, 4]


def test_counts_of_what_was_dropped():
    snap, report = snapshot(CORPUS / "903_overlapping_episodes", CORPUS / "good.xml", AT)
    assert report.read["Episodes"] == 4 and report.used["Episodes"] == 2
    assert report.dropped() == {"Episodes": 2}


def test_cli_snapshot_reports_and_never_shows_personal_values(tmp_path):
    runner = CliRunner()
    out = tmp_path / "snap.csv"
    result = runner.invoke(main, ["snapshot", "--ssda903", str(CORPUS / "903_duplicate_child"), "--cin-census",
                                  str(CORPUS / "cin_overlapping_cp_plans.xml"), "--at", AT, "--out", str(out),
                                  "--report", str(tmp_path / "report.csv")])
    assert result.exit_code == 0, result.output
    assert "Snapshot at the end of 2019-03-31: 4 children" in result.output
    assert "the same child id as line 2 (a duplicate child)" in result.output
    assert len(read(out)) == 4
    for text in (result.output, out.read_text(), (tmp_path / "report.csv").read_text()):
        assert not any(v in text for v in PERSONAL)
    report = pd.read_csv(tmp_path / "report.csv")
    assert list(report.columns) == ["file", "row", "column", "problem", "action"] and len(report) == 2
    # the census cannot be read at all: one error line, exit code 2, no traceback
    bad = runner.invoke(main, ["snapshot", "--cin-census", str(CORPUS / "cin_not_xml.xml"), "--at", AT,
                               "--out", str(tmp_path / "b.csv")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert bad.output.count("\n") == 1 and "not a well-formed XML file" in bad.output
    assert not any(v in bad.output for v in PERSONAL)
    # a snapshot journeysim did not write is not replaced, even with --force
    (tmp_path / "mine.csv").write_text("my notes\n")
    again = runner.invoke(main, ["snapshot", "--cin-census", str(CORPUS / "good.xml"), "--at", AT, "--out",
                                 str(tmp_path / "mine.csv"), "--force"])
    assert again.exit_code == 2 and "not written by journeysim" in again.output
    assert (tmp_path / "mine.csv").read_text() == "my notes\n"


def test_cli_estimate_writes_the_parameter_file(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["estimate", "--ssda903", str(CORPUS / "good"), "--cin-census",
                                  str(CORPUS / "good.xml"), "--out", str(tmp_path / "est.toml")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "est.csv")
    assert table.set_index("quantity").at["referrals_per_year", "estimate"] == 2  # referred in 2018-19
    text = (tmp_path / "est.toml").read_text()
    assert "[cp]" in text and "first_review_days = 90" in text  # the one CP plan's first review
    assert not any(v in result.output + text for v in PERSONAL)


@pytest.mark.parametrize("year", ["foo", "2025-27", "2025-26x", "25-26"])
def test_cli_estimate_refuses_a_year_that_is_not_a_collection_year(tmp_path, year):
    result = CliRunner().invoke(main, ["estimate", "--ssda903", str(CORPUS / "good"), "--cin-census",
                                       str(CORPUS / "good.xml"), "--year", year, "--out", str(tmp_path / "est.toml")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (f"error: --year {year}: not a collection year (YYYY-YY, the "
                                                      f"years consecutive: 2025-26)")
    assert not (tmp_path / "est.toml").exists()


def test_snapshot_file_checks(tmp_path):
    snap, _ = snapshot(CORPUS / "good", CORPUS / "good.xml", AT)
    bad = snap.copy()
    bad.loc[1, "stage"] = "limbo"
    bad.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(ValueError, match=r"s.csv, line 3, column stage: expected one of care, cp"):
        read(tmp_path / "s.csv")


def test_a_period_of_care_that_began_before_the_return_is_marked(tmp_path):
    """A year's 903 holds only the episodes open in the year: a child whose earliest episode there is a
    change (reason for new episode P, L, T, U or B) began their period of care earlier, and their days in
    care are a lower bound (began_earlier 1); a child whose chain starts with S is counted exactly."""
    extracts = tmp_path / "903"
    extracts.mkdir()
    (extracts / "header.csv").write_text((CORPUS / "good" / "header.csv").read_text())
    episodes = (CORPUS / "good" / "episodes.csv").read_text().splitlines()
    # HX471920's only episode now starts with a change of placement, not with S
    episodes[1] = episodes[1].replace("HX471920,02/05/2018,S,", "HX471920,02/05/2018,P,")
    (extracts / "episodes.csv").write_text("\n".join(episodes) + "\n")
    snap, report = snapshot(extracts, None, AT)
    care = snap[snap["stage"] == "care"].set_index("days_in_stage")
    assert care.loc[333, "began_earlier"] == 1  # HX471920: in care at least since 2 May 2018
    assert care.loc[80, "began_earlier"] == 0  # HX471921: S on 10 January 2019, then P on 3 March
    good, _ = snapshot(CORPUS / "good", CORPUS / "good.xml", AT)
    assert good["began_earlier"].tolist() == [0, 0, 0, 0]


def test_a_snapshot_written_before_began_earlier_still_loads(tmp_path):
    snap, _ = snapshot(CORPUS / "good", CORPUS / "good.xml", AT)
    snap.drop(columns="began_earlier").to_csv(tmp_path / "old.csv", index=False)
    assert read(tmp_path / "old.csv")["began_earlier"].tolist() == [0, 0, 0, 0]
    bad = snap.copy()
    bad.loc[0, "began_earlier"] = 2
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"bad.csv, line 2, column began_earlier: expected 0 or 1"):
        read(tmp_path / "bad.csv")


@pytest.mark.parametrize("value", ["../snapshot.csv", "/etc/snapshot.csv", "a/../../b.csv", "C:\\\\snap.csv"])
def test_start_state_must_stay_in_its_folder(value):
    from journeysim import scenario as sc

    with pytest.raises(sc.ScenarioError, match="must be a path relative to the scenario file's folder"):
        sc.load(None, [f'run.start_state="{value}"'])


def test_start_state_is_read_relative_to_its_scenario_and_checked_against_the_start(tmp_path):
    from journeysim import scenario as sc
    from journeysim.model import simulate

    snap, _ = snapshot(CORPUS / "good", CORPUS / "good.xml", AT)
    (tmp_path / "snaps").mkdir()
    snap.to_csv(tmp_path / "snaps" / "s.csv", index=False)
    text = 'name = "t"\n[run]\nstart = {}\nend = 2019-06-01\nwarmup_days = 0\nscale = 0.05\nstart_state = "snaps/s.csv"\n'
    (tmp_path / "ok.toml").write_text(text.format("2019-04-01"))
    log = simulate(sc.load(tmp_path / "ok.toml"), 1).to_table().to_pandas()
    loaded = log[log["event"] == "CaseLoaded"]
    assert sorted(loaded["outcome"].astype(str)) == ["cin_plan", "cp_plan", "in_care", "in_care"]
    assert sorted(loaded["value"]) == [39.0, 80.0, 181.0, 333.0]  # the days each had been in their stage
    (tmp_path / "late.toml").write_text(text.format("2019-05-01"))
    with pytest.raises(sc.ScenarioError, match="the run must start on 2019-04-01"):
        simulate(sc.load(tmp_path / "late.toml"), 1)
