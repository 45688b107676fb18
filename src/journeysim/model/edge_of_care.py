"""Edge of care: intensive support for an adolescent at imminent risk of care, part of the old offer.

From ``edge_of_care.start``, when a plan's decision would take a family into care by a planned
route (a CIN plan ending in care, or the Public Law Outline leading to proceedings) and its
oldest child is at least ``edge_of_care.min_age``, the family is offered edge-of-care support if
one of the county's places (``edge_of_care.workers`` x ``edge_of_care.caseload``) is free.  The
plan goes on meanwhile; after ``edge_of_care.duration`` the young person enters care with chance
``edge_of_care.p_care``, or the family carries on without care.  Emergencies (police protection,
an emergency protection order) do not wait for it.  Source: 003.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World

#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("edge_of_care")


class EdgeOfCare:
    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = p = w.params.edge_of_care
        self.rs = w.streams["edge_of_care"]
        self.places = max(1, round(p.workers * p.caseload * w.team_scale * w.copies)) if p.workers else 0
        self.busy = 0

    def takes(self, case: "Case") -> bool:
        """Whether the service can take this family now: it has started, has a place, and the
        oldest child is old enough."""
        w = self.w
        return (self.busy < self.places and w.active(self.p.start)
                and max((c.age(w.env.now) for c in case.children), default=0.0) >= self.p.min_age)

    def support(self, case: "Case"):
        """Process: the family's edge-of-care support; returns whether the young person enters care after it."""
        w = self.w
        self.busy += 1
        w.each_child(Event.EDGE_OF_CARE_STARTED, case)
        started = w.env.now
        yield self.p.duration.sample(self.rs)
        self.busy -= 1
        into_care = self.rs.uniform() < self.p.p_care
        w.each_child(Event.EDGE_OF_CARE_ENDED, case, outcome="care" if into_care else "home",
                     value=w.env.now - started)
        return into_care
