"""A referral to children's social care: the MASH refers a family, each child under 18 is
referred, and the team on intake takes the case (under CAST, that week's team).

The referral may end in no further action before an assessment (``referral.p_nfa``, lower once
the MASH holds cases longer and refers better-informed); otherwise the case is allocated to a
worker after ``assessment.allocation_delay`` and the assessment starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from . import closure

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case, Family
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("referral", "mash.hold_longer_start", "mash.hold_longer_nfa_factor",
                      "assessment.allocation_delay")


def refer(w: "World", fam: "Family") -> None:
    """The MASH refers the family: one referral per child under the leaving age, then the journey starts."""
    case = w.journeys.open(fam)
    if not case.children:
        fam.case = None
        return
    case.intake = w.teams.intake_team(fam.district)
    for child in case.children:
        w.child_event(Event.REFERRAL_RECEIVED, case, child, team=case.intake.name, count=child.referrals)
        child.referrals += 1
    w.journeys.start(case, "referral", "mash")


def referral(w: "World", case: "Case", reason: str):
    """Stage: no further action, or allocation to a worker of the intake team; then the assessment."""
    p = w.params.referral
    rs = w.streams["assessment"]
    p_nfa = p.p_nfa * (p.mash_hold_longer_nfa_factor if w.active(p.mash_hold_longer_start) else 1.0)
    if rs.uniform() < min(1.0, p_nfa):
        for child in list(case.children):
            closure.close_child(w, case, child, "referral_nfa")
        return None
    yield p.assessment_allocation_delay.sample(rs)
    # the team on intake when the referral arrived takes it (under CAST, that week's team)
    intake = case.intake
    if intake not in w.teams.district(case.district):  # the district switched model meanwhile
        intake = w.teams.intake_team(case.district)
    yield from w.allocation.allocate(case, list(case.children), intake, "new_case")
    return ("assessment", "referral")
