"""What the model plays through the service: families, children and cases (journeys).

Workers and teams are in :mod:`journeysim.model.teams`.  The model's objects form no reference
cycles, so that the run can pause Python's cyclic garbage collector (see
:func:`journeysim.engine.collector_paused`): a child refers to its family weakly, and a closed
case lets go of its family's ``case``."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .teams import Team, Worker

DAYS_PER_YEAR = 365.25


@dataclass(eq=False, slots=True, weakref_slot=True)
class Family:
    """A family known to the service: its children (the model's, whatever their age), and its open case."""

    id: int
    district: int
    toxic_trio: bool
    children: list["Child"] = field(default_factory=list)
    case: "Case | None" = None


class Child:
    """A child.  It refers to its family weakly, so that a family and its children (which the
    family holds) never form a reference cycle: a family nobody needs any more is freed at once."""

    __slots__ = ("id", "_family", "birth", "referrals", "cp_plans", "worker", "since", "in_care", "episodes")

    def __init__(self, id: int, family: Family, birth: float, referrals: int = 0, cp_plans: int = 0,
                 worker: "Worker | None" = None, in_care: bool = False) -> None:
        self.id = id
        self._family = weakref.ref(family)
        self.birth = birth  # simulation day of birth
        self.referrals = referrals  # referrals so far, including history before the log
        self.cp_plans = cp_plans  # CP plans so far, including history before the log
        self.worker = worker
        self.since = 0.0  # when their worker took them on
        self.in_care = in_care
        self.episodes = 0  # episodes of care so far

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
    intake: "Team | None" = None  # the team that took the referral (or the case loaded at the start)
    handoffs: int = 0  # changes of worker after the first allocation
    allocations: int = 0  # allocations so far
    plans: int = 0  # CIN and CP plans ended so far (an ageing-out scheduled under an earlier plan is void)
    # intensive family support (support.py): a hub's, or a Family Intervention Team's
    support: object = None  # the unit supporting the family now, if any
    support_started: float = 0.0
    support_waiting: bool = False  # referred, waiting for a place
    hub_support: bool = False  # has had a hub's support in this journey
    specialist: bool = False  # a specialist has worked with the family in this journey
    # what the journey has been through so far
    had_plan: bool = False
    positive_change: bool = False
    closed: bool = False
    # a case loaded from a snapshot (model.stock): its row, with how long it had been in its stage
    loaded: object = None

    @property
    def district(self) -> int:
        return self.family.district

    @property
    def with_specialist(self) -> bool:
        """Whether specialists (domestic abuse, substance misuse, mental health) work with the family now."""
        return self.support is not None and self.support.specialists > 0
