"""A family's journey: the referral, the route from stage to stage, and the initial stock.

Each stage is a short generator ``stage(w, case, reason)`` that does its work, yields the
days it waits (a process's generator yields a number of days, or a ``world.Signal``: see
``world.Process``), and returns the next ``(stage, reason)``, or ``None`` when the
family-level journey is over (closed, or its children are in care, each on their own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from . import assessment, care, plans

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case, Family
    from .world import World

STAGES = {
    "assessment": assessment.assessment,
    "strategy": assessment.strategy,
    "s47": assessment.s47,
    "icpc": assessment.icpc,
    "cin": plans.cin,
    "cp": plans.cp,
    "care": care.enter_care,
}


def run(w: "World", case: "Case", stage: str, reason: str):
    """Process: move the case from stage to stage until it closes or goes into care."""
    step = (stage, reason)
    while step is not None and case.children:
        name, why = step
        if name in ("cin", "cp", "care") and why != "initial_stock":
            yield from w.workforce.stage_change(case, list(case.children), name)
        step = yield from STAGES[name](w, case, why)


def refer(w: "World", fam: "Family") -> None:
    """The MASH refers the family: one referral per child under 18, then the journey starts."""
    case = w.open_case(fam)
    if not case.children:
        fam.case = None
        return
    intake = w.workforce.intake_team(fam.district)
    for child in case.children:
        w.child_event(Event.REFERRAL_RECEIVED, case, child, team=intake.name, count=child.referrals)
        child.referrals += 1
    w.start(_referral(w, case, intake))


def _referral(w: "World", case: "Case", intake):
    p = w.p
    rs = w.streams["assessment"]
    p_nfa = p.referral.p_nfa * (p.mash.hold_longer_nfa_factor if w.active(p.mash.hold_longer_start) else 1.0)
    if rs.uniform() < min(1.0, p_nfa):
        for child in list(case.children):
            w.close_child(case, child, "referral_nfa")
        return
    yield p.assessment.allocation_delay.sample(rs)
    # the team on intake when the referral arrived takes it (under CAST, that week's team)
    if intake not in w.workforce.district_teams(case.district):  # the district switched model meanwhile
        intake = w.workforce.intake_team(case.district)
    yield from w.workforce.allocate(case, list(case.children), intake, "new_case")
    yield from run(w, case, "assessment", "referral")


def load_initial_stock(w: "World") -> None:
    """Cases already open at time 0: CIN plans, CP plans and children looked after."""
    p = w.p
    rs = w.streams["initial"]
    scale = p.run.scale
    for target, stage in ((p.initial.cin_children, "cin"), (p.initial.cp_children, "cp")):
        n = 0
        while n < round(target * scale):
            fam = w.new_family(rs)
            case = w.open_case(fam)
            case.had_plan = True
            n += _load(w, case, stage, rs)
    for _ in range(round(p.initial.cla_children * scale)):
        fam = w.new_family(rs)
        fam.children = [w.new_child(fam, rs, p.initial.cla_age_band, max_age=p.care.leaving_age - 0.05)]
        case = w.open_case(fam)
        case.had_plan = True
        _load(w, case, "care", rs)


def _load(w: "World", case: "Case", stage: str, rs) -> int:
    outcome = {"cin": "cin_plan", "cp": "cp_plan", "care": "in_care"}[stage]
    for child in case.children:
        w.child_event(Event.CASE_LOADED, case, child, outcome=outcome, count=child.cp_plans)
    d = case.district
    wf = w.workforce
    if wf.model[d] == "B":
        team = wf.intake_team(d)
    else:
        team = wf.care_team(d) if stage == "care" else wf.plan_team(d)
    w.start(_start_loaded(w, case, team, stage))
    return len(case.children)


def _start_loaded(w: "World", case: "Case", team, stage: str):
    yield from w.workforce.allocate(case, list(case.children), team, "new_case")
    if stage == "care":
        yield from care.enter_care(w, case, "initial_stock")
    else:
        yield from run(w, case, stage, "initial_stock")
