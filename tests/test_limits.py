"""Limits before work: a batch whose event logs would not fit on the disk, or whose workers would not fit
in the memory, is refused before it starts (unless --yes); --workers is capped at the usable cores."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from journeysim import limits
from journeysim.cli import main

from conftest import SCENARIOS, SMALL, small

SETS = [x for s in SMALL for x in ("--set", s)]
SCENARIO = str(SCENARIOS / "hampshire.toml")
GB = 1000**3


def test_the_estimate_scales_with_the_county_the_period_and_the_replications():
    full = limits.estimate(small("hampshire.toml", "run.scale=1"), replications=10, workers=2)
    days = 365 + 4 * 365 + 1  # the warm-up year and 2016-04-01 to 2020-04-01
    assert full.events_per_replication == 700 * days
    assert full.disk_bytes == int(700 * days * 11.5 * 10)
    assert full.memory_bytes == 2 * ((260 << 20) + 100 * 700 * days)
    assert full.seconds == pytest.approx(700 * days * 10 / 80_000 / 2)
    half = limits.estimate(small("hampshire.toml", "run.scale=0.5"), replications=10, workers=2)
    assert half.events_per_replication == full.events_per_replication // 2
    one_at_a_time = limits.estimate(small("hampshire.toml", "run.scale=1"), replications=10, workers=1)
    assert one_at_a_time.seconds == pytest.approx(2 * full.seconds)


def test_the_estimate_is_close_to_what_a_run_writes(small_results):
    """The rates are measured ones: a small run's events and bytes are within a fifth of the estimate."""
    manifest = json.loads((small_results / "manifest.json").read_text())
    est = limits.estimate(small("hampshire.toml"), replications=len(manifest["event_logs"]), workers=1)
    for entry in manifest["event_logs"]:
        assert entry["events"] == pytest.approx(est.events_per_replication, rel=0.2)
    written = sum((small_results / e["file"]).stat().st_size for e in manifest["event_logs"])
    assert written == pytest.approx(est.disk_bytes, rel=0.2)


def test_too_many_replications_for_the_disk_are_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "free_disk", lambda path: 73 * GB)
    out = tmp_path / "huge"
    r = CliRunner().invoke(main, ["run", SCENARIO, "--reps", "100000", "--out", str(out)])
    assert r.exit_code == 2
    assert r.output.splitlines()[-1] == (
        f"error: --out {out}: 100,000 replication(s) of about 2,045,400 events: about 2.4 TB of event logs, "
        f"954.3 MB of memory for 2 worker(s), 14.8 days; the disk there has 73.0 GB free. Use fewer --reps or a "
        f"smaller run.scale or period, write elsewhere, or pass --yes to start anyway")
    assert not out.exists() and not (tmp_path / "huge.incomplete").exists()


def test_a_county_too_big_for_the_memory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "free_memory", lambda: 16 * GB)
    r = CliRunner().invoke(main, ["run", SCENARIO, "--set", "run.scale=100", "--out", str(tmp_path / "big")])
    assert r.exit_code == 2
    assert r.output.splitlines()[-1] == (
        "error: 1 replication(s) of about 204,540,000 events: about 2.4 GB of event logs, 20.7 GB of memory for 1 "
        "worker(s), 43 minutes; this machine has 16.0 GB of memory available. Use fewer --workers or a smaller "
        "run.scale, or pass --yes to start anyway")


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_batches_of_runs_count_every_run(tmp_path, monkeypatch, command):
    free = 400 * 1000**2
    monkeypatch.setattr(limits, "free_disk", lambda path: free)
    one_run = limits.estimate(small("hampshire.toml"), replications=400, workers=1)
    assert one_run.disk_bytes * 1.1 < free < 2 * one_run.disk_bytes  # one run of 400 would fit; two would not
    args = {"compare": ["compare", str(SCENARIOS / "counterfactual.toml"), SCENARIO],
            "sweep": ["sweep", SCENARIO, "--vary", "workforce.hard_cap=18,22"]}[command]
    r = CliRunner().invoke(main, [*args, "--reps", "400", "--out", str(tmp_path / "batch"), *SETS])
    assert r.exit_code == 2 and "800 replication(s) of about" in r.output and "the disk there has 400.0 MB free" in r.output


def test_yes_goes_on_and_workers_are_capped_at_the_usable_cores(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "free_disk", lambda path: 0)
    monkeypatch.setattr(limits, "cores_available", lambda: 1)
    out = tmp_path / "small"
    r = CliRunner().invoke(main, ["run", SCENARIO, "--out", str(out), "--workers", "64", "--yes", *SETS])
    assert r.exit_code == 0, r.output
    assert ("note: --workers 64: this machine lets journeysim use 1 core; running 1 worker (more would only queue "
            "for them)") in r.output
    assert (out / "manifest.json").exists()
