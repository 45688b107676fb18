"""`journeysim forecast`: the origin, the default draws, the files it writes and intervals that widen
with the horizon."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import forecast as fc
from journeysim.cli import main
from journeysim.interrupts import RunError
from journeysim.stats import prediction_interval

from conftest import SCENARIOS, SMALL
from test_draws import error_line, in_tmp, write_draws  # noqa: F401 (in_tmp is a fixture)

SETS = [x for s in SMALL for x in ("--set", s)]


# --------------------------------------------------------------------------- journeysim forecast
def test_the_origin_must_be_1_april_inside_what_the_scenario_runs():
    assert fc.parse_origin("2019-04-01") == dt.date(2019, 4, 1)
    with pytest.raises(RunError, match="which is 1 April; give 2019-04-01"):
        fc.parse_origin("2019-06-30")
    with pytest.raises(RunError, match="not a date"):
        fc.parse_origin("April 2019")
    with pytest.raises(RunError, match="before the first year"):
        fc.settings(SCENARIOS / "hampshire.toml", dt.date(2010, 4, 1), 3, SMALL, "none")
    line = error_line(["forecast", str(SCENARIOS / "hampshire.toml"), "--from", "2019-01-01", "--years", "2"])
    assert "--from 2019-01-01: a forecast starts at the start of a financial year, which is 1 April" in line


def test_the_default_draws_are_the_calibrations_and_their_absence_is_said(in_tmp, monkeypatch):
    monkeypatch.setattr(fc, "PLAUSIBLE_PATH", in_tmp / "calibration" / "plausible.csv")
    line = error_line(["forecast", str(SCENARIOS / "hampshire.toml"), "--from", "2019-04-01", "--years", "2", *SETS])
    assert "no parameter draws to forecast with" in line and "run journeysim calibrate, or pass --draws none" in line
    write_draws(in_tmp / "calibration" / "plausible.csv")
    sets = fc.settings(SCENARIOS / "hampshire.toml", dt.date(2019, 4, 1), 2, SMALL)
    assert sets[-3:] == ["run.end=2021-04-01", "variation.walk_start=2019-04-01",
                         'run.parameter_draws="calibration/plausible.csv"']
    own = [*SMALL, "run.parameter_draws=calibration/plausible.csv"]
    assert "run.parameter_draws" not in " ".join(fc.settings(SCENARIOS / "hampshire.toml", dt.date(2019, 4, 1), 2,
                                                             own)[len(own):]), "the scenario's own draws are kept"
    assert fc.settings(SCENARIOS / "hampshire.toml", dt.date(2019, 4, 1), 2, own, "none")[-1] == \
        'run.parameter_draws="none"'


def test_a_forecast_keeps_the_jump_offs_realised_shifts_only_when_it_comes_before_the_origin():
    seen = [*SMALL, "variation.jump_off_year=2018", "variation.court_pace_jump_off=1.2"]
    after = fc.settings(SCENARIOS / "hampshire.toml", dt.date(2019, 4, 1), 2, seen, "none")
    assert "variation.jump_off_year=0" not in after  # 2018-19 is the year the forecast starts from
    before = fc.settings(SCENARIOS / "hampshire.toml", dt.date(2018, 4, 1), 2, seen, "none")
    assert "variation.jump_off_year=0" in before  # 2018-19 is the forecast's first year: not known yet
    from journeysim.scenario import load
    assert load(SCENARIOS / "hampshire.toml", before)["variation.jump_off_year"] == 0


def test_forecast_writes_its_files_and_its_interval_widens_with_the_horizon(tmp_path):
    out = tmp_path / "fc"
    r = CliRunner().invoke(main, ["forecast", str(SCENARIOS / "hampshire.toml"), "--from", "2018-04-01", "--years", "3",
                                  "--reps", "8", "--seed", "3", "--draws", "none", "--out", str(out), "--workers", "1",
                                  *SETS, "--set", "variation.front_door_walk_sd=0.5"])
    assert r.exit_code == 0, r.output
    for name in ("forecast.csv", "forecast.png", "measures.csv", "manifest.json", "scenario.toml"):
        assert (out / name).is_file(), name
    assert (out / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(out / "forecast.csv")
    assert list(table.columns) == fc.COLUMNS
    assert set(table["measure"]) == {m for m, *_ in fc.measures()} >= {"referrals", "cin_at_31_march", "cla_starts"}
    years = list(table["year"].drop_duplicates())
    assert years == ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21"]
    assert dict(zip(table["year"], table["horizon"])) == {"2016-17": 0, "2017-18": 0, "2018-19": 1, "2019-20": 2,
                                                          "2020-21": 3}
    assert table.loc[table["horizon"] > 0, "observed"].isna().all(), "no published figure at or after the origin"
    assert table.loc[(table["measure"] == "cla_starts") & (table["horizon"] == 0), "observed"].notna().all()
    # the per-replication spread of referrals grows with the horizon
    per_rep = pd.read_csv(out / "measures.csv")
    refs = per_rep[per_rep["measure"] == "referrals"]
    spread = refs.groupby("year")["value"].apply(lambda v: np.log(v).std())
    assert spread["2016-17"] < spread["2018-19"] < spread["2020-21"], spread
    assert spread["2017-18"] < spread["2019-20"], spread
    # the fan's bounds are the 90% and 50% prediction intervals of the replications, not their percentiles
    last = table[(table["measure"] == "referrals") & (table["year"] == "2020-21")].iloc[0]
    values = refs.loc[refs["year"] == "2020-21", "value"]
    assert (last["p5"], last["p95"]) == pytest.approx(prediction_interval(values, "referrals"))
    assert (last["p25"], last["p75"]) == pytest.approx(prediction_interval(values, "referrals", level=0.5))
    # the printed table: the forecast years, mean [90% prediction interval], no two columns run together
    text = r.output[r.output.index("hampshire: forecast from 2018-04-01"):].splitlines()
    header, rows = text[1], text[2:2 + len(fc.measures())]
    assert re.split(r"\s{2,}", header.strip()) == ["2017-18 published", "2018-19", "2019-20", "2020-21"]
    for row in rows:
        cells = re.split(r"\s{2,}", row.strip())
        assert len(cells) == 5 and all(re.fullmatch(r"[\d,.]+ \[[\d,.]+-[\d,.]+\]", c) for c in cells[2:]), row
    manifest = json.loads((out / "manifest.json").read_text())
    assert "parameter_draws" not in manifest, "--draws none"


def test_forecast_with_draws_records_them(in_tmp):
    write_draws(in_tmp / "d.csv", n=1)
    out = in_tmp / "fc"
    r = CliRunner().invoke(main, ["forecast", str(SCENARIOS / "hampshire.toml"), "--from", "2019-04-01", "--years", "1",
                                  "--reps", "2", "--draws", "d.csv", "--out", str(out), "--workers", "1", *SETS,
                                  # walks without a size (the calibration sizes them): the forecast says so
                                  "--set", "variation.front_door_walk_sd=0", "--set", "variation.care_entry_walk_sd=0"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameter_draws"]["draws"] == 1
    assert [e["draw"] for e in manifest["event_logs"]] == [0, 0]
    assert "note: 2 replications and 1 parameter draw (run.parameter_draws): replications 2 on run at draws" \
        in r.output
    assert "variation.front_door_walk_sd and variation.care_entry_walk_sd are 0" in r.output
    line = error_line(["forecast", str(SCENARIOS / "hampshire.toml"), "--from", "2019-04-01", "--years", "1",
                       "--draws", "nowhere.csv", "--out", str(in_tmp / "x"), *SETS])
    assert line.startswith("error: --draws nowhere.csv: no such file of parameter draws")
    assert not (in_tmp / "x").exists()
    assert math.isfinite(pd.read_csv(out / "forecast.csv")["mean"].iloc[0])
