"""Child in Need and Child Protection plans: reviews, step up and down, PLO, proceedings, closure.

How a plan ends turns on whether the family made positive change (drawn from its engagement
when the plan ends: :mod:`journeysim.model.practice`).  A CP plan ends at a review conference:
the first on or after its intended length.  A plan without change may escalate: a CIN plan
steps up to a strategy discussion or ends in voluntary care, a CP plan goes to the Public Law
Outline and perhaps to care proceedings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..distributions import Distribution
from ..events import Event
from ..rng import Outcomes
from ..scenario import key
from . import practice
from .closure import close_child

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


@dataclass(frozen=True, slots=True)
class Params:
    """The scenario keys this part reads (their meaning and source: ``journeysim describe``)."""

    cin_duration: Distribution = key("cin.duration")
    p_step_up_no_change: float = key("cin.p_step_up_no_change")
    p_care_no_change: float = key("cin.p_care_no_change")
    p_early_help_on_close: float = key("cin.p_early_help_on_close")
    cp_duration: Distribution = key("cp.duration")
    first_review_days: float = key("cp.first_review_days")
    review_interval_days: float = key("cp.review_interval_days")
    end_with_change: Outcomes = key("cp.end_with_change")
    end_without_change: Outcomes = key("cp.end_without_change")
    plo_duration: Distribution = key("plo.duration")
    p_proceedings: float = key("plo.p_proceedings")
    to_care: Distribution = key("proceedings.to_care")


def _length(dist: Distribution, reason: str, rs) -> float:
    """A plan's length; a plan loaded at the start is already part-way through."""
    d = dist.sample(rs)
    return d * rs.uniform() if reason == "initial_stock" else d


def close_case(w: "World", case: "Case", engagement: float) -> None:
    """The plan ends and the case closes, perhaps stepping down to early help."""
    outcome = "early_help" if w.streams["plans"].uniform() < w.params.plans.p_early_help_on_close else "none"
    for child in list(case.children):
        close_child(w, case, child, "plan_ended", outcome, engagement)


def cin(w: "World", case: "Case", reason: str):
    """Stage: a Child in Need plan, which closes, steps up to child protection, or ends in care."""
    p = w.params.plans
    rs = w.streams["plans"]
    case.had_plan = True
    w.each_child(Event.CIN_PLAN_STARTED, case, reason=reason)
    w.hubs.maybe_refer(case, "cin")
    yield _length(p.cin_duration, reason, rs)
    e = practice.assess_change(w, case)
    route = "closed"
    if not case.positive_change:
        u = rs.uniform()
        p_care = w.years.prob("care_entry", p.p_care_no_change, w.env.now)
        route = "step_up" if u < p.p_step_up_no_change else ("care" if u < p.p_step_up_no_change + p_care else "closed")
    w.each_child(Event.CIN_PLAN_ENDED, case, reason=route, value=e)
    if route == "step_up":
        return ("strategy", "step_up")
    if route == "care":
        return ("care", "voluntary")
    close_case(w, case, e)
    return None


def cp(w: "World", case: "Case", reason: str):
    """Stage: a Child Protection plan, reviewed until it ends: step down, closure, or the PLO."""
    p = w.params.plans
    rs = w.streams["plans"]
    case.had_plan = True
    for child in case.children:
        if reason != "initial_stock" or child.cp_plans == 0:
            child.cp_plans += 1
        w.child_event(Event.CP_PLAN_STARTED, case, child, reason=reason, count=child.cp_plans)
    w.hubs.maybe_refer(case, "cp")
    length = _length(p.cp_duration, reason, rs)
    # a plan ends at a review conference: the first review on or after its intended length
    elapsed, review, n = 0.0, p.first_review_days, 0
    if reason == "initial_stock":  # loaded part-way: the next review falls within one interval
        review = rs.uniform() * p.review_interval_days
    while True:
        yield review - elapsed
        elapsed = review
        n += 1
        ending = elapsed >= length
        w.each_child(Event.CP_REVIEW_HELD, case, outcome="end" if ending else "continue", count=n)
        if ending or not case.children:
            break
        review += p.review_interval_days
    e = practice.assess_change(w, case)
    route = rs.outcome(p.end_with_change if case.positive_change else p.end_without_change)
    if route == "plo":
        return (yield from plo(w, case, e))
    w.each_child(Event.CP_PLAN_ENDED, case, reason=route, value=e)
    if route == "step_down":
        return ("cin", "step_down")
    close_case(w, case, e)
    return None


def plo(w: "World", case: "Case", e: float):
    """Public Law Outline pre-proceedings (the CP plan continues), then proceedings or a step down."""
    p = w.params.plans
    rs = w.streams["plans"]
    w.each_child(Event.PLO_STARTED, case)
    yield p.plo_duration.sample(rs)
    if rs.uniform() < w.years.prob("care_entry", p.p_proceedings, w.env.now):
        w.each_child(Event.CARE_PROCEEDINGS_ISSUED, case)
        yield p.to_care.sample(rs)
        w.each_child(Event.CP_PLAN_ENDED, case, reason="care", value=e)
        return ("care", "proceedings")
    w.each_child(Event.CP_PLAN_ENDED, case, reason="step_down", value=e)
    return ("cin", "step_down")
