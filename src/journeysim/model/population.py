"""The families and children the model plays: who a newly referred family is.

A family new to the model is drawn when it first reaches the MASH (or the initial stock):
its district, whether it has the 'toxic trio' of needs (domestic abuse, substance misuse,
parental mental health), and its children, each with an age and a history from before the
log (an earlier referral, an earlier CP plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rng import Outcomes
from ..scenario import section_type
from .entities import Child, Family

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

#: The age bands of the official statistics: name -> [lowest age, age the band ends before).
AGE_BANDS = {"under_1": (0.0, 1.0), "1_4": (1.0, 5.0), "5_9": (5.0, 10.0), "10_15": (10.0, 16.0), "16_17": (16.0, 18.0)}


def age_band(age: float) -> str:
    """The band of an age in years (18 and over counts as 16_17)."""
    for band, (lo, hi) in AGE_BANDS.items():
        if age < hi:
            return band
    return "16_17"


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("population")


def new_family(w: "World", rs, district: int | None = None) -> Family:
    """A family new to the model, in ``district`` (else one drawn), with its children."""
    p = w.params.population
    d = district if district is not None else int(rs.uniform() * w.districts)
    fam = Family(w.new_id("family"), d, rs.uniform() < p.toxic_trio_share)
    for _ in range(max(1, int(p.children_per_family.sample(rs)))):
        fam.children.append(new_child(w, fam, rs, p.child_age_band))
    return fam


def new_child(w: "World", fam: Family, rs, bands: Outcomes, max_age: float = 18.0) -> Child:
    """A child of ``fam`` whose age band is drawn from ``bands`` (age uniform within it, below
    ``max_age``), with their history before the log."""
    lo, hi = AGE_BANDS[rs.outcome(bands)]
    age = lo + (min(hi, max_age) - lo) * rs.uniform()
    child = Child(w.new_id("child"), fam, w.env.now - age * 365.25)
    p = w.params.population
    if rs.uniform() < p.prior_referral_share:
        child.referrals = 1
    if rs.uniform() < p.prior_cp_share:
        child.cp_plans = 1
        child.referrals = max(child.referrals, 1)
    return child
