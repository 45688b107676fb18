"""Domain event types and the event record layout.

Every fact the model produces is one row of the event log.  This module defines
*what* can be said (the :class:`Event` enum) and *how* a row is laid out (the
columns of :data:`COLUMNS`); nothing else.  The meaning of every event and field
is documented in ``docs/events.md``.

Events are past-tense facts.  They are never updated or deleted; a later event
may supersede the state an earlier one implied (a ``WorkerAllocated`` replaces
the previous allocation, a ``CareEntered`` after a ``CareLeft`` is a re-entry).
"""

from __future__ import annotations

from enum import Enum

import pyarrow as pa

#: Version of the event-log layout.  Bump it when a column, an event or a metadata key changes
#: meaning, and teach :func:`journeysim.eventlog.upcast` to migrate older logs.
#: 1: the first published layout.  2: a run's log records its end, ``journeysim.end_date``.
SCHEMA_VERSION = 2


class Event(str, Enum):
    """Every domain event type, in the order of a typical journey."""

    # --- system and workforce (no child) -------------------------------------
    RUN_STARTED = "RunStarted"
    OPERATING_MODEL_SWITCHED = "OperatingModelSwitched"
    HUB_OPENED = "HubOpened"
    FIT_OPENED = "FitOpened"
    FIT_CLOSED = "FitClosed"
    PRACTICE_MODEL_ADOPTED = "PracticeModelAdopted"
    INTAKE_WEEK_STARTED = "IntakeWeekStarted"
    WORKER_JOINED = "WorkerJoined"
    WORKER_MOVED = "WorkerMoved"
    WORKER_LEFT = "WorkerLeft"
    WORKER_ABSENT = "WorkerAbsent"
    WORKER_RETURNED = "WorkerReturned"
    POST_VACATED = "PostVacated"
    # --- front door (family level) -------------------------------------------
    CONTACT_RECEIVED = "ContactReceived"
    MASH_SCREENING_COMPLETED = "MashScreeningCompleted"
    # --- a child's journey ---------------------------------------------------
    CASE_LOADED = "CaseLoaded"
    UASC_ARRIVED = "UascArrived"
    REFERRAL_RECEIVED = "ReferralReceived"
    WORKER_ALLOCATED = "WorkerAllocated"
    ASSESSMENT_STARTED = "AssessmentStarted"
    ASSESSMENT_COMPLETED = "AssessmentCompleted"
    STRATEGY_DISCUSSION_HELD = "StrategyDiscussionHeld"
    S47_ENQUIRY_COMPLETED = "S47EnquiryCompleted"
    ICPC_HELD = "IcpcHeld"
    CIN_PLAN_STARTED = "CinPlanStarted"
    CIN_PLAN_ENDED = "CinPlanEnded"
    CP_PLAN_STARTED = "CpPlanStarted"
    CP_REVIEW_HELD = "CpReviewHeld"
    CP_PLAN_ENDED = "CpPlanEnded"
    HUB_REFERRED = "HubReferred"
    HUB_SUPPORT_STARTED = "HubSupportStarted"
    HUB_SUPPORT_ENDED = "HubSupportEnded"
    FIT_REFERRED = "FitReferred"
    FIT_SUPPORT_STARTED = "FitSupportStarted"
    FIT_SUPPORT_ENDED = "FitSupportEnded"
    EDGE_OF_CARE_STARTED = "EdgeOfCareStarted"
    EDGE_OF_CARE_ENDED = "EdgeOfCareEnded"
    PLO_STARTED = "PloStarted"
    CARE_PROCEEDINGS_ISSUED = "CareProceedingsIssued"
    CARE_ENTERED = "CareEntered"
    PLACEMENT_STARTED = "PlacementStarted"
    CARE_LEFT = "CareLeft"
    RETURN_HOME_BROKE_DOWN = "ReturnHomeBrokeDown"
    CASE_CLOSED = "CaseClosed"
    # --- early help (family level, after the front door or a closure) ---------
    EARLY_HELP_STARTED = "EarlyHelpStarted"
    EARLY_HELP_ENDED = "EarlyHelpEnded"


#: Events that concern one child; every one of them carries case, child and family ids.
CHILD_EVENTS = frozenset(
    e
    for e in Event
    if e
    not in {
        Event.RUN_STARTED,
        Event.OPERATING_MODEL_SWITCHED,
        Event.HUB_OPENED,
        Event.FIT_OPENED,
        Event.FIT_CLOSED,
        Event.PRACTICE_MODEL_ADOPTED,
        Event.INTAKE_WEEK_STARTED,
        Event.WORKER_JOINED,
        Event.WORKER_MOVED,
        Event.WORKER_LEFT,
        Event.WORKER_ABSENT,
        Event.WORKER_RETURNED,
        Event.POST_VACATED,
        Event.CONTACT_RECEIVED,
        Event.MASH_SCREENING_COMPLETED,
        Event.EARLY_HELP_STARTED,
        Event.EARLY_HELP_ENDED,
    }
)

#: Why a child's worker changed: the ``reason`` of a WorkerAllocated event after a journey's first
#: (``new_case``), in words, in the order figures show them (model.allocation says when each happens).
WORKER_CHANGE_REASONS = {
    "team_transfer": "team transfer (model A: to a CIN or Children in Care team)",
    "permanence": "permanence plan (model B: CAST to Children in Care team)",
    "leaving_care": "leaving care (to the Care Leavers team)",
    "worker_left": "worker left",
    "cover_ended": "agency cover ended",
    "absence": "worker's long absence",
    "absence_over": "worker back from absence",
    "rebalancing": "workload rebalancing",
}

#: Events that open a child's case (the first event of every journey).
CASE_OPENING = frozenset({Event.REFERRAL_RECEIVED, Event.CASE_LOADED, Event.UASC_ARRIVED})

_dict_str = pa.dictionary(pa.int16(), pa.string())

#: Column name, Arrow type, and meaning.  Nullable columns are null where a field
#: does not apply to an event (a contact has no child; a system event has no case).
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("seq", pa.int64(), "sequence number, 0, 1, 2, ... in the order events were appended"),
    ("time", pa.float64(), "simulation time in days since the scenario start date"),
    ("date", pa.date32(), "calendar date of the event"),
    ("event", _dict_str, "event type (see Event)"),
    ("case_id", pa.int64(), "the journey (one referral to closure) the event belongs to"),
    ("child_id", pa.int64(), "the child"),
    ("family_id", pa.int64(), "the child's family"),
    ("team", _dict_str, "team involved (allocated team, hub, or the worker's team)"),
    ("worker", pa.int32(), "social worker (or hub worker) involved"),
    ("outcome", _dict_str, "what was decided (triage outcome, plan outcome, placement type, ...)"),
    ("reason", _dict_str, "why (reason for a change of worker, closure reason, ...)"),
    ("legal_status", _dict_str, "legal status on entering care (s20, ico, uasc_s20, ...)"),
    ("age", pa.float32(), "child's age in years at the event"),
    ("count", pa.int32(), "a small integer (children in a contact, CP plan number, ...)"),
    ("value", pa.float64(), "a number (engagement, caseload, duration, ...) named by the event"),
]

COLUMN_NAMES = [c[0] for c in COLUMNS]


def arrow_schema(metadata: dict[str, str] | None = None) -> pa.Schema:
    """The Arrow schema of the event log, with the schema version in its metadata."""
    meta = {"journeysim.schema_version": str(SCHEMA_VERSION)}
    if metadata:
        meta.update(metadata)
    return pa.schema([pa.field(n, t) for n, t, _ in COLUMNS], metadata=meta)
