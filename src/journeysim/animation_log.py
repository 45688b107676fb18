"""The event log in vidigi's schema (``journeysim export --format vidigi``), for the animation of
journeys that the health and care simulation community makes with vidigi.

vidigi animates **entities** moving between **steps**.  Each row of its log is one entity's
event: ``entity_id`` (an integer), ``event_type`` (``arrival_departure``, ``queue``,
``resource_use`` or ``resource_use_end``), ``event`` (the step; ``arrival`` and ``depart``
begin and end an entity), ``time`` (days since the simulation began: the log's ``time``),
``resource_id`` (on resource use) and ``run`` (the replication).

An entity is one case of an :mod:`journeysim.excerpt`: a child's journey or a family's passage
through the front door (``case`` names it, as the other exports do, and ``front_door`` names
the front-door case a journey came through).  Their steps (:data:`STEPS`):

* a front-door case arrives with its contact, waits ``in_mash`` while the MASH screens it, and
  departs at the MASH's decision (or at once, when the contact was given advice or early help);
* a journey arrives with its referral (or a UASC's arrival), ``awaiting_allocation`` until a
  worker is allocated, then moves through ``assessment``, ``child_protection_enquiry`` (strategy
  discussion, section 47 enquiry, initial conference), ``cin_plan``, ``cp_plan``, ``looked_after``
  and ``left_care``, and departs when its case closes.  A social worker's allocation is
  ``resource_use`` of that worker (``resource_id``: the worker's number in the excerpt, from 1),
  ended (``resource_use_end``) by the next allocation or the departure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .events import Event as E
from .excerpt import DOOR, JOURNEY

#: Where each journeysim event puts its entity: (event type, step).
STEPS = {
    E.CONTACT_RECEIVED.value: ("arrival_departure", "arrival"),
    E.REFERRAL_RECEIVED.value: ("arrival_departure", "arrival"),
    E.UASC_ARRIVED.value: ("arrival_departure", "arrival"),
    E.CASE_LOADED.value: ("arrival_departure", "arrival"),
    E.ASSESSMENT_STARTED.value: ("queue", "assessment"),
    E.STRATEGY_DISCUSSION_HELD.value: ("queue", "child_protection_enquiry"),
    E.CIN_PLAN_STARTED.value: ("queue", "cin_plan"),
    E.CP_PLAN_STARTED.value: ("queue", "cp_plan"),
    E.CARE_ENTERED.value: ("queue", "looked_after"),
    E.CARE_LEFT.value: ("queue", "left_care"),
    E.MASH_SCREENING_COMPLETED.value: ("arrival_departure", "depart"),
    E.CASE_CLOSED.value: ("arrival_departure", "depart"),
}
#: The steps in the order an animation lays them out, with their labels.
STEP_LABELS = {
    "in_mash": "MASH screening (families)", "awaiting_allocation": "Awaiting a social worker",
    "assessment": "Assessment", "child_protection_enquiry": "Strategy and s47 enquiry", "cin_plan": "CIN plan",
    "cp_plan": "CP plan", "looked_after": "Looked after", "left_care": "Left care (home on a plan)",
}
COLUMNS = ["entity_id", "event_type", "event", "time", "resource_id", "run", "case", "front_door", "journeysim_event"]


def vidigi_log(df: pd.DataFrame, rep: int) -> pd.DataFrame:
    """The cases of ``df`` (an :func:`journeysim.excerpt.excerpt`) as vidigi's event log (:data:`COLUMNS`),
    ordered by time, then the journeysim log's order."""
    door_rows = df["event"].isin([E.CONTACT_RECEIVED.value, E.MASH_SCREENING_COMPLETED.value]) & df[DOOR].notna()
    df = df[df[JOURNEY].notna() | door_rows].copy()
    door_rows = door_rows[df.index]
    df["case"] = df[JOURNEY].where(~door_rows, df[DOOR])
    rows = [_steps(df), _waits(df, door_rows), _allocations(df)]
    out = pd.concat([r for r in rows if len(r)], ignore_index=True).sort_values(["time", "seq", "order"], kind="stable")
    first = out.drop_duplicates("case")["case"]
    out["entity_id"] = out["case"].map(dict(zip(first, range(1, len(first) + 1))))
    out["run"] = rep
    front = df.drop_duplicates("case").set_index("case")[DOOR]
    out["front_door"] = out["case"].map(front).where(~out["case"].str.startswith("door-"), None)
    return out[COLUMNS].reset_index(drop=True)


def _rows(df: pd.DataFrame, event_type, event, order: int, resource=None) -> pd.DataFrame:
    return pd.DataFrame({"case": df["case"].to_numpy(), "time": df["time"].to_numpy(), "seq": df["seq"].to_numpy(),
                         "event_type": event_type, "event": event, "order": order,
                         "resource_id": resource if resource is not None else pd.NA,
                         "journeysim_event": df["event"].to_numpy()})


def _steps(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the events that move an entity (:data:`STEPS`); a journey's steps after its departure
    (none in a valid journey) are dropped, as are a second arrival's."""
    moves = df[df["event"].isin(STEPS)]
    kinds = moves["event"].map(lambda e: STEPS[e][0]).to_numpy()
    steps = moves["event"].map(lambda e: STEPS[e][1]).to_numpy()
    out = _rows(moves, kinds, steps, 1)
    arrivals = out["event"] == "arrival"
    return out[~arrivals | ~out.duplicated(["case", "event"])]


def _waits(df: pd.DataFrame, door_rows: pd.Series) -> pd.DataFrame:
    """A queue row right after each arrival: ``in_mash`` for a contact sent to the MASH, else (a
    contact given advice or early help) straight to ``depart``; ``awaiting_allocation`` for a referral."""
    contacts = df[door_rows & (df["event"] == E.CONTACT_RECEIVED.value)]
    to_mash = contacts["outcome"].astype(str) == "mash"
    referrals = df[df["event"] == E.REFERRAL_RECEIVED.value].drop_duplicates("case")
    return pd.concat([_rows(contacts[to_mash], "queue", "in_mash", 2),
                      _rows(contacts[~to_mash], "arrival_departure", "depart", 3),
                      _rows(referrals, "queue", "awaiting_allocation", 2)], ignore_index=True)


def _allocations(df: pd.DataFrame) -> pd.DataFrame:
    """Each allocation of a worker as ``resource_use`` of that worker (numbered from 1), ended by the
    journey's next allocation or its closure (``resource_use_end``, just before the step that ends it)."""
    alloc = df[df["event"] == E.WORKER_ALLOCATED.value]
    if alloc.empty:
        return alloc
    workers = sorted(alloc["worker"].dropna().unique())
    number = alloc["worker"].map({w: i for i, w in enumerate(workers, start=1)}).to_numpy()
    use = _rows(alloc, "resource_use", "allocated", 4, number)
    closed = df[df["event"] == E.CASE_CLOSED.value].drop_duplicates("case").set_index("case")
    following = alloc.groupby("case")[["time", "seq"]].shift(-1)
    end_time = following["time"].fillna(alloc["case"].map(closed["time"]))
    end_seq = following["seq"].fillna(alloc["case"].map(closed["seq"]))
    ends = alloc.assign(time=end_time, seq=end_seq)[end_time.notna()]
    return pd.concat([use, _rows(ends, "resource_use_end", "allocated", 0, number[end_time.notna().to_numpy()])],
                     ignore_index=True)


def start_day(df: pd.DataFrame, date) -> float:
    """The log's day (its ``time``) at the start of ``date``: where an animation's window starts."""
    day0 = (df["date"] - pd.to_timedelta(np.floor(df["time"]), unit="D")).iloc[0]
    return float((pd.Timestamp(date) - day0) / pd.Timedelta(days=1))


def check(log: pd.DataFrame) -> None:
    """ValueError unless ``log`` has the schema: integer entities, known event types, one run, resource ids
    on resource use, each entity arriving once before anything else."""
    if not set(COLUMNS) <= set(log.columns):
        raise ValueError(f"missing columns {sorted(set(COLUMNS) - set(log.columns))}")
    if not set(log["event_type"]) <= {"arrival_departure", "queue", "resource_use", "resource_use_end"}:
        raise ValueError("unknown event types")
    if log["run"].nunique() != 1 or not np.issubdtype(log["entity_id"].dtype, np.integer):
        raise ValueError("one run of integer entities")
    first = log.sort_values("time", kind="stable").groupby("entity_id")["event"].first()
    if (first != "arrival").any():
        raise ValueError(f"entities that do not start with an arrival: {list(first.index[first != 'arrival'][:5])}")
