"""Assessment, strategy discussion, section 47 enquiry and the initial child protection conference.

Each stage is a short generator ``stage(w, case, reason)`` that does its work, yields the
days it waits, and returns the next ``(stage, reason)`` of the pathway
(:data:`journeysim.pathway.STAGES`), or None when the journey has closed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import practice
from .closure import close_child
from .years import odds_shift

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("assessment", "strategy", "s47", "icpc", "responses.threshold_elasticity")


def assessment_outcome(w: "World", case: "Case") -> str:
    """The assessment's conclusion.  The child protection threshold drifts: of the children found in
    need of a plan, the odds of a strategy discussion rather than a CIN plan move by the drift, and
    the children the threshold no longer reaches stay children in need.  A child's earlier CP plan
    raises the odds of a strategy discussion; when the service is full, the odds of finding a need
    (a CIN plan or a strategy discussion) fall with the excess."""
    p = w.params.assessment
    probs = practice.between(dict(p.outcome), "cin_plan", "strategy_discussion", w.trend(p.strategy_trend_per_year))
    if any(c.cp_plans > 0 for c in case.children):
        odds = p.prior_cp_strategy_odds * w.trend(p.prior_cp_trend_per_year) * w.years.factor("repeat_cp", w.env.now)
        probs = practice.with_odds(probs, ("strategy_discussion",), odds)
    if p.responses_threshold_elasticity > 0:
        tighter = math.exp(-p.responses_threshold_elasticity * practice.excess(w))
        probs = practice.with_odds(probs, ("cin_plan", "strategy_discussion"), tighter)
    return w.streams["assessment"].outcome(probs)


def assessment(w: "World", case: "Case", reason: str):
    """Stage: the child and family assessment, and its conclusion."""
    p = w.params.assessment
    rs = w.streams["assessment"]
    w.each_child(Event.ASSESSMENT_STARTED, case)
    yield p.duration.sample(rs)
    outcome = assessment_outcome(w, case)
    w.each_child(Event.ASSESSMENT_COMPLETED, case, outcome=outcome, value=w.env.now - case.opened)
    if outcome in ("not_in_need", "early_help"):
        for child in list(case.children):
            close_child(w, case, child, "not_in_need", "early_help" if outcome == "early_help" else "none")
        return None
    if outcome == "cin_plan":
        return ("cin", "assessment")
    return ("strategy", "assessment")


def strategy(w: "World", case: "Case", reason: str):
    """Stage: a strategy discussion, which decides on a section 47 enquiry."""
    p = w.params.assessment
    rs = w.streams["assessment"]
    yield p.strategy_delay.sample(rs)
    s47 = rs.uniform() < p.strategy_p_s47
    w.each_child(Event.STRATEGY_DISCUSSION_HELD, case, outcome="s47" if s47 else "no_s47")
    return ("s47", reason) if s47 else ("cin", "strategy")


def s47(w: "World", case: "Case", reason: str):
    """Stage: a section 47 enquiry: an ICPC, a CIN plan, no further action, or emergency care."""
    p = w.params.assessment
    rs = w.streams["assessment"]
    yield p.s47_duration.sample(rs)
    p_emergency = w.years.prob("care_entry", p.s47_p_emergency_care, w.env.now)
    if rs.uniform() < odds_shift(p_emergency, practice.specialist_odds(w, case, "care")):
        w.each_child(Event.S47_ENQUIRY_COMPLETED, case, outcome="emergency_care")
        return ("care", "emergency")
    outcome = rs.outcome(practice.with_odds(p.s47_outcome, ("icpc",), practice.specialist_odds(w, case, "cp")))
    w.each_child(Event.S47_ENQUIRY_COMPLETED, case, outcome=outcome)
    if outcome == "icpc":
        return ("icpc", reason)
    if outcome == "cin_plan":
        return ("cin", "s47")
    for child in list(case.children):
        close_child(w, case, child, "no_further_action")
    return None


def icpc(w: "World", case: "Case", reason: str):
    """Stage: the initial child protection conference (on a working day): a CP plan, a CIN plan, or no plan."""
    p = w.params.assessment
    rs = w.streams["assessment"]
    yield p.icpc_delay.sample(rs)
    weekend = w.cal.to_working_day(w.env.now)
    if weekend:  # conferences are held on working days
        yield weekend
    outcome = rs.outcome(practice.with_odds(p.icpc_outcome, ("cp_plan",), practice.specialist_odds(w, case, "cp")))
    w.each_child(Event.ICPC_HELD, case, outcome=outcome)
    if outcome == "cp_plan":
        return ("cp", "icpc")
    if outcome == "cin_plan":
        return ("cin", "icpc")
    for child in list(case.children):
        close_child(w, case, child, "no_further_action")
    return None
