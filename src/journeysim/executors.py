"""Where jobs run: an :class:`Executor`.

The replications of a run (and calibration's runs) go to :class:`LocalExecutor` (this
process, or a pool of worker processes) or :class:`DaskExecutor` (a Dask cluster: an
existing scheduler, or a LocalCluster started for the command); :func:`open_executor`
gives the one the command line asks for.  Each replication's log is written by the
worker that runs it, so a results folder is byte for byte the same whichever executor
ran it.  A Dask cluster's workers must run the same journeysim: :func:`source_digest`
tells.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import hashlib
import logging
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import __version__
from .eventlog import cores_available
from .interrupts import RunError, WorkerLost, sigint_ignored, worker_signals

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
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), initializer=worker_signals,
                                   initargs=(os.getpid(),), mp_context=_worker_context())
        futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
        reported: set[int] = set()
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    raise WorkerLost(sorted(set(futures.values()) - reported)) from None
                reported.add(i)
                done(i, result)
        except BaseException as exc:
            for fut, i in futures.items():
                if i not in reported and fut.done() and not fut.cancelled() and fut.exception() is None:
                    reported.add(i)
                    done(i, fut.result())
            if isinstance(exc, WorkerLost):
                exc.jobs = sorted(set(futures.values()) - reported)
            _stop(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@functools.cache
def _worker_context():
    """Where worker processes come from: forked from a server process that imported journeysim but never
    ran a query (multiprocessing's "forkserver"), not from this process.  A process forked from one
    that has run a Polars query (the projections) would find Polars' thread pool without its threads,
    and wait on it for ever; the server forks workers as cheaply as this process would."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["journeysim.runner", "journeysim.calibrate"])
    return context


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
                with sigint_ignored(), dask_config().set({"distributed.worker.profile.enabled": False,
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
