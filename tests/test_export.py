"""Exports for process-mining tools: pm4py CSV, XES (checked against a schema with the IEEE
1849-2016 schema's structure and namespace handling, and the standard's rules) and OCEL 2.0 JSON
(checked against the OCEL 2.0 JSON schema and the standard's rules)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from journeysim.cli import main
from journeysim.export import case_events, export
from journeysim.projections import journeys

from test_projections import ev, log_of

XSD = Path(__file__).parent / "data" / "xes-ieee-1849-2016.xsd"
OCEL_SCHEMA = Path(__file__).parent / "data" / "ocel20-schema-json.json"
#: The namespace OpenXES and pm4py put on <log>; the standard's XML schema has no target namespace.
XES_NAMESPACE = "http://www.xes-standard.org/"
OCEL_TYPES = {"string", "time", "integer", "float", "boolean"}
OBJECT_TYPES = {"child", "family", "contact", "referral", "plan", "placement", "worker", "team"}


def small_log():
    """One child referred, assessed, on a CP plan, into care (foster), with a handoff; a sibling
    closed at the referral; the family's contact and the MASH's decision to refer them (a front-door
    case); another family's contact, given advice; a worker joining (not a case's)."""
    return log_of([
        ev(0.25, "WorkerJoined", team="D1-RA", worker=7, outcome="permanent", count=30),
        ev(0.5, "ContactReceived", family_id=1, count=2, outcome="mash", reason="new_family"),
        ev(1.5, "MashScreeningCompleted", family_id=1, team="MASH", count=2, outcome="referral", value=1.0),
        ev(2.0, "ContactReceived", family_id=2, count=1, outcome="advice", reason="new_family"),
        ev(1.5, "ReferralReceived", 1, 1, team="D1-RA", count=0),
        ev(1.5, "ReferralReceived", 1, 2, team="D1-RA", count=0),
        ev(1.5, "CaseClosed", 1, 2, reason="referral_nfa", outcome="none"),
        ev(3.75, "WorkerAllocated", 1, 1, team="D1-RA", worker=7, reason="new_case", value=12.0),
        ev(3.75, "AssessmentStarted", 1, 1, team="D1-RA", worker=7),
        ev(30, "AssessmentCompleted", 1, 1, outcome="strategy_discussion", value=28.5),
        ev(31, "StrategyDiscussionHeld", 1, 1, outcome="s47"),
        ev(40, "S47EnquiryCompleted", 1, 1, outcome="icpc"),
        ev(50, "IcpcHeld", 1, 1, outcome="cp_plan"),
        ev(50, "WorkerAllocated", 1, 1, team="D1-CIN1", worker=8, reason="team_transfer", value=20.0),
        ev(50, "CpPlanStarted", 1, 1, reason="icpc", count=1),
        ev(140, "CpReviewHeld", 1, 1, outcome="end", count=1),
        ev(140, "CpPlanEnded", 1, 1, reason="care", value=0.3),
        ev(140, "CareEntered", 1, 1, legal_status="s20", reason="voluntary"),
        ev(140, "PlacementStarted", 1, 1, outcome="foster", reason="first"),
        ev(300, "PlacementStarted", 1, 1, outcome="kinship", reason="move"),
        ev(400, "CareLeft", 1, 1, reason="returned_home", value=260.0),
    ])


def test_case_events_use_the_standard_names():
    events = case_events(small_log())
    assert list(events.columns[:6]) == ["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                                        "org:group", "lifecycle:transition"]
    # the journeys, then the front-door cases (named by their contact's seq); the worker's event has no case
    assert list(events["case:concept:name"].unique()) == ["1-1", "1-2", "door-1-1", "door-2-6"]
    door = events[events["case:concept:name"] == "door-1-1"]
    assert door["concept:name"].tolist() == ["ContactReceived", "MashScreeningCompleted"]
    assert (door["case:kind"] == "front door").all() and door["case:child_id"].isna().all()
    # both children's journeys came through that front-door case; the advice led to none
    assert set(events.loc[events["case:kind"] == "journey", "case:front_door"]) == {"door-1-1"}
    first = events.iloc[0]
    assert first["concept:name"] == "ReferralReceived"
    assert first["time:timestamp"] == pd.Timestamp("2014-04-02 12:00", tz="UTC")  # day 1.5
    alloc = events[events["concept:name"] == "WorkerAllocated"]
    assert list(alloc["org:resource"]) == ["worker 7", "worker 8"]
    assert list(alloc["org:group"]) == ["D1-RA", "D1-CIN1"]
    assert alloc["time:timestamp"].iloc[0] == pd.Timestamp("2014-04-04 18:00", tz="UTC")  # day 3.75
    assert (events["lifecycle:transition"] == "complete").all()
    assert events.loc[events["concept:name"] == "CareEntered", "legal_status"].item() == "s20"
    assert len(events) == 20


def test_pm4py_csv_reads_back(tmp_path):
    path = tmp_path / "log.csv"
    assert export(small_log(), "pm4py-csv", path) == 20
    back = pd.read_csv(path)
    assert back["case:concept:name"].tolist()[:2] == ["1-1", "1-1"]
    stamps = pd.to_datetime(back["time:timestamp"], utc=True)
    assert stamps.iloc[0] == pd.Timestamp("2014-04-02 12:00", tz="UTC")
    assert back.groupby("case:concept:name")["time:timestamp"].apply(lambda s: s.is_monotonic_increasing).all()


def check_xes(path: Path) -> etree._ElementTree:
    """Validate against the schema, then the rules the schema cannot say (IEEE 1849-2016)."""
    doc = etree.parse(str(path))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(doc), schema.error_log.last_error
    root = doc.getroot()
    assert root.tag == "log", "XES elements are in no namespace, as the published schema has them"
    prefixes = {e.get("prefix") for e in root.findall("extension")}
    globals_event = {a.get("key") for a in root.findall("global[@scope='event']/*")}
    globals_trace = {a.get("key") for a in root.findall("global[@scope='trace']/*")}
    # classifier keys must be declared as global event attributes
    for classifier in root.findall("classifier"):
        assert set(classifier.get("keys").split()) <= globals_event
    names = []
    for trace in root.findall("trace"):
        keys = {a.get("key") for a in trace if a.tag != "event"}
        assert globals_trace <= keys
        names.append(trace.find("string[@key='concept:name']").get("value"))
        stamps = []
        for event in trace.findall("event"):
            keys = [a.get("key") for a in event]
            assert globals_event <= set(keys) and len(keys) == len(set(keys))
            # an attribute with a prefix belongs to a declared extension
            assert all(k.split(":")[0] in prefixes for k in keys if ":" in k)
            stamps.append(dt.datetime.fromisoformat(event.find("date[@key='time:timestamp']").get("value")))
        assert stamps == sorted(stamps)
    assert len(names) == len(set(names))
    return doc


def test_xes_of_a_hand_written_log(tmp_path):
    path = tmp_path / "log.xes"
    assert export(small_log(), "xes", path, name="test") == 20
    doc = check_xes(path)
    traces = doc.getroot().findall("trace")
    assert len(traces) == 4
    heads = {t.find("string[@key='concept:name']").get("value"): {a.get("key"): a.get("value") for a in t
                                                                   if a.tag != "event"} for t in traces}
    assert heads["1-2"]["front_door"] == "door-1-1" and heads["1-2"]["kind"] == "journey"
    assert heads["door-1-1"]["kind"] == "front door" and "child_id" not in heads["door-1-1"]
    events = traces[0].findall("event")
    assert [e.find("string[@key='concept:name']").get("value") for e in events][:3] == [
        "ReferralReceived", "WorkerAllocated", "AssessmentStarted"]
    alloc = events[1]
    assert alloc.find("string[@key='org:resource']").get("value") == "worker 7"
    assert alloc.find("date[@key='time:timestamp']").get("value") == "2014-04-04T18:00:00.000+00:00"
    assert alloc.find("float[@key='value']").get("value") == "12.0"
    assert events[0].find("int[@key='count']").get("value") == "0"


def test_xes_rejects_what_the_schema_forbids(tmp_path):
    """The schema check has teeth: a misspelt attribute type, a missing version, and a log in the
    XES namespace (which the standard's schema, having no target namespace, does not declare)."""
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    good = '<log xes.version="2.0"><trace><string key="concept:name" value="x"/></trace></log>'
    assert schema.validate(etree.fromstring(good))
    for bad in ('<log xes.version="2.0"><trace><strng key="concept:name" value="x"/></trace></log>',
                '<log><trace><string key="concept:name" value="x"/></trace></log>',
                good.replace("<log ", f'<log xmlns="{XES_NAMESPACE}" ')):
        assert not schema.validate(etree.fromstring(bad)), bad
    assert "No matching global declaration available for the validation root" in str(schema.error_log.last_error)


def check_ocel2(doc: dict) -> None:
    """The OCEL 2.0 JSON schema, then the rules it cannot say: declared types from the standard's
    list, every value readable as its declared type, unique ids, resolvable relationships."""
    jsonschema.Draft7Validator(json.loads(OCEL_SCHEMA.read_text())).validate(doc)
    assert set(doc) == {"objectTypes", "eventTypes", "objects", "events"}
    declared = {}
    for kind in ("objectTypes", "eventTypes"):
        for t in doc[kind]:
            assert set(t) == {"name", "attributes"}
            assert all(set(a) == {"name", "type"} and a["type"] in OCEL_TYPES for a in t["attributes"])
            declared[(kind, t["name"])] = {a["name"]: a["type"] for a in t["attributes"]}
    ids = [o["id"] for o in doc["objects"]]
    assert len(ids) == len(set(ids))
    objects = set(ids)

    def typed(value, kind):
        """The schema has every value a string; the declared type says how to read it."""
        if not isinstance(value, str):
            return False
        if kind == "integer":
            return str(int(value)) == value
        if kind == "float":
            float(value)
        elif kind == "boolean":
            return value in ("true", "false")
        elif kind == "time":
            dt.datetime.fromisoformat(value)
        return True

    for o in doc["objects"]:
        assert {"id", "type"} <= set(o) <= {"id", "type", "attributes", "relationships"}
        attrs = declared[("objectTypes", o["type"])]
        for a in o.get("attributes", []):
            assert set(a) == {"name", "time", "value"} and typed(a["value"], attrs[a["name"]])
            dt.datetime.fromisoformat(a["time"])
        for r in o.get("relationships", []):
            assert set(r) == {"objectId", "qualifier"} and r["objectId"] in objects
    event_ids = set()
    for e in doc["events"]:
        assert set(e) == {"id", "type", "time", "attributes", "relationships"}
        assert e["id"] not in event_ids
        event_ids.add(e["id"])
        dt.datetime.fromisoformat(e["time"])
        attrs = declared[("eventTypes", e["type"])]
        for a in e["attributes"]:
            assert set(a) == {"name", "value"} and typed(a["value"], attrs[a["name"]])
        for r in e["relationships"]:
            assert set(r) == {"objectId", "qualifier"} and r["objectId"] in objects


def test_ocel2_of_a_hand_written_log(tmp_path):
    path = tmp_path / "log.json"
    assert export(small_log(), "ocel2-json", path) == 21
    doc = json.loads(path.read_text())
    check_ocel2(doc)
    assert {t["name"] for t in doc["objectTypes"]} == OBJECT_TYPES
    by_type = {}
    for o in doc["objects"]:
        by_type.setdefault(o["type"], []).append(o["id"])
    assert sorted(by_type["child"]) == ["child-1", "child-2"] and by_type["family"] == ["family-1", "family-2"]
    assert sorted(by_type["referral"]) == ["referral-1-1", "referral-1-2"]
    assert len(by_type["plan"]) == 1 and len(by_type["placement"]) == 2
    assert sorted(by_type["worker"]) == ["worker-7", "worker-8"]
    assert sorted(by_type["team"]) == ["team-D1-CIN1", "team-D1-RA", "team-MASH"]
    events = {e["id"]: e for e in doc["events"]}
    related = {e["type"]: {r["objectId"] for r in e["relationships"]} for e in doc["events"]}
    plan = by_type["plan"][0]
    assert plan in related["CpReviewHeld"] and plan in related["CpPlanEnded"]
    assert {"child-1", "family-1", "referral-1-1"} <= related["AssessmentCompleted"]
    assert related["WorkerJoined"] == {"worker-7", "team-D1-RA"}
    # the child leaves care from the second (kinship) placement
    kinship = [o for o in doc["objects"] if o["type"] == "placement"
               and o["attributes"][0]["value"] == "kinship"][0]["id"]
    assert kinship in related["CareLeft"]
    contact = [e for e in events.values() if e["type"] == "ContactReceived"][0]
    assert {r["objectId"] for r in contact["relationships"]} == {"family-1", "door-1-1"}
    assert sorted(by_type["contact"]) == ["door-1-1", "door-2-6"]
    # a referral object says which front-door case (contact) it came through
    referral = [o for o in doc["objects"] if o["id"] == "referral-1-2"][0]
    assert {"objectId": "door-1-1", "qualifier": "through the front door"} in referral["relationships"]
    assert {"name": "count", "value": "2"} in contact["attributes"]
    alloc = [e for e in events.values() if e["type"] == "WorkerAllocated"][0]
    assert {"name": "value", "value": "12.0"} in alloc["attributes"]
    child = [o for o in doc["objects"] if o["id"] == "child-1"][0]
    assert child["attributes"][0]["name"] == "age_at_first_event"
    float(child["attributes"][0]["value"])


def test_ocel2_schema_check_has_teeth():
    """The OCEL 2.0 JSON schema rejects a missing top-level array and a value that is not a string."""
    schema = jsonschema.Draft7Validator(json.loads(OCEL_SCHEMA.read_text()))
    good = {"objectTypes": [], "eventTypes": [{"name": "A", "attributes": [{"name": "n", "type": "integer"}]}],
            "objects": [], "events": [{"id": "e1", "type": "A", "time": "2014-04-01T00:00:00Z",
                                       "attributes": [{"name": "n", "value": "1"}], "relationships": []}]}
    assert schema.is_valid(good)
    assert not schema.is_valid({k: v for k, v in good.items() if k != "objects"})
    numeric = json.loads(json.dumps(good))
    numeric["events"][0]["attributes"][0]["value"] = 1
    assert not schema.is_valid(numeric)


def expected_excerpt(log: pd.DataFrame, start: str, end: str) -> dict:
    """What the default export of ``log`` holds, worked out apart from journeysim.excerpt: the child
    journeys that start in [start, end) other than the loaded stock, with their events before end; the
    contacts in the window with their MASH decisions (before end); the events of no case in the window."""
    log = log.sort_values("seq")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    date = pd.to_datetime(log["date"])
    child = log[log["case_id"].notna() & log["child_id"].notna()]
    first = child.groupby(["case_id", "child_id"]).agg(first=("date", "min"), opened=("event", "first"))
    first["first"] = pd.to_datetime(first["first"])
    kept = first[(first["first"] >= lo) & (first["first"] < hi) & (first["opened"] != "CaseLoaded")].index
    in_kept = pd.MultiIndex.from_frame(child[["case_id", "child_id"]]).isin(kept)
    journey_events = int((in_kept & (date[child.index] < hi).to_numpy()).sum())
    contacts = log[log["event"] == "ContactReceived"]
    in_window = contacts[(date[contacts.index] >= lo) & (date[contacts.index] < hi)]
    mash = log[log["event"] == "MashScreeningCompleted"]
    via = pd.merge_asof(mash[["seq", "family_id", "date"]], contacts[["seq", "family_id"]].rename(columns={"seq": "contact"}),
                        left_on="seq", right_on="contact", by="family_id")
    mash_events = int((via["contact"].isin(in_window["seq"]) & (pd.to_datetime(via["date"]) < hi)).sum())
    caseless = log[log["case_id"].isna() & ~log["event"].isin(["ContactReceived", "MashScreeningCompleted"])]
    other = int(((date[caseless.index] >= lo) & (date[caseless.index] < hi)).sum())
    return {"journeys": len(kept), "doors": len(in_window), "case_events": journey_events + len(in_window) + mash_events,
            "all_events": journey_events + len(in_window) + mash_events + other}


def test_exports_of_a_simulated_run_from_the_command_line(small_results, tmp_path):
    """By default the reported years only (no warm-up), without the loaded starting stock, with the
    front door's cases in every format."""
    runner = CliRunner()
    log = pd.read_parquet(small_results / "events" / "rep-001.parquet")
    want = expected_excerpt(log, "2016-04-01", "2020-04-01")
    for fmt, name in (("xes", "run.xes"), ("ocel2-json", "run.json"), ("pm4py-csv", "run.csv")):
        r = runner.invoke(main, ["export", str(small_results), "--format", fmt, "--rep", "1", "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        expected = want["all_events"] if fmt == "ocel2-json" else want["case_events"]
        assert f"Exported {expected:,} events ({fmt})" in r.output and "cases starting 2016-04-01 to 2020-04-01" in r.output
    doc = check_xes(tmp_path / "run.xes")
    kinds = [t.find("string[@key='kind']").get("value") for t in doc.getroot().findall("trace")]
    assert (kinds.count("journey"), kinds.count("front door")) == (want["journeys"], want["doors"])
    csv = pd.read_csv(tmp_path / "run.csv", low_memory=False)
    assert pd.to_datetime(csv["time:timestamp"]).min() >= pd.Timestamp("2016-04-01", tz="UTC")
    assert "CaseLoaded" not in set(csv["concept:name"]) and "MashScreeningCompleted" in set(csv["concept:name"])
    ocel = json.loads((tmp_path / "run.json").read_text())
    assert {o["type"] for o in ocel["objects"]} == OBJECT_TYPES
    assert len(ocel["events"]) == want["all_events"]
    # the schema and the standard's rules, on a sample (the schema check takes a second per 5,000 events)
    r = runner.invoke(main, ["export", str(small_results), "--format", "ocel2-json", "--rep", "1", "--sample", "300",
                             "--out", str(tmp_path / "sample.json")])
    assert r.exit_code == 0, r.output
    sample = json.loads((tmp_path / "sample.json").read_text())
    check_ocel2(sample)
    assert {o["type"] for o in sample["objects"]} == OBJECT_TYPES
    r = runner.invoke(main, ["export", str(small_results), "--format", "xes", "--rep", "5", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "no replication 5" in r.output
    r = runner.invoke(main, ["export", str(small_results), "--format", "csv", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "'pm4py-csv', 'xes', 'ocel2-json'" in r.output


def test_export_options_choose_dates_a_sample_a_district_and_event_types(small_results, tmp_path):
    runner = CliRunner()

    def csv(*options: str) -> pd.DataFrame:
        out = tmp_path / f"x{len(list(tmp_path.iterdir()))}.csv"
        r = runner.invoke(main, ["export", str(small_results), "--format", "pm4py-csv", "--out", str(out), *options])
        assert r.exit_code == 0, r.output
        return pd.read_csv(out, low_memory=False)

    log = pd.read_parquet(small_results / "events" / "rep-000.parquet")
    year = csv("--from", "2018-04-01", "--to", "2019-04-01")
    assert len(year) == expected_excerpt(log, "2018-04-01", "2019-04-01")["case_events"]
    stamps = pd.to_datetime(year["time:timestamp"])
    assert stamps.min() >= pd.Timestamp("2018-04-01", tz="UTC") and stamps.max() < pd.Timestamp("2019-04-01", tz="UTC")
    # a seeded sample of journeys: the same twice, another with another seed; the front door's share kept
    whole = csv()
    a, b, c = csv("--sample", "50"), csv("--sample", "50"), csv("--sample", "50", "--sample-seed", "1")
    journeys = a.loc[a["case:kind"] == "journey", "case:concept:name"].unique()
    assert len(journeys) == 50 and a.equals(b) and not a.equals(c)
    # a front-door case is written when it opens in the window, as every case is: a contact on the last day
    # of the warm-up that leads to a referral on the first reported day leaves its journey without it
    in_window = set(whole.loc[whole["case:kind"] == "front door", "case:concept:name"])
    linked = set(a.loc[a["case:kind"] == "journey", "case:front_door"].dropna()) & in_window
    doors = set(a.loc[a["case:kind"] == "front door", "case:concept:name"])
    assert linked <= doors  # every sampled journey's front-door case comes with it
    share = 50 / whole.loc[whole["case:kind"] == "journey", "case:concept:name"].nunique()
    led = set(whole.loc[whole["case:kind"] == "journey", "case:front_door"].dropna())
    alone = set(whole.loc[whole["case:kind"] == "front door", "case:concept:name"]) - led
    assert len(doors - linked) == round(share * len(alone))
    # one district: its journeys' first team is the district's
    d3 = csv("--district", "D3")
    firsts = d3[d3["case:kind"] == "journey"].groupby("case:concept:name")["org:group"].apply(lambda s: s.dropna().iloc[0])
    assert len(firsts) > 0 and firsts.str.startswith("D3-").all()
    assert (set(d3.loc[d3["case:kind"] == "front door", "case:concept:name"])
            == set(d3.loc[d3["case:kind"] == "journey", "case:front_door"].dropna()) & in_window)
    # event types left out, or only some
    dropped = csv("--drop-events", "WorkerAllocated")
    assert "WorkerAllocated" not in set(dropped["concept:name"])
    assert len(dropped) == len(whole) - (whole["concept:name"] == "WorkerAllocated").sum()
    only = csv("--events", "ReferralReceived,CaseClosed")
    assert set(only["concept:name"]) == {"ReferralReceived", "CaseClosed"}
    # the starting stock, when asked for, from the start of the log
    stock = csv("--from", "2014-01-01", "--with-stock")
    assert "CaseLoaded" in set(stock["concept:name"])
    assert "CaseLoaded" not in set(csv("--from", "2014-01-01")["concept:name"])


@pytest.mark.parametrize("options,said", [
    (["--events", "WorkerAlocated"], "--events: unknown event type 'WorkerAlocated'; event types are RunStarted"),
    (["--drop-events", "Nope"], "--drop-events: unknown event type 'Nope'"),
    (["--district", "D99"], "--district D99: the log has no such district; it has D1, D2"),
    (["--from", "2019-04-01", "--to", "2018-04-01"], "--from 2019-04-01 is not before --to 2018-04-01"),
    (["--from", "1 April 2019"], "Invalid value for '--from'"),
    (["--sample", "0"], "Invalid value for '--sample'"),
])
def test_export_options_that_cannot_be_met_say_why(small_results, tmp_path, options, said):
    r = CliRunner().invoke(main, ["export", str(small_results), "--format", "xes", "--out", str(tmp_path / "x.xes"),
                                  *options])
    assert r.exit_code == 2 and said in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())


def test_the_statutory_returns_refuse_the_excerpt_options(small_results, tmp_path):
    r = CliRunner().invoke(main, ["export", str(small_results), "--format", "cin-census", "--year", "2019-20",
                                  "--out", str(tmp_path / "c.xml"), "--sample", "10"])
    assert r.exit_code == 2 and "not --format cin-census" in r.output


def test_front_door_cases_are_linked_on_the_whole_log_whatever_events_are_left_out():
    """The MASH's decision and the journeys keep their front-door case when the contact itself is left
    out (the links are worked out before any event type is)."""
    from journeysim.excerpt import Selection, excerpt

    events = case_events(excerpt(small_log(), Selection(drop=frozenset({"ContactReceived"}))))
    door = events[events["case:concept:name"] == "door-1-1"]
    assert door["concept:name"].tolist() == ["MashScreeningCompleted"]
    assert set(events.loc[events["case:kind"] == "journey", "case:front_door"]) == {"door-1-1"}
    assert "door-2-6" not in set(events["case:concept:name"])  # its one event, the contact, is left out
