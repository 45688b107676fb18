"""The front door's MASH: multi-agency screening of a contact, and the decision to refer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from . import journey

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Family
    from .world import World


def mash(w: "World", fam: "Family", known: bool):
    """Process: screen a contact; refer the family's children, or close with NFA / early help."""
    p = w.p.mash
    rs = w.streams["frontdoor"]
    holding = w.active(p.hold_longer_start)
    duration = (p.screening_hold_longer if holding else p.screening).sample(rs)
    yield w.env.timeout(duration)
    probs = p.outcome_known if known else p.outcome
    outcome = list(probs)[rs.choice(list(probs.values()))]
    if fam.case is not None:  # a case opened meanwhile (a second contact); this one adds nothing
        outcome = "nfa"
    w.log.emit(w.env.now, Event.MASH_SCREENING_COMPLETED, family_id=fam.id, team="MASH", outcome=outcome,
               count=len(fam.children), value=duration)
    if outcome == "referral":
        journey.refer(w, fam)
