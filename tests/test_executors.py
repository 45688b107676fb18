"""Executors: the same replications give byte-identical event logs and the same measures whether they
run in this process, in a local process pool, or on a Dask cluster (one started for the command, or an
existing one named by its scheduler's address); an interrupt on a cluster keeps what finished; and the
errors a user can meet (no scheduler there, dask not installed) are one line each."""

from __future__ import annotations

import json
import math
import re
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from journeysim import executors, interrupts, runner
from journeysim.cli import main
from journeysim.eventlog import file_digest
from journeysim.results import writer
from journeysim.scenario import load

from conftest import SCENARIOS

#: 5% of Hampshire over two reported years: a replication takes about a second.
TINY = ["run.scale=0.05", "run.warmup_days=180", "run.start=2016-04-01", "run.end=2018-04-01"]
SETS = [x for s in TINY for x in ("--set", s)]
SCENARIO = SCENARIOS / "hampshire.toml"
REPS, SEED = 3, 5


def scenario():
    return load(SCENARIO, TINY)


def digests(folder: Path) -> list[str]:
    """The manifest's SHA-256 of each replication's log, checked against the files."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["complete"] is True and [e["rep"] for e in manifest["event_logs"]] == list(range(REPS))
    for entry in manifest["event_logs"]:
        assert file_digest(folder / entry["file"]) == entry["sha256"], entry["file"]
    return [e["sha256"] for e in manifest["event_logs"]]


def same_results(a: Path, b: Path) -> None:
    assert digests(a) == digests(b)
    for name in ("measures.csv", "summary.csv", "costs.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def cli_run(out: Path, *options: str) -> str:
    r = CliRunner().invoke(main, ["run", str(SCENARIO), "--reps", str(REPS), "--seed", str(SEED), "--out", str(out),
                                  *SETS, *options])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "run"
    runner.run(scenario(), out, REPS, SEED, executor=executors.LocalExecutor(1))
    return out


@pytest.fixture(scope="module")
def cluster():
    """An existing Dask cluster to connect to: 2 worker processes of one thread each."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as c:
        yield c


def test_the_local_process_pool_gives_the_serial_results(serial, tmp_path):
    out = tmp_path / "pool"
    cli_run(out, "--executor", "local", "--workers", "2")
    same_results(out, serial)


def test_a_dask_local_cluster_started_for_the_command_gives_the_serial_results_and_stops_on_an_interrupt(
        serial, tmp_path):
    out = tmp_path / "dask"

    def stop(result, done, total):  # Ctrl-C as the first replication finishes
        if done == 1:
            raise KeyboardInterrupt

    with executors.open_executor("dask", workers=2) as ex:
        assert ex.describe() == "a Dask LocalCluster of 2 worker processes (one thread each)"
        with pytest.raises(interrupts.RunInterrupted, match=rf"^[12] of {REPS} replications finished and are kept in"):
            runner.run(scenario(), out, REPS, SEED, progress=stop, executor=ex)
        assert ex.client.status == "closed", "the cluster it started is stopped at once, and its jobs with it"
        with pytest.raises(interrupts.RunError, match="the Dask executor was closed"):
            ex.each(math.comb, [(3, 1)], lambda i, r: None)
    partial = writer.incomplete_folder(out)
    kept = [e["rep"] for e in json.loads((partial / "manifest.json").read_text())["event_logs"]]
    assert 1 <= len(kept) < REPS, "stopped when the first replication finished (another may have finished with it)"
    assert sorted(p.name for p in (partial / "events").iterdir()) == [f"rep-{k:03d}.parquet" for k in kept], \
        "only the finished replications' logs are kept"

    output = cli_run(out, "--executor", "dask", "--workers", "2", "--resume")
    assert "executor: a Dask LocalCluster of 2 worker processes (one thread each)" in output
    same_results(out, serial)


def test_an_existing_dask_cluster_gives_the_serial_results(serial, cluster, tmp_path):
    out = tmp_path / "scheduler"
    output = cli_run(out, "--scheduler", cluster.scheduler_address)
    assert f"executor: the Dask scheduler at {cluster.scheduler_address}: 2 threads on 2 workers" in output
    same_results(out, serial)


def test_jobs_on_dask_come_back_in_job_order(cluster):
    seen = []
    with executors.open_executor("dask", scheduler=cluster.scheduler_address) as ex:
        assert ex.workers == 2
        got = runner.run_jobs(math.comb, [(12, k) for k in range(13)], progress=lambda d, t, label: seen.append(d),
                              executor=ex)
    assert got == [math.comb(12, k) for k in range(13)]
    assert seen == list(range(1, 14))


def test_an_interrupt_on_dask_keeps_finished_replications_and_resumes_to_the_same_result(serial, cluster, tmp_path):
    out = tmp_path / "run"

    def stop(result, done, total):  # Ctrl-C as the first replication finishes
        if done == 1:
            raise KeyboardInterrupt

    with executors.open_executor("dask", scheduler=cluster.scheduler_address) as ex:
        with pytest.raises(interrupts.RunInterrupted, match=rf"^[12] of {REPS} replications finished and are kept in"):
            runner.run(scenario(), out, REPS, SEED, progress=stop, executor=ex)
        partial = writer.incomplete_folder(out)
        kept = [e["rep"] for e in json.loads((partial / "manifest.json").read_text())["event_logs"]]
        assert 1 <= len(kept) < REPS
        for k in kept:
            assert file_digest(partial / "events" / f"rep-{k:03d}.parquet") == digests(serial)[k]
        runner.run(scenario(), out, REPS, SEED, resume=True, executor=ex)
    same_results(out, serial)
    assert json.loads((out / "manifest.json").read_text())["resumed_replications"] == kept


def test_reps_and_compare_run_on_an_existing_cluster(cluster, tmp_path):
    r = CliRunner().invoke(main, ["reps", str(SCENARIO), "--measure", "referrals", "--max-reps", "3",
                                  "--scheduler", cluster.scheduler_address, *SETS])
    assert r.exit_code == 0, r.output
    assert "referrals" in r.output and "replications" in r.output
    out = tmp_path / "cmp"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "counterfactual.toml"), str(SCENARIO), "--reps", "2",
                                  "--out", str(out), "--scheduler", cluster.scheduler_address, *SETS])
    assert r.exit_code == 0, r.output
    local = tmp_path / "cmp-local"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "counterfactual.toml"), str(SCENARIO), "--reps", "2",
                                  "--out", str(local), "--workers", "1", *SETS])
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_csv(out / "comparison.csv"), pd.read_csv(local / "comparison.csv"))


def test_workers_running_another_journeysim_are_refused(cluster, monkeypatch):
    monkeypatch.setattr(executors, "source_digest", lambda: "0" * 64)
    with pytest.raises(interrupts.RunError, match=r"runs journeysim .* \(source [0-9a-f]{12}\), this is .* \(source "
                                              r"000000000000\); results would mix two versions"):
        executors.open_executor("dask", scheduler=cluster.scheduler_address)


# ---------------------------------------------------------------------------------------- errors
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _error(args: list[str]) -> str:
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    errors = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.output
    return errors[0]


def test_an_unreachable_scheduler_is_one_line_naming_the_address(monkeypatch, tmp_path):
    monkeypatch.setattr(executors, "SCHEDULER_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    line = _error(["run", str(SCENARIO), "--out", str(tmp_path / "x"), "--scheduler", address, *SETS])
    assert re.fullmatch(rf"error: --scheduler {re.escape(address)}: no Dask scheduler answered within 1 s"
                        r"( \(Connection refused\))?; check the address and that the scheduler is running", line), line
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.incomplete").exists()
    line = _error(["sweep", str(SCENARIO), "--vary", "hubs.family_workers=3,6", "--out", str(tmp_path / "y"),
                   "--scheduler", "nonsense"])
    assert line.startswith("error: --scheduler nonsense: not a scheduler address (")


def test_a_scheduler_with_local_executor_is_refused(tmp_path):
    line = _error(["run", str(SCENARIO), "--out", str(tmp_path / "x"), "--executor", "local",
                   "--scheduler", "tcp://127.0.0.1:8786", *SETS])
    assert line == "error: --scheduler tcp://127.0.0.1:8786 names a Dask scheduler: use it with --executor dask"


def test_dask_not_installed_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    line = _error(["run", str(SCENARIO), "--out", str(tmp_path / "x"), "--executor", "dask", *SETS])
    assert line == ("error: --executor dask needs dask.distributed, which is not installed: "
                    "pip install 'journeysim[dask]' (or pip install 'dask[distributed]')")
