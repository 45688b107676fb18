"""Child in Need and Child Protection plans: reviews, step up and down, PLO, proceedings, closure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from . import practice
from .assessment import _each

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


def _length(w: "World", dist, reason: str, rs) -> float:
    """A plan's length; a plan loaded at the start is already part-way through."""
    d = dist.sample(rs)
    return d * rs.uniform() if reason == "initial_stock" else d


def close_case(w: "World", case: "Case", engagement: float) -> None:
    outcome = "early_help" if w.streams["plans"].uniform() < w.p.cin.p_early_help_on_close else "none"
    for child in list(case.children):
        w.close_child(case, child, "plan_ended", outcome, engagement)


def cin(w: "World", case: "Case", reason: str):
    p = w.p.cin
    rs = w.streams["plans"]
    case.had_plan = True
    _each(w, Event.CIN_PLAN_STARTED, case, reason=reason)
    w.hubs.maybe_refer(case, w.p.hubs.p_refer_cin)
    yield _length(w, p.duration, reason, rs)
    e = practice.assess_change(w, case)
    route = "closed"
    if not case.positive_change:
        u = rs.uniform()
        p_care = w.years.prob("care_entry", p.p_care_no_change, w.env.now)
        route = "step_up" if u < p.p_step_up_no_change else ("care" if u < p.p_step_up_no_change + p_care else "closed")
    _each(w, Event.CIN_PLAN_ENDED, case, reason=route, value=e)
    if route == "step_up":
        return ("strategy", "step_up")
    if route == "care":
        return ("care", "voluntary")
    close_case(w, case, e)
    return None


def cp(w: "World", case: "Case", reason: str):
    p = w.p.cp
    rs = w.streams["plans"]
    case.had_plan = True
    for child in case.children:
        if reason != "initial_stock" or child.cp_plans == 0:
            child.cp_plans += 1
        w.child_event(Event.CP_PLAN_STARTED, case, child, reason=reason, count=child.cp_plans)
    w.hubs.maybe_refer(case, w.p.hubs.p_refer_cp)
    length = _length(w, p.duration, reason, rs)
    # a plan ends at a review conference: the first review on or after its intended length
    elapsed, review, n = 0.0, p.first_review_days, 0
    if reason == "initial_stock":  # loaded part-way: the next review falls within one interval
        review = rs.uniform() * p.review_interval_days
    while True:
        yield review - elapsed
        elapsed = review
        n += 1
        ending = elapsed >= length
        _each(w, Event.CP_REVIEW_HELD, case, outcome="end" if ending else "continue", count=n)
        if ending or not case.children:
            break
        review += p.review_interval_days
    e = practice.assess_change(w, case)
    route = rs.outcome(p.end_with_change if case.positive_change else p.end_without_change)
    if route == "plo":
        return (yield from plo(w, case, e))
    _each(w, Event.CP_PLAN_ENDED, case, reason=route, value=e)
    if route == "step_down":
        return ("cin", "step_down")
    close_case(w, case, e)
    return None


def plo(w: "World", case: "Case", e: float):
    """Public Law Outline pre-proceedings (the CP plan continues), then proceedings or a step down."""
    p = w.p
    rs = w.streams["plans"]
    _each(w, Event.PLO_STARTED, case)
    yield p.plo.duration.sample(rs)
    if rs.uniform() < w.years.prob("care_entry", p.plo.p_proceedings, w.env.now):
        _each(w, Event.CARE_PROCEEDINGS_ISSUED, case)
        yield p.proceedings.to_care.sample(rs)
        _each(w, Event.CP_PLAN_ENDED, case, reason="care", value=e)
        return ("care", "proceedings")
    _each(w, Event.CP_PLAN_ENDED, case, reason="step_down", value=e)
    return ("cin", "step_down")
