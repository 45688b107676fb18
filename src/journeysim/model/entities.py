"""The things the model moves around: families, children, cases (journeys), workers, teams."""

from __future__ import annotations

import math
import weakref
from array import array
from bisect import bisect_left
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
    slot: int = -1  # the worker's place in their team's workers (and ratios): kept by Team

    @property
    def load(self) -> int:
        return len(self.children)


#: Teams with more workers than this keep an allocation order (Team.first, a heap) rather than
#: being scanned.  A pick with the refiling of two workers after it cost 1.2 / 1.5 / 1.9 / 2.8 /
#: 4.7 microseconds by a scan of the team's ratios at 10 / 24 / 40 / 80 / 160 workers, and 1.7 /
#: 1.7 / 1.8 / 1.9 / 2.0 with the heap.
LARGE_TEAM = 40


@dataclass(eq=False, slots=True)
class Team:
    """A team of social workers.  Its workers are listed in order of id, and beside them, in one
    array of doubles, each one's load relative to their cap (``ratios``): allocation picks the
    worker with the lowest ratio, the lowest id on a tie, and finds them by reading that array
    rather than visiting each worker, wherever in memory they are (a sixth of the extra time
    per event of a county 8 times Hampshire's had been that visit).  Workers join and leave
    a team through :meth:`join` and :meth:`leave`, which keep the two in step."""

    name: str
    district: int
    kind: str  # RA, CIN, CIC, CAST
    posts: int
    workers: list[Worker] = field(default_factory=list)  # in order of id: see join()
    ratios: array = field(default_factory=lambda: array("d"))  # load / cap of each of workers, by file()
    waiting: list = field(default_factory=list)  # allocations waiting for a place (hard cap)
    children: int = 0  # children its workers hold, kept up to date by join(), leave() and the Workforce as children move
    order: list | None = None  # the allocation order of a large team: see file() and first()

    @property
    def vacancies(self) -> int:
        return self.posts - sum(1 for w in self.workers if not w.covering)

    def join(self, worker: Worker) -> None:
        """``worker`` joins the team with their children (in their place by id: a new worker's is
        last) and is filed."""
        workers = self.workers
        worker.team = self
        at = len(workers)
        if at and workers[-1].id > worker.id:
            at = bisect_left([x.id for x in workers], worker.id)
        workers.insert(at, worker)
        self.ratios.insert(at, 0.0)
        self._number(at)
        self.children += len(worker.children)
        self.file(worker)

    def leave(self, worker: Worker) -> None:
        """``worker`` leaves the team with their children (their ``team`` stays, for what is said
        of them)."""
        at = worker.slot
        del self.workers[at]
        del self.ratios[at]
        self._number(at)
        self.children -= len(worker.children)
        worker.slot = -1

    def _number(self, start: int) -> None:
        workers = self.workers
        for i in range(start, len(workers)):
            workers[i].slot = i

    # A large team also keeps its allocation order as a heap of (load / cap, id, filed, worker):
    # the least loaded worker relative to their cap first, the lowest id on a tie (the order of
    # pick(); a worker at or over their cap has load / cap >= 1, so comes after all below it).  A
    # worker is filed again whenever their caseload, cap or team changes; older entries are
    # skipped when they come to the top (lazy deletion).  Choosing a worker then costs O(log n)
    # rather than a pass over the team, which matters for teams given many posts; a small team is
    # quicker to scan and keeps no order (None).
    def file(self, worker: Worker) -> None:
        """(Re)file ``worker`` in the allocation order after a change of caseload, cap or team:
        their ratio always, and the heap of a large team."""
        ratio = self.ratios[worker.slot] = len(worker.children) / worker.cap
        if self.order is None:
            return
        worker.filed += 1
        heappush(self.order, (ratio, worker.id, worker.filed, worker))
        if len(self.order) > 4 * len(self.workers) + 64:  # drop the stale entries now and then
            self.order = [e for e in self.order if self._current(e)]
            heapify(self.order)

    def pick(self, n: int, exclude: Worker | None = None, hard_cap: int = 0) -> Worker | None:
        """The first worker in allocation order (load / cap, then id) other than ``exclude`` with
        room for ``n`` more children under ``hard_cap`` (0: none), or None."""
        workers = self.workers
        if len(workers) > LARGE_TEAM:  # the team's allocation order gives the same worker
            if exclude is None and not hard_cap:
                return self.first(_anyone)
            return self.first(lambda x: x is not exclude and not (hard_cap and len(x.children) + n > hard_cap))
        self.order = None
        ratios = self.ratios
        if hard_cap:
            room = hard_cap - n
            able = [i for i, x in enumerate(workers) if len(x.children) <= room and x is not exclude]
            return workers[min(able, key=ratios.__getitem__)] if able else None  # min: the first lowest
        at = exclude.slot if exclude is not None else -1
        if at < 0 or exclude.team is not self:  # nobody of this team excluded
            return workers[ratios.index(min(ratios))] if workers else None
        if len(workers) == 1:
            return None
        # the excluded worker out of the running for this pick
        ratio, ratios[at] = ratios[at], math.inf
        best = ratios.index(min(ratios))
        ratios[at] = ratio
        return workers[best]

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


def _anyone(worker: Worker) -> bool:
    return True
