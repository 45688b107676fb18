"""The event log in the forms process-mining tools read (``journeysim export``).

* ``pm4py-csv`` -- one row per event of a case, with the standard column names
  (``case:concept:name``, ``concept:name``, ``time:timestamp``, ``org:resource``,
  ``org:group``, ``lifecycle:transition``) that pm4py, Disco, Celonis and ProM map at once;
* ``xes`` -- the same events as an IEEE 1849-2016 XES log (one trace per case).
  Its elements are in no XML namespace: the XML schema published with the standard
  declares no target namespace, so a ``log`` element in the namespace that OpenXES and
  pm4py write (``http://www.xes-standard.org/``) does not validate against it;
* ``ocel2-json`` -- every event (front door and workforce included) as an OCEL 2.0
  object-centric log whose objects are children, families, contacts (front-door cases),
  referrals, plans, placements, workers and teams.  Attribute values are written as JSON
  strings, as the OCEL 2.0 JSON schema requires; their types (``integer``, ``float``,
  ``string``) are declared in ``eventTypes`` and ``objectTypes``, from which readers such as
  pm4py convert them;
* ``vidigi`` -- the cases as entities in vidigi's event-log schema, for its animations
  (:mod:`journeysim.animation_log`).

A case (trace) is one child's journey, ``"<case_id>-<child_id>"``, or one family's passage
through the front door, ``"door-<family_id>-<seq>"`` (see :mod:`journeysim.excerpt`, which
also chooses the window of dates, the sample, the district and the event types written).
Every event is an instantaneous fact, so its lifecycle transition is ``complete``.
Timestamps are the event's simulated day plus its time of day, in UTC.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from .events import Event
from .excerpt import DOOR, JOURNEY, Selection, cases, excerpt
from .progress import progress_bar
from .projections import as_frame

#: The front door's events: a front-door case's.
FRONT_DOOR = (Event.CONTACT_RECEIVED.value, Event.MASH_SCREENING_COMPLETED.value)

FORMATS = ("pm4py-csv", "xes", "ocel2-json", "vidigi")

#: Fields carried as event attributes besides the standard ones (column, XES/OCEL type).
EXTRA = [("outcome", "string"), ("reason", "string"), ("legal_status", "string"), ("age", "float"),
         ("count", "int"), ("value", "float")]


def timestamps(df: pd.DataFrame) -> pd.Series:
    """Each event's date plus its time of day (the fraction of ``time``), to the second, UTC."""
    fraction = pd.to_timedelta(((df["time"] - np.floor(df["time"])) * 86_400).round(), unit="s")
    return (df["date"] + fraction).dt.tz_localize("UTC")


def _resource(worker: pd.Series) -> pd.Series:
    return ("worker " + worker.astype("string")).astype(object).where(worker.notna(), None)


def framed(log) -> pd.DataFrame:
    """``log`` as an excerpt's frame: an :func:`~journeysim.excerpt.excerpt` as it is, any other log (Arrow
    table or frame) whole, with its :func:`~journeysim.excerpt.cases`."""
    if isinstance(log, pd.DataFrame) and JOURNEY in log.columns:
        return log
    return cases(as_frame(log))


def case_events(df: pd.DataFrame) -> pd.DataFrame:
    """The events of the cases of ``df`` (an :func:`journeysim.excerpt.excerpt`: child journeys and
    front-door cases) in process-mining columns, ordered by case, then time.

    Columns: ``case:concept:name``, ``concept:name``, ``time:timestamp``, ``org:resource``
    (``"worker <id>"``), ``org:group`` (the team), ``lifecycle:transition`` (``complete``),
    ``case:kind`` (``journey`` or ``front door``), ``case:front_door`` (the front-door case a journey
    came through; a front-door case's own name), ``case:child_id``, ``case:family_id`` and the event
    fields ``outcome``, ``reason``, ``legal_status``, ``age``, ``count``, ``value``.
    """
    df = framed(df)
    at_door = df["event"].isin(FRONT_DOOR) & df[DOOR].notna()
    df = df[df[JOURNEY].notna() | at_door]
    at_door = at_door[df.index]
    out = pd.DataFrame({
        "case:concept:name": df[JOURNEY].where(~at_door, df[DOOR]),
        "concept:name": df["event"],
        "time:timestamp": timestamps(df),
        "org:resource": _resource(df["worker"]),
        "org:group": df["team"].where(_present_mask(df["team"]), None),
        "lifecycle:transition": "complete",
        "case:kind": np.where(at_door, "front door", "journey"),
        "case:front_door": df[DOOR],
        "case:child_id": df["child_id"],
        "case:family_id": df["family_id"],
    })
    for col, kind in EXTRA:
        out[col] = df[col].astype(object).where(_present_mask(df[col]), None) if kind == "string" else df[col]
    out["_seq"] = df["seq"]
    out = out.sort_values(["case:concept:name", "_seq"], kind="stable").drop(columns="_seq")
    return out.reset_index(drop=True)


def write_pm4py_csv(df: pd.DataFrame, path: Path) -> int:
    """Write :func:`case_events` as CSV (ISO 8601 timestamps); returns the number of events."""
    events = case_events(df)
    events.assign(**{"time:timestamp": events["time:timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")}).to_csv(path, index=False)
    return len(events)


# ------------------------------------------------------------------------------------------------ XES
_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by journeysim: one trace per child journey (case_id-child_id). IEEE 1849-2016 (XES). -->
<log xes.version="2.0">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="UNKNOWN"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity_and_transition" keys="concept:name lifecycle:transition"/>
"""
_XES_TYPES = {"string": "string", "float": "float", "int": "int"}


def _xes_attr(kind: str, key: str, value) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _xes_column(kind: str, key: str, values: pd.Series) -> pd.Series:
    """The XES attribute element of every row ('' where the value is missing)."""
    present = _present_mask(values)
    if kind in ("string", "date"):
        escaped = values[present].astype(str)
        text = escaped.map({u: quoteattr(u) for u in escaped.unique()})
    else:
        number = values[present].astype("int64" if kind == "int" else "float64")
        text = '"' + number.astype(str) + '"'
    out = pd.Series("", index=values.index, dtype=object)
    out[present] = f"<{kind} key={quoteattr(key)} value=" + text + "/>"
    return out


def xes_event_lines(events: pd.DataFrame) -> pd.Series:
    """One ``<event>`` element per row of :func:`case_events`."""
    stamp = events["time:timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    parts = [_xes_column("string", "concept:name", events["concept:name"]),
             _xes_column("date", "time:timestamp", stamp),
             _xes_column("string", "lifecycle:transition", events["lifecycle:transition"]),
             _xes_column("string", "org:resource", events["org:resource"]),
             _xes_column("string", "org:group", events["org:group"])]
    parts += [_xes_column(kind, col, events[col]) for col, kind in EXTRA]
    line = "      <event>" + parts[0]
    for part in parts[1:]:
        line = line + part
    return line + "</event>\n"


def write_xes(df: pd.DataFrame, path: Path, name: str = "journeysim") -> int:
    """Write the cases of ``df`` (child journeys and front-door cases) as an XES log; returns the number
    of events."""
    events = case_events(df)
    lines = xes_event_lines(events).to_numpy()
    cases = events["case:concept:name"].to_numpy()
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]]) if len(cases) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(cases)]
    heads = _trace_heads(events.iloc[starts])
    with open(path, "w", encoding="utf-8") as f:
        f.write(_XES_HEAD)
        f.write(f"  {_xes_attr('string', 'concept:name', name)}\n")
        with progress_bar(len(starts), "writing traces", "trace") as bar:
            for head, a, b in zip(heads, starts, ends):
                f.write(f"  <trace>\n    {head}\n" + "".join(lines[a:b]) + "  </trace>\n")
                bar.update(1)
        f.write("</log>\n")
    return len(events)


def _trace_heads(firsts: pd.DataFrame) -> list[str]:
    """Each trace's attributes: its name, kind, front-door case, child (on a journey) and family."""
    heads = []
    for case, kind, door, child, family in firsts[["case:concept:name", "case:kind", "case:front_door",
                                                    "case:child_id", "case:family_id"]].itertuples(index=False):
        head = _xes_attr("string", "concept:name", case) + _xes_attr("string", "kind", kind)
        if _present(door):
            head += _xes_attr("string", "front_door", door)
        if _present(child):
            head += _xes_attr("int", "child_id", int(child))
        if _present(family):
            head += _xes_attr("int", "family_id", int(family))
        heads.append(head)
    return heads


# ------------------------------------------------------------------------------------------------ OCEL 2.0
OBJECT_TYPES = {
    "child": [("age_at_first_event", "float")],
    "family": [],
    "referral": [("team", "string")],
    "plan": [("kind", "string")],
    "placement": [("placement_type", "string")],
    "worker": [("kind", "string"), ("team", "string")],
    "team": [],
    "contact": [],
}
_OCEL_TYPES = {"string": "string", "float": "float", "int": "integer"}
_PLAN_START = {Event.CIN_PLAN_STARTED.value: "cin", Event.CP_PLAN_STARTED.value: "cp"}
_PLAN_EVENTS = {
    "cin": {Event.CIN_PLAN_STARTED.value, Event.CIN_PLAN_ENDED.value},
    "cp": {Event.CP_PLAN_STARTED.value, Event.CP_REVIEW_HELD.value, Event.PLO_STARTED.value,
           Event.CARE_PROCEEDINGS_ISSUED.value, Event.CP_PLAN_ENDED.value},
}


def _ocel_value(value, kind: str) -> str:
    """An attribute value as the OCEL 2.0 JSON schema has it: a string (its type is declared)."""
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return repr(float(value))
    return str(value)


def _iso(ts) -> str:
    """A timestamp as OCEL 2.0 writes it (one already written so, as it is)."""
    return ts if isinstance(ts, str) else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _present(value) -> bool:
    """A field that is filled (missing fields are None, NA, NaN, or 'None' from older pandas)."""
    return not (value is None or value is pd.NA or value != value or value == "None")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text and nullable integer columns as plain Python objects (None where missing), so
    that going through its rows one by one is quick."""
    out = df.copy()
    for col in out.columns:
        if not (pd.api.types.is_float_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])):
            values = out[col].astype(object)
            out[col] = values.where(values.notna() & (values != "None"), None)
    return out


def _present_mask(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype(object) != "None")


def _object_links(df: pd.DataFrame) -> pd.DataFrame:
    """For each event row: the ids of the referral, plan and placement objects it concerns."""
    child = df["case_id"].notna() & df["child_id"].notna()
    journey = df["case_id"].astype("string") + "-" + df["child_id"].astype("string")
    links = pd.DataFrame(index=df.index)
    is_ref = df["event"] == Event.REFERRAL_RECEIVED.value
    links["referral"] = ("referral-" + journey).where(child)
    has_ref = journey[is_ref & child].unique()
    links.loc[~journey.isin(has_ref), "referral"] = None
    for kind, names in _PLAN_EVENTS.items():
        start = df["event"] == [k for k, v in _PLAN_START.items() if v == kind][0]
        plan_id = ("plan-" + df["seq"].astype("string")).where(start & child)
        current = plan_id.groupby(journey).ffill()
        links[f"plan_{kind}"] = current.where(df["event"].isin(names) & child)
    placed = df["event"] == Event.PLACEMENT_STARTED.value
    place_id = ("placement-" + df["seq"].astype("string")).where(placed & child)
    current = place_id.groupby(df["child_id"]).ffill()
    in_care_events = df["event"].isin([Event.PLACEMENT_STARTED.value, Event.CARE_LEFT.value])
    links["placement"] = current.where(in_care_events & child)
    return links


def _event_relationships(row, links_row) -> list[dict]:
    rel = []
    if row.event in FRONT_DOOR and _present(row.door):
        rel.append({"objectId": row.door, "qualifier": "contact"})
    if _present(row.child_id):
        rel.append({"objectId": f"child-{row.child_id}", "qualifier": "child"})
    if _present(row.family_id):
        rel.append({"objectId": f"family-{row.family_id}", "qualifier": "family"})
    for col, qualifier in (("referral", "journey of referral"), ("plan_cin", "plan"), ("plan_cp", "plan"),
                           ("placement", "placement")):
        value = links_row[col]
        if _present(value):
            rel.append({"objectId": value, "qualifier": qualifier})
    if _present(row.worker):
        rel.append({"objectId": f"worker-{row.worker}", "qualifier": "worker"})
    if _present(row.team):
        rel.append({"objectId": f"team-{row.team}", "qualifier": "team"})
    return rel


def _objects(df: pd.DataFrame, links: pd.DataFrame, stamps: pd.Series) -> Iterator[dict]:
    """Every object with its (timed) attributes and object-to-object relationships."""
    children = df[df["child_id"].notna()].drop_duplicates("child_id")
    for row, ts in zip(children.itertuples(), stamps[children.index]):
        rel = [{"objectId": f"family-{row.family_id}", "qualifier": "member of"}] if _present(row.family_id) else []
        yield {"id": f"child-{row.child_id}", "type": "child",
               "attributes": [{"name": "age_at_first_event", "time": _iso(ts), "value": _ocel_value(row.age, "float")}]
               if _present(row.age) else [], "relationships": rel}
    for family in df["family_id"].dropna().unique():
        yield {"id": f"family-{family}", "type": "family", "attributes": [], "relationships": []}
    doors = df[df["event"].isin(FRONT_DOOR) & df[DOOR].notna()].drop_duplicates(DOOR)
    for door, family in zip(doors[DOOR], doors["family_id"]):
        yield {"id": door, "type": "contact", "attributes": [],
               "relationships": [{"objectId": f"family-{family}", "qualifier": "of"}] if _present(family) else []}
    contacts = set(doors[DOOR])
    refs = df[df["event"] == Event.REFERRAL_RECEIVED.value]
    for (i, row), ts in zip(refs.iterrows(), stamps[refs.index]):
        through = [{"objectId": row[DOOR], "qualifier": "through the front door"}] if row[DOOR] in contacts else []
        yield {"id": links.at[i, "referral"], "type": "referral",
               "attributes": [{"name": "team", "time": _iso(ts), "value": str(row["team"])}] if _present(row["team"]) else [],
               "relationships": [{"objectId": f"child-{row['child_id']}", "qualifier": "about"}, *through]}
    plans = df[df["event"].isin(list(_PLAN_START))]
    for (i, row), ts in zip(plans.iterrows(), stamps[plans.index]):
        kind = _PLAN_START[row["event"]]
        yield {"id": links.at[i, f"plan_{kind}"], "type": "plan",
               "attributes": [{"name": "kind", "time": _iso(ts), "value": kind}],
               "relationships": [{"objectId": f"child-{row['child_id']}", "qualifier": "for"}]}
    places = df[df["event"] == Event.PLACEMENT_STARTED.value]
    for (i, row), ts in zip(places.iterrows(), stamps[places.index]):
        yield {"id": links.at[i, "placement"], "type": "placement",
               "attributes": [{"name": "placement_type", "time": _iso(ts), "value": str(row["outcome"])}],
               "relationships": [{"objectId": f"child-{row['child_id']}", "qualifier": "of"}]}
    yield from _workers(df, stamps)
    for team in sorted(df.loc[_present_mask(df["team"]), "team"].unique()):
        yield {"id": f"team-{team}", "type": "team", "attributes": [], "relationships": []}


def _workers(df: pd.DataFrame, stamps: pd.Series) -> Iterator[dict]:
    """Workers, with their kind and their team over time (from joining and moving)."""
    staff = df[df["event"].isin([Event.WORKER_JOINED.value, Event.WORKER_MOVED.value])]
    seen = set()
    for worker, rows in staff.groupby("worker", sort=True):
        attrs = []
        for (_, row), ts in zip(rows.iterrows(), stamps[rows.index]):
            if row["event"] == Event.WORKER_JOINED.value:
                attrs.append({"name": "kind", "time": _iso(ts), "value": str(row["outcome"])})
            attrs.append({"name": "team", "time": _iso(ts), "value": str(row["team"])})
        seen.add(worker)
        yield {"id": f"worker-{worker}", "type": "worker", "attributes": attrs,
               "relationships": [{"objectId": f"team-{rows['team'].iloc[0]}", "qualifier": "member of"}]}
    # hub workers and any worker without a joining event still need an object
    for worker in sorted(set(df["worker"].dropna().unique()) - seen):
        yield {"id": f"worker-{worker}", "type": "worker", "attributes": [], "relationships": []}


def _event_types(df: pd.DataFrame) -> list[dict]:
    out = []
    for name in sorted(df["event"].unique()):
        rows = df[df["event"] == name]
        attrs = [{"name": col, "type": _OCEL_TYPES[kind]} for col, kind in EXTRA if _present_mask(rows[col]).any()]
        out.append({"name": name, "attributes": attrs})
    return out


def write_ocel2_json(df: pd.DataFrame, path: Path) -> int:
    """Write every event of ``df`` (an :func:`journeysim.excerpt.excerpt`) as an OCEL 2.0 JSON log;
    returns the number of events."""
    df = framed(df).reset_index(drop=True)
    stamps = timestamps(df).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    links = _plain(_object_links(df))
    df = _plain(df)
    object_types = [{"name": n, "attributes": [{"name": a, "type": _OCEL_TYPES[t]} for a, t in attrs]}
                    for n, attrs in OBJECT_TYPES.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{\n"objectTypes": ' + json.dumps(object_types) + ',\n"eventTypes": ' + json.dumps(_event_types(df)))
        f.write(',\n"objects": [\n')
        _write_items(f, _objects(df, links, stamps))
        f.write('],\n"events": [\n')
        with progress_bar(len(df), "writing events", "event") as bar:
            _write_items(f, _events(df, links, stamps), bar)
        f.write("]\n}\n")
    return len(df)


def _events(df: pd.DataFrame, links: pd.DataFrame, stamps: pd.Series) -> Iterator[dict]:
    link_rows = links.to_dict("index")
    for row, ts in zip(df.itertuples(), stamps):
        attrs = []
        for col, kind in EXTRA:
            value = getattr(row, col)
            if _present(value):
                attrs.append({"name": col, "value": _ocel_value(value, kind)})
        yield {"id": f"e{row.seq}", "type": row.event, "time": _iso(ts), "attributes": attrs,
               "relationships": _event_relationships(row, link_rows[row.Index])}


def _write_items(f, items: Iterator[dict], bar=None) -> None:
    """Items as comma-separated JSON, one a line (advancing ``bar`` every 10,000)."""
    n = 0
    for item in items:
        f.write(("" if n == 0 else ",\n") + json.dumps(item, default=_jsonable))
        n += 1
        if bar is not None and n % 10_000 == 0:
            bar.update(10_000)
    if bar is not None:
        bar.update(n - bar.n)
    f.write("\n")


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


def write_vidigi(df: pd.DataFrame, path: Path, rep: int = 0) -> int:
    """Write the cases of ``df`` as vidigi's event log (:mod:`journeysim.animation_log`), a CSV; returns its rows."""
    from .animation_log import vidigi_log

    rows = vidigi_log(framed(df), rep)
    rows.to_csv(path, index=False)
    return len(rows)


def export(log, fmt: str, path: str | Path, name: str = "journeysim", selection: Selection | None = None,
           rep: int = 0) -> int:
    """Write the :class:`~journeysim.excerpt.Selection` of ``log`` (replication ``rep``; everything but the
    starting stock by default) to ``path`` in format ``fmt`` (one of :data:`FORMATS`); returns the events
    (for vidigi, the rows) written."""
    path = Path(path)
    df = excerpt(log, selection or Selection())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    writer = {"pm4py-csv": write_pm4py_csv, "xes": lambda frame, p: write_xes(frame, p, name),
              "ocel2-json": write_ocel2_json, "vidigi": lambda frame, p: write_vidigi(frame, p, rep)}[fmt]
    try:
        n = writer(df, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a write that failed half way leaves nothing behind
    return n
