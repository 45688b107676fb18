"""The cases already open when the run starts: children on CIN plans, on CP plans, and looked after.

Each is loaded part-way through its stage (a plan's length and a care episode's route are drawn
as a stock, not as new starts: see :mod:`journeysim.model.plans` and
:mod:`journeysim.model.care`), allocated to a worker, and then follows the pathway like any
other journey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import population

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("initial", "care.leaving_age", "run.scale")


#: What a loaded case's children are said to be on (the outcome of CaseLoaded), by stage.
LOADED_AS = {"cin": "cin_plan", "cp": "cp_plan", "care": "in_care"}


def load(w: "World") -> None:
    """Cases already open at time 0: CIN plans, CP plans and children looked after."""
    p = w.params.stock
    rs = w.streams["initial"]
    for target, stage in ((p.cin_children, "cin"), (p.cp_children, "cp")):
        n = 0
        while n < round(target * p.run_scale):
            fam = population.new_family(w, rs)
            case = w.journeys.open(fam)
            case.had_plan = True
            n += _load(w, case, stage)
    for _ in range(round(p.cla_children * p.run_scale)):
        fam = population.new_family(w, rs)
        fam.children = [population.new_child(w, fam, rs, p.cla_age_band, max_age=p.care_leaving_age - 0.05)]
        case = w.journeys.open(fam)
        case.had_plan = True
        _load(w, case, "care")


def _load(w: "World", case: "Case", stage: str) -> int:
    """Load ``case`` at ``stage``, with the team that is to take it; the number of children loaded."""
    for child in case.children:
        w.child_event(Event.CASE_LOADED, case, child, outcome=LOADED_AS[stage], count=child.cp_plans)
    d = case.district
    teams = w.teams
    if stage == "care":  # looked after for a while: their plan is made (model B's permanence, too)
        case.intake = teams.care_team(d, case.children[0].age(w.env.now))
    elif teams.model[d] == "B":
        case.intake = teams.intake_team(d)
    else:
        case.intake = teams.plan_team(d)
    w.journeys.start(case, "loaded", stage)
    return len(case.children)


def loaded(w: "World", case: "Case", stage: str):
    """Stage: a case loaded at ``stage`` (cin, cp, care) is allocated to its team, and carries on there."""
    yield from w.allocation.allocate(case, list(case.children), case.intake, "new_case")
    return (stage, "initial_stock")
