"""The terminal's tables never run columns together; the results folder's CSVs are written to each
measure's precision, with a data dictionary beside them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from journeysim import tables
from journeysim.compare import Comparison, format_table, paired_differences
from journeysim.costs import COMPONENTS
from journeysim.projections.measures import MEASURES
from journeysim.results.dictionary import FILE, dictionary, precision, rounded, rounded_summary

GAP = re.compile(r" {3,}")


def test_wide_intervals_never_run_into_the_next_year():
    """The issue's case: '94,754 ±50,246103,092 ±25,069' once printed as one cell."""
    summary = pd.DataFrame({"measure": ["cost"] * 3, "year": ["2018-19", "2019-20", "2020-21"],
                            "mean": [94_754.0, 103_092.0, 1_234_567_890.0], "ci95": [50_246.0, 25_069.0, 987_654_321.0]})
    text = tables.yearly(summary, "measure", [("cost", "A measure with a long label", 0)],
                         ["2018-19", "2019-20", "2020-21"], reps=5)
    header, line = text.splitlines()
    assert GAP.split(line) == ["A measure with a long label", "94,754 ±50,246", "103,092 ±25,069",
                               "1,234,567,890 ±987,654,321"]
    assert GAP.split(header.strip()) == ["2018-19", "2019-20", "2020-21"]
    # each year's cells end where its heading does (right-aligned)
    assert line.index("±50,246") + len("±50,246") == header.index("2018-19") + len("2018-19")


def test_a_missing_value_is_a_dash_and_one_replication_has_no_interval():
    summary = pd.DataFrame({"measure": ["x", "x"], "year": ["2018-19", "2019-20"], "mean": [1.25, np.nan],
                            "ci95": [np.nan, np.nan]})
    line = tables.yearly(summary, "measure", [("x", "X", 1)], ["2018-19", "2019-20"], reps=1).splitlines()[1]
    assert GAP.split(line) == ["X", "1.2", "-"]  # 1.25 to one decimal, round half to even


def test_comparison_table_keeps_its_columns_apart_with_wide_intervals_and_long_names():
    a = pd.DataFrame({"rep": range(3), "measure": "cla_starts", "year": "2019-20", "value": [100.0, 5000.0, 90_000.0]})
    b = a.assign(value=[200.0, 100.0, 250_000.0])
    cmp = Comparison("a-scenario-with-a-long-name", "b", ["2019-20"], a, b, paired_differences(a, b), 3, 1)
    header, line = format_table(cmp, [("cla_starts", "CLA starts", 0)]).splitlines()
    cells = GAP.split(line)
    assert cells[:4] == ["CLA starts", "2019-20", "31,700", "83,433"]
    assert cells[4] == "51,733 [-181,269, 284,736]" and cells[5] == "+163.2%" and cells[6] == "includes 0"
    assert GAP.split(header.strip()) == ["year", "a-scenario-with-a-long-name", "b", "difference [95% CI]", "change"]


def test_values_are_written_to_their_measure_precision():
    per_rep = pd.DataFrame({"rep": [0, 0, 0, 0, 0], "measure": ["cla_starts", "re_referral_12m_pct",
                                                                 "sw_caseload_children_mean", "hub_wait_days_mean",
                                                                 "re_referral_12m_pct"],
                            "year": "2019-20", "value": [12.0, 50245.87699999999, 17.456, np.nan, -0.0001]})
    assert rounded(per_rep)["value"].tolist() == ["12", "50245.88", "17.46", "", "0.00"]
    costs = pd.DataFrame({"component": ["social_workers"], "year": ["2019-20"], "value": [3805744.9600000004]})
    assert rounded(costs, "component")["value"].tolist() == ["3805744.96"]
    summary = pd.DataFrame({"measure": ["cla_starts", "total"], "year": "2019-20", "mean": [12.25, 1e6 / 3],
                            "ci95": [1.04999, 0.5], "p5": [11.0, 1.0], "p95": [13.0, 2.0], "sd": [0.5, 0.1], "n": [4, 4]})
    out = rounded_summary(summary)
    assert out["mean"].tolist() == ["12.2", "333333.33"] and out["ci95"].tolist() == ["1.0", "0.50"]
    assert out["n"].tolist() == [4, 4]


def test_the_dictionary_names_every_measure_and_cost_once():
    d = dictionary()
    assert list(d.columns) == ["measure", "name", "unit", "definition", "precision"]
    assert d["measure"].is_unique and d["name"].is_unique
    assert set(d["measure"]) == {*MEASURES, *(f"cost_{c}" for c in COMPONENTS)}
    assert d["definition"].str.len().min() > 20 and d["unit"].ne("").all()
    assert precision("cp_plans_started") == 0 and precision("positive_change_pct") == 2
    assert precision("placements_foster") == precision("cost_placements_foster") == 2


def test_a_results_folder_has_its_dictionary_and_no_float_noise(small_results):
    d = pd.read_csv(small_results / FILE)
    assert set(d["measure"]) >= set(MEASURES)
    places = dict(zip(d["measure"], d["precision"]))
    text = pd.read_csv(small_results / "measures.csv", dtype=str, keep_default_na=False)
    decimals = text["value"].str.partition(".")[2].str.len()
    assert (decimals == text["measure"].map(places)).where(text["value"] != "", True).all()
    costs = pd.read_csv(small_results / "costs_summary.csv", dtype=str)
    assert costs["mean"].str.fullmatch(r"-?\d+\.\d\d").all()


def test_an_intervals_bound_near_zero_keeps_its_side_of_zero_when_written():
    """A bound of 0.0003 written at the measure's places would read 0.000 beside includes_zero
    False; it gets the places it needs, and every other figure keeps the measure's."""
    places = precision("re_referral_12m_pct") + 1
    table = pd.DataFrame({"measure": ["re_referral_12m_pct"] * 3, "year": ["2018-19", "2019-20", "2020-21"],
                          "diff": [0.4, -0.2, 0.00004], "ci_low": [0.0003, -0.9, 0.0], "ci_high": [0.8, -0.00021, 0.00009]})
    out = rounded_summary(table)
    assert list(out["ci_low"]) == [f"{0.0003:.{places + 1}f}", f"{-0.9:.{places}f}", f"{0:.{places}f}"]
    assert list(out["ci_high"]) == [f"{0.8:.{places}f}", f"{-0.00021:.{places + 1}f}", f"{0.00009:.{places + 1}f}"]
    assert float(out["ci_low"][0]) > 0 and float(out["ci_high"][1]) < 0
    assert out["diff"][2] == f"{0:.{places}f}"  # not a bound: the measure's places
