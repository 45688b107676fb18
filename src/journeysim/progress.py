"""Progress bars for long commands, on standard error and only when it is a terminal.

Every long command (replications, comparisons, sweeps, calibration) shows its
progress the same way::

    with progress_bar(total=reps, desc="replications", unit="rep") as bar:
        for result in work():
            bar.update(1)

When standard error is not a terminal (a pipe, a log file, CI) the bar is silent,
so redirected output stays clean.  ``replication_progress`` adapts a bar to the
``progress(result, done, total)`` callback that :func:`journeysim.runner.run` takes.
"""

from __future__ import annotations

import sys
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
