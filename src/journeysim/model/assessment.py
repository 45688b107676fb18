"""Assessment, strategy discussion, section 47 enquiry and the initial child protection conference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


def _each(w: "World", event: Event, case: "Case", outcome: str | None = None, reason: str | None = None,
          count: int | None = None, value: float | None = None) -> None:
    """Log ``event`` for each child open in the case."""
    for child in case.children:
        w.child_event(event, case, child, outcome=outcome, reason=reason, count=count, value=value)



def assessment_outcome(w: "World", case: "Case") -> str:
    """The assessment's conclusion; a child's earlier CP plan raises the odds of a strategy discussion."""
    p = w.p.assessment
    probs = dict(p.outcome)
    odds = w.trend(p.strategy_trend_per_year)
    if any(c.cp_plans > 0 for c in case.children):
        odds *= p.prior_cp_strategy_odds * w.trend(p.prior_cp_trend_per_year) * w.years.factor("repeat_cp", w.env.now)
    if odds != 1.0:
        s = probs["strategy_discussion"]
        s2 = odds * s / (1 - s + odds * s) if s < 1 else 1.0
        rest = 1 - s
        for k in probs:
            probs[k] = s2 if k == "strategy_discussion" else (probs[k] * (1 - s2) / rest if rest > 0 else 0.0)
    return w.streams["assessment"].outcome(probs)


def assessment(w: "World", case: "Case", reason: str):
    p = w.p.assessment
    rs = w.streams["assessment"]
    _each(w, Event.ASSESSMENT_STARTED, case)
    yield p.duration.sample(rs)
    outcome = assessment_outcome(w, case)
    _each(w, Event.ASSESSMENT_COMPLETED, case, outcome=outcome, value=w.env.now - case.opened)
    if outcome in ("not_in_need", "early_help"):
        for child in list(case.children):
            w.close_child(case, child, "not_in_need", "early_help" if outcome == "early_help" else "none")
        return None
    if outcome == "cin_plan":
        return ("cin", "assessment")
    return ("strategy", "assessment")


def strategy(w: "World", case: "Case", reason: str):
    rs = w.streams["assessment"]
    yield w.p.strategy.delay.sample(rs)
    s47 = rs.uniform() < w.p.strategy.p_s47
    _each(w, Event.STRATEGY_DISCUSSION_HELD, case, outcome="s47" if s47 else "no_s47")
    return ("s47", reason) if s47 else ("cin", "strategy")


def s47(w: "World", case: "Case", reason: str):
    p = w.p.s47
    rs = w.streams["assessment"]
    yield p.duration.sample(rs)
    if rs.uniform() < w.years.prob("care_entry", p.p_emergency_care, w.env.now):
        _each(w, Event.S47_ENQUIRY_COMPLETED, case, outcome="emergency_care")
        return ("care", "emergency")
    outcome = rs.outcome(p.outcome)
    _each(w, Event.S47_ENQUIRY_COMPLETED, case, outcome=outcome)
    if outcome == "icpc":
        return ("icpc", reason)
    if outcome == "cin_plan":
        return ("cin", "s47")
    for child in list(case.children):
        w.close_child(case, child, "no_further_action")
    return None


def icpc(w: "World", case: "Case", reason: str):
    rs = w.streams["assessment"]
    yield w.p.icpc.delay.sample(rs)
    outcome = rs.outcome(w.p.icpc.outcome)
    _each(w, Event.ICPC_HELD, case, outcome=outcome)
    if outcome == "cp_plan":
        return ("cp", "icpc")
    if outcome == "cin_plan":
        return ("cin", "icpc")
    for child in list(case.children):
        w.close_child(case, child, "no_further_action")
    return None
