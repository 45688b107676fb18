"""The front door: contact triage, and the MASH's screening and decision to refer.

A contact about a family new to the model is triaged at once (``frontdoor.triage``): advice or
no further action, early help, or screening by the MASH, the multi-agency safeguarding hub.
A contact about a known family (one that comes back after its case closed:
:mod:`journeysim.model.closure`) goes straight to the MASH.  The MASH screens for
``mash.screening`` (longer once it holds cases longer, from ``mash.hold_longer_start``), then
decides: no further action, early help (:mod:`journeysim.model.early_help`), or a referral to
children's social care (:mod:`journeysim.model.referral`).  When the service is full
(``responses.threshold_elasticity``) it refers less readily.

With ``mash.backfill_elasticity`` above 0 the MASH refers more readily when the county's
social workers have spare capacity (:meth:`FrontDoor.spare_capacity`), the backfill trap of 002.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import population, practice, referral

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Family
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("mash", "frontdoor.triage", "population.children_per_family", "care.leaving_age",
                      "responses.threshold_elasticity")


class FrontDoor:
    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = w.params.frontdoor
        self.rs = w.streams["frontdoor"]

    def new_families(self, contacts: int, rs) -> None:
        """Today's ``contacts`` about families new to the model, each triaged; those sent to the MASH
        are drawn as families (from ``rs``, the arrivals' stream) and screened."""
        w = self.w
        family_ids = w.ids["family"]  # next(family_ids) is w.new_id("family"), for the commonest event
        for _ in range(contacts):
            outcome = rs.outcome(self.p.frontdoor_triage)
            if outcome == "mash":
                fam = population.new_family(w, rs)
                w.contact_received(fam.id, outcome, "new_family", len(fam.children))
                self.mash(fam, known=False)
            else:  # signposted at the front door: the family need not be modelled further
                children = max(1, int(self.p.population_children_per_family.sample(rs)))
                w.contact_received(next(family_ids), outcome, "new_family", children)

    def known_family(self, fam: "Family") -> None:
        """A known family is the subject of a new contact, which goes straight to the MASH (unless the
        family has a case open again, or no child under the leaving age)."""
        w = self.w
        now = w.env.now
        if fam.case is not None or not any(c.age(now) < self.p.care_leaving_age for c in fam.children):
            return
        w.contact_received(fam.id, "mash", "known_family", len(fam.children))
        self.mash(fam, known=True)

    def mash(self, fam: "Family", known: bool) -> None:
        """A contact reaches the MASH: screening takes its time, then the decision (a scheduled
        call rather than a process: nothing happens to the family in between)."""
        p = self.p
        holding = self.w.active(p.hold_longer_start)
        duration = (p.screening_hold_longer if holding else p.screening).sample(self.rs)
        self.w.at(duration, self.decide, fam, known, duration)

    def decide(self, fam: "Family", known: bool, duration: float) -> None:
        """The MASH's decision after screening: refer the family's children, or close with NFA / early help."""
        p = self.p
        w = self.w
        probs = p.outcome_known if known else p.outcome
        if p.backfill_elasticity > 0:
            probs = backfilled(probs, p.backfill_elasticity * self.spare_capacity())
        if p.responses_threshold_elasticity > 0:  # a full service refers less readily
            probs = practice.with_odds(probs, ("referral",), math.exp(-p.responses_threshold_elasticity * practice.excess(w)))
        outcome = self.rs.outcome(probs)
        if fam.case is not None:  # a case opened meanwhile (a second contact); this one adds nothing
            outcome = "nfa"
        w.event(Event.MASH_SCREENING_COMPLETED, family_id=fam.id, team="MASH", outcome=outcome,
                count=len(fam.children), value=duration)
        if outcome == "referral":
            referral.refer(w, fam)
        elif outcome == "early_help":
            w.early_help.offer(fam, "front_door")

    def spare_capacity(self) -> float:
        """The county's spare capacity: max(0, 1 - pressure / mash.backfill_caseload), where pressure is
        the children held or waiting per social worker in post, weighted for PA time."""
        w = self.w
        pressure = w.workforce.pressure() * practice.pa_time_weight(w)
        return max(0.0, 1.0 - pressure / self.p.backfill_caseload)


def backfilled(probs: dict[str, float], lift: float) -> dict[str, float]:
    """The MASH's outcome probabilities with the chance of a referral raised by ``1 + lift`` (at most 1),
    the other outcomes scaled down in proportion (the backfill trap: 002, Crewe)."""
    p_referral = probs["referral"]
    raised = min(1.0, p_referral * (1.0 + lift))
    rest = 1.0 - p_referral
    return {k: raised if k == "referral" else (v * (1.0 - raised) / rest if rest > 0 else 0.0) for k, v in probs.items()}
