"""A family's journey through the pathway: opened, then played from stage to stage until it closes.

The stages and where each may lead are :data:`journeysim.pathway.STAGES`; the process that
plays each stage is given when the model is wired (:mod:`journeysim.model.run`).  A stage is a
generator ``stage(w, case, reason)`` that does its work, yields the days it waits, and returns
the next ``(stage, reason)``, or None when the family-level journey is over (closed, or its
children in care, each on their own path).  A step the pathway does not list is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import pathway
from ..scenario import section_type
from .entities import Case

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Family
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type(None, "care.leaving_age")


#: Stages at which a journey's allocation may change (the handoffs of model A):
#: see :meth:`journeysim.model.allocation.Allocation.stage_change`.
HANDOFF_STAGES = ("cin", "cp", "care")


class Journeys:
    """Opens journeys and plays them through the pathway's stages, each by its process."""

    def __init__(self, w: "World", processes: dict) -> None:
        if set(processes) != set(pathway.STAGES):
            raise ValueError(f"a process for each stage of the pathway, and no other: "
                             f"{sorted(set(processes) ^ set(pathway.STAGES))}")
        self.w = w
        self.p = w.params.journey
        self.processes = processes
        self.routes = {name: stage.routes() for name, stage in pathway.STAGES.items()}

    def open(self, fam: "Family") -> Case:
        """A new journey for the family's children under the leaving age."""
        w = self.w
        now = w.env.now
        kids = [c for c in fam.children if c.age(now) < self.p.care_leaving_age]
        case = Case(w.new_id("case"), fam, kids, now)
        fam.case = case
        return case

    def start(self, case: Case, stage: str, reason: str) -> None:
        """Start playing ``case`` from ``stage`` (one of :data:`journeysim.pathway.STARTS`)."""
        self.w.start(self.run(case, stage, reason))

    def run(self, case: Case, stage: str, reason: str):
        """Process: move the case from stage to stage until it closes or goes into care."""
        w = self.w
        step = (stage, reason)
        while step is not None and case.children:
            name, why = step
            if name in HANDOFF_STAGES and why != "initial_stock":
                yield from w.allocation.stage_change(case, list(case.children), name)
            step = yield from self.processes[name](w, case, why)
            if step is not None and step[0] not in self.routes[name]:
                raise RuntimeError(f"the {name} stage handed a journey on to {step[0]!r}, which the pathway "
                                   f"(journeysim.pathway.STAGES) does not allow")
