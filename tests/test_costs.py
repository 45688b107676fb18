"""Costs: the arithmetic on a small hand-written log, against figures worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.costs import COMPONENTS, annual_costs, with_total
from journeysim.eventlog import table_from_rows

# 2014-15 has 365 days (days 0-364), 2015-16 has 366 (days 365-730); the run ends on day 731.
SETTINGS = ["run.start=2014-04-01", "run.warmup_days=0", "run.end=2016-04-01", "workforce.pa_pilot_start=2014-10-01",
            "workforce.pa_pilot_ratio=0.1", "workforce.pa_start=2015-04-01"]
SW = 40913 * 1.2  # a social worker with 20% overheads


def log():
    rows = [
        {"time": 0.0, "event": "WorkerJoined", "worker": 1, "team": "D1-RA", "outcome": "permanent"},
        {"time": 0.0, "event": "WorkerJoined", "worker": 2, "team": "D1-RA", "outcome": "agency"},
        {"time": 0.0, "event": "PlacementStarted", "case_id": 1, "child_id": 10, "family_id": 1, "outcome": "foster"},
        {"time": 73.0, "event": "WorkerLeft", "worker": 1, "team": "D1-RA", "outcome": "permanent"},
        {"time": 146.0, "event": "PlacementStarted", "case_id": 1, "child_id": 10, "family_id": 1, "outcome": "residential"},
        {"time": 292.0, "event": "CareLeft", "case_id": 1, "child_id": 10, "family_id": 1, "reason": "returned_home"},
        {"time": 365.0, "event": "WorkerJoined", "worker": 3, "team": "D1-RA", "outcome": "newly_qualified"},
        {"time": 400.0, "event": "PlacementStarted", "case_id": 2, "child_id": 11, "family_id": 2, "outcome": "kinship"},
        {"time": 548.0, "event": "HubOpened", "team": "HUB1", "count": 30},
        {"time": 100.0, "event": "FitOpened", "team": "FIT-D1", "count": 18},
        {"time": 548.0, "event": "FitClosed", "team": "FIT-D1"},
        {"time": 400.0, "event": "EdgeOfCareStarted", "case_id": 3, "child_id": 12, "family_id": 3},
        {"time": 400.0, "event": "EdgeOfCareStarted", "case_id": 3, "child_id": 13, "family_id": 3},  # a sibling: one family
        {"time": 600.0, "event": "EdgeOfCareStarted", "case_id": 4, "child_id": 14, "family_id": 4},
        {"time": 700.0, "event": "WorkerJoined", "worker": 4, "team": "D1-CIN1", "outcome": "manager"},
    ]
    return table_from_rows(rows, dt.date(2014, 4, 1))


def costs(*extra) -> pd.Series:
    scenario = sc.load(None, [*SETTINGS, *extra])
    c = annual_costs(log(), scenario, [2014, 2015])
    assert list(c["component"].drop_duplicates()) == COMPONENTS[:-1], "the components, without a total"
    return with_total(c).set_index(["component", "year"])["value"]


def test_staff_placements_hubs_and_edge_of_care_by_hand():
    c = costs()
    specialist = (34825 + 47511 + 37853) / 3
    early_help = 6 * 8 * 31709 * 1.2  # 6 workers in each of 8 districts, all year
    # 2014-15: worker 1 for 73/365 = 0.2 of the year, agency worker 2 all year; the PA pilot (one PA per
    # ten workers) from day 183; a FIT from day 100
    assert c["social_workers", "2014-15"] == pytest.approx(1.2 * SW), "a team manager holding cases is not one"
    assert c["agency_premium", "2014-15"] == pytest.approx(1.0 * SW * 0.5)
    assert c["team_managers", "2014-15"] == pytest.approx(1.2 / 10 * 50789 * 1.2)
    assert c["pas", "2014-15"] == pytest.approx((182 / 365) * 0.1 * 25380 * 1.2, abs=0.01), "agency worker 2 from day 183"
    assert c["placements_foster", "2014-15"] == pytest.approx(146 / 365 * 35000)
    assert c["placements_residential", "2014-15"] == pytest.approx(146 / 365 * 250000)
    assert c["hub_family_workers", "2014-15"] == 0 and c["edge_of_care", "2014-15"] == 0
    assert c["fit_specialists", "2014-15"] == pytest.approx(265 / 365 * 3 * specialist)
    assert c["early_help_workers", "2014-15"] == pytest.approx(early_help)
    # 2015-16: workers 2 and 3 all year, with a PA per three; one hub open from day 548 (half the year),
    # which closes the FIT; two families start edge-of-care support
    assert c["social_workers", "2015-16"] == pytest.approx(2 * SW)
    assert c["pas", "2015-16"] == pytest.approx(2 / 3 * 25380 * 1.2)
    assert c["hub_family_workers", "2015-16"] == pytest.approx(183 / 366 * 6 * 31709 * 1.2)
    assert c["hub_specialists", "2015-16"] == pytest.approx(183 / 366 * 3 * specialist)
    assert c["fit_specialists", "2015-16"] == pytest.approx(183 / 366 * 3 * specialist)
    assert c["edge_of_care", "2015-16"] == pytest.approx(2 * 3273.40)
    assert c["placements_kinship", "2015-16"] == pytest.approx(331 / 366 * 15000)
    assert c["placements_foster", "2015-16"] == 0 and c["placements_residential", "2015-16"] == 0
    for year in ("2014-15", "2015-16"):
        assert c["total", year] == pytest.approx(sum(c[k, year] for k in COMPONENTS if k != "total"))


def test_unit_costs_and_scale_come_from_the_scenario():
    base = costs()
    dear = costs("costs.placement_kinship=30000", "costs.agency_premium=1.0", "costs.overhead_rate=0")
    assert dear["placements_kinship", "2015-16"] == pytest.approx(2 * base["placements_kinship", "2015-16"])
    assert dear["agency_premium", "2014-15"] == pytest.approx(40913)
    half = costs("run.scale=0.5")
    assert half["hub_specialists", "2015-16"] == pytest.approx(base["hub_specialists", "2015-16"] / 2)
    assert half["early_help_workers", "2015-16"] == pytest.approx(base["early_help_workers", "2015-16"] / 2)
    assert half["edge_of_care", "2015-16"] == base["edge_of_care", "2015-16"], "interventions come from the log"
    assert half["social_workers", "2015-16"] == base["social_workers", "2015-16"], "staff come from the log"
    # at four times the county, four copies of each district: the hub in the log is one of 16, of 6 workers each
    four = costs("run.scale=4")
    assert four["hub_family_workers", "2015-16"] == pytest.approx(base["hub_family_workers", "2015-16"])
    none = costs("workforce.pa_pilot_start=never", "workforce.pa_start=never")
    assert none["pas", "2015-16"] == 0 and none["pas", "2014-15"] == 0
