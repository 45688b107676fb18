"""Each child's history as the statutory returns see it, folded from the event log.

A pure function of the log (a projection): :func:`histories` reads the events of every child
and gives one table per kind of record the returns are made of -- children, journeys (a CIN
census "CIN details" episode each), assessments, section 47 enquiries, CIN plans, CP plans and
their reviews, periods of care with their placements, and the social workers who held each
child.  Dates are calendar dates (``datetime64``); an open record has ``end`` NaT.  Nothing
here knows which return a record goes to, or which year: :mod:`.ssda903` and
:mod:`.cin_census` choose from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..events import Event
from ..projections import as_frame

E = Event


@dataclass
class Histories:
    """The tables of :func:`histories` (every date a ``datetime64[ns]``; NaT while open)."""

    children: pd.DataFrame  # child_id, family_id, birth, uasc
    journeys: pd.DataFrame  # case_id, child_id, start, end, opening, closing_reason, closing_outcome
    assessments: pd.DataFrame  # case_id, child_id, start, end, outcome
    s47: pd.DataFrame  # case_id, child_id, start, end, outcome, icpc, icpc_outcome
    cin_plans: pd.DataFrame  # case_id, child_id, start, end, start_reason, end_reason
    cp_plans: pd.DataFrame  # case_id, child_id, plan, start, end, number, start_reason, end_reason
    cp_reviews: pd.DataFrame  # case_id, child_id, plan, date
    care: pd.DataFrame  # child_id, period, case_id, start, end, legal_status, entry_reason, exit_reason
    placements: pd.DataFrame  # child_id, period, start, kind, reason
    workers: pd.DataFrame  # child_id, case_id, date, worker, team, reason
    end_date: pd.Timestamp  # the day after the last day simulated (records open then are still open)


#: The starts of a stage loaded at the start of a run (reason ``initial_stock``).
_LOADED_STARTS = (E.CIN_PLAN_STARTED.value, E.CP_PLAN_STARTED.value, E.CARE_ENTERED.value)

_COLS = ["seq", "time", "date", "event", "case_id", "child_id", "family_id", "team", "worker", "outcome", "reason",
         "legal_status", "age", "count", "value"]


def histories(log, start_date=None, end_date=None) -> Histories:
    """Every child's history in the log (an Arrow table or frame).  ``start_date`` is day 0 of
    ``time`` (the log's ``journeysim.start_date``), from which dates of birth are worked out;
    ``end_date`` the day after the last day simulated."""
    meta = getattr(log, "schema", None)
    meta = (meta.metadata or {}) if meta is not None else {}
    if start_date is None:
        start_date = meta.get(b"journeysim.start_date", b"").decode() or None
    if end_date is None:
        end_date = meta.get(b"journeysim.end_date", b"").decode() or None
    df = as_frame(log)
    child = df[df["child_id"].notna()][_COLS]
    start = pd.Timestamp(start_date) if start_date else child["date"].min()
    end = pd.Timestamp(end_date) if end_date else child["date"].max() + pd.Timedelta(days=1)
    return _fold(child.sort_values(["child_id", "seq"], kind="stable"), start, end)


def _fold(rows: pd.DataFrame, day0: pd.Timestamp, end: pd.Timestamp) -> Histories:
    """One pass over each child's events in order, closing and opening records as they go."""
    out = {k: [] for k in ("journeys", "assessments", "s47", "cin_plans", "cp_plans", "cp_reviews", "care",
                           "placements", "workers")}
    # dates of birth: day 0 plus the birth day (time - age in days), the same for every event of a child
    birth_day = rows["time"].to_numpy() - rows["age"].to_numpy(dtype=float) * 365.25
    first = ~rows["child_id"].duplicated()
    children = pd.DataFrame({
        "child_id": rows.loc[first, "child_id"].astype("int64").to_numpy(),
        "family_id": rows.loc[first, "family_id"].astype("int64").to_numpy(),
        "birth": day0 + pd.to_timedelta(np.floor(birth_day[first.to_numpy()] + 1e-6), unit="D"),
    })
    uasc = set(rows.loc[rows["event"] == E.UASC_ARRIVED.value, "child_id"].astype("int64"))
    children["uasc"] = children["child_id"].isin(uasc)

    j = a = s = cin = cp = care = None
    period = {}
    plan_no = 0
    current = None
    for r in rows.itertuples(index=False):
        ev, date, cid, kid = r.event, r.date, r.case_id, r.child_id
        if kid != current:  # a new child: what the last one left open stays open
            j = a = s = cin = cp = care = None
            current = kid
        if r.reason == "initial_stock" and j is not None and ev in _LOADED_STARTS:
            date = j["start"]  # a plan or care loaded at the start began when its case did
        if ev in (E.REFERRAL_RECEIVED.value, E.CASE_LOADED.value, E.UASC_ARRIVED.value):
            # a case loaded from a snapshot says how long it had been in its stage: its records began then
            before = pd.Timedelta(days=float(r.value)) if ev == E.CASE_LOADED.value and not pd.isna(r.value) \
                else pd.Timedelta(0)
            if ev == E.CASE_LOADED.value:
                date = (date - before).normalize()
            j = {"case_id": cid, "child_id": kid, "start": date, "end": pd.NaT, "opening": ev,
                 "loaded_as": r.outcome if ev == E.CASE_LOADED.value else None,
                 "closing_reason": None, "closing_outcome": None}
            out["journeys"].append(j)
        elif ev == E.WORKER_ALLOCATED.value:
            out["workers"].append({"child_id": kid, "case_id": cid, "date": date, "worker": r.worker,
                                   "team": r.team, "reason": r.reason})
        elif ev == E.ASSESSMENT_STARTED.value:
            a = {"case_id": cid, "child_id": kid, "start": date, "end": pd.NaT, "outcome": None}
            out["assessments"].append(a)
        elif ev == E.ASSESSMENT_COMPLETED.value and a is not None:
            a["end"], a["outcome"] = date, r.outcome
            a = None
        elif ev == E.STRATEGY_DISCUSSION_HELD.value and r.outcome == "s47":
            s = {"case_id": cid, "child_id": kid, "start": date, "end": pd.NaT, "outcome": None,
                 "icpc": pd.NaT, "icpc_outcome": None}
            out["s47"].append(s)
        elif ev == E.S47_ENQUIRY_COMPLETED.value and s is not None:
            s["end"], s["outcome"] = date, r.outcome
            if r.outcome != "icpc":
                s = None
        elif ev == E.ICPC_HELD.value and s is not None:
            s["icpc"], s["icpc_outcome"] = date, r.outcome
            s = None
        elif ev == E.CIN_PLAN_STARTED.value:
            cin = {"case_id": cid, "child_id": kid, "start": date, "end": pd.NaT, "start_reason": r.reason,
                   "end_reason": None}
            out["cin_plans"].append(cin)
        elif ev == E.CIN_PLAN_ENDED.value and cin is not None:
            cin["end"], cin["end_reason"] = date, r.reason
            cin = None
        elif ev == E.CP_PLAN_STARTED.value:
            plan_no += 1
            cp = {"case_id": cid, "child_id": kid, "plan": plan_no, "start": date, "end": pd.NaT,
                  "number": int(r.count) if not pd.isna(r.count) else 1, "start_reason": r.reason, "end_reason": None}
            out["cp_plans"].append(cp)
        elif ev == E.CP_REVIEW_HELD.value and cp is not None:
            out["cp_reviews"].append({"case_id": cid, "child_id": kid, "plan": cp["plan"], "date": date})
        elif ev == E.CP_PLAN_ENDED.value and cp is not None:
            cp["end"], cp["end_reason"] = date, r.reason
            cp = None
        elif ev == E.CARE_ENTERED.value:
            n = period[kid] = period.get(kid, 0) + 1
            care = {"child_id": kid, "period": n, "case_id": cid, "start": date, "end": pd.NaT,
                    "legal_status": r.legal_status, "entry_reason": r.reason, "exit_reason": None}
            out["care"].append(care)
        elif ev == E.PLACEMENT_STARTED.value and care is not None:
            if r.reason == "entry" and care["entry_reason"] == "initial_stock":  # in a snapshot: its days so far
                date = (date - pd.Timedelta(days=float(r.value))).normalize() if not pd.isna(r.value) else care["start"]
                date = max(date, care["start"])
            out["placements"].append({"child_id": kid, "period": care["period"], "start": date, "kind": r.outcome,
                                      "reason": r.reason})
        elif ev == E.CARE_LEFT.value and care is not None:
            care["end"], care["exit_reason"] = date, r.reason
            care = None
        elif ev == E.CASE_CLOSED.value and j is not None:
            j["end"], j["closing_reason"], j["closing_outcome"] = date, r.reason, r.outcome
            for rec in (a, cin, cp, care):
                if rec is not None and pd.isna(rec["end"]):
                    rec["end"] = date
                    if "end_reason" in rec:
                        rec["end_reason"] = "closed"
            j = a = s = cin = cp = care = None
    return Histories(children=children, end_date=end, **{k: _frame(k, v) for k, v in out.items()})


_SCHEMAS = {
    "journeys": ["case_id", "child_id", "start", "end", "opening", "loaded_as", "closing_reason", "closing_outcome"],
    "assessments": ["case_id", "child_id", "start", "end", "outcome"],
    "s47": ["case_id", "child_id", "start", "end", "outcome", "icpc", "icpc_outcome"],
    "cin_plans": ["case_id", "child_id", "start", "end", "start_reason", "end_reason"],
    "cp_plans": ["case_id", "child_id", "plan", "start", "end", "number", "start_reason", "end_reason"],
    "cp_reviews": ["case_id", "child_id", "plan", "date"],
    "care": ["child_id", "period", "case_id", "start", "end", "legal_status", "entry_reason", "exit_reason"],
    "placements": ["child_id", "period", "start", "kind", "reason"],
    "workers": ["child_id", "case_id", "date", "worker", "team", "reason"],
}


def _frame(kind: str, records: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame.from_records(records, columns=_SCHEMAS[kind])
    for col in ("case_id", "child_id", "worker"):
        if col in out:
            out[col] = out[col].astype("int64")
    for col in ("start", "end", "date", "icpc"):
        if col in out:
            out[col] = pd.to_datetime(out[col])
    return out
