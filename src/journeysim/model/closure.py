"""The end of a child's journey, and the family's coming back (re-referral).

A child's journey closes (no further action, not in need, a plan ended, permanence, age 18);
their worker and any hub place let go of them.  When the case's last child closes, the family
may come back to the front door after ``arrivals.return_delay``: with chance
``practice.p_return_no_plan`` after a case with no plan, else ``practice.p_return_change`` or
``practice.p_return_no_change`` as the family did or did not make positive change (the
re-referral feedback), and with its odds multiplied by ``early_help.return_odds`` if the case
stepped down to early help and the family found a place.  Families who leave through permanence, at 18 or by moving on do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from .years import odds_shift

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case, Child
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type(None, "practice.p_return_change", "practice.p_return_no_change",
                      "practice.p_return_no_plan", "arrivals.return_delay", "early_help.return_odds")


#: Closure reasons after which a family does not come back.
NO_RETURN = ("permanence", "age_18", "moved_on")


def close_child(w: "World", case: "Case", child: "Child", reason: str, outcome: str = "none",
                engagement: float | None = None) -> None:
    """The child's journey ends; when the case has no open child left, the family may come back later."""
    w.support.child_closing(case, child)
    w.child_event(Event.CASE_CLOSED, case, child, reason=reason, outcome=outcome,
                  count=int(case.positive_change), value=engagement)
    case.children.remove(child)  # first: the place its worker frees must not go back to this child
    w.allocation.release(child)
    child.in_care = False
    if not case.children:
        case.closed = True
        case.family.case = None
        helped = outcome == "early_help" and w.early_help.offer(case.family, "step_down")
        _maybe_return(w, case, reason, helped)


def _maybe_return(w: "World", case: "Case", reason: str, helped: bool) -> None:
    """After a case closes, the family may come back to the front door (re-referral feedback),
    less often after early help (``helped``)."""
    p = w.params.closure
    if reason in NO_RETURN:
        return
    if not case.had_plan:
        chance = p.practice_p_return_no_plan
    else:
        chance = p.practice_p_return_change if case.positive_change else p.practice_p_return_no_change
    chance = w.years.prob("returns", chance, w.env.now)
    if helped:
        chance = odds_shift(chance, p.early_help_return_odds)
    rs = w.streams["returns"]
    if rs.uniform() < chance:
        w.at(p.arrivals_return_delay.sample(rs), w.frontdoor.known_family, case.family)
