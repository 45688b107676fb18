"""One child's journey told in words, from the event log (``journeysim trace``)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .events import WORKER_CHANGE_REASONS

#: How a plan's end tells the family's engagement (left out when the event has none).
ENGAGEMENT = " (engagement {value:.2f})"
_PHRASES = {
    "ReferralReceived": "referred to children's social care (previous referrals: {count})",
    "CaseLoaded": "already open when the run starts: {outcome}",
    "UascArrived": "arrives as an unaccompanied asylum-seeking child",
    "WorkerAllocated": "allocated to worker {worker} in {team} ({why}; they now hold {children})",
    "AssessmentStarted": "assessment starts",
    "AssessmentCompleted": "assessment completed: {outcome} ({days} after the referral)",
    "StrategyDiscussionHeld": "strategy discussion: {outcome}",
    "S47EnquiryCompleted": "section 47 enquiry completed: {outcome}",
    "IcpcHeld": "initial child protection conference: {outcome}",
    "CinPlanStarted": "Child in Need plan starts ({reason})",
    "CinPlanEnded": "Child in Need plan ends: {reason}" + ENGAGEMENT,
    "CpPlanStarted": "Child Protection plan no. {count} starts",
    "CpReviewHeld": "CP review conference {count}: {outcome}",
    "CpPlanEnded": "Child Protection plan ends: {reason}" + ENGAGEMENT,
    "HubReferred": "family referred to {team}",
    "HubSupportStarted": "intensive support from {team} starts (waited {days})",
    "HubSupportEnded": "hub support ends after {days}",
    "FitReferred": "family referred to the Family Intervention Team ({team})",
    "FitSupportStarted": "support from the Family Intervention Team starts (waited {days})",
    "FitSupportEnded": "Family Intervention Team support ends after {days}",
    "EdgeOfCareStarted": "edge-of-care support starts instead of entering care now",
    "EdgeOfCareEnded": "edge-of-care support ends after {days}: {outcome}",
    "PloStarted": "Public Law Outline pre-proceedings start",
    "CareProceedingsIssued": "care proceedings issued",
    "CareEntered": "enters care ({legal_status}; {reason})",
    "PlacementStarted": "placement: {outcome} ({reason})",
    "CareLeft": "leaves care: {reason} after {days}",
    "ReturnHomeBrokeDown": "the return home breaks down after {days}",
    "CaseClosed": "case closed: {reason}, to {outcome}",
}


class _Blank(dict):
    def __missing__(self, key):
        return "?"


def _fields(row: pd.Series) -> dict:
    out = _Blank()
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out[k] = float("nan") if k == "value" else "?"
        else:
            out[k] = int(v) if k in ("count", "worker") else v
    reason = out.get("reason", "?")
    out["why"] = "the first allocation" if reason == "new_case" else WORKER_CHANGE_REASONS.get(reason, reason)
    value = out.get("value", float("nan"))
    out["children"], out["days"] = _count(value, "child", "children"), _count(value, "day", "days")
    return out


def _count(value: float, one: str, many: str) -> str:
    """``value`` rounded, with the noun that agrees with it ("1 child", "3 children")."""
    if math.isnan(value):
        return f"? {many}"
    return f"{value:.0f} {one if round(value) == 1 else many}"


def _last_day(log: pa.Table) -> str:
    """' on <date>': the run's last day, from the log's metadata (``journeysim.end_date`` is the day after)."""
    end = (log.schema.metadata or {}).get(b"journeysim.end_date")
    return f" on {dt.date.fromisoformat(end.decode()) - dt.timedelta(days=1)}" if end else ""


def tell(log: pa.Table, child_id: int) -> list[str]:
    """Lines describing every event of ``child_id``, grouped by journey, with a closing summary."""
    rows = log.filter(pc.equal(log["child_id"], child_id)).to_pandas().sort_values("seq")
    if rows.empty:
        return []
    lines = [f"Child {child_id}, family {int(rows['family_id'].iloc[0])}"]
    workers: set[int] = set()
    for case_id, journey in rows.groupby("case_id", sort=False):
        lines.append(f"\nJourney (case {int(case_id)}):")
        seen: set[int] = set()
        for _, row in journey.iterrows():
            phrase = _PHRASES.get(str(row["event"]), str(row["event"]))
            fields = _fields(row)
            if math.isnan(fields.get("value", 0.0)):  # a plan ended at 18 has no engagement to tell
                phrase = phrase.replace(ENGAGEMENT, "")
            text = phrase.format_map(fields)
            if str(row["event"]) == "WorkerAllocated":
                seen.add(int(row["worker"]))
            lines.append(f"  {row['date']}  age {row['age']:4.1f}  {text}")
        workers |= seen
        if str(journey["event"].iloc[-1]) != "CaseClosed":
            lines.append(f"  (still open when the run ended{_last_day(log)})")
        lines.append(f"  -> {len(seen)} social worker(s) in this journey")
    lines.append(f"\n{rows['case_id'].nunique()} journey(s), {len(workers)} different social worker(s) in all.")
    return lines
