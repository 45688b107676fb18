"""The statutory returns written from a run, checked by the DfE's own validators.

The default scenario is run to 1 April 2027 at a tenth of Hampshire and its 2025-26 and 2026-27
years are exported as the SSDA903 return and the CIN census; the validators
(``csc-validator-be-903``, ``csc-validator-be-cin``, in ``.venv-validators``: ``make validators``)
then run over them.  Every error they report must be one that docs/user-guide.md lists, with the
reason the model cannot meet it; the CIN census's one such rule (4003) is also checked as the DfE
states it, and must find nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.eventlog import read_log
from journeysim.model import simulate
from journeysim.returns import ExportError, export_return
from journeysim.returns import codes as C
from journeysim.returns import synthetic as syn
from journeysim.returns.history import histories

ROOT = Path(__file__).resolve().parents[1]
VALIDATORS = ROOT / ".venv-validators" / "bin" / "python"
RUN = ROOT / "tests" / "validators" / "run.py"
ARTIFACTS = ROOT / "test-artifacts" / "returns"
#: The default scenario at a tenth of Hampshire from 2023 (with its two years of warm-up) to 2027.
WINDOW = ["run.scale=0.1", "run.start=2023-04-01", "run.end=2027-04-01"]


def documented_rules() -> dict[str, set[str]]:
    """The validators' rules the user guide lists as ones the export cannot meet, by return."""
    text = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    section = text.split("### What the DfE's validators say", 1)[1].split("\n## ", 1)[0]
    out = {"903": set(), "cin": set()}
    for line in section.splitlines():
        m = re.match(r"\|\s*(903|CIN)\s*\|\s*`?([0-9A-Za-z]+)`?\s*\|", line)
        if m:
            out[m.group(1).lower()].add(m.group(2))
    return out


@pytest.fixture(scope="module")
def run_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("returns") / "rep.parquet"
    scenario = sc.load(ROOT / "scenarios" / "hampshire.toml", WINDOW)
    simulate(scenario, 5, path)
    return read_log(path)


@pytest.fixture(scope="module")
def exported(run_log, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    for year in C.YEARS:
        export_return(run_log, "ssda903", year, out / f"903-{year}")
        export_return(run_log, "cin-census", year, out / f"cin-{year}.xml")
    return out


def validate(*args) -> dict:
    if not VALIDATORS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{VALIDATORS} is missing: `make test` builds it (make validators)")
        pytest.skip("the DfE's validators are not installed: run `make validators`")
    done = subprocess.run([str(VALIDATORS), str(RUN), *map(str, args)], capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{args[0]}-{args[2]}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"\n{args[0]} {args[2]}: {result['rules']} rules; errors {result['errors']}; queries {result['queries']}; "
          f"could not run {result['failed']}")
    return result


def test_903_tables_have_the_dfe_columns_and_rows(exported):
    for name, (file, cols) in C.TABLES_903.items():
        table = pd.read_csv(exported / "903-2025-26" / file, dtype=str)
        assert list(table.columns) == cols, name
    episodes = pd.read_csv(exported / "903-2025-26" / "episodes.csv", dtype=str)
    header = pd.read_csv(exported / "903-2025-26" / "header.csv", dtype=str)
    assert 100 < len(episodes) < 600 and set(episodes["CHILD"]) <= set(header["CHILD"])
    assert set(episodes["LS"]) <= {"C1", "C2", "E1", "L2", "V2"} and set(episodes["RNE"]) <= {"S", "P", "L", "U"}
    # a period of care is a chain: each X1 episode is followed by one starting the day it ceased
    for _, g in episodes.groupby("CHILD"):
        decom = pd.to_datetime(g["DECOM"], format="%d/%m/%Y").tolist()
        for (_, row), nxt in zip(g.iterrows(), decom[1:] + [None]):
            if row["REC"] == "X1":
                assert pd.to_datetime(row["DEC"], format="%d/%m/%Y") == nxt


def test_903_validators_find_only_the_documented_rules(exported):
    result = validate("903", exported / "903-2026-27", "2026-27", exported / "903-2025-26")
    assert result["rules"] > 300
    unexplained = set(result["errors"]) - documented_rules()["903"]
    assert not unexplained, f"validator errors not listed in docs/user-guide.md: {unexplained}"
    first = validate("903", exported / "903-2025-26", "2025-26")
    assert not set(first["errors"]) - documented_rules()["903"]


def reviews_during_a_cin_plan(path: Path) -> list[tuple[str, str]]:
    """Rule 4003 as the DfE states it, within each <CINdetails> module: (child, review date) for every
    CP review that falls on or after a CIN plan's start and before its end, unless it is the CP plan's
    own end date (a plan that has ended).  The census is read as ``journeysim snapshot`` reads one."""
    from journeysim.returns.extracts import Report, read_cin

    t = read_cin(path, pd.Timestamp("2100-01-01"), Report())
    reviews = t["reviews"].merge(t["cp_plans"], on="plan").dropna(subset=["end"])
    pairs = reviews.merge(t["cin_plans"].dropna(subset=["end"]), on=["child", "episode"], suffixes=("", "_cin"))
    during = (pairs["date"] >= pairs["start_cin"]) & (pairs["date"] < pairs["end_cin"]) & (pairs["date"] != pairs["end"])
    found = pairs[during].drop_duplicates(["child", "date"])
    return [(c, d.strftime("%Y-%m-%d")) for c, d in zip(found["child"], found["date"])]


@pytest.mark.parametrize("year", [pytest.param(y, marks=[pytest.mark.slow] if y != C.YEARS[0] else []) for y in C.YEARS])
def test_cin_census_validators_find_only_the_documented_rules(exported, year):
    path = exported / f"cin-{year}.xml"
    result = validate("cin", path, year)
    assert result["rules"] > 100
    assert not set(result["errors"]) - documented_rules()["cin"], result["errors"]
    assert not set(result["queries"]) - documented_rules()["cin"]
    # 4003's code pairs reviews with plans across modules (plan numbers restart in each); within a
    # module, as the rule is stated, the census has no review during a CIN plan
    assert reviews_during_a_cin_plan(path) == []


def test_the_4003_check_has_teeth(tmp_path):
    xml = tmp_path / "c.xml"
    xml.write_text("<Message><Children><Child><ChildIdentifiers><LAchildID>7</LAchildID>"
                   "<PersonBirthDate>2015-01-01</PersonBirthDate></ChildIdentifiers>"
                   "<CINdetails><CINreferralDate>2025-04-01</CINreferralDate><CINPlanDates><CINPlanStartDate>2025-05-01</CINPlanStartDate>"
                   "<CINPlanEndDate>2025-09-01</CINPlanEndDate></CINPlanDates>"
                   "<ChildProtectionPlans><CPPstartDate>2025-06-01</CPPstartDate><CPPendDate>2025-10-01</CPPendDate>"
                   "<Reviews><CPPreviewDate>2025-08-01</CPPreviewDate><CPPreviewDate>2025-10-01</CPPreviewDate>"
                   "</Reviews></ChildProtectionPlans></CINdetails></Child></Children></Message>", encoding="utf-8")
    assert reviews_during_a_cin_plan(xml) == [("7", "2025-08-01")]


@pytest.mark.slow
def test_validators_on_a_whole_county(tmp_path):
    """The default scenario at full scale over 2025-26 (a slow test): the same rules, at Hampshire's size."""
    path = tmp_path / "rep.parquet"
    simulate(sc.load(ROOT / "scenarios" / "hampshire.toml", ["run.start=2023-04-01", "run.end=2026-04-01"]), 7, path)
    log = read_log(path)
    export_return(log, "ssda903", "2025-26", tmp_path / "903")
    export_return(log, "cin-census", "2025-26", tmp_path / "cin.xml")
    assert not set(validate("903", tmp_path / "903", "2025-26")["errors"]) - documented_rules()["903"]
    cin = validate("cin", tmp_path / "cin.xml", "2025-26")
    assert not set(cin["errors"]) - documented_rules()["cin"], cin["errors"]  # 4003: as the tenth-scale census
    assert reviews_during_a_cin_plan(tmp_path / "cin.xml") == []


def test_cin_census_counts_match_the_logs_measures(run_log, exported):
    """Children in need and on CP plans at 31 March in the census are the log's own stocks, less the
    children of 18 and over whom the model may keep on a long plan and the census may not."""
    import xml.etree.ElementTree as ET

    from journeysim.projections.logs import Logs
    from journeysim.projections.stocks import held

    root = ET.parse(exported / "cin-2025-26.xml").getroot()
    open_cin, open_cp = set(), set()
    for child in root.iter("Child"):
        cid = int(child.findtext("ChildIdentifiers/LAchildID"))
        for d in child.iter("CINdetails"):
            if d.findtext("CINclosureDate") is None:
                open_cin.add(cid)
            for p in d.iter("ChildProtectionPlans"):
                if p.findtext("CPPendDate") is None:
                    open_cp.add(cid)
    day = pd.Timestamp("2026-03-31")
    birth = histories(run_log).children.set_index("child_id")["birth"]
    children = set(birth[birth + pd.DateOffset(years=18) > day].index)
    stocks = {k: set(v.collect()["child_id"].to_list()) for k, v in held(Logs.of(run_log), [day.date()]).items()}
    cin, cp = stocks["cin"], stocks["cp"]
    assert len(open_cp) > 30 and open_cp == cp & children
    assert len(open_cin) > 500 and open_cin == cin & children


def test_every_icpc_is_on_a_working_day(run_log):
    h = histories(run_log)
    icpc = h.s47["icpc"].dropna()
    assert len(icpc) > 500 and (icpc.dt.day_of_week < 5).all()


def test_synthetic_fields_are_reproducible_and_documented():
    ids = list(range(1, 5001))
    sex = syn.choose(ids, "sex", syn.SEX)
    assert (sex == syn.choose(ids, "sex", syn.SEX)).all()
    assert abs((sex == "M").mean() - syn.SEX["M"]) < 0.03
    upns = syn.upn(ids)
    assert len(set(upns)) == len(ids) and all(re.fullmatch(r"[A-HJ-NP-RT-Z]850\d{8}[A-Z]", u) for u in upns)
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    for name in ("SEX", "ETHNICITY", "DISABILITY", "REFERRAL_SOURCE", "PRIMARY_NEED", "ABUSE", "FACTORS",
                 "PARTICIPATION", "ADOPTERS", "ACTIVITY", "ACCOMMODATION", "HOME_POSTCODES"):
        assert f"`{name}`" in guide, f"docs/user-guide.md does not describe synthetic.{name}"


def test_export_refuses_a_year_the_run_does_not_reach_and_foreign_files(run_log, tmp_path):
    with pytest.raises(ExportError, match="does not cover"):
        export_return(run_log.replace_schema_metadata({**run_log.schema.metadata,
                                                        b"journeysim.end_date": b"2026-01-01"}),
                      "ssda903", "2025-26", tmp_path / "a")
    with pytest.raises(ExportError, match="2025-26, 2026-27"):
        export_return(run_log, "ssda903", "2019-20", tmp_path / "a")
    out = tmp_path / "b"
    out.mkdir()
    (out / "episodes.csv").write_text("mine\n")
    (out / "notes.txt").write_text("mine too\n")
    with pytest.raises(ExportError, match="already holds episodes.csv"):
        export_return(run_log, "ssda903", "2025-26", out)
    with pytest.raises(ExportError, match="not written by journeysim"):
        export_return(run_log, "ssda903", "2025-26", out, force=True)
    assert (out / "episodes.csv").read_text() == "mine\n"
    (out / "episodes.csv").unlink()
    export_return(run_log, "ssda903", "2025-26", out)
    export_return(run_log, "ssda903", "2025-26", out, force=True)  # its own files: replaced
    assert (out / "notes.txt").read_text() == "mine too\n"
