"""Inputs derived from published figures: what the DfE publishes as a stock, turned into the flow
the model needs.

**Unaccompanied asylum-seeking children's arrivals** (``uasc.arrivals``).  The DfE publishes
how many UASC a council looks after at 31 March, not how many it takes in.  The model takes them
in as a Poisson stream whose rate is set per financial year, and each stays until 18 (arriving at
an age drawn from ``uasc.age``) or leaves earlier by another exit (``care.p_other_exit``, after
``care.other_exit_time``).  So the stock at the end of a year is the arrivals of that year and
the years before, each weighted by the chance that a child who arrived then is still looked after
(:func:`still_looked_after`); :func:`uasc_arrivals` solves for each year's arrivals in turn so
that the expected stock at 31 March is the published one.  "Stock = arrivals x mean stay" holds in
a steady state only: while the stock rises, a year's arrivals are the rise and those who left
besides, and the year a rise starts shows in the stock at its end, not before.
The model's initial stock holds no UASC, so the first year's arrivals also build the stock the
county already had.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Mapping

#: Days a year is integrated over (one point a day, at midday).
_YEAR = 365.25
_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def still_looked_after(days: float, age_low: float, age_high: float, p_other: float, other_median: float,
                       other_p90: float) -> float:
    """The chance that a UASC is still looked after ``days`` after arriving: they arrive at an age
    uniform between ``age_low`` and ``age_high`` and leave at 18, unless (with chance ``p_other``) they
    leave earlier, after a lognormal time (median ``other_median``, 90th percentile ``other_p90``, in days)."""
    years = days / _YEAR
    under_18 = min(1.0, max(0.0, (18.0 - years - age_low) / (age_high - age_low)))
    if under_18 == 0.0:
        return 0.0
    sigma = math.log(other_p90 / other_median) / _Z90
    z = (math.log(days) - math.log(other_median)) / sigma if days > 0 else -math.inf
    no_other_exit = (1.0 - p_other) + p_other * 0.5 * math.erfc(z / math.sqrt(2.0))
    return under_18 * no_other_exit


def _weight(arrival_year: int, stock_year: int, stay) -> float:
    """The expected stock at the end of 31 March closing financial year ``stock_year`` left by one
    arrival a year spread evenly over financial year ``arrival_year``."""
    end = dt.date(stock_year + 1, 4, 1)
    first, last = dt.date(arrival_year, 4, 1), min(dt.date(arrival_year + 1, 4, 1), end)
    days = (last - first).days
    return sum(stay((end - first).days - d - 0.5) for d in range(days)) / _YEAR


def uasc_arrivals(stocks: Mapping[int, float], age_low: float, age_high: float, p_other: float,
                  other_median: float, other_p90: float) -> dict[int, float]:
    """Arrivals per financial year (by its start year) that give the published UASC stock at the
    end of each year in ``stocks`` (start year -> children at 31 March), starting from none: each
    year's arrivals are what its stock needs beyond what the earlier years' arrivals leave (none
    when those already leave more)."""
    def stay(days: float) -> float:
        return still_looked_after(days, age_low, age_high, p_other, other_median, other_p90)

    arrivals: dict[int, float] = {}
    for year in sorted(stocks):
        left = sum(a * _weight(y, year, stay) for y, a in arrivals.items())
        arrivals[year] = max(0.0, (stocks[year] - left) / _weight(year, year, stay))
    return arrivals


def expected_stock(arrivals: Mapping[int, float], year: int, age_low: float, age_high: float, p_other: float,
                   other_median: float, other_p90: float) -> float:
    """The UASC stock expected at the end of financial year ``year`` from ``arrivals`` (start year ->
    children a year)."""
    def stay(days: float) -> float:
        return still_looked_after(days, age_low, age_high, p_other, other_median, other_p90)

    return sum(a * _weight(y, year, stay) for y, a in arrivals.items() if y <= year)
