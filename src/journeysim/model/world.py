"""What every part of one replication shares: the clock, the event log, the random streams, the
calendar and the parts of the service themselves (wired together by :mod:`journeysim.model.run`).

It also holds the helpers through which the model writes its events, each naming the fields
it fills.
"""

from __future__ import annotations

import datetime as dt
import math
from itertools import count
from typing import TYPE_CHECKING

from ..calendar import Calendar
from ..engine import Environment
from ..eventlog import EventLog
from ..events import Event
from ..rng import Streams
from ..scenario import section_type
from .entities import DAYS_PER_YEAR, Case, Child

if TYPE_CHECKING:  # pragma: no cover
    from .allocation import Allocation
    from .early_help import EarlyHelp
    from .edge_of_care import EdgeOfCare
    from .frontdoor import FrontDoor
    from .journey import Journeys
    from .run import Parameters
    from .support import Support
    from .teams import Teams, Worker
    from .workforce import Workforce
    from .years import YearEffects


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("run", "population.districts")


def district_copies(scale: float) -> int:
    """Copies of each district in a county ``scale`` times Hampshire's: 1 below 2, else floor(scale)."""
    return max(1, math.floor(scale))


#: Where contacts are received: the ``team`` of a ContactReceived event.
FRONT_DOOR = "FRONT-DOOR"

# The two commonest events (some 40% and 25% of a log), named once here rather than looked up on
# the enumeration at every row.
_CONTACT_RECEIVED = Event.CONTACT_RECEIVED
_WORKER_ALLOCATED = Event.WORKER_ALLOCATED


class World:
    """Everything one replication shares.  The parts of the service that others call on are
    attached by :func:`journeysim.model.run.build`."""

    teams: "Teams"  # the teams of each district, under its operating model
    workforce: "Workforce"  # who is in post
    allocation: "Allocation"  # who holds which child
    support: "Support"  # intensive family support: the hubs, and the Family Intervention Teams
    early_help: "EarlyHelp"  # early help family support
    edge_of_care: "EdgeOfCare"  # support for adolescents at the edge of care
    years: "YearEffects"  # each year's shifts in demand and thresholds
    frontdoor: "FrontDoor"  # contact triage and the MASH
    journeys: "Journeys"  # opens journeys and plays them through the pathway

    def __init__(self, params: "Parameters", seed: int, log: EventLog) -> None:
        self.params = params
        p = params.run
        self.env = env = Environment()
        self.at = env.at  # call a function after some days (Environment.at)
        self.start = env.start  # start a process (Environment.start)
        self.signal = env.signal  # something for a process to wait on (Environment.signal)
        self.log = log
        self.streams = Streams(seed)
        self.cal = Calendar(p.start - dt.timedelta(days=p.warmup_days), p.end)
        self.ids = {"family": count(1), "child": count(1), "case": count(1)}  # id counters by kind, each from 1
        self._days: dict[dt.date | None, float] = {}  # day_of's answers: the scenario's dates are few
        # A county larger than twice Hampshire has more districts, not larger teams: see run.scale.
        self.copies = district_copies(p.scale)
        self.districts = p.population_districts * self.copies  # district d is a copy of d % population.districts
        self.team_scale = p.scale / self.copies  # the multiplier on each team's (and hub's) staff

    def dispose(self) -> None:
        """Drop the pending events, and the parts' references back to the world, so that the
        finished replication is freed at once."""
        self.env.clear()
        for part in (self.teams, self.workforce, self.allocation, self.frontdoor, self.journeys, self.early_help,
                     self.edge_of_care):
            part.w = None
        for service in (self.support.hubs, self.support.fit):
            service.w = None
        self.support.w = None

    # ------------------------------------------------------------------ time
    def new_id(self, kind: str) -> int:
        return next(self.ids[kind])

    def day_of(self, date: dt.date | None) -> float:
        """Simulation day of a scenario's date; +inf for 'never'."""
        day = self._days.get(date)
        if day is None:
            day = self._days[date] = math.inf if date is None else self.cal.day(date)
        return day

    def active(self, date: dt.date | None, day: float | None = None) -> bool:
        """Whether the scenario's ``date`` (None: never) has come: now, or on simulation day ``day``."""
        return (self.env.now if day is None else day) >= self.day_of(date)

    def trend(self, log_rate_per_year: float, day: float | None = None) -> float:
        """exp(rate x years since run.start, or run.trends_from): a multiplier that drifts over time
        (below 1 in the warm-up for a positive rate); now, or on simulation day ``day``."""
        if log_rate_per_year == 0.0:
            return 1.0
        anchor = getattr(self.params.run, "trends_from", None) or self.params.run.start
        return math.exp(log_rate_per_year * ((self.env.now if day is None else day) - self.day_of(anchor)) / 365.25)

    # ------------------------------------------------------------------ events
    def event(self, event: Event, **fields) -> None:
        """Log an event that concerns no child (a team's, a worker's, a hub's, the run's), now."""
        self.log.emit(self.env.now, event, **fields)

    def child_event(self, event: Event, case: Case, child: Child, team: str | None = None, worker: int | None = None,
                    outcome: str | None = None, reason: str | None = None, legal_status: str | None = None,
                    count: int | None = None, value: float | None = None) -> None:
        """Log an event of one child's journey, now; the team and worker are the child's own unless given."""
        now = self.env.now
        if team is None:
            held_by = child.worker
            if held_by is not None:
                team = held_by.team.name
                worker = held_by.id
        self.log.emit(now, event, case.id, child.id, case.family.id, team, worker, outcome, reason, legal_status,
                      (now - child.birth) / DAYS_PER_YEAR, count, value)

    def each_child(self, event: Event, case: Case, outcome: str | None = None, reason: str | None = None,
                   count: int | None = None, value: float | None = None) -> None:
        """Log ``event`` for each child open in the case."""
        for child in case.children:
            self.child_event(event, case, child, outcome=outcome, reason=reason, count=count, value=value)

    def contact_received(self, family_id: int, outcome: str, reason: str, children: int) -> None:
        """ContactReceived: a contact about family ``family_id`` (``children`` children), triaged
        to ``outcome``; ``reason`` says whether the family is new to the model or known."""
        # the log's columns in order: this is the commonest event, some 40% of a log
        self.log.emit(self.env.now, _CONTACT_RECEIVED, None, None, family_id, FRONT_DOOR, None, outcome, reason,
                      None, None, children, None)

    def worker_allocated(self, case: Case, child: Child, worker: "Worker", reason: str) -> None:
        """WorkerAllocated: ``child`` is now held by ``worker`` (for ``reason``), whose caseload is the value."""
        now = self.env.now
        self.log.emit(now, _WORKER_ALLOCATED, case.id, child.id, case.family.id, worker.team.name, worker.id,
                      None, reason, None, (now - child.birth) / DAYS_PER_YEAR, None, float(len(worker.held)))
