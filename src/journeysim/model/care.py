"""Care: entering care, placements, reunification (and its breakdown), permanence, leaving at 18, UASC.

Each child entering care is then on their own path (:func:`episode`): how and when their
episode will end is drawn on entry, by their age band (a return home, adoption, special
guardianship, another exit, or leaving care at 18).  A child who goes home is on a CIN plan
for a while, and the return may break down, bringing them back into care.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import practice
from .closure import close_child
from .entities import Child, Family
from .population import age_band

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("care", "initial.cla_s20_share", "uasc.age")


LEGAL_BY_REASON = {"proceedings": "ico", "emergency": "epo", "uasc": "uasc_s20", "breakdown": "s20"}


def enter_care(w: "World", case: "Case", reason: str):
    """Stage: the case's children become looked after, each then on their own path."""
    p = w.params.care
    rs = w.streams["care"]
    for child in list(case.children):
        if _grown_up(w, child, w.env.now):  # while the family was worked with
            close_child(w, case, child, "age_18")
            continue
        if reason == "voluntary":
            legal = "s20" if rs.uniform() < p.p_legal_s20 else "epo"
        elif reason == "initial_stock" and case.loaded is not None:  # from a snapshot
            legal = case.loaded.legal_status
        elif reason == "initial_stock":
            legal = "s20" if rs.uniform() < p.initial_cla_s20_share else "care_order"
        else:
            legal = LEGAL_BY_REASON[reason]
        w.start(episode(w, case, child, legal, reason))
    return None
    yield  # a generator, like every stage


def _grown_up(w: "World", child: "Child", t: float) -> bool:
    """Whether ``child`` has reached the leaving age (to within a day) at time ``t``: too old to enter care."""
    return child.age(t) >= w.params.care.leaving_age - 1.0 / 365.25


def _route(w: "World", child: "Child", reason: str, rs) -> tuple[str, float]:
    """How and when this care episode will end (before the leaving age cuts it short)."""
    p = w.params.care
    age = child.age(w.env.now)
    loaded = child.family.case.loaded if child.family.case is not None else None
    if reason == "uasc":
        route, t = ("other", p.other_exit_time.sample(rs)) if rs.uniform() < p.p_other_exit else ("age_18", float("inf"))
    elif reason == "initial_stock" and loaded is not None:
        route, t = _route_from_snapshot(w, age, loaded, rs)
    elif reason == "initial_stock":
        route, t = _route_in_stock(w, age, rs)
    else:
        route, t = _exit(w, age_band(age), rs)
    if route in ("adoption", "sgo"):  # a court order: at the court's pace (the jump-off year's, model/years.py)
        t = w.years.court_wait(w.env.now, t)
    to_18 = (p.leaving_age - age) * 365.25
    if t >= to_18:
        route, t = "age_18", max(0.0, to_18)
    return route, t


def _exit(w: "World", band: str, rs, entered: float | None = None) -> tuple[str, float]:
    """The route out of care, and the time to it, of a child entering care in age band ``band``, now
    or on simulation day ``entered`` (the drifts and the reunification drive as they were then)."""
    p = w.params.care
    drive = w.active(p.reunification_drive_start, entered)
    p_home = p.p_return_home[band] * (p.reunification_drive_factor if drive else 1.0)
    if rs.uniform() < p_home:
        return "returned_home", p.return_home_time.sample(rs)
    if rs.uniform() < min(1.0, p.p_adoption[band] * w.trend(p.adoption_trend_per_year, entered)):
        return "adoption", p.adoption_time.sample(rs)
    if rs.uniform() < min(1.0, p.p_sgo[band] * w.trend(p.sgo_trend_per_year, entered)):
        return "sgo", p.sgo_time.sample(rs)
    if rs.uniform() < p.p_other_exit:
        return "other", p.other_exit_time.sample(rs)
    return "age_18", float("inf")


#: Draws tried for a child in the initial stock before falling back to a uniform fraction.
STOCK_TRIES = 100


def _route_in_stock(w: "World", age: float, rs) -> tuple[str, float]:
    """The route out of care of a child already in care when the run starts, and the time left.

    A stock is not a sample of entries: a child who goes home within months is seldom in care on
    a given day, while the long stays pile up.  So the time in care so far is drawn uniformly up
    to the child's age, the route and its length as for a child who entered care at the age they
    were then, and the draw is kept only if they would still be in care; what is left is the
    time to exit (rejection sampling of the stock a steady flow of entries leaves behind)."""
    for _ in range(STOCK_TRIES):
        so_far = rs.uniform() * age * 365.25
        route, t = _exit(w, age_band(age - so_far / 365.25), rs)
        if t > so_far:
            return route, t - so_far
    return route, t * rs.uniform()


def _route_from_snapshot(w: "World", age: float, loaded, rs) -> tuple[str, float]:
    """The route out of care of a child in a snapshot, who has been in care ``loaded.days_in_stage``
    days: drawn as for a child who entered care at the age they were then and on the day they entered
    (the drifts of adoption and special guardianship and the reunification drive as they were that
    day, as the run that wrote the returns drew it; an unaccompanied child's as a UASC's; a child
    placed for adoption is adopted), kept if longer than the time so far, and what is left of it.

    A child whose period of care began before the earliest episode the return holds
    (``loaded.began_earlier``) has been in care *at least* that long: their time so far is drawn
    as the initial stock's is (:func:`_route_in_stock`), uniformly between that bound and their age,
    kept with the route only if the route outlasts it (the stock a steady flow of entries leaves
    behind, among those in care at least that long)."""
    p = w.params.care
    bound = float(loaded.days_in_stage)
    at_least = bool(loaded.began_earlier)
    so_far = bound
    route, t = "age_18", float("inf")
    for _ in range(STOCK_TRIES):
        if at_least:
            so_far = bound + rs.uniform() * max(0.0, age * 365.25 - bound)
        if loaded.placement == "placed_for_adoption":
            route, t = "adoption", p.adoption_time.sample(rs)
        elif loaded.uasc:
            route, t = (("other", p.other_exit_time.sample(rs)) if rs.uniform() < p.p_other_exit
                        else ("age_18", float("inf")))
        else:
            route, t = _exit(w, age_band(max(0.0, age - so_far / 365.25)), rs, w.env.now - so_far)
        if t > so_far:
            return route, t - so_far
    return route, t * rs.uniform()


def _placement(w: "World", child: "Child", rs) -> str:
    probs = w.params.care.placement
    kinds = list(probs)
    weights = list(probs.values())
    if child.age(w.env.now) < 16:  # independent living only from 16
        total = 1.0 - probs["independent"]
        weights = [0.0 if k == "independent" else x / total for k, x in zip(kinds, weights)]
    return kinds[rs.choice(weights)]


def episode(w: "World", case: "Case", child: "Child", legal: str, reason: str):
    """Process: one child's time in care, and what follows it."""
    rs = w.streams["care"]
    p = w.params.care
    while True:
        child.in_care = True
        child.episodes += 1
        entered = w.env.now
        w.child_event(Event.CARE_ENTERED, case, child, legal_status=legal, reason=reason)
        loaded = case.loaded if reason == "initial_stock" else None  # from a snapshot: its placement
        w.child_event(Event.PLACEMENT_STARTED, case, child, outcome=loaded.placement if loaded is not None
                      else _placement(w, child, rs), reason="entry",
                      value=None if loaded is None else float(loaded.days_in_placement))
        route, length = _route(w, child, reason, rs)
        w.allocation.entered_care(case, child, route)
        yield from _placements(w, case, child, route, length, rs,
                               placed=loaded is not None and loaded.placement == "placed_for_adoption")
        child.in_care = False
        w.child_event(Event.CARE_LEFT, case, child, reason=route, value=w.env.now - entered)
        if route != "returned_home":
            close = {"age_18": "age_18", "other": "moved_on"}.get(route, "permanence")
            close_child(w, case, child, close)
            return
        # home, on a CIN plan; the return may break down
        yield from w.allocation.stage_change(case, [child], "cin")
        case.had_plan = True  # a family closed after it comes back as one closed after a plan, not without one
        w.child_event(Event.CIN_PLAN_STARTED, case, child, reason="returned_home")
        plan = p.after_return_cin.sample(rs)
        if rs.uniform() < p.p_breakdown:
            broke = p.breakdown_time.sample(rs)
            # a return that breaks down once the child is grown up does not bring them back into care
            if broke < plan and not _grown_up(w, child, w.env.now + broke):
                yield broke
                e = practice.engagement(w, case)
                w.child_event(Event.CIN_PLAN_ENDED, case, child, reason="care", value=e)
                w.child_event(Event.RETURN_HOME_BROKE_DOWN, case, child, value=broke)
                yield from w.allocation.stage_change(case, [child], "care")
                legal, reason = "s20", "breakdown"
                continue
        to_18 = (p.leaving_age - child.age(w.env.now)) * 365.25
        if to_18 < plan:  # the plan ends when the young person is 18
            yield max(0.0, to_18)
            w.child_event(Event.CIN_PLAN_ENDED, case, child, reason="age_18")
            close_child(w, case, child, "age_18")
            return
        yield plan
        e = practice.assess_change(w, case)
        w.child_event(Event.CIN_PLAN_ENDED, case, child, reason="closed", value=e)
        close_child(w, case, child, "plan_ended", "none", e)
        return


def _placements(w: "World", case: "Case", child: "Child", route: str, length: float, rs, placed: bool = False):
    """Wait out the episode, with placement moves along the way, and a placement for adoption (unless
    the child is ``placed`` for adoption already), after which the child does not move again."""
    p = w.params.care
    rate = p.placement_moves_per_year
    adopt_at = max(0.0, length - p.placed_for_adoption_before.sample(rs)) if route == "adoption" else float("inf")
    if placed:  # with the adopters already: no more moves
        yield length
        return
    t = 0.0
    while True:
        gap = rs.exponential(365.25 / rate) if rate > 0 else float("inf")
        nxt = min(t + gap, adopt_at)
        if nxt >= length:
            break
        yield nxt - t
        t = nxt
        if nxt == adopt_at:  # placed with the adopters, the child stays there until the order
            w.child_event(Event.PLACEMENT_STARTED, case, child, outcome="placed_for_adoption", reason="adoption")
            break
        w.child_event(Event.PLACEMENT_STARTED, case, child, outcome=_placement(w, child, rs), reason="move")
    yield max(0.0, length - t)


def uasc_arrives(w: "World", rs) -> None:
    """An unaccompanied asylum-seeking child arrives and enters care."""
    p = w.params.care
    fam = Family(w.new_id("family"), int(rs.uniform() * w.districts), False)
    age = p.uasc_age.sample(rs)
    child_age = min(age, p.leaving_age - 0.05)
    fam.children = [Child(w.new_id("child"), fam, w.env.now - child_age * 365.25)]
    case = w.journeys.open(fam)
    case.had_plan = True
    w.child_event(Event.UASC_ARRIVED, case, fam.children[0])
    w.journeys.start(case, "uasc", "uasc")


def uasc(w: "World", case: "Case", reason: str):
    """Stage: a UASC is allocated a worker (the intake team's under CAST, else the Children in Care
    team's) and is looked after."""
    teams = w.teams
    d = case.district
    team = teams.intake_team(d) if teams.model[d] == "B" else teams.care_team(d, case.children[0].age(w.env.now))
    yield from w.allocation.allocate(case, list(case.children), team, "new_case")
    yield from episode(w, case, case.children[0], "uasc_s20", "uasc")
    return None
