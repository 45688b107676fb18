"""How a run stops short: :class:`RunError` (a run that cannot start or finish) and
:class:`RunInterrupted` (Ctrl-C or SIGTERM), and the signal handling around them.

``journeysim`` commands turn SIGTERM into an interrupt like Ctrl-C
(:func:`sigterm_interrupts`); what must never be left half done (a manifest written,
a finished folder renamed into place) holds both signals until it is done
(:func:`signals_held`); worker processes leave Ctrl-C to the main process
(:func:`sigint_ignored`, :func:`worker_signals`) and die with it (:func:`die_with`);
a worker the system killed is :class:`WorkerLost`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time


class RunError(Exception):
    """A run that cannot start or finish (the message says why)."""


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


@contextlib.contextmanager
def sigint_ignored():
    """Ignore SIGINT in the block (processes started in it inherit that), in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class WorkerLost(RunError):
    """A worker process that ended without finishing its job (killed by the system: out of memory,
    say); ``jobs`` are the indices of the jobs abandoned with it."""

    def __init__(self, jobs: list[int]) -> None:
        super().__init__("a worker process ended abruptly (killed by the system, perhaps for want of memory)")
        self.jobs = jobs


#: Seconds between a worker's looks at whether the main process is still there.
PARENT_POLL_SECONDS = 1.0


def worker_signals(main_pid: int | None = None) -> None:
    """Worker processes leave Ctrl-C to the main process, end at once when it stops them (a SIGTERM
    handler inherited from the main process would not end them), and die with it: a main process
    killed outright (``kill -9``) cannot stop them, and they would otherwise run on and write logs
    that no manifest lists (:func:`die_with`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if main_pid is not None:
        die_with(main_pid)


def die_with(main_pid: int) -> None:
    """End this process when process ``main_pid`` ends: at once on Linux, where the kernel sends
    SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG; the parent of a worker is the fork
    server, which ends with the main process), and within :data:`PARENT_POLL_SECONDS` anywhere,
    from a thread that looks for the main process."""
    _parent_death_signal()

    def watch() -> None:
        while _alive(main_pid):
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="journeysim-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user took the number: ours is gone
        return False
    return True


def _parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (nothing elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass  # the watching thread still ends the worker
