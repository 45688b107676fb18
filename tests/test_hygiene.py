"""Process hygiene: worker processes die with the main process, a worker the system kills is reported
with the replications it took and how to resume, and one run at a time builds a results folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from journeysim import runner
from journeysim.executors import Executor, LocalExecutor
from journeysim.interrupts import RunError, RunInterrupted, WorkerLost
from journeysim.results import writer

from conftest import ROOT, SCENARIOS, small


def _die_on_one(index: int) -> int:
    """A job whose worker the system kills (as the out-of-memory killer would) when ``index`` is 1."""
    if index == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def test_a_worker_killed_by_the_system_is_worker_lost_naming_the_unfinished_jobs():
    finished = []
    with pytest.raises(WorkerLost) as lost:
        LocalExecutor(2).each(_die_on_one, [(0,), (1,)], lambda i, result: finished.append(i))
    assert 1 in lost.value.jobs and not set(lost.value.jobs) & set(finished)


class _LosesReplicationTwo(Executor):
    """Runs the first job here, then loses its worker on the second (as a pool whose worker was killed)."""

    kind = "local"

    def each(self, fn, jobs, done):
        done(0, fn(*jobs[0]))
        raise WorkerLost([1])

    def describe(self):
        return "a pool that loses a worker"


def test_a_lost_worker_keeps_what_finished_and_says_how_to_resume(tmp_path):
    out = tmp_path / "hants"
    with pytest.raises(RunError) as err:
        runner.run(small("hampshire.toml"), out, reps=2, seed=5, executor=_LosesReplicationTwo())
    message = str(err.value)
    assert message.startswith("a worker process ended abruptly (killed by the system, perhaps for want of memory) "
                              "while replication 2 was unfinished; 1 of 2 replications finished and are kept in ")
    assert message.endswith(f"--out {out} --set run.scale=0.05 --set run.warmup_days=365 --set run.start=2016-04-01 "
                            f"--set run.end=2020-04-01 --resume")
    assert not (writer.incomplete_folder(out) / writer.LOCK).exists()


def test_workers_die_with_a_main_process_killed_outright(tmp_path):
    """kill -9 of the main process: its workers (whose replications would take minutes) end at once."""
    out = tmp_path / "big"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from journeysim import scenario
        from journeysim.runner import run

        if __name__ == "__main__":
            run(scenario.load(Path({str(SCENARIOS / 'hampshire.toml')!r})), Path({str(out)!r}), reps=4, workers=2)
    """)
    main = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spawned: list[psutil.Process] = []  # the fork server, the resource tracker and the workers
    try:
        events = writer.incomplete_folder(out) / "events"
        workers: list[psutil.Process] = []
        for _ in range(600):  # the workers have started their replications
            spawned = psutil.Process(main.pid).children(recursive=True)
            workers = [p for p in spawned if p.ppid() != main.pid]
            if len(workers) >= 2 and events.is_dir():
                break
            psutil.wait_procs([psutil.Process(main.pid)], timeout=0.1)
        assert len(workers) >= 2, "the run's worker processes never started"
        main.send_signal(signal.SIGKILL)
        main.wait()
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"worker processes {[p.pid for p in alive]} outlived the main process"
    finally:
        main.kill()
        for process in spawned:  # whatever the outcome, nothing of this test's is left running
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass


def _interrupted_run(out: Path) -> None:
    """An interrupted run into ``out``: replication 1 of 2 finished and kept."""
    def stop(result, done, total):
        raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        runner.run(small("hampshire.toml"), out, reps=2, seed=5, workers=1, progress=stop)


def test_a_second_run_into_a_folder_being_built_is_refused_with_the_first_runs_process_id(tmp_path):
    out = tmp_path / "hants"
    _interrupted_run(out)
    partial = writer.incomplete_folder(out)
    assert not (partial / writer.LOCK).exists(), "an interrupted run leaves no lock"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (partial / writer.LOCK).write_text(f"{other.pid}@{writer._host()}\n")
        for force, resume in ((True, False), (False, True), (False, False)):
            with pytest.raises(RunError) as err:
                runner.run(small("hampshire.toml"), out, reps=2, seed=5, workers=1, force=force, resume=resume)
            assert str(err.value) == (f"{out}: another journeysim run (process {other.pid}) is writing into {partial}; "
                                      f"wait for it to finish, or stop it (kill {other.pid}) and then --resume or --force")
        assert sorted(p.name for p in (partial / "events").iterdir()) == ["rep-000.parquet"]
    finally:
        other.kill()
        other.wait()
    # the first run has ended without removing its lock: the next run takes it over
    runner.run(small("hampshire.toml"), out, reps=2, seed=5, workers=1, resume=True)
    assert not (out / writer.LOCK).exists() and not partial.exists()
    assert sorted(p.name for p in (out / "events").iterdir()) == ["rep-000.parquet", "rep-001.parquet"]


def test_a_lock_of_another_machines_run_is_taken_to_be_held(tmp_path):
    """A folder on a shared filesystem: the run on another host cannot be checked from here."""
    out = tmp_path / "hants"
    _interrupted_run(out)
    partial = writer.incomplete_folder(out)
    (partial / writer.LOCK).write_text("4242@another-host\n")
    with pytest.raises(RunError) as err:
        runner.run(small("hampshire.toml"), out, reps=2, seed=5, workers=1, force=True)
    assert str(err.value) == (f"{out}: another journeysim run (process 4242 on another-host) is writing into "
                              f"{partial}; wait for it to finish, or stop it (kill 4242 on another-host) and then "
                              f"--resume or --force")
