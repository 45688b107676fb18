"""Progress bars for long commands, on standard error and only when it is a terminal.

Every long command (replications, comparisons, sweeps, calibration) shows its
progress the same way::

    with progress_bar(total=reps, desc="replications", unit="rep") as bar:
        for result in work():
            bar.update(1)

When standard error is not a terminal (a pipe, a log file, CI) the bar is silent,
so redirected output stays clean.  ``replication_progress`` adapts a bar to the
``progress(result, done, total)`` callback that :func:`journeysim.runner.run` takes.

Commands that run several batches (``compare``'s two scenarios, ``sweep``'s points,
``reps``' replications, ``calibrate``'s waves) give each batch its own labelled bar:
:func:`stage_progress` for a batch of replications, :class:`BatchProgress` for the
``progress(done, total, label)`` callback of :func:`journeysim.runner.run_jobs`.  Off a
terminal each batch prints one line when it ends, saying what it was and how long it took.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from tqdm import tqdm


def stderr_is_terminal() -> bool:
    """True when standard error is an interactive terminal."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None)) and stream.isatty()


@contextmanager
def progress_bar(total: int | None, desc: str, unit: str = "it", enabled: bool | None = None) -> Iterator[tqdm]:
    """A tqdm bar on standard error; disabled (silent) unless ``enabled`` or stderr is a terminal."""
    show = stderr_is_terminal() if enabled is None else enabled
    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show, dynamic_ncols=True,
               leave=True)
    try:
        yield bar
    finally:
        bar.close()


def replication_progress(bar: tqdm) -> Callable:
    """A ``progress(result, done, total)`` callback that advances ``bar`` by one replication per call
    and shows the events of the latest one."""

    def advance(result, done: int, total: int) -> None:
        bar.total = total
        bar.set_postfix_str(f"rep {result.rep + 1}: {result.events:,} events", refresh=False)
        bar.update(done - bar.n)

    return advance


def _line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def stage_progress(desc: str, total: int | None = None, unit: str = "rep",
                   noun: str = "replication(s)") -> Iterator[Callable]:
    """A ``progress(result, done, total)`` callback for one labelled batch of replications (a scenario
    of a comparison, a point of a sweep): on a terminal a bar labelled ``desc`` (``total`` None: a
    count), advanced by one per call; otherwise nothing until the batch ends, then one line,
    ``  desc: N replication(s) in T s`` (no line when the batch is interrupted)."""
    terminal = stderr_is_terminal()
    t0, count = time.perf_counter(), 0
    with progress_bar(total, desc, unit, enabled=terminal) as bar:
        def advance(result, done: int, total: int) -> None:
            nonlocal count
            count += 1
            bar.set_postfix_str(f"rep {result.rep + 1}: {result.events:,} events", refresh=False)
            bar.update(1)

        yield advance
    if not terminal:
        _line(f"  {desc}: {count} {noun} in {time.perf_counter() - t0:.1f}s")


class BatchProgress:
    """The ``progress(done, total, label)`` callback of :func:`journeysim.runner.run_jobs` for a command
    that runs several batches: on a terminal a bar per batch labelled with ``label``; otherwise one
    line as each batch ends (``  label: N runs in T s``).  :meth:`close` closes a bar left open by an
    interrupted batch."""

    def __init__(self, unit: str = "run") -> None:
        self.unit = unit
        self.terminal = stderr_is_terminal()
        self.bar: tqdm | None = None
        self.label: str | None = None
        self.t0 = time.perf_counter()

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None or label != self.label or done <= self.bar.n:  # a new batch
            self.close()
            self.label = label
            self.bar = tqdm(total=total, desc=label, unit=self.unit, file=sys.stderr, disable=not self.terminal,
                            dynamic_ncols=True, leave=True)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.close()
            if not self.terminal:
                _line(f"  {label}: {total} {self.unit}s in {time.perf_counter() - self.t0:.1f}s")
            self.t0 = time.perf_counter()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "BatchProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
