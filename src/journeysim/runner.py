"""Replications: seeds, parallel execution, and a results folder written atomically.

A run writes, inside its output folder::

    events/rep-000.parquet ...   one event log per replication
    measures.csv                 every official measure, by replication and year
    summary.csv                  mean, 95% confidence interval and 5-95% range across replications
    costs.csv                    annual cost by component (GBP), by replication and year
    costs_summary.csv            the costs' mean, 95% confidence interval and range across replications
    scenario.toml                the fully resolved scenario (every parameter's value)
    manifest.json                scenario, seed, replication seeds, version, git commit, log digests

The folder is built as ``<out>.incomplete`` beside the target and renamed into
place only when complete, so an interrupted run never leaves a folder that looks
finished.  While it runs, its manifest.json (``"complete": false``) lists every
replication as it finishes; an interrupted run (Ctrl-C, SIGTERM, a crash) keeps
them, and ``resume=True`` (``journeysim run ... --resume``) runs only the missing
replications, giving the folder an uninterrupted run gives.  ``journeysim run``
with the same scenario.toml and seed reproduces the event logs byte for byte.

Where the replications (and calibration's runs) execute is an :class:`Executor`:
:class:`LocalExecutor` (this process, or a pool of worker processes) or
:class:`DaskExecutor` (a Dask cluster: an existing scheduler, or a LocalCluster
started for the command).  Each replication's log is written by the worker that
runs it, so the folder is byte for byte the same whichever executor ran it.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .costs import annual_costs, write_costs
from .eventlog import cores_available, file_digest, read_log
from .model import simulate
from .projections import as_frame, measures
from .rng import replication_seeds
from .scenario import Scenario, ScenarioError, reported_years, resolved_toml, scenario_digest
from .scenario import load as load_scenario
from .stats import summarise


class RunError(Exception):
    """A run that cannot start or finish (the message says why)."""


@dataclass
class RepResult:
    rep: int
    seed: int
    path: str
    events: int
    seconds: float


def git_commit() -> str:
    """The commit of the journeysim source tree, or 'unknown' outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _run_one(scenario: Scenario, rep: int, seed: int, path: str, log_thread: bool = False) -> RepResult:
    t0 = time.perf_counter()
    meta = {"journeysim.scenario": scenario.name, "journeysim.seed": str(seed),
            "journeysim.replication": str(rep), "journeysim.version": __version__}
    try:
        log = simulate(scenario, seed, path, meta, log_thread=log_thread)
    except OSError as exc:  # on a cluster, most often a worker that cannot see the output folder
        raise RunError(f"{path}: replication {rep} cannot write its event log on host {socket.gethostname()} "
                       f"({exc.strerror or exc}); with --scheduler, every worker must reach the output folder "
                       f"at this path") from None
    return RepResult(rep, seed, path, log.n, time.perf_counter() - t0)


def run_replications(scenario: Scenario, seed: int, reps: int, folder: Path, workers: int = 1,
                     progress=None, todo: list[int] | None = None, executor: "Executor | None" = None) -> list[RepResult]:
    """Run replications ``todo`` (default: all of 0..reps-1) into ``folder/events`` with ``executor``
    (default: this machine, in parallel processes when ``workers`` > 1).

    ``progress(result, done, total)`` is called in this process as each replication finishes.  When
    interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt), replications that finished are
    still reported to ``progress``, the others are abandoned (worker processes stopped), and the
    interrupt is raised again.  Each log is written by the worker that runs the replication, at an
    absolute path, so the results are the same wherever it runs.
    """
    executor = executor or LocalExecutor(max(1, workers or 1))
    seeds = replication_seeds(seed, reps)
    todo = list(range(reps)) if todo is None else todo
    events = Path(os.path.abspath(folder)) / "events"
    events.mkdir(parents=True, exist_ok=True)
    jobs = [(scenario, r, seeds[r], str(events / f"rep-{r:03d}.parquet"), executor.spare_core) for r in todo]
    results: list[RepResult] = []

    def done(_index: int, result: RepResult) -> None:
        results.append(result)
        if progress:
            progress(result, len(results), len(jobs))

    executor.each(_run_one, jobs, done)
    return sorted(results, key=lambda r: r.rep)


def run_jobs(fn, jobs: list[tuple], workers: int = 1, progress=None, label: str = "runs",
             executor: "Executor | None" = None) -> list:
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


# --------------------------------------------------------------------------- executors
#: The places jobs can run: this machine's processes, or a Dask cluster.
EXECUTORS = ("local", "dask")

#: Seconds to wait for a Dask scheduler to answer, and for it to have a worker.
SCHEDULER_TIMEOUT = 10.0

DASK_MISSING = ("--executor dask needs dask.distributed, which is not installed: "
                "pip install 'journeysim[dask]' (or pip install 'dask[distributed]')")


class Executor(abc.ABC):
    """Where jobs run.  :meth:`each` calls ``fn(*job)`` for every job and hands each result to
    ``done(index, result)`` in this process as it finishes, in whatever order they finish.

    When interrupted (Ctrl-C, SIGTERM turned into KeyboardInterrupt, an exception raised by ``done``)
    or when a job fails, the jobs that had finished are still handed to ``done``, the others are
    abandoned, and the exception is raised again.  ``fn`` must be a module-level function and the
    jobs picklable, since they may run in another process or on another machine; anything a job
    writes to a file must be at a path its worker can reach.

    An executor is a context manager: leaving it releases what it holds (a Dask cluster it started).
    """

    kind: str = ""
    workers: int = 1  #: jobs it runs at once
    #: Whether a job's process has a core to spare, for the thread that writes a replication's event
    #: log (journeysim.eventlog): not when the jobs running at once take every core (a cluster's
    #: workers, one per core, or a local pool as large as the machine), where the threads would only
    #: contend for them.
    spare_core: bool = False

    @abc.abstractmethod
    def each(self, fn, jobs: list[tuple], done) -> None:
        """Run ``fn(*job)`` for every job, calling ``done(index, result)`` here as each finishes."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the jobs run, in words."""

    def close(self) -> None:
        """Release what the executor holds (nothing, unless said otherwise)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor(Executor):
    """This machine: the jobs one after another in this process with one worker, else in a pool of
    ``workers`` worker processes (started for each batch of jobs; Ctrl-C stops them)."""

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)

    @property
    def spare_core(self) -> bool:  # type: ignore[override]
        return self.workers < cores_available()

    def describe(self) -> str:
        return "this process" if self.workers == 1 else f"{self.workers} local worker processes"

    def each(self, fn, jobs: list[tuple], done) -> None:
        if self.workers <= 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                done(i, fn(*job))
            return
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), initializer=_worker_signals)
        futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
        reported: set[int] = set()
        try:
            for fut in as_completed(futures):
                i, result = futures[fut], fut.result()
                reported.add(i)
                done(i, result)
        except BaseException:
            for fut, i in futures.items():
                if i not in reported and fut.done() and not fut.cancelled() and fut.exception() is None:
                    reported.add(i)
                    done(i, fut.result())
            _stop(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _worker_signals() -> None:
    """Worker processes leave Ctrl-C to the main process, and end at once when it stops them
    (a SIGTERM handler inherited from the main process would not end them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the worker processes (their jobs are abandoned)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()


def _distributed():
    """The dask.distributed module, or RunError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise RunError(DASK_MISSING) from None
    return distributed


class DaskExecutor(Executor):
    """A Dask cluster: the existing one whose scheduler is at ``scheduler``, or else a LocalCluster
    started here with ``workers`` worker processes of one thread each (closed with the executor).

    Each job is one Dask task.  On an interrupt, tasks not yet finished are cancelled; a LocalCluster
    started here is closed at once, which ends the worker processes and their jobs.  A task already
    running on an existing cluster's worker runs to its end (Dask cannot stop a running task) and its
    result is discarded.  With ``scheduler``, the workers must reach the output folder at the same
    path (a shared filesystem) and run the same journeysim: that is checked on connecting.
    """

    kind = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        distributed = _distributed()
        self.scheduler = scheduler
        self._cluster = None
        self._stack = contextlib.ExitStack()
        try:
            if scheduler:
                _probe_scheduler(scheduler)
                self.client = distributed.Client(scheduler, timeout=SCHEDULER_TIMEOUT)
                self._stack.callback(self.client.close)
                try:
                    self.client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT)
                except TimeoutError:
                    raise RunError(f"--scheduler {scheduler}: the scheduler has no workers (none joined within "
                                   f"{SCHEDULER_TIMEOUT:g} s); start some with: dask worker {scheduler}") from None
            else:
                n = max(1, workers or os.cpu_count() or 1)
                # Ctrl-C is for this process (the worker processes inherit the ignoring of it); and the
                # workers' sampling profiler (every 10 ms) and GIL monitor (every 1 ms) are off: they
                # interrupt a pure-Python simulation and cost a tenth of its speed.
                with _sigint_ignored(), dask_config().set({"distributed.worker.profile.enabled": False,
                                                          "distributed.admin.system-monitor.gil.enabled": False}):
                    self._cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                             host="127.0.0.1", dashboard_address=None,
                                                             silence_logs=logging.ERROR)
                self._stack.callback(self._cluster.close)
                self.client = distributed.Client(self._cluster)
                self._stack.callback(self.client.close)
            self.workers = max(1, sum(self.client.nthreads().values()))
            self._check_workers()
        except BaseException:
            self._stack.close()
            raise

    def describe(self) -> str:
        n = len(self.client.nthreads())
        if self._cluster is not None:
            return f"a Dask LocalCluster of {n} worker process{'es' if n != 1 else ''} (one thread each)"
        return (f"the Dask scheduler at {self.scheduler}: {self.workers} thread{'s' if self.workers != 1 else ''} "
                f"on {n} worker{'s' if n != 1 else ''}")

    def _check_workers(self) -> None:
        """Every worker runs this journeysim (same version and source), else results would mix versions."""
        here = (__version__, source_digest())
        try:
            seen = self.client.run(_identity)
        except Exception as exc:  # a worker that cannot import journeysim fails in several ways
            raise RunError(f"{self._where()}: a worker cannot run journeysim ({type(exc).__name__}: {exc}); "
                           f"install this journeysim ({__version__}) on every worker") from None
        for address, there in sorted(seen.items()):
            if tuple(there) != here:
                raise RunError(f"{self._where()}: worker {address} runs journeysim {there[0]} (source {there[1][:12]}), "
                               f"this is {here[0]} (source {here[1][:12]}); results would mix two versions: "
                               f"install the same journeysim on every worker")

    def _where(self) -> str:
        return f"--scheduler {self.scheduler}" if self.scheduler else "Dask LocalCluster"

    def each(self, fn, jobs: list[tuple], done) -> None:
        distributed = _distributed()
        if self._stack is None:
            raise RunError("the Dask executor was closed (after an interrupt); start the command again")
        futures = [self.client.submit(fn, *job, pure=False) for job in jobs]
        index = {fut.key: i for i, fut in enumerate(futures)}
        reported: set[int] = set()
        try:
            for fut in distributed.as_completed(futures):
                try:
                    i, result = index[fut.key], fut.result()
                except distributed.CancelledError as exc:  # not by us: the scheduler was lost, say
                    reason = re.search(r"reason: ([\w-]+)", str(exc))
                    raise RunError(f"{self._where()}: the cluster cancelled the jobs"
                                   + (f" ({reason.group(1)})" if reason else "")) from None
                reported.add(i)
                done(i, result)
        except BaseException:
            for i, fut in enumerate(futures):
                if i not in reported and fut.status == "finished":
                    try:
                        result = fut.result(timeout=SCHEDULER_TIMEOUT)
                    except Exception:  # its result is out of reach (a lost scheduler): it is abandoned
                        continue
                    reported.add(i)
                    done(i, result)
            with contextlib.suppress(Exception):
                self.client.cancel([fut for fut in futures if fut.status != "finished"])
            if self._cluster is not None:
                self.close()  # ends the worker processes, and so the abandoned jobs
            raise

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()


def _identity() -> tuple[str, str]:
    """(version, source digest) of the journeysim a worker runs."""
    return __version__, source_digest()


@functools.cache
def source_digest() -> str:
    """SHA-256 of the journeysim package's source (Python, and the Cython of its compiled modules):
    equal digests mean the same code."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.pyx")]):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def dask_config():
    """dask.config (imported only when a Dask executor is used)."""
    import dask.config

    return dask.config


def quiet_dask_logs() -> None:
    """Only Dask's critical log lines (a command's one-line errors say what went wrong)."""
    _distributed()
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _probe_scheduler(address: str) -> None:
    """RunError naming ``address`` unless something answers there within SCHEDULER_TIMEOUT (a
    failed connection would otherwise leave a half-made Client to complain when collected)."""
    import asyncio

    from distributed.comm import connect

    async def probe() -> None:
        comm = await connect(address, timeout=SCHEDULER_TIMEOUT)
        await comm.close()

    try:
        asyncio.run(probe())
    except ValueError as exc:
        raise RunError(f"--scheduler {address}: not a scheduler address ({exc}); give one like tcp://HOST:8786") from None
    except (OSError, TimeoutError) as exc:
        why = _root_cause(exc)
        why = f" ({why})" if why else ""
        raise RunError(f"--scheduler {address}: no Dask scheduler answered within {SCHEDULER_TIMEOUT:g} s{why}; "
                       f"check the address and that the scheduler is running") from None


def _root_cause(exc: BaseException) -> str:
    """The operating system's words for why a connection failed ("Connection refused"), if it gave any."""
    why, seen = "", set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.strerror:
            why = exc.strerror
        exc = exc.__cause__ or exc.__context__
    return why


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore SIGINT in the block (processes started in it inherit that), in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def open_executor(kind: str | None = None, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor the command line asks for: ``kind`` local or dask (dask when only ``scheduler`` is
    given); ``workers`` processes (local, or a LocalCluster's; default one per core)."""
    kind = kind or ("dask" if scheduler else "local")
    if kind not in EXECUTORS:
        raise RunError(f"--executor {kind}: unknown executor; choose one of {', '.join(EXECUTORS)}")
    if kind == "local":
        if scheduler:
            raise RunError(f"--scheduler {scheduler} names a Dask scheduler: use it with --executor dask")
        return LocalExecutor(workers)
    return DaskExecutor(workers, scheduler)


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM; the message says what was kept and how to resume."""

    def __init__(self, message: str, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.signum = signum


@contextlib.contextmanager
def sigterm_interrupts():
    """Within the block, SIGTERM (``kill``, a batch scheduler's stop) interrupts like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise RunInterrupted("terminated", signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_held(redeliver: bool = True):
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends (in the main thread; elsewhere no signal
    handler runs anyway), so that what the block writes and records is never left half done.

    A signal that arrives meanwhile is delivered when the block ends, to the handlers in place before
    it (so it interrupts as it would have, a moment later); with ``redeliver=False`` it is dropped.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: a handler not set from Python, which cannot be put back
            previous[signum] = signal.signal(signum, lambda s, frame: pending.append(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if redeliver and pending:
            signal.raise_signal(pending[0])


def incomplete_folder(out: Path) -> Path:
    """Where a run into ``out`` is built, and where an interrupted one is kept: ``<out>.incomplete``."""
    out = Path(out)
    return out.with_name(out.name + ".incomplete")


def unfinished(out: Path) -> tuple[int, int] | None:
    """(replications finished, replications asked for) of an interrupted run into ``out``, or None."""
    path = incomplete_folder(out) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return len(manifest["event_logs"]), int(manifest["replications"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _log_entry(r: RepResult) -> dict:
    return {"rep": r.rep, "file": f"events/{Path(r.path).name}", "events": r.events,
            "seconds": round(r.seconds, 2), "sha256": file_digest(r.path)}


def _write_json(path: Path, data: dict) -> None:
    """Write JSON so that a reader (or a crash) never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _resume_command(scenario: Scenario, out: Path, reps: int, seed: int) -> str:
    sets = " ".join(f"--set {shlex.quote(o)}" for o in scenario.overrides)
    return (f"journeysim run {shlex.quote(scenario.path)} --reps {reps} --seed {seed} --out {shlex.quote(str(out))}"
            + (f" {sets}" if sets else "") + " --resume")


def _start_manifest(scenario: Scenario, out: Path, reps: int, seed: int) -> dict:
    return {
        "complete": False,
        "journeysim_version": __version__,
        "git_commit": git_commit(),
        "scenario_name": scenario.name,
        "scenario_files": [Path(f).name for f in scenario.files],
        "overrides": scenario.overrides,
        "scenario_sha256": scenario_digest(scenario),
        "seed": seed,
        "replications": reps,
        "replication_seeds": replication_seeds(seed, reps),
        "event_logs": [],
        "resume": _resume_command(scenario, out, reps, seed),
    }


def _check_resumable(partial: Path, scenario: Scenario, reps: int, seed: int) -> dict:
    """The manifest of an interrupted run that this call may finish; RunError saying why not otherwise."""
    try:
        manifest = json.loads((partial / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise RunError(f"{partial}: no readable manifest.json, so it cannot be resumed; "
                       f"pass --force to start again") from None
    was = f"{partial} was started with --reps {manifest.get('replications')} --seed {manifest.get('seed')}"
    if (manifest.get("replications"), manifest.get("seed")) != (reps, seed):
        raise RunError(f"{was}; resume it with the same --reps and --seed, or pass --force to start again")
    if manifest.get("scenario_sha256") != scenario_digest(scenario):
        raise RunError(f"{partial} was started with different scenario values ({_difference(partial, scenario)}); "
                       f"resume it with the same scenario and --set options, or pass --force to start again")
    version = (manifest.get("journeysim_version"), manifest.get("git_commit"))
    if version != (__version__, git_commit()):
        raise RunError(f"{partial} was started by journeysim {version[0]} (commit {version[1]}), this is "
                       f"{__version__} (commit {git_commit()}): finishing it would mix two versions' results; "
                       f"pass --force to start again")
    return manifest


def _difference(partial: Path, scenario: Scenario) -> str:
    """The first parameter whose value differs from the interrupted run's scenario.toml."""
    try:
        before = load_scenario(partial / "scenario.toml").raw()
    except ScenarioError:
        return "its scenario.toml cannot be read"
    now = scenario.raw()
    key = next((k for k in now if before.get(k) != now[k]), None)
    return f"{key} was {before.get(key)!r}, now {now[key]!r}" if key else "see its scenario.toml"


def _finished_logs(partial: Path, manifest: dict) -> dict[int, dict]:
    """The replications an interrupted run finished whose logs are intact (a damaged one is run again)."""
    kept = {}
    for entry in manifest["event_logs"]:
        path = partial / entry["file"]
        if path.is_file() and file_digest(path) == entry["sha256"]:
            kept[entry["rep"]] = entry
    return kept


def _prepare(out: Path, scenario: Scenario, reps: int, seed: int, force: bool,
             resume: bool) -> tuple[dict, dict[int, dict]]:
    """Check the output folders and return (manifest so far, finished replications) of the run to do."""
    partial = incomplete_folder(out)
    if resume and force:
        raise RunError("--resume finishes an interrupted run and --force starts again: choose one")
    if out.exists() and not force:
        if resume:
            raise RunError(f"{out}: this run is complete; there is nothing to resume")
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    if partial.exists() and not resume:
        if not force:
            state = unfinished(out)
            done = f" ({state[0]} of {state[1]} replications finished)" if state else ""
            raise RunError(f"{partial}: an interrupted run into {out} is kept here{done}; pass --resume to finish it "
                           f"or --force to start again")
        shutil.rmtree(partial)
    if resume:
        if not partial.exists():
            raise RunError(f"{out}: there is no interrupted run to resume (no {partial.name} folder); "
                           f"run without --resume")
        manifest = _check_resumable(partial, scenario, reps, seed)
        finished = _finished_logs(partial, manifest)
        manifest["event_logs"] = [finished[r] for r in sorted(finished)]
        return manifest, finished
    partial.mkdir(parents=True)
    (partial / "scenario.toml").write_text(resolved_toml(scenario), encoding="utf-8")
    manifest = _start_manifest(scenario, out, reps, seed)
    _write_json(partial / "manifest.json", manifest)
    return manifest, {}


def run(scenario: Scenario, out: Path, reps: int = 1, seed: int = 1, workers: int | None = None, force: bool = False,
        progress=None, resume: bool = False, executor: Executor | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run and write a complete results folder at ``out``; return (per-replication measures, summary, manifest).

    The replications run with ``executor`` (default: this machine, ``workers`` processes, one per
    core up to ``reps`` when not given); the folder is the same whichever runs them.
    The folder is built as ``<out>.incomplete`` and renamed to ``out`` when complete.  Its
    manifest.json lists each replication as it finishes, so an interrupted run keeps them all;
    ``resume=True`` runs only the missing ones and gives the same folder an uninterrupted run gives.
    """
    out = Path(out)
    if reps < 1:
        raise RunError(f"--reps must be at least 1; got {reps}")
    manifest, finished = _prepare(out, scenario, reps, seed, force, resume)
    partial = incomplete_folder(out)
    resumed = sorted(finished)
    todo = [r for r in range(reps) if r not in finished]
    for r in todo:  # a replication cut short leaves a partial log behind
        (partial / "events" / f"rep-{r:03d}.parquet").unlink(missing_ok=True)

    def record(result: RepResult, done: int, total: int) -> None:
        # The manifest on disk is written first and memory updated after, with Ctrl-C and SIGTERM held
        # until both agree: an interrupt never leaves a replication counted here but not listed there.
        entry = _log_entry(result)
        with signals_held():
            logs = [entry if r == result.rep else finished[r] for r in sorted({*finished, result.rep})]
            _write_json(partial / "manifest.json", {**manifest, "event_logs": logs})
            finished[result.rep] = entry
            manifest["event_logs"] = logs
        if progress:
            progress(result, len(finished), reps)

    t0 = time.perf_counter()
    executor = executor or LocalExecutor(workers or min(reps, os.cpu_count() or 1))
    try:
        run_replications(scenario, seed, reps, partial, progress=record, todo=todo, executor=executor)
    except KeyboardInterrupt as exc:
        raise _interrupted(out, finished, reps, manifest, getattr(exc, "signum", signal.SIGINT)) from None
    except RunError as exc:  # a replication could not run (its worker cannot write, a lost cluster)
        raise RunError(f"{exc}; {_interrupted(out, finished, reps, manifest, signal.SIGINT)}") from None
    except BaseException:
        if not finished:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        return _finish(scenario, out, reps, seed, manifest, finished, resumed, t0)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        if out.exists() and not partial.exists():  # the interrupt came as the finished folder took its place
            raise RunInterrupted(f"the run had finished: its results are complete in {out}", signum) from None
        raise _interrupted(out, finished, reps, manifest, signum) from None


def _interrupted(out: Path, finished: dict, reps: int, manifest: dict, signum: int) -> RunInterrupted:
    """Leave the interrupted run as its manifest.json says and say what that keeps.

    The manifest is rewritten from the replications recorded (so the file, the logs kept and the
    message agree whatever moment the interrupt came at), logs it does not list are removed, and the
    message counts the replications the manifest on disk lists.  A second Ctrl-C meanwhile is ignored.
    """
    partial = incomplete_folder(out)
    with signals_held(redeliver=False):
        if finished:
            manifest["event_logs"] = [finished[r] for r in sorted(finished)]
            with contextlib.suppress(OSError):
                _write_json(partial / "manifest.json", manifest)
        (partial / "manifest.json.tmp").unlink(missing_ok=True)
        listed = _disk_logs(partial) if finished else []
        if listed is None:  # no readable manifest (it could not be written): keep what was recorded
            listed = manifest["event_logs"]
        kept = [entry for entry in listed if (partial / entry["file"]).is_file()]
        keep = {Path(entry["file"]).name for entry in kept}
        for path in (partial / "events").glob("rep-*.parquet"):  # logs of abandoned replications are incomplete
            if path.name not in keep:
                path.unlink(missing_ok=True)
        if not kept:
            shutil.rmtree(partial, ignore_errors=True)
            return RunInterrupted(f"no replication had finished; nothing was kept (no {partial.name} folder)", signum)
    return RunInterrupted(f"{len(kept)} of {reps} replications finished and are kept in {partial}; "
                          f"to finish the run: {manifest['resume']}", signum)


def _disk_logs(partial: Path) -> list[dict] | None:
    """The replications the manifest.json of ``partial`` lists (None if it cannot be read)."""
    try:
        return list(json.loads((partial / "manifest.json").read_text(encoding="utf-8"))["event_logs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _finish(scenario: Scenario, out: Path, reps: int, seed: int, manifest: dict, finished: dict[int, dict],
            resumed: list[int], t0: float) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Every replication has run: write the measures and the final manifest, and rename into place."""
    partial = incomplete_folder(out)
    frames, cost_frames = [], []
    years = reported_years(scenario)
    for r in range(reps):
        log = as_frame(read_log(partial / finished[r]["file"]))
        m = measures(log, years)
        m.insert(0, "rep", r)
        frames.append(m)
        c = annual_costs(log, scenario, years)
        c.insert(0, "rep", r)
        cost_frames.append(c)
    per_rep = pd.concat(frames, ignore_index=True)
    summary = summarise(per_rep.drop(columns="rep"))
    per_rep.to_csv(partial / "measures.csv", index=False)
    summary.to_csv(partial / "summary.csv", index=False)
    write_costs(pd.concat(cost_frames, ignore_index=True), partial)
    (partial / "scenario.toml").write_text(resolved_toml(scenario), encoding="utf-8")
    manifest = {
        "complete": True,
        "journeysim_version": __version__,
        "git_commit": git_commit(),
        "scenario_name": scenario.name,
        "scenario_files": [Path(f).name for f in scenario.files],
        "overrides": scenario.overrides,
        "scenario_sha256": manifest["scenario_sha256"],
        "seed": seed,
        "replications": reps,
        "replication_seeds": manifest["replication_seeds"],
        "event_logs": [finished[r] for r in range(reps)],
        "resumed_replications": resumed,
        "python": sys.version.split()[0],
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "reproduce": f"journeysim run scenario.toml --reps {reps} --seed {seed}",
    }
    _write_json(partial / "manifest.json", manifest)
    with signals_held():  # an interrupt here would leave the folders half swapped
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(trash)
            partial.rename(out)
            shutil.rmtree(trash)
        else:
            partial.rename(out)
    return per_rep, summary, manifest
