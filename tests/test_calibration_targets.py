"""calibration/targets.csv: the published Hampshire figures the model is judged against."""

from __future__ import annotations


import pandas as pd

from journeysim.projections import MEASURES
from journeysim.targets import DEFAULT_PATH, observed

TARGETS = DEFAULT_PATH


def test_targets_name_real_measures_and_fitting_rows_are_complete():
    t = pd.read_csv(TARGETS, dtype={"year": str, "weight": float})
    assert set(t["use"]) <= {"fit", "check", "input", "context"}
    named = t["model_measure"].dropna()
    assert set(named) <= set(MEASURES), set(named) - set(MEASURES)
    fit = t[t["use"] == "fit"]
    assert (fit["weight"] > 0).all() and fit["model_measure"].notna().all()
    assert fit["year"].str.fullmatch(r"20(14|15|16|17|18)-\d\d").all(), "fitting years are 2014-15 to 2018-19"
    assert not fit.duplicated(["model_measure", "year"]).any(), "one observation per measure and year"
    assert t["source"].notna().all(), "every figure keeps its source"
    # the ambiguous 003 Table 8 volumes are inputs with a stated assumption, never fitted
    table8 = t[t["measure"].isin(["front_door_monthly", "mash_monthly"])]
    assert (table8["use"] == "input").all() and table8["assumption"].str.len().gt(20).all()
    firm = {"cp_plans_started", "cp_second_or_subsequent_pct", "cla_starts", "cla_at_31_march", "cla_ceased",
            "cla_ceased_adoption", "re_referral_12m_pct", "cin_at_31_march"}
    for m in firm:
        assert fit["model_measure"].eq(m).sum() >= 4, m


def test_observed_gives_one_row_per_measure_and_year():
    obs = observed()
    assert not obs.duplicated(["model_measure", "year"]).any()
    row = obs[(obs["model_measure"] == "cla_at_31_march") & (obs["year"] == "2018-19")]
    assert row["value"].tolist() == [1664.0]
