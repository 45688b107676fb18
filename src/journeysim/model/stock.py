"""The cases already open when the run starts: children on CIN plans, on CP plans, and looked after.

Each is loaded part-way through its stage (a plan's length and a care episode's route are drawn
as a stock, not as new starts: see :mod:`journeysim.model.plans` and
:mod:`journeysim.model.care`), allocated to a worker, and then follows the pathway like any
other journey.

With ``run.start_state`` the stock is an authority's own open caseload instead, from a snapshot
(:mod:`journeysim.returns.snapshot`): each child with their age, their stage and how long they
have been in it, their legal status and placement, their CP plans, referrals and social workers
so far; and the families whose case closed in the year before, who may come back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import population
from .entities import Child, Family

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("initial", "care.leaving_age", "run.scale", "run.start_state", "population.toxic_trio_share",
                      "practice.p_return_change", "practice.p_return_no_change", "practice.p_return_no_plan",
                      "arrivals.return_delay")


#: What a loaded case's children are said to be on (the outcome of CaseLoaded), by stage.
LOADED_AS = {"cin": "cin_plan", "cp": "cp_plan", "care": "in_care", "assessment": "assessment"}


def load(w: "World") -> None:
    """Cases already open at time 0: CIN plans, CP plans and children looked after."""
    p = w.params.stock
    if p.run_start_state:
        from_snapshot(w, p.run_start_state)
        return
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


def _load(w: "World", case: "Case", stage: str, days: float | None = None) -> int:
    """Load ``case`` at ``stage`` (``days`` into it, when known), with the team that is to take it; the
    number of children loaded."""
    for child in case.children:
        w.child_event(Event.CASE_LOADED, case, child, outcome=LOADED_AS[stage], count=child.cp_plans, value=days)
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


def from_snapshot(w: "World", path: str) -> None:
    """Load the caseload of a snapshot (``run.start_state``): its children in care, on plans and being
    assessed open their cases now; the families closed in the year before may come back."""
    from ..returns.snapshot import SnapshotError, read
    from ..scenario import ScenarioError

    try:
        rows = read(Path(path))
    except SnapshotError as exc:
        raise ScenarioError(f"run.start_state: {exc}") from None
    if len(rows):
        at = dt.date.fromisoformat(rows["at"].iloc[0])
        if at + dt.timedelta(days=1) != w.cal.start:
            raise ScenarioError(f"run.start_state: the snapshot {Path(path).name} is of the end of {at}, so the run must "
                                f"start on {at + dt.timedelta(days=1)}: set run.start = {at + dt.timedelta(days=1)} and "
                                f"run.warmup_days = 0 (it starts on {w.cal.start})")
    p = w.params.stock
    rs = w.streams["snapshot"]
    for row in rows.itertuples(index=False):
        fam = Family(w.new_id("family"), int(rs.uniform() * w.districts), rs.uniform() < p.population_toxic_trio_share)
        child = Child(w.new_id("child"), fam, w.env.now - float(row.age) * 365.25, referrals=int(row.referrals),
                      cp_plans=int(row.cp_plans))
        fam.children = [child]
        if row.stage == "closed":
            _may_come_back(w, fam, row, rs)
            continue
        case = w.journeys.open(fam)
        if not case.children:
            fam.case = None
            continue
        case.had_plan = row.stage != "assessment"
        case.handoffs = max(0, int(row.social_workers) - 1)
        case.loaded = row
        _load(w, case, row.stage, float(row.days_in_stage))


def _may_come_back(w: "World", fam: "Family", row, rs) -> None:
    """A family whose case closed ``row.days_in_stage`` days ago comes back with the usual chance (after a
    plan, whether or not it made positive change is not in the returns: the mean of the two), if its
    return, drawn from the closure, falls after now."""
    p = w.params.stock
    chance = ((p.practice_p_return_change + p.practice_p_return_no_change) / 2 if row.had_plan
              else p.practice_p_return_no_plan)
    if rs.uniform() < chance:
        delay = p.arrivals_return_delay.sample(rs) - float(row.days_in_stage)
        if delay > 0:
            w.at(delay, w.frontdoor.known_family, fam)
