"""Running a scenario: its replications, each with its own seed, on an executor, into a results folder.

:func:`run` runs a scenario's replications and writes a complete results folder
(:mod:`journeysim.results`); :func:`run_replications` runs replications into a
folder's ``events/``, and :func:`run_jobs` any batch of jobs (calibration's runs, say).
Where they execute is an :class:`~journeysim.executors.Executor`: this machine's
processes or a Dask cluster.

The folder is built as ``<out>.incomplete`` beside the target and renamed into
place only when complete, so an interrupted run never leaves a folder that looks
finished.  While it runs, its manifest.json (``"complete": false``) lists every
replication as it finishes; an interrupted run (Ctrl-C, SIGTERM, a crash) keeps
them, and ``resume=True`` (``journeysim run ... --resume``) runs only the missing
replications, giving the folder an uninterrupted run gives.  ``journeysim run``
with the same scenario.toml and seed reproduces the event logs byte for byte.

A scenario with ``run.parameter_draws`` runs each replication at its own draw of the calibration's
plausible parameters (:mod:`journeysim.draws`): applied in the replication's job, recorded in
manifest.json per replication, and the draws file copied into the folder, whose scenario.toml then
reads that copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa

from . import __version__
from . import draws as parameter_draws
from .draws import Draw, Draws
from .executors import Executor, LocalExecutor
from .interrupts import RunError, RunInterrupted, WorkerLost
from .model import simulate
from .results import writer
from .rng import replication_seeds
from .scenario import Scenario


@dataclass
class RepResult:
    rep: int
    seed: int
    path: str
    events: int
    seconds: float
    draw: int | None = None  # the number of the parameter draw it ran at (run.parameter_draws)


def _run_one(scenario: Scenario, rep: int, seed: int, path: str, log_thread: bool = False,
             draw: Draw | None = None) -> RepResult:
    t0 = time.perf_counter()
    meta = {"journeysim.scenario": scenario.name, "journeysim.seed": str(seed),
            "journeysim.replication": str(rep), "journeysim.version": __version__}
    if draw is not None:
        scenario = draw.apply(scenario)
        meta["journeysim.parameter_draw"] = str(draw.number)
    try:
        log = simulate(scenario, seed, path, meta, log_thread=log_thread)
    except OSError as exc:  # on a cluster, most often a worker that cannot see the output folder
        raise RunError(f"{path}: replication {rep} cannot write its event log on host {socket.gethostname()} "
                       f"({exc.strerror or exc}); with --scheduler, every worker must reach the output folder "
                       f"at this path") from None
    # the log's Arrow buffers are freed, but pyarrow's allocator keeps their pages: give them back, for the
    # projections that may follow in this process (a run of one replication, in this process: 10 MiB)
    pa.default_memory_pool().release_unused()
    return RepResult(rep, seed, path, log.n, time.perf_counter() - t0, None if draw is None else draw.number)


#: ``draws`` of :func:`run_replications` when the scenario's own are to be read.
_OWN = object()


def run_replications(scenario: Scenario, seed: int, reps: int, folder: Path, workers: int = 1,
                     progress=None, todo: list[int] | None = None, executor: Executor | None = None,
                     draws: Draws | None | object = _OWN) -> list[RepResult]:
    """Run replications ``todo`` (default: all of 0..reps-1) into ``folder/events`` with ``executor``
    (default: this machine, in parallel processes when ``workers`` > 1), each at its parameter draw
    when there are ``draws`` (default: the scenario's ``run.parameter_draws``).

    ``progress(result, done, total)`` is called in this process as each replication finishes.  When
    interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt), replications that finished are
    still reported to ``progress``, the others are abandoned (worker processes stopped), and the
    interrupt is raised again.  Each log is written by the worker that runs the replication, at an
    absolute path, so the results are the same wherever it runs.
    """
    executor = executor or LocalExecutor(max(1, workers or 1))
    seeds = replication_seeds(seed, reps)
    draws = parameter_draws.read(scenario) if draws is _OWN else draws
    chosen = draws.for_replications(seed, reps) if draws is not None else [None] * reps
    todo = list(range(reps)) if todo is None else todo
    events = Path(os.path.abspath(folder)) / "events"
    events.mkdir(parents=True, exist_ok=True)
    jobs = [(scenario, r, seeds[r], str(events / f"rep-{r:03d}.parquet"), executor.spare_core, chosen[r])
            for r in todo]
    results: list[RepResult] = []

    def done(_index: int, result: RepResult) -> None:
        results.append(result)
        if progress:
            progress(result, len(results), len(jobs))

    try:
        executor.each(_run_one, jobs, done)
    except WorkerLost as lost:
        abandoned = [todo[i] + 1 for i in lost.jobs]
        shown = ", ".join(map(str, abandoned[:6])) + (f" and {len(abandoned) - 6} more" if len(abandoned) > 6 else "")
        raise RunError(f"{lost} while replication{'s' * (len(abandoned) != 1)} {shown} "
                       f"{'were' if len(abandoned) != 1 else 'was'} unfinished") from None
    return sorted(results, key=lambda r: r.rep)


def run_jobs(fn, jobs: list[tuple], workers: int = 1, progress=None, label: str = "runs",
             executor: Executor | None = None) -> list:
    """``fn(*job)`` for every job with ``executor`` (default: this machine, in ``workers`` parallel
    processes when more than one); the results come back in job order whatever order they finish in.
    ``progress(done, total, label)`` is called as each one finishes."""
    executor = executor or LocalExecutor(max(1, workers or 1))
    results: list = [None] * len(jobs)
    finished = 0

    def done(index: int, result) -> None:
        nonlocal finished
        results[index] = result
        finished += 1
        if progress:
            progress(finished, len(jobs), label)

    executor.each(fn, jobs, done)
    return results


def run(scenario: Scenario, out: Path, reps: int = 1, seed: int = 1, workers: int | None = None, force: bool = False,
        progress=None, resume: bool = False, executor: Executor | None = None,
        also: Callable[[Path, pd.DataFrame], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run and write a complete results folder at ``out``; return (per-replication measures, summary, manifest).

    The replications run with ``executor`` (default: this machine, ``workers`` processes, one per
    core up to ``reps`` when not given); the folder is the same whichever runs them.
    The folder is built as ``<out>.incomplete`` and renamed to ``out`` when complete.  Its
    manifest.json lists each replication as it finishes, so an interrupted run keeps them all;
    ``resume=True`` runs only the missing ones and gives the same folder an uninterrupted run gives.
    ``also(folder, per_rep)`` may add files of its own to the folder before it takes its place.
    """
    out = Path(out)
    if reps < 1:
        raise RunError(f"--reps must be at least 1; got {reps}")
    draws = parameter_draws.read(scenario)
    if draws is not None:  # the folder keeps a copy of the draws, and its scenario.toml reads that
        scenario = parameter_draws.portable(scenario)
    manifest, finished = writer.prepare(out, scenario, reps, seed, force, resume, draws)
    partial = writer.incomplete_folder(out)
    resumed = sorted(finished)
    todo = [r for r in range(reps) if r not in finished]
    for r in todo:  # a replication cut short leaves a partial log behind
        (partial / "events" / f"rep-{r:03d}.parquet").unlink(missing_ok=True)

    def record(result: RepResult, done: int, total: int) -> None:
        writer.record(partial, manifest, finished,
                      writer.log_entry(result.rep, result.path, result.events, result.seconds, result.draw))
        if progress:
            progress(result, len(finished), reps)

    t0 = time.perf_counter()
    executor = executor or LocalExecutor(workers or min(reps, os.cpu_count() or 1))
    try:
        run_replications(scenario, seed, reps, partial, progress=record, todo=todo, executor=executor, draws=draws)
    except KeyboardInterrupt as exc:
        raise writer.interrupted(out, finished, reps, manifest, getattr(exc, "signum", signal.SIGINT)) from None
    except RunError as exc:  # a replication could not run (its worker cannot write, a lost cluster)
        raise RunError(f"{exc}; {writer.interrupted(out, finished, reps, manifest, signal.SIGINT)}") from None
    except BaseException:
        writer.release_lock(partial)
        if not finished:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        return writer.finish(scenario, out, reps, seed, manifest, finished, resumed, t0, also)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        if out.exists() and not partial.exists():  # the interrupt came as the finished folder took its place
            raise RunInterrupted(f"the run had finished: its results are complete in {out}", signum) from None
        raise writer.interrupted(out, finished, reps, manifest, signum) from None
