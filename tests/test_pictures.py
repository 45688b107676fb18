"""The training views: a child's timeline (trace --figure), the animation, and progress bars."""

from __future__ import annotations

import dataclasses
import io
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from journeysim import progress
from journeysim.cli import main
from journeysim.projections import queue_lengths, stock_series
from journeysim.report import data
from journeysim.report.animate import animation_data, frame_dates
from journeysim.report.timeline import timeline, timeline_figure
from journeysim.results.reader import open_results

from test_projections import ev, log_of
from test_projections_flows import journey_rows


def _ts(day: int) -> pd.Timestamp:
    return pd.Timestamp("2014-04-01") + pd.Timedelta(days=day)


def test_timeline_tables_of_a_hand_written_journey():
    rows = journey_rows() + [ev(300, "ReferralReceived", 4, 1, team="D1-RA"),
                             ev(302, "WorkerAllocated", 4, 1, team="D1-RA", worker=9, reason="new_case")]
    t = timeline(log_of(rows), 1)
    bands = [(j, p, s, e) for j, p, s, e in t.bands.itertuples(index=False)]
    assert bands == [
        (1, "referral", _ts(0), _ts(3)),
        (1, "assessment", _ts(3), _ts(31)),
        (1, "Child in Need plan", _ts(31), _ts(200)),
        (4, "referral", _ts(300), _ts(426)),  # still open: runs to the log's last day (1 June 2015)
    ]
    workers = [(j, w, team, s, e) for j, w, team, s, e in t.workers.itertuples(index=False)]
    assert workers == [(1, 7, "D1-RA", _ts(3), _ts(31)), (1, 8, "D1-CIN1", _ts(31), _ts(200)),
                       (4, 9, "D1-RA", _ts(302), _ts(426))]
    assert [(j, d, r, w) for j, d, r, w in t.handoffs.itertuples(index=False)] == [(1, _ts(31), "team_transfer", 8)]
    assert [(j, team, s, e) for j, team, s, e in t.hubs.itertuples(index=False)] == [(1, "HUB1", _ts(52), _ts(150))]
    fig = timeline_figure(t)
    ax = fig.axes[0]
    assert ax.get_title() == "Child 1: 2 journeys, 3 social workers, 1 handoff"
    assert [lbl.get_text() for lbl in ax.get_yticklabels()] == ["journey 1:\nstage", "social worker",
                                                               "journey 4:\nstage", "social worker"]


def test_trace_figure_from_the_command_line(small_results, tmp_path):
    log = pd.read_parquet(small_results / "events" / "rep-000.parquet")
    moved = log[(log["event"] == "WorkerAllocated") & (log["reason"] == "team_transfer")]
    child = int(moved["child_id"].iloc[0])
    out = tmp_path / "child.png"
    r = CliRunner().invoke(main, ["trace", str(small_results), str(child), "--figure", str(out)])
    assert r.exit_code == 0, r.output
    assert f"Timeline: {out}" in r.output and "social worker(s)" in r.output
    image = Image.open(out)
    assert image.format == "PNG" and image.size[0] >= 1200
    r = CliRunner().invoke(main, ["trace", str(small_results), str(child), "--figure", str(tmp_path / "x.bmp")])
    assert r.exit_code == 2 and "unknown picture type '.bmp'" in r.output


def test_animation_data_are_the_stocks_and_queues(small_results):
    results = open_results(small_results)
    frames = animation_data(results, step_days=91)
    dates = frame_dates(results, 91)
    assert list(frames.index) == dates and dates[0] == pd.Timestamp("2016-04-01")
    per_rep = [stock_series(results.log(r), dates).join(queue_lengths(results.log(r), dates)) for r in results.reps]
    mean = sum(per_rep) / len(per_rep)
    pd.testing.assert_frame_equal(frames[mean.columns], mean, check_dtype=False, check_names=False)
    assert frames["cin"].min() > 0 and frames["hub_supported"].iloc[-1] > 0


def test_animate_writes_a_gif_with_one_frame_per_date(small_results, tmp_path):
    out = tmp_path / "flow.gif"
    r = CliRunner().invoke(main, ["animate", str(small_results), "--out", str(out), "--step-days", "91", "--dpi", "40"])
    assert r.exit_code == 0, r.output
    assert f"Animation: {out}" in r.output
    gif = Image.open(out)
    assert gif.format == "GIF" and gif.size == (512, 288)
    assert gif.n_frames == len(frame_dates(open_results(small_results), 91)) == 17  # 1 Apr 2016 + 16 x 91 days
    for args, message in ((["--out", str(tmp_path / "flow.avi")], "unknown animation type '.avi'"),
                          (["--out", str(tmp_path / "f.gif"), "--step-days", "0"], "--step-days")):
        r = CliRunner().invoke(main, ["animate", str(small_results), *args])
        assert r.exit_code == 2 and message in r.output


def test_mp4_needs_ffmpeg(small_results, tmp_path, monkeypatch):
    monkeypatch.setattr("journeysim.report.animate.shutil.which", lambda name: None)
    r = CliRunner().invoke(main, ["animate", str(small_results), "--out", str(tmp_path / "flow.mp4")])
    assert r.exit_code == 2 and "needs ffmpeg" in r.output and not (tmp_path / "flow.mp4").exists()


def test_stock_frames_average_replications():
    idx = pd.DatetimeIndex(["2019-01-01", "2019-02-01"], name="date")
    stocks = pd.concat([pd.DataFrame({"cin": [10, 20], "rep": 0}, index=idx), pd.DataFrame({"cin": [30, 40], "rep": 1}, index=idx)])
    queues = pd.concat([pd.DataFrame({"hub_waiting": [1, 2], "rep": 0}, index=idx),
                        pd.DataFrame({"hub_waiting": [3, 5], "rep": 1}, index=idx)])
    out = data.stock_frames(stocks, queues)
    assert out["cin"].tolist() == [20, 30] and out["hub_waiting"].tolist() == [2, 3.5]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bars_only_on_a_terminal(monkeypatch):
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress.progress_bar(3, "replications", "rep") as bar:
        bar.update(3)
    assert quiet.getvalue() == ""
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    with progress.progress_bar(3, "replications", "rep") as bar:
        advance = progress.replication_progress(bar)
        for done, rep in enumerate((2, 0, 1), start=1):
            advance(type("R", (), {"rep": rep, "events": 1000 * done})(), done, 3)
    text = tty.getvalue()
    assert "replications" in text and "3/3" in text and "rep 2: 3,000 events" in text


@pytest.mark.parametrize("tty", [False, True])
def test_run_shows_a_bar_on_a_terminal_and_lines_otherwise(tty, monkeypatch, tmp_path):
    from conftest import SCENARIOS, SMALL

    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: tty)
    monkeypatch.setattr("journeysim.cli.stderr_is_terminal", lambda: tty)
    sets = [x for s in [*SMALL, "run.start=2019-04-01", "run.scale=0.02"] for x in ("--set", s)]
    r = CliRunner().invoke(main, ["run", str(SCENARIOS / "hampshire.toml"), "--reps", "2", "--workers", "1",
                                  "--out", str(tmp_path / "r"), *sets])
    assert r.exit_code == 0, r.output
    assert ("replications: 100%" in r.output) == tty
    assert ("replication 2:" in r.output) != tty


@pytest.mark.parametrize("tty", [False, True])
def test_compare_sweep_and_reps_show_labelled_progress_and_no_replication_lines(tty, monkeypatch, tmp_path):
    """On a terminal each scenario (compare), point (sweep) or run of replications (reps) has its own bar,
    labelled; otherwise each prints one line when it ends, and none prints a line per replication."""
    import re

    from conftest import SCENARIOS, SMALL

    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: tty)
    monkeypatch.setattr("journeysim.cli.stderr_is_terminal", lambda: tty)
    sets = [x for s in [*SMALL, "run.start=2019-04-01", "run.scale=0.02"] for x in ("--set", s)]
    scenario = str(SCENARIOS / "hampshire.toml")
    runs = {
        "compare": (["compare", str(SCENARIOS / "counterfactual.toml"), scenario, "--reps", "2"],
                    ["counterfactual (A)", "hampshire (B)"]),
        "sweep": (["sweep", scenario, "--vary", "hubs.family_workers=3,6", "--reps", "2"],
                  ["point 1/2: hubs.family_workers=3", "point 2/2: hubs.family_workers=6"]),
        "reps": (["reps", scenario, "--measure", "referrals", "--max-reps", "3", "--precision", "0.0001"], ["hampshire"]),
    }
    for name, (args, labels) in runs.items():
        out = [] if name == "reps" else ["--out", str(tmp_path / name)]
        r = CliRunner().invoke(main, [*args, *out, "--workers", "1", *sets])
        assert r.exit_code == 0, r.output
        assert "replication 1:" not in r.output and "replication 2:" not in r.output, name
        for label in labels:
            if tty:
                assert re.search(rf"{re.escape(label)}: (100%\|.*\| \d+/\d+|\d+rep) ", r.output), (label, r.output)
            else:
                assert re.search(rf"^  {re.escape(label)}: \d+ replication\(s\) in [\d.]+s$", r.output, re.M), \
                    (label, r.output)
        assert ("100%|" in r.output or "rep [" in r.output) == tty, name
    # reps, not settled within --max-reps, says so plainly
    assert "None" not in r.output
    assert re.search(r"referrals 2019-20\s+more than 3 ", r.output), r.output


@pytest.mark.parametrize("tty", [False, True])
def test_batches_of_runs_have_one_labelled_bar_each(tty, monkeypatch):
    """calibrate's batches (run_jobs' progress): a bar each on a terminal, a line each otherwise."""
    stream = _Tty() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.BatchProgress() as advance:
        for label, total in (("wave 1/2 design runs", 3), ("wave 2/2 design runs", 2), ("full-scale replications", 2)):
            for done in range(1, total + 1):
                advance(done, total, label)
    text = stream.getvalue()
    if tty:
        for label, total in (("wave 1/2 design runs", 3), ("wave 2/2 design runs", 2), ("full-scale replications", 2)):
            assert f"{label}: 100%" in text and f"{total}/{total}" in text
    else:
        lines = text.splitlines()
        assert [line.split(" in ")[0] for line in lines] == ["  wave 1/2 design runs: 3 runs", "  wave 2/2 design runs: 2 runs",
                                                            "  full-scale replications: 2 runs"]


def test_handoff_labels_close_together_take_turns_on_two_rows():
    rows = journey_rows()
    t = timeline(log_of(rows), 1)
    days = [31, 120, 123, 125]  # the last three within a few days of each other: their labels would overlap
    reasons = ["team_transfer", "reallocation", "worker_left", "reallocation"]
    handoffs = pd.DataFrame({"journey": 1, "date": [_ts(d) for d in days], "reason": reasons, "worker": [8, 9, 10, 11]})
    fig = timeline_figure(dataclasses.replace(t, handoffs=handoffs))
    labels = [a for a in fig.axes[0].texts if a.get_text() in {"team transfer", "reallocation", "worker left"}]
    rows_y = [round(a.xy[1], 2) for a in sorted(labels, key=lambda a: a.xy[0])]
    # a label close to the one before it goes on the other row; one far from it goes back to the first
    assert rows_y == [rows_y[0], rows_y[0], round(rows_y[0] - 0.45, 2), rows_y[0]]
