"""Crash safety: an interrupted run keeps its finished replications and ``--resume`` completes it to
exactly the result of an uninterrupted run (byte-identical logs, measures and summary)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from journeysim import interrupts, runner
from journeysim.cli import main
from journeysim.eventlog import file_digest
from journeysim.results import writer

from conftest import SCENARIOS

#: A tiny county over two years: a replication takes a fraction of a second.
TINY = ["run.scale=0.02", "run.warmup_days=180", "run.start=2016-04-01", "run.end=2017-04-01"]
REPS, SEED = 30, 3  # enough that a run killed at its first finished replication has more to do
SCENARIO = SCENARIOS / "hampshire.toml"


def scenario():
    from journeysim.scenario import load

    return load(SCENARIO, TINY)


def journeysim_command() -> list[str]:
    exe = Path(sys.executable).with_name("journeysim")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "journeysim.cli"]


def same_results(a: Path, b: Path) -> None:
    """Two results folders hold byte-identical logs, measures, summary and scenario."""
    logs = sorted(p.name for p in (a / "events").iterdir())
    assert logs == sorted(p.name for p in (b / "events").iterdir()) == [f"rep-{r:03d}.parquet" for r in range(REPS)]
    for name in logs:
        assert file_digest(a / "events" / name) == file_digest(b / "events" / name), name
    for name in ("measures.csv", "summary.csv", "scenario.toml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(autouse=True)
def ctrl_c_interrupts():
    """Ctrl-C raises KeyboardInterrupt here, as at a terminal, even when the tests were started
    with SIGINT ignored (a job put in the background by a non-interactive shell inherits that)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    runner.run(scenario(), out, REPS, SEED, workers=1)
    return out


def _kept(partial: Path) -> list[int]:
    try:
        return [e["rep"] for e in json.loads((partial / "manifest.json").read_text())["event_logs"]]
    except (OSError, ValueError, KeyError):
        return []


@pytest.mark.parametrize("signum,workers,group", [
    (signal.SIGTERM, 2, False),  # `kill PID` or a batch scheduler stopping the job, parallel replications
    (signal.SIGINT, 2, True),    # Ctrl-C in a terminal: every process of the group gets SIGINT
    pytest.param(signal.SIGINT, 1, False, marks=pytest.mark.slow),  # Ctrl-C to a run with one worker
])
def test_a_killed_run_keeps_finished_replications_and_resumes_to_the_same_result(
        tmp_path, uninterrupted, signum, workers, group):
    out = tmp_path / "run"
    partial = writer.incomplete_folder(out)
    sets = [x for s in TINY for x in ("--set", s)]
    cmd = [*journeysim_command(), "run", str(SCENARIO), "--reps", str(REPS), "--seed", str(SEED), "--out", str(out),
           "--workers", str(workers), *sets]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not _kept(partial) and proc.poll() is None:  # kill as soon as one replication is recorded
        time.sleep(0.01)
    (os.killpg if group else os.kill)(proc.pid, signum)
    _, err = proc.communicate(timeout=120)

    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    kept = _kept(partial)
    assert 1 <= len(kept) < REPS, "the run was stopped mid-way"
    message = [line for line in err.splitlines() if line.startswith("interrupted: ")]
    assert message == [f"interrupted: {len(kept)} of {REPS} replications finished and are kept in {partial}; "
                       f"to finish the run: journeysim run {SCENARIO} --reps {REPS} --seed {SEED} --out {out} "
                       + " ".join(f"--set {s}" for s in TINY) + " --resume"]
    assert not out.exists(), "nothing looks finished"
    manifest = json.loads((partial / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert sorted(p.name for p in (partial / "events").iterdir()) == [f"rep-{r:03d}.parquet" for r in kept]
    for entry in manifest["event_logs"]:
        assert file_digest(partial / entry["file"]) == entry["sha256"]
        assert entry["sha256"] == file_digest(uninterrupted / entry["file"]), "a kept log is the uninterrupted one"

    again = CliRunner().invoke(main, cmd[len(journeysim_command()):])
    assert again.exit_code == 2
    assert f"error: {partial}: an interrupted run into {out} is kept here ({len(kept)} of {REPS} replications " \
           "finished); pass --resume to finish it or --force to start again" in again.output

    resume = shlex.split(message[0].split("to finish the run: ", 1)[1])
    assert resume[0] == "journeysim"
    done = subprocess.run([*journeysim_command(), *resume[1:], "--workers", str(workers)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"; {len(kept)} of {REPS} replications kept from the interrupted run)" in done.stdout
    assert not partial.exists()
    same_results(out, uninterrupted)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["resumed_replications"] == kept


def test_an_interrupt_in_process_keeps_what_finished(tmp_path, uninterrupted):
    out = tmp_path / "run"

    def stop_after_three(result, done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(interrupts.RunInterrupted, match=rf"^3 of {REPS} replications finished and are kept in"):
        runner.run(scenario(), out, REPS, SEED, workers=1, progress=stop_after_three)
    partial = writer.incomplete_folder(out)
    assert _kept(partial) == [0, 1, 2] and writer.unfinished(out) == (3, REPS)
    # a damaged kept log is noticed and run again
    (partial / "events" / "rep-001.parquet").write_bytes(b"truncated")
    runner.run(scenario(), out, REPS, SEED, workers=2, resume=True)
    same_results(out, uninterrupted)
    assert json.loads((out / "manifest.json").read_text())["resumed_replications"] == [0, 2]


def test_an_interrupt_before_any_replication_finishes_keeps_nothing(tmp_path, monkeypatch):
    def interrupted_at_once(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_run_one", interrupted_at_once)
    out = tmp_path / "run"
    with pytest.raises(interrupts.RunInterrupted, match="no replication had finished; nothing was kept"):
        runner.run(scenario(), out, 2, SEED, workers=1)
    assert not out.exists() and not writer.incomplete_folder(out).exists()


@pytest.fixture()
def interrupted(tmp_path) -> Path:
    out = tmp_path / "run"

    def stop(result, done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(interrupts.RunInterrupted):
        runner.run(scenario(), out, 3, SEED, workers=1, progress=stop)
    return out


@pytest.mark.parametrize("change,message", [
    (dict(seed=SEED + 1), "was started with --reps 3 --seed 3; resume it with the same --reps and --seed"),
    (dict(reps=4), "was started with --reps 3 --seed 3; resume it with the same --reps and --seed"),
    (dict(extra=["workforce.hard_cap=20"]), "was started with different scenario values (workforce.hard_cap was 0, "
                                            "now 20); resume it with the same scenario and --set options"),
])
def test_resume_refuses_a_different_run(interrupted, change, message):
    from journeysim.scenario import load

    s = load(SCENARIO, TINY + change.get("extra", []))
    with pytest.raises(interrupts.RunError, match=message.replace("(", r"\(").replace(")", r"\)")):
        runner.run(s, interrupted, change.get("reps", 3), change.get("seed", SEED), workers=1, resume=True)
    assert writer.unfinished(interrupted) == (1, 3), "the kept replication is untouched"


def test_resume_and_force_rules(interrupted, tmp_path):
    with pytest.raises(interrupts.RunError, match="--resume finishes an interrupted run and --force starts again"):
        runner.run(scenario(), interrupted, 3, SEED, force=True, resume=True)
    with pytest.raises(interrupts.RunError, match="there is no interrupted run to resume"):
        runner.run(scenario(), tmp_path / "other", 3, SEED, resume=True)
    runner.run(scenario(), interrupted, 3, SEED, workers=1, force=True)  # --force starts again
    assert not writer.incomplete_folder(interrupted).exists()
    assert json.loads((interrupted / "manifest.json").read_text())["resumed_replications"] == []
    with pytest.raises(interrupts.RunError, match="this run is complete; there is nothing to resume"):
        runner.run(scenario(), interrupted, 3, SEED, resume=True)
    before = file_digest(interrupted / "events" / "rep-000.parquet")
    with pytest.raises(interrupts.RunError, match="output folder already exists"):
        runner.run(scenario(), interrupted, 3, SEED)
    assert file_digest(interrupted / "events" / "rep-000.parquet") == before


def test_an_interrupt_while_the_manifest_is_written_never_splits_the_message_from_the_manifest(
        tmp_path, uninterrupted, monkeypatch):
    """Ctrl-C arriving just as replication 2 is being recorded (the race that made the message say
    "2 of 6" while manifest.json listed 1): the message, the manifest and the logs kept agree."""
    out = tmp_path / "run"
    partial = writer.incomplete_folder(out)
    real_write = writer._write_json
    writes = []

    def write_json(path, data):
        writes.append(len(data.get("event_logs", [])))
        if len(writes) == 3:  # the start, replication 1, then replication 2: Ctrl-C as it is written
            os.kill(os.getpid(), signal.SIGINT)
        real_write(path, data)

    monkeypatch.setattr(writer, "_write_json", write_json)
    with pytest.raises(interrupts.RunInterrupted) as caught:
        runner.run(scenario(), out, REPS, SEED, workers=1)
    kept = _kept(partial)
    assert str(caught.value).startswith(f"{len(kept)} of {REPS} replications finished and are kept in {partial}")
    assert kept == [0, 1], "the replication being recorded when the signal came is kept, and listed"
    assert sorted(p.name for p in (partial / "events").iterdir()) == [f"rep-{r:03d}.parquet" for r in kept]
    assert not (partial / "manifest.json.tmp").exists()
    assert writer.unfinished(out) == (len(kept), REPS)
    monkeypatch.setattr(writer, "_write_json", real_write)
    runner.run(scenario(), out, REPS, SEED, workers=1, resume=True)
    same_results(out, uninterrupted)


def test_signals_held_raises_the_held_interrupt_after_the_block(monkeypatch):
    order = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            order.append("block finished")
    assert order == ["block finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with interrupts.signals_held(redeliver=False):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
