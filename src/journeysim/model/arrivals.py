"""Arrivals: how many contacts about new families reach the front door each day (trend,
seasonality, a surge, the year's shift), and unaccompanied asylum-seeking children (UASC),
who enter care directly.

Families that come back after their case closed are :mod:`journeysim.model.closure`'s.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from ..scenario import section_type
from . import care

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("arrivals", "uasc.arrivals", "run.start", "run.trends_from", "run.scale")


def contact_rate(w: "World", day: float) -> float:
    """Expected contacts per day from new families on simulation day ``day`` (surge included)."""
    p = w.params.arrivals
    years_from_start = (day - w.cal.day(p.run_trends_from or p.run_start)) / 365.25
    date = w.cal.date(day)
    month = date.month - 1 + (date.day - 1) / 31.0
    season = 1.0 + p.seasonality * math.cos(2 * math.pi * (month - (p.seasonal_peak_month - 1)) / 12.0)
    surge = p.surge_factor if day >= w.day_of(p.surge_start) else 1.0
    return (p.contacts_per_year * p.run_scale / 365.25 * (1.0 + p.trend_per_year) ** years_from_start * season * surge
            * w.years.factor("front_door", day))


def contacts(w: "World"):
    """Process: each day, the day's contacts from new families, triaged at the front door."""
    rs = w.streams["arrivals"]
    while True:
        w.frontdoor.new_families(rs.poisson(contact_rate(w, w.env.now)), rs)
        yield 1.0


def uasc_rate(w: "World", day: float) -> float:
    """UASC arrivals per day in the financial year containing ``day`` (the last year given carries on)."""
    p = w.params.arrivals
    table = p.uasc_arrivals
    date = w.cal.date(day)
    fy = date.year if date.month >= 4 else date.year - 1
    years = sorted(int(y) for y in table)
    year = max([y for y in years if y <= fy], default=years[0])
    return table[str(year)] * p.run_scale / 365.25


def _next_year_start(w: "World", day: float) -> float:
    """The simulation day of the 1 April after ``day``."""
    date = w.cal.date(day)
    return w.cal.day(dt.date(date.year + (date.month >= 4), 4, 1))


def uasc(w: "World"):
    """Process: unaccompanied asylum-seeking children arrive, and enter care: a Poisson process whose
    rate changes on 1 April.  A gap that would run past the year's end stops there, and the next is
    drawn at the new year's rate (exact, as the exponential has no memory), so a year's arrivals do
    not lag its rate by a gap drawn at the last year's (at 6 a year, two months)."""
    rs = w.streams["uasc"]
    while True:
        rate = uasc_rate(w, w.env.now)
        to_year_end = _next_year_start(w, w.env.now) - w.env.now
        gap = rs.exponential(1.0 / rate) if rate > 0 else math.inf
        if gap >= to_year_end:
            yield to_year_end
            continue
        yield gap
        care.uasc_arrives(w, rs)
