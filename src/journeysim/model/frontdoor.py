"""The front door's MASH: multi-agency screening of a contact, and the decision to refer.

With ``mash.backfill_elasticity`` above 0 the MASH refers more readily when the county's
social workers have spare capacity (:func:`spare_capacity`), the backfill trap of 002.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from . import journey, practice

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Family
    from .world import World


def mash(w: "World", fam: "Family", known: bool) -> None:
    """A contact reaches the MASH: screening takes its time, then the decision (a scheduled
    callback rather than a process: nothing happens to the family in between)."""
    p = w.p.mash
    rs = w.streams["frontdoor"]
    holding = w.active(p.hold_longer_start)
    duration = (p.screening_hold_longer if holding else p.screening).sample(rs)
    w.at(duration, decide, w, fam, known, duration)


def decide(w: "World", fam: "Family", known: bool, duration: float) -> None:
    """The MASH's decision after screening: refer the family's children, or close with NFA / early help."""
    p = w.p.mash
    rs = w.streams["frontdoor"]
    probs = p.outcome_known if known else p.outcome
    if p.backfill_elasticity > 0:
        probs = backfilled(probs, p.backfill_elasticity * spare_capacity(w))
    outcome = rs.outcome(probs)
    if fam.case is not None:  # a case opened meanwhile (a second contact); this one adds nothing
        outcome = "nfa"
    w.log.emit(w.env.now, Event.MASH_SCREENING_COMPLETED, family_id=fam.id, team="MASH", outcome=outcome,
               count=len(fam.children), value=duration)
    if outcome == "referral":
        journey.refer(w, fam)


def spare_capacity(w: "World") -> float:
    """The county's spare capacity: max(0, 1 - pressure / mash.backfill_caseload), where pressure is
    the children held or waiting per social worker in post, weighted for PA time."""
    pressure = w.workforce.pressure() * practice.pa_time_weight(w)
    return max(0.0, 1.0 - pressure / w.p.mash.backfill_caseload)


def backfilled(probs: dict[str, float], lift: float) -> dict[str, float]:
    """The MASH's outcome probabilities with the chance of a referral raised by ``1 + lift`` (at most 1),
    the other outcomes scaled down in proportion (the backfill trap: 002, Crewe)."""
    referral = probs["referral"]
    raised = min(1.0, referral * (1.0 + lift))
    rest = 1.0 - referral
    return {k: raised if k == "referral" else (v * (1.0 - raised) / rest if rest > 0 else 0.0) for k, v in probs.items()}
