"""The things the model moves around: families, children, cases (journeys), workers, teams."""

from __future__ import annotations

from dataclasses import dataclass, field

DAYS_PER_YEAR = 365.25


@dataclass(eq=False)
class Family:
    id: int
    district: int
    toxic_trio: bool
    children: list["Child"] = field(default_factory=list)
    case: "Case | None" = None


@dataclass(eq=False)
class Child:
    id: int
    family: Family
    birth: float  # simulation day of birth
    referrals: int = 0  # referrals so far, including history before the log
    cp_plans: int = 0  # CP plans so far, including history before the log
    worker: "Worker | None" = None
    in_care: bool = False

    def age(self, now: float) -> float:
        return (now - self.birth) / DAYS_PER_YEAR


@dataclass(eq=False)
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


@dataclass(eq=False)
class Worker:
    id: int
    team: "Team"
    kind: str  # permanent, newly_qualified, agency
    cap: int
    nq_until: float = -1.0
    covering: bool = False  # an agency worker covering a vacancy until it is filled
    active: bool = True
    children: set = field(default_factory=set)

    @property
    def load(self) -> int:
        return len(self.children)


@dataclass(eq=False)
class Team:
    name: str
    district: int
    kind: str  # RA, CIN, CIC, CAST
    posts: int
    workers: list[Worker] = field(default_factory=list)
    waiting: list = field(default_factory=list)  # allocations waiting for a place (hard cap)

    @property
    def vacancies(self) -> int:
        return self.posts - sum(1 for w in self.workers if not w.covering)

    @property
    def children(self) -> int:
        return sum(w.load for w in self.workers)
