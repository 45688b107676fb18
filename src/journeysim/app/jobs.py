"""Runs and comparisons started from the page, in the background, with their progress.

A :class:`Job` runs in a thread of the app's server so that the page stays live while the
replications run on the existing executors (this machine's worker processes); the page reads
``done`` / ``total`` for its progress bar.  Every job writes a new results folder under the app's
results folder (never one that exists) and says how to reproduce it from the command line.

A *preview* is the same scenario at a reduced ``run.scale`` (counts are that share of the
county's) with few replications, for a quick look in a meeting; a *full* run is the scenario as
built.  Both are checked against :mod:`journeysim.app.limits` before they start.
"""

from __future__ import annotations

import shlex
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .. import compare as cmp_mod
from .. import runner, spreadsheet
from ..calendar import fy_label
from ..executors import LocalExecutor
from ..interrupts import RunError
from ..measure_rows import OFFICIAL_ROWS, SUMMARY_ROWS
from ..replications import JUDGED, comparison_shortfall, run_until_precise
from ..scenario import ScenarioError, reported_years
from . import limits
from .draft import Draft

#: run.scale of a preview.
PREVIEW_SCALE = 0.1
#: Replications of a preview.
PREVIEW_REPS = 2


@dataclass(frozen=True)
class Size:
    """How big a run is: replications, and the run.scale put over the scenario's (None: the scenario's own)."""

    reps: int
    scale: float | None = None

    @property
    def preview(self) -> bool:
        return self.scale is not None

    def label(self) -> str:
        return (f"PREVIEW at {self.scale:g} of the county's size, {self.reps} replications: counts are about "
                f"{self.scale:g} times a full run's" if self.preview else f"full run, {self.reps} replications")

    def applied(self, draft: Draft) -> Draft:
        return draft.with_values({"run.scale": self.scale}) if self.preview else draft

    def cli_options(self, seed: int) -> str:
        return (f"--reps {self.reps} --seed {seed}" + (f" --set run.scale={self.scale:g}" if self.preview else ""))


@dataclass
class Job:
    """A run (or comparison) under way or finished: its progress, its folder, and its error if it failed."""

    label: str
    out: Path | None  # the results folder (None: a job that keeps none)
    total: int
    command: str
    result: object = None  # what the job returns, for a job that keeps no folder
    preview: bool = False  # at a preview's reduced scale
    done: int = 0
    error: str | None = None
    finished: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)

    def advance(self, *_args) -> None:
        """The replication callback of the runner: one more replication done."""
        self.done += 1

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def wait(self, timeout: float | None = None) -> "Job":
        if self.thread is not None:
            self.thread.join(timeout)
        return self

    def _start(self, work) -> "Job":
        with _LOCK:
            running = [job for job in _JOBS if not job.finished]
            if len(running) >= limits.MAX_RUNNING:
                raise limits.LimitError(f"{len(running)} runs are under way on this machine (the app runs at most "
                                        f"{limits.MAX_RUNNING} at once, each on every core): wait for one to finish")
            _JOBS[:] = [*running, self]
        def body() -> None:
            try:
                work()
            except (RunError, ScenarioError, OSError) as exc:
                self.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - shown on the page, not lost in a server log
                self.error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            finally:
                self.finished = True

        self.thread = threading.Thread(target=body, name=f"journeysim-app {self.label}", daemon=True)
        self.thread.start()
        return self


#: The jobs under way (or just finished) in this server, over every page it serves.
_JOBS: list[Job] = []
_LOCK = threading.Lock()


def new_folder(root: Path, stem: str) -> Path:
    """A folder name under ``root`` that does not exist yet and that no job under way writes: ``stem-1``,
    ``stem-2``, ..."""
    with _LOCK:
        taken = {job.out for job in _JOBS if job.out is not None}
    n = 1
    while (Path(root) / f"{stem}-{n}") in taken or (Path(root) / f"{stem}-{n}").exists() \
            or (Path(root) / f"{stem}-{n}.incomplete").exists():
        n += 1
    return Path(root) / f"{stem}-{n}"


def start_run(draft: Draft, size: Size, root: Path, seed: int = 1, workers: int | None = None,
              filename: str = "SCENARIO.toml") -> Job:
    """Check and start a run of ``draft`` at ``size`` into a new folder under ``root`` (LimitError or
    ScenarioError before anything starts)."""
    scenario = size.applied(draft).load()
    limits.check(scenario, size.reps)
    out = new_folder(root, f"{scenario.name}-{'preview' if size.preview else 'full'}")
    command = f"journeysim run {shlex.quote(filename)} {size.cli_options(seed)}"
    job = Job(f"{scenario.name}: {size.label()}", out, size.reps, command, preview=size.preview)
    executor = LocalExecutor(workers or min(size.reps, limits.cores()))
    return job._start(lambda: runner.run(scenario, out, size.reps, seed, progress=job.advance, executor=executor))


def start_comparison(a: Draft, b: Draft, size: Size, root: Path, seed: int = 1, workers: int | None = None,
                     filenames: tuple[str, str] = ("A.toml", "B.toml")) -> Job:
    """Check and start a paired comparison (common random numbers) of ``a`` and ``b`` at ``size``."""
    sa, sb = (size.applied(d).load() for d in (a, b))
    for scenario in (sa, sb):
        limits.check(scenario, size.reps)
    if sa.name == sb.name:
        raise ScenarioError(f"both scenarios are named '{sa.name}': give the changed one its own name, so that "
                            f"the comparison says which is which")
    out = new_folder(root, f"compare-{sa.name}-vs-{sb.name}")
    command = (f"journeysim compare {shlex.quote(filenames[0])} {shlex.quote(filenames[1])} "
               f"{size.cli_options(seed)} --statement")
    job = Job(f"{sb.name} against {sa.name}: {size.label()}", out, 2 * size.reps, command, preview=size.preview)
    executor = LocalExecutor(workers or min(size.reps, limits.cores()))

    def work() -> None:
        result = cmp_mod.run_comparison(sa, sb, out, size.reps, seed, progress=job.advance, executor=executor)
        finish_comparison(result, out, f"{shlex.quote(filenames[1])}"
                                       + (f" --set run.scale={size.scale:g}" if size.preview else ""))

    return job._start(work)


def finish_comparison(result: cmp_mod.Comparison, out: Path, reps_arguments: str) -> None:
    """What ``journeysim compare`` writes besides comparison.csv: the statement (after the warning that the
    replications are too few, when they are), comparison.png and summary.xlsx."""
    words = cmp_mod.statement(result, OFFICIAL_ROWS)
    short = comparison_shortfall(result.per_rep_a, result.per_rep_b, (result.name_a, result.name_b))
    warned = [short.text(reps_arguments)] if short is not None else []
    (out / "statement.txt").write_text("\n".join([*warned, *words]) + "\n", encoding="utf-8")
    cmp_mod.figure(result, out / "comparison.png", {m: label for m, label, _ in SUMMARY_ROWS})
    spreadsheet.write_comparison_summary(out, result, words, warned)


def start_replications_check(draft: Draft, size: Size, seed: int = 1, workers: int | None = None,
                             filename: str = "SCENARIO.toml", max_reps: int = limits.MAX_REPS,
                             target: float = 0.05) -> Job:
    """Start the replications method of ``journeysim reps`` (Hoad, Robinson and Davies 2010) on ``draft`` at
    ``size``'s scale: replications until the 95% interval of each measure :data:`JUDGED` in every year is within
    ``target`` of its mean (and stays so for the look-ahead), or ``max_reps`` have run.  Its result is the
    :class:`journeysim.replications.Guidance`."""
    scenario = size.applied(draft).load()
    limits.check(scenario, max_reps)
    years = [fy_label(y) for y in reported_years(scenario)]
    chosen = [(m, y) for m in JUDGED for y in years]
    command = (f"journeysim reps {shlex.quote(filename)} --precision {target:g} --max-reps {max_reps} --seed {seed}"
               + (f" --set run.scale={size.scale:g}" if size.preview else "")
               + "".join(f" --measure {m}" for m in JUDGED))
    job = Job(f"replications needed for {scenario.name} ({size.label()})", None, max_reps, command)
    executor = LocalExecutor(workers or limits.cores())

    def work() -> None:
        job.result = run_until_precise(scenario, chosen, target, seed, max_reps=max_reps, progress=job.advance,
                                       executor=executor)

    return job._start(work)
