"""Arrivals: contacts about new families (trend and seasonality), returning families, UASC."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..events import Event
from . import care, frontdoor

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


def contact_rate(w: "World", day: float) -> float:
    """Expected contacts per day from new families on simulation day ``day`` (surge included)."""
    p = w.p.arrivals
    years_from_start = (day - w.cal.day(w.p.run.start)) / 365.25
    date = w.cal.date(day)
    month = date.month - 1 + (date.day - 1) / 31.0
    season = 1.0 + p.seasonality * math.cos(2 * math.pi * (month - (p.seasonal_peak_month - 1)) / 12.0)
    surge = p.surge_factor if day >= w.day_of(p.surge_start) else 1.0
    return (p.contacts_per_year * w.p.run.scale / 365.25 * (1.0 + p.trend_per_year) ** years_from_start * season * surge
            * w.years.factor("front_door", day))


def contacts(w: "World"):
    """Process: each day, the day's contacts from new families, triaged at the front door."""
    rs = w.streams["arrivals"]
    triage = w.p.frontdoor.triage
    sizes = w.p.population.children_per_family
    emit = w.log.emit
    family_ids = w.ids["family"]  # as w.new_id("family")
    contact = Event.CONTACT_RECEIVED
    while True:
        now = w.env.now
        for _ in range(rs.poisson(contact_rate(w, now))):
            outcome = rs.outcome(triage)
            if outcome == "mash":
                fam = w.new_family(rs)
                emit(now, contact, family_id=fam.id, team="FRONT-DOOR", outcome=outcome,
                     reason="new_family", count=len(fam.children))
                frontdoor.mash(w, fam, known=False)
            else:  # signposted at the front door: the family need not be modelled further
                # (positional, the log's columns in order: the commonest event, some 40% of a log)
                emit(now, contact, None, None, next(family_ids), "FRONT-DOOR", None, outcome, "new_family", None,
                     None, max(1, int(sizes.sample(rs))), None)
        yield 1.0


def schedule_return(w: "World", case: "Case", reason: str) -> None:
    """After a case closes, the family may come back to the front door (re-referral feedback)."""
    p = w.p.practice
    if reason in ("permanence", "age_18", "moved_on"):
        return
    if not case.had_plan:
        chance = p.p_return_no_plan
    else:
        chance = p.p_return_change if case.positive_change else p.p_return_no_change
    chance = w.years.prob("returns", chance, w.env.now)
    rs = w.streams["returns"]
    if rs.uniform() < chance:
        w.at(w.p.arrivals.return_delay.sample(rs), family_returns, w, case.family)


def family_returns(w: "World", fam) -> None:
    """A known family is the subject of a new contact, which goes straight to the MASH."""
    now = w.env.now
    if fam.case is not None or not any(c.age(now) < w.p.care.leaving_age for c in fam.children):
        return
    w.log.emit(now, Event.CONTACT_RECEIVED, family_id=fam.id, team="FRONT-DOOR", outcome="mash",
               reason="known_family", count=len(fam.children))
    frontdoor.mash(w, fam, known=True)


def uasc_rate(w: "World", day: float) -> float:
    """UASC arrivals per day in the financial year containing ``day`` (the last year given carries on)."""
    table = w.p.uasc.arrivals
    date = w.cal.date(day)
    fy = date.year if date.month >= 4 else date.year - 1
    years = sorted(int(y) for y in table)
    year = max([y for y in years if y <= fy], default=years[0])
    return table[str(year)] * w.p.run.scale / 365.25


def uasc(w: "World"):
    """Process: unaccompanied asylum-seeking children, who enter care directly."""
    rs = w.streams["uasc"]
    while True:
        rate = uasc_rate(w, w.env.now)
        if rate <= 0:
            yield 30.0
            continue
        yield rs.exponential(1.0 / rate)
        care.uasc_arrives(w, rs)
