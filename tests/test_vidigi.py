"""The vidigi export and ``journeysim animate --engine vidigi``: the schema on a hand-written log,
and vidigi itself reading what we write (vidigi is the optional extra ``journeysim[animate]``,
which the test set-up installs)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim.animation_log import check, vidigi_log
from journeysim.cli import main
from journeysim.export import export, framed

from test_export import small_log


def test_the_vidigi_log_of_a_hand_written_log(tmp_path):
    log = vidigi_log(framed(small_log()), rep=3)
    check(log)
    assert (log["run"] == 3).all()
    steps = {case: rows[["event_type", "event"]].apply(tuple, axis=1).tolist() for case, rows in log.groupby("case")}
    # the family's contact went to the MASH, which referred both children
    assert steps["door-1-1"] == [("arrival_departure", "arrival"), ("queue", "in_mash"), ("arrival_departure", "depart")]
    assert steps["door-2-6"] == [("arrival_departure", "arrival"), ("arrival_departure", "depart")]  # advice
    assert steps["1-1"] == [
        ("arrival_departure", "arrival"), ("queue", "awaiting_allocation"), ("resource_use", "allocated"),
        ("queue", "assessment"), ("queue", "child_protection_enquiry"), ("resource_use_end", "allocated"),
        ("resource_use", "allocated"), ("queue", "cp_plan"), ("queue", "looked_after"), ("queue", "left_care")]
    assert steps["1-2"] == [("arrival_departure", "arrival"), ("queue", "awaiting_allocation"),
                            ("arrival_departure", "depart")]
    child = log[log["case"] == "1-1"]
    use = child[child["event_type"].str.startswith("resource_use")]
    # worker 7 then worker 8, numbered 1 and 2; the first allocation ends when the second begins (day 50)
    assert use["resource_id"].tolist() == [1, 1, 2] and use["time"].tolist() == [3.75, 50.0, 50.0]
    assert set(child["front_door"]) == {"door-1-1"} and log["entity_id"].nunique() == 4
    # entities are numbered in the order they arrive: the family's contact first
    assert log.loc[log["case"] == "door-1-1", "entity_id"].iloc[0] == 1
    assert export(small_log(), "vidigi", tmp_path / "v.csv", rep=3) == len(log)
    back = pd.read_csv(tmp_path / "v.csv")
    assert back["event"].tolist() == log["event"].tolist()


def test_the_schema_check_has_teeth():
    log = vidigi_log(framed(small_log()), rep=0)
    with pytest.raises(ValueError, match="arrival"):
        check(log[log["event"] != "arrival"])
    with pytest.raises(ValueError, match="one run"):
        check(log.assign(run=range(len(log))))


@pytest.fixture(scope="module")
def vidigi():
    return pytest.importorskip("vidigi", reason="vidigi is not installed (pip install 'journeysim[animate]')")


def test_vidigi_reads_the_export(vidigi, small_results, tmp_path):
    from vidigi.analysis import resource_use_intervals
    from vidigi.prep import reshape_for_animations

    from journeysim.report.vidigi_animation import positions

    out = tmp_path / "d3.csv"
    r = CliRunner().invoke(main, ["export", str(small_results), "--format", "vidigi", "--district", "D3",
                                  "--from", "2019-04-01", "--out", str(out)])
    assert r.exit_code == 0, r.output
    log = pd.read_csv(out)
    check(log)
    moves = log[~log["event_type"].str.startswith("resource_use")]
    frames = reshape_for_animations(moves, every_x_time_units=7, limit_duration=int(moves["time"].max()) + 1,
                                    time_col_name="time", warm_up=int(moves["time"].min()))
    # vidigi places, at each weekly snapshot, exactly the entities that have arrived and not yet left:
    # those whose stay spans a snapshot (a contact settled the day it came shows in none)
    arrived = moves.groupby("entity_id")["time"].min()
    left = moves[moves["event"] == "depart"].groupby("entity_id")["time"].max()
    snapshots = frames["snapshot_time"].unique()
    present = {e for e, t0 in arrived.items()
               if any(t0 <= s < left.get(e, float("inf")) for s in snapshots)}
    assert set(frames["entity_id"].dropna().astype(int)) == present and len(present) > 20
    assert set(frames["event"].dropna()) - {"exit"} <= set(positions()["event"])  # every step has its place
    # vidigi pairs each worker's use with its end: one interval per resource_use_end we wrote
    intervals = resource_use_intervals(log, unclosed="drop")
    assert len(intervals) == (log["event_type"] == "resource_use_end").sum() > 20
    assert (intervals["busy_time"] >= 0).all()


def test_animate_with_vidigi_writes_one_districts_journeys(vidigi, small_results, tmp_path):
    out = tmp_path / "d3.html"
    r = CliRunner().invoke(main, ["animate", str(small_results), "--engine", "vidigi", "--district", "d3",
                                  "--from", "2019-04-01", "--step-days", "28", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text()
    assert "Plotly.addFrames" in page and "district D3" in page and "Awaiting a social worker" in page
    assert '<script src="http' not in page  # plotly.js is inside the page: it opens offline
    r = CliRunner().invoke(main, ["animate", str(small_results), "--engine", "vidigi", "--district", "D77",
                                  "--out", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "no such district" in r.output and not (tmp_path / "x.html").exists()
    r = CliRunner().invoke(main, ["animate", str(small_results), "--district", "D3", "--out", str(tmp_path / "x.gif")])
    assert r.exit_code == 2 and "--engine vidigi" in r.output
