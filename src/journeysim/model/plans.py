"""Child in Need and Child Protection plans: reviews, step up and down, PLO, proceedings, closure.

How a plan ends turns on whether the family made positive change (drawn from its engagement
when the plan ends: :mod:`journeysim.model.practice`).  A CP plan ends at a review conference:
the first on or after its intended length.  A plan without change may escalate: a CIN plan
steps up to a strategy discussion or ends in voluntary care, a CP plan goes to the Public Law
Outline and perhaps to care proceedings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..distributions import Distribution
from ..events import Event
from ..scenario import section_type
from . import practice
from .closure import close_child
from .years import odds_shift

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type(None, "cin", "cp", "plo", "proceedings", "responses.close_early_elasticity", "care.leaving_age")


def _length(w: "World", dist: Distribution, reason: str, rs, case: "Case | None" = None) -> float:
    """A plan's length; a plan loaded at the start is already part-way through (by a known number of
    days when loaded from a snapshot: what is left of a length longer than that), and one starting
    while the service is full is cut short by ``responses.close_early_elasticity``."""
    if reason == "initial_stock" and case is not None and case.loaded is not None:
        return remaining(dist, case.loaded.days_in_stage, rs)
    d = dist.sample(rs)
    if reason == "initial_stock":
        return d * rs.uniform()
    elasticity = w.params.plans.responses_close_early_elasticity
    return d * math.exp(-elasticity * practice.excess(w)) if elasticity > 0 else d


def _into_care(w: "World", case: "Case", p_care: float) -> float:
    """The chance of a decision that takes the family into care, with this year's shift and the
    odds that specialists working with the family put on it."""
    return odds_shift(w.years.prob("care_entry", p_care, w.env.now), practice.specialist_odds(w, case, "care"))


#: Draws tried for what is left of a stage already under way, before taking a fraction of one draw.
TRIES = 100


def remaining(dist: Distribution, elapsed: float, rs) -> float:
    """What is left of a duration drawn from ``dist`` given that ``elapsed`` days of it have passed
    (rejection sampling: a draw longer than ``elapsed``, less ``elapsed``)."""
    for _ in range(TRIES):
        d = dist.sample(rs)
        if d > elapsed:
            return d - elapsed
    return dist.sample(rs) * rs.uniform()


#: Where a plan that ends by each route hands the journey on (any other route closes the case).
ONWARD = {"step_up": ("strategy", "step_up"), "care": ("care", "voluntary"), "step_down": ("cin", "step_down")}


def _ended(w: "World", case: "Case", event: Event, route: str, engagement: float):
    """The plan has ended by ``route``: logged as ``event``, then the next stage, or the case closes
    (perhaps stepping down to early help)."""
    _end_plan(w, case, event, route, engagement)
    if route in ONWARD:
        return ONWARD[route]
    outcome = "early_help" if w.streams["plans"].uniform() < w.params.plans.cin_p_early_help_on_close else "none"
    for child in list(case.children):
        close_child(w, case, child, "plan_ended", outcome, engagement)
    return None


#: Days beyond a plan's intended length over which a child may still age out of it: a CP plan ends at a
#: review on or after its length, and may go on through the Public Law Outline and proceedings.
AGE_OUT_MARGIN = 730.0


def _ages_out(w: "World", case: "Case", ended: Event, within: float) -> None:
    """A child's plan ends when they reach the leaving age, the family's going on for their siblings:
    each child of the case who will be that old within ``within`` days (as long as the plan can
    last) has their plan end then (``ended``, reason ``age_18``) and their journey close, unless
    the plan has ended first."""
    now = w.env.now
    for child in case.children:
        left = (w.params.plans.care_leaving_age - child.age(now)) * 365.25
        if left < within:
            w.at(left, _age_out, w, case, child, case.plans, ended)


def _end_plan(w: "World", case: "Case", event: Event, route: str, engagement: float) -> None:
    """Each child's plan ends by ``route`` (logged as ``event``); any child's ageing out of it is void."""
    case.plans += 1
    w.each_child(event, case, reason=route, value=engagement)


def _age_out(w: "World", case: "Case", child, plan: int, ended: Event) -> None:
    if case.plans != plan or child not in case.children or child.in_care:
        return
    w.child_event(ended, case, child, reason="age_18")
    close_child(w, case, child, "age_18")


def cin(w: "World", case: "Case", reason: str):
    """Stage: a Child in Need plan, which closes, steps up to child protection, or ends in care."""
    p = w.params.plans
    rs = w.streams["plans"]
    case.had_plan = True
    w.each_child(Event.CIN_PLAN_STARTED, case, reason=reason)
    w.support.refer(case, "cin")
    length = _length(w, p.cin_duration, reason, rs, case)
    _ages_out(w, case, Event.CIN_PLAN_ENDED, length + AGE_OUT_MARGIN)
    yield length
    e = practice.assess_change(w, case)
    route = "closed"
    if not case.positive_change:
        u = rs.uniform()
        p_care = _into_care(w, case, p.cin_p_care_no_change)
        route = "step_up" if u < p.cin_p_step_up_no_change else ("care" if u < p.cin_p_step_up_no_change + p_care else "closed")
    if route == "care" and w.edge_of_care.takes(case):  # an adolescent at the edge of care
        route = "care" if (yield from w.edge_of_care.support(case)) else "closed"
    return _ended(w, case, Event.CIN_PLAN_ENDED, route, e)


def cp(w: "World", case: "Case", reason: str):
    """Stage: a Child Protection plan, reviewed until it ends: step down, closure, or the PLO."""
    p = w.params.plans
    rs = w.streams["plans"]
    case.had_plan = True
    for child in case.children:
        if reason != "initial_stock" or child.cp_plans == 0:
            child.cp_plans += 1
        w.child_event(Event.CP_PLAN_STARTED, case, child, reason=reason, count=child.cp_plans)
    w.support.refer(case, "cp")
    length = _length(w, p.cp_duration, reason, rs, case)
    _ages_out(w, case, Event.CP_PLAN_ENDED, length + p.cp_review_interval_days + AGE_OUT_MARGIN)
    # a plan ends at a review conference: the first review on or after its intended length
    elapsed, review, n = 0.0, p.cp_first_review_days, 0
    if reason == "initial_stock" and case.loaded is not None:  # from a snapshot: the reviews' timetable
        review, n = next_review(case.loaded.days_in_stage, p.cp_first_review_days, p.cp_review_interval_days)
    elif reason == "initial_stock":  # loaded part-way: the next review falls within one interval
        review = rs.uniform() * p.cp_review_interval_days
    while True:
        yield review - elapsed
        elapsed = review
        n += 1
        ending = elapsed >= length
        w.each_child(Event.CP_REVIEW_HELD, case, outcome="end" if ending else "continue", count=n)
        if ending or not case.children:
            break
        review += p.cp_review_interval_days
    e = practice.assess_change(w, case)
    route = rs.outcome(p.cp_end_with_change if case.positive_change else p.cp_end_without_change)
    if route == "plo":
        return (yield from plo(w, case, e))
    return _ended(w, case, Event.CP_PLAN_ENDED, route, e)


def next_review(days: float, first: float, interval: float) -> tuple[float, int]:
    """Days to the next review conference of a CP plan ``days`` old, and the reviews held so far."""
    if days < first:
        return first - days, 0
    held = 1 + int((days - first) // interval)
    return first + held * interval - days, held


def plo(w: "World", case: "Case", e: float):
    """Public Law Outline pre-proceedings (the CP plan continues), then proceedings or a step down."""
    p = w.params.plans
    rs = w.streams["plans"]
    w.each_child(Event.PLO_STARTED, case)
    yield p.plo_duration.sample(rs)
    proceedings = rs.uniform() < _into_care(w, case, p.plo_p_proceedings)
    if proceedings and w.edge_of_care.takes(case):  # an adolescent at the edge of care
        proceedings = yield from w.edge_of_care.support(case)
    if proceedings:
        w.each_child(Event.CARE_PROCEEDINGS_ISSUED, case)
        yield p.proceedings_to_care.sample(rs)
        _end_plan(w, case, Event.CP_PLAN_ENDED, "care", e)
        return ("care", "proceedings")
    _end_plan(w, case, Event.CP_PLAN_ENDED, "step_down", e)
    return ("cin", "step_down")
