"""Inputs derived from published figures (journeysim.derived): the UASC arrivals behind the stock."""

from __future__ import annotations

import math

import pytest

from journeysim.derived import expected_stock, still_looked_after, uasc_arrivals
from journeysim.scenario import PARAMS
from journeysim.targets import load_targets


def _exits() -> tuple[float, float, float, float, float]:
    age, other = PARAMS["uasc.age"].default, PARAMS["care.other_exit_time"].default
    return age["low"], age["high"], PARAMS["care.p_other_exit"].default, other["median"], other["p90"]


def _published_stocks() -> dict[int, float]:
    t = load_targets()
    rows = t[(t["model_measure"] == "uasc_at_31_march") & t["year"].notna()].drop_duplicates("year")
    return {int(y[:4]): float(v) for y, v in zip(rows["year"], rows["value"])}


def test_still_looked_after_by_hand():
    # arriving uniformly between 14.5 and 17.8, leaving at 18: after a year, those who arrived under 16.5
    assert still_looked_after(365.25, 14.5, 17.8, 0.0, 700, 2000) == pytest.approx(2.5 / 3.3)
    assert still_looked_after(0.5, 14.5, 17.8, 0.0, 700, 2000) == pytest.approx(1.0, abs=1e-3)
    assert still_looked_after(3.5 * 365.25, 14.5, 17.8, 0.0, 700, 2000) == 0.0
    # another exit: at its median time, half of those who would leave that way have gone
    assert still_looked_after(700, 14.5, 17.8, 0.4, 700, 2000) == pytest.approx(
        min(1, (18 - 700 / 365.25 - 14.5) / 3.3) * (0.6 + 0.4 * 0.5))


def test_arrivals_reproduce_the_published_stock():
    stocks = _published_stocks()
    assert stocks == {2012: 24, 2013: 27, 2014: 20, 2015: 29, 2016: 80, 2017: 113, 2018: 133}
    arrivals = uasc_arrivals(stocks, *_exits())
    for year, stock in stocks.items():
        assert expected_stock(arrivals, year, *_exits()) == pytest.approx(stock, abs=1e-6)
    # "stock / mean stay" holds in a steady state only: while the stock rises, a year's arrivals are the rise
    # and those who left besides
    mean_stay = expected_stock({y: 1.0 for y in range(2000, 2011)}, 2010, *_exits())  # years, in a steady state
    assert 1.5 < mean_stay < 2.0
    for year in (2015, 2016, 2017, 2018):
        assert arrivals[year] > stocks[year] / mean_stay and arrivals[year] > stocks[year] - stocks[year - 1]


def test_a_stock_that_falls_faster_than_the_children_leave_needs_no_arrivals():
    arrivals = uasc_arrivals({2012: 100, 2013: 0}, *_exits())
    assert arrivals[2013] == 0.0 and arrivals[2012] > 100


def test_the_scenario_default_is_the_derivation():
    """uasc.arrivals' default is uasc_arrivals of the published stocks at the other parameters' defaults,
    rounded (so that a change to either is made in both)."""
    derived = {str(y): round(a) for y, a in uasc_arrivals(_published_stocks(), *_exits()).items()}
    assert PARAMS["uasc.arrivals"].default == derived
    assert not math.isnan(sum(derived.values()))
