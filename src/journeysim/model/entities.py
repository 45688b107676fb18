"""The things the model moves around: families, children, cases (journeys), workers, teams."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush

DAYS_PER_YEAR = 365.25


@dataclass(eq=False, slots=True, weakref_slot=True)
class Family:
    id: int
    district: int
    toxic_trio: bool
    children: list["Child"] = field(default_factory=list)
    case: "Case | None" = None


class Child:
    """A child.  It refers to its family weakly, so that a family and its children (which the
    family holds) never form a reference cycle: a family nobody needs any more is freed at once,
    not left for Python's cyclic garbage collector, whose passes over the whole model would
    otherwise cost a third of a run."""

    __slots__ = ("id", "_family", "birth", "referrals", "cp_plans", "worker", "in_care")

    def __init__(self, id: int, family: Family, birth: float, referrals: int = 0, cp_plans: int = 0,
                 worker: "Worker | None" = None, in_care: bool = False) -> None:
        self.id = id
        self._family = weakref.ref(family)
        self.birth = birth  # simulation day of birth
        self.referrals = referrals  # referrals so far, including history before the log
        self.cp_plans = cp_plans  # CP plans so far, including history before the log
        self.worker = worker
        self.in_care = in_care

    @property
    def family(self) -> Family:
        return self._family()

    def age(self, now: float) -> float:
        return (now - self.birth) / DAYS_PER_YEAR

    def __repr__(self) -> str:
        return f"Child(id={self.id}, birth={self.birth:.1f}, referrals={self.referrals}, cp_plans={self.cp_plans})"


@dataclass(eq=False, slots=True, weakref_slot=True)
class Case:
    """One journey of a family: referral (or loading) to the closure of its last child."""

    id: int
    family: Family
    children: list[Child]  # children still open in this journey
    opened: float
    handoffs: int = 0  # changes of worker after the first allocation
    allocations: int = 0  # allocations so far: a pending reallocation is void once this moves on
    hub_support: bool = False
    specialist: bool = False
    hub_waiting: bool = False
    hub: object = None  # the hub supporting the family now, if any
    hub_started: float = 0.0
    had_plan: bool = False
    positive_change: bool = False
    closed: bool = False

    @property
    def district(self) -> int:
        return self.family.district


@dataclass(eq=False, slots=True)
class Worker:
    id: int
    team: "Team"
    kind: str  # permanent, newly_qualified, agency
    cap: int
    nq_until: float = -1.0
    covering: bool = False  # an agency worker covering a vacancy until it is filled
    active: bool = True
    children: set = field(default_factory=set)
    filed: int = 0  # how often the worker has been filed in a large team's allocation order
    #: the worker's place in allocation order, (load / cap, id): kept by Team.file()
    key: tuple = (0.0, 0)

    @property
    def load(self) -> int:
        return len(self.children)


@dataclass(eq=False, slots=True)
class Team:
    name: str
    district: int
    kind: str  # RA, CIN, CIC, CAST
    posts: int
    workers: list[Worker] = field(default_factory=list)
    waiting: list = field(default_factory=list)  # allocations waiting for a place (hard cap)
    children: int = 0  # children its workers hold, kept up to date by the Workforce as they move
    order: list | None = None  # the allocation order of a large team: see file() and first()

    @property
    def vacancies(self) -> int:
        return self.posts - sum(1 for w in self.workers if not w.covering)

    # A large team keeps its allocation order as a heap of (load / cap, id, filed, worker):
    # the least loaded worker relative to their cap first, the lowest id on a tie (the order of
    # Workforce._pick; a worker at or over their cap has load / cap >= 1, so comes after all below
    # it).  A worker is filed again whenever their caseload, cap or team changes; older entries
    # are skipped when they come to the top (lazy deletion).  Choosing a worker then costs O(log n) rather than a pass over the team, which matters in large counties
    # (at run.scale 16 the pass was a quarter of the run); a small team is quicker to scan and
    # keeps no order (None).
    def file(self, worker: Worker) -> None:
        """(Re)file ``worker`` in the allocation order after a change of caseload, cap or team:
        their ``key`` always, and the heap of a large team."""
        key = worker.key = (len(worker.children) / worker.cap, worker.id)
        if self.order is None:
            return
        worker.filed += 1
        heappush(self.order, (*key, worker.filed, worker))
        if len(self.order) > 4 * len(self.workers) + 64:  # drop the stale entries now and then
            self.order = [e for e in self.order if self._current(e)]
            heapify(self.order)

    def _current(self, entry: tuple) -> bool:
        worker = entry[3]
        return entry[2] == worker.filed and worker.active and worker.team is self

    def first(self, ok) -> Worker | None:
        """The first worker in allocation order for whom ``ok(worker)`` holds, or None."""
        if self.order is None:
            self.order = []
            for worker in self.workers:
                self.file(worker)
        order = self.order
        while order and not self._current(order[0]):
            heappop(order)
        if not order or ok(order[0][3]):
            return order[0][3] if order else None
        passed = []  # current entries set aside while looking further down the order
        found = None
        while order:
            entry = heappop(order)
            if not self._current(entry):
                continue
            passed.append(entry)
            if ok(entry[3]):
                found = entry[3]
                break
        for entry in passed:
            heappush(order, entry)
        return found
