"""How many replications a given precision needs: the replications algorithm of Hoad, Robinson and
Davies (2010), *Automated selection of the number of replications for a discrete-event simulation*,
Journal of the Operational Research Society 61(11).

The confidence-interval method: after n replications the relative precision of a measure is

    d(n) = t(0.975, n - 1) x s(n) / sqrt(n) / |mean(n)|

(the 95% half-width as a share of the mean).  The first n with d(n) at or below the target is
only a candidate, because d(n) can dip below it by chance early on.  The algorithm *looks ahead*:
it accepts the candidate only if d stays at or below the target for the next
``look_ahead(n)`` replications (``k_limit`` up to 100 replications, ``k_limit x n / 100``
beyond), and otherwise waits for the next n that meets the target.  With several measures the
answer is the largest of their answers.

:func:`replications_needed` applies the rule to a sequence of values already run;
:func:`run_until_precise` runs replications in batches through the runner until every chosen
measure is answered (or a maximum is reached).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import runner
from .compare import costs_as_measures
from .costs import annual_costs
from .executors import Executor, LocalExecutor
from .projections import measures
from .scenario import Scenario, reported_years
from .stats import t95


def look_ahead(n: int, k_limit: int) -> int:
    """Replications that must confirm a candidate n: ``k_limit`` up to n = 100, then ``floor(k_limit x n / 100)``."""
    return k_limit if n <= 100 else math.floor(k_limit * n / 100)


def relative_precision(values: np.ndarray) -> float:
    """d(n) for the values so far: 95% half-width / |mean|; 0 if they are all equal, inf if the mean is 0."""
    n = len(values)
    if n < 2:
        return math.inf
    half = t95(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)
    if half == 0:
        return 0.0
    mean = abs(float(np.mean(values)))
    return half / mean if mean > 0 else math.inf


@dataclass
class Answer:
    """The algorithm's verdict on one measure: ``n`` (None while undecided) and d(n) for every n run."""

    n: int | None
    precision: list[float] = field(default_factory=list)


def replications_needed(values, target: float, k_limit: int = 5, initial: int = 3) -> Answer:
    """Apply the replications algorithm to ``values`` (one per replication, in order).

    ``n`` is the smallest candidate with d <= ``target`` that stayed so for its look-ahead
    within the values given; None if the values do not settle it yet.
    """
    values = np.asarray(values, dtype=float)
    d = [relative_precision(values[:n]) for n in range(1, len(values) + 1)]
    candidate = None
    for n in range(initial, len(values) + 1):
        if d[n - 1] <= target:
            candidate = candidate or n
        else:
            candidate = None
        if candidate is not None and n >= candidate + look_ahead(candidate, k_limit):
            return Answer(candidate, d)
    return Answer(None, d)


@dataclass
class Guidance:
    """The replications needed for each chosen measure and year, and the values they were judged on."""

    target: float
    k_limit: int
    values: pd.DataFrame  # rep, measure, year, value
    answers: dict[tuple[str, str], Answer]

    @property
    def needed(self) -> int | None:
        """The largest answer over the measures, or None if any is undecided."""
        ns = [a.n for a in self.answers.values()]
        return None if any(n is None for n in ns) else max(ns)

    def table(self) -> pd.DataFrame:
        """Per measure and year: replications needed, mean, and the relative precision after all replications run."""
        rows = []
        for (measure, year), a in self.answers.items():
            v = self.values[(self.values["measure"] == measure) & (self.values["year"] == year)]["value"]
            rows.append({"measure": measure, "year": year, "replications_needed": a.n, "mean": v.mean(),
                         "relative_precision": a.precision[-1] if a.precision else math.nan, "replications_run": len(v)})
        return pd.DataFrame(rows)


def _judge(values: pd.DataFrame, chosen: list[tuple[str, str]], target: float, k_limit: int) -> dict:
    answers = {}
    for measure, year in chosen:
        v = values[(values["measure"] == measure) & (values["year"] == year)].sort_values("rep")["value"]
        answers[(measure, year)] = replications_needed(v.dropna().to_numpy(), target, k_limit)
    return answers


def run_until_precise(scenario: Scenario, chosen: list[tuple[str, str]], target: float, seed: int = 1,
                      k_limit: int = 5, max_reps: int = 100, workers: int | None = None, progress=None,
                      executor: Executor | None = None) -> Guidance:
    """Run replications of ``scenario`` (seed ``seed``, as ``journeysim run`` would) in batches until the
    replications algorithm answers every (measure, year) in ``chosen``, or ``max_reps`` have run.

    Replication logs are written to a temporary folder and removed; only their measures are kept.  The
    replications run with ``executor`` (default: ``workers`` local processes), in batches of at least as
    many as it runs at once.  With a Dask cluster on other machines the temporary folder must be on a
    filesystem they share (set TMPDIR)."""
    executor = executor or LocalExecutor(max(1, workers or 1))
    workers = executor.workers
    years = reported_years(scenario)
    frames: list[pd.DataFrame] = []
    done = 0
    folder = Path(tempfile.mkdtemp(prefix="journeysim-reps-"))
    try:
        while True:
            values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["rep", "measure", "year", "value"])
            answers = _judge(values, chosen, target, k_limit)
            if done >= max_reps or (done and all(a.n is not None for a in answers.values())):
                return Guidance(target, k_limit, values, answers)
            batch = min(max_reps - done, max(workers, 3 - done))
            todo = list(range(done, done + batch))
            for r in runner.run_replications(scenario, seed, done + batch, folder, progress=progress, todo=todo,
                                             executor=executor):
                m = measures(r.path, years)
                c = costs_as_measures(annual_costs(r.path, scenario, years).assign(rep=r.rep))
                frames.append(pd.concat([m.assign(rep=r.rep), c], ignore_index=True))
                Path(r.path).unlink()
            done += batch
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------ too few for a comparison
#: The measures a comparison's replications are judged on (those ``journeysim reps`` judges by default).
JUDGED = ["cp_plans_started", "cla_starts", "re_referral_12m_pct"]


def projected_needed(values, target: float, limit: int = 100_000) -> int | None:
    """The smallest n at which d(n) would be at or below ``target`` if the values' mean and standard deviation
    held: the confidence-interval method's projection from the replications run (None beyond ``limit``,
    or when the mean is 0)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return None
    sd, mean = float(np.std(values, ddof=1)), abs(float(np.mean(values)))
    if sd == 0:
        return max(3, len(values))
    if mean == 0:
        return None
    n = 3
    while n <= limit:
        if t95(n - 1) * sd / math.sqrt(n) / mean <= target:
            return n
        n = n + 1 if n < 1000 else int(n * 1.05)
    return None


@dataclass
class Shortfall:
    """Replications too few for a comparison's intervals: how many ran, and about how many are needed."""

    reps: int
    needed: int | None  # None: more than any projection gives
    target: float
    worst: tuple[str, str, str]  # (arm, measure, year) farthest from the target

    def text(self, reps_arguments: str | None = None) -> str:
        """The warning; ``reps_arguments`` (B's scenario file and its --set options) complete the journeysim reps
        command it gives."""
        arm, measure, year = self.worst
        how = (f"about {self.needed}" if self.needed is not None else "far more") + " would be needed"
        find = (f"'journeysim reps {reps_arguments}' finds how many (the replications method with its look-ahead)"
                if reps_arguments else "the replications method of 'journeysim reps' finds how many")
        return (f"warning: {self.reps} paired replication{'s' * (self.reps != 1)} are too few for these intervals to "
                f"mean anything: for a 95% interval within {self.target:.0%} of the mean of each of "
                f"{', '.join(JUDGED)} (Hoad, Robinson and Davies 2010), {how} ({measure} {year} in {arm} is the "
                f"farthest); {find}, then compare with --reps at least that. Until then read every difference "
                f"as unsettled, however 'clear' it looks.")


def comparison_shortfall(per_rep_a: pd.DataFrame, per_rep_b: pd.DataFrame, names: tuple[str, str],
                         target: float = 0.05, years: list[str] | None = None) -> Shortfall | None:
    """A :class:`Shortfall` when a comparison's replications are too few: fewer than 3 (the replications
    method judges from 3), or d(n) of one of :data:`JUDGED` in either arm above ``target``; else None."""
    worst, worst_d, needed = None, -1.0, 0
    reps = int(min(per_rep_a["rep"].nunique(), per_rep_b["rep"].nunique()))
    for arm, per_rep in zip(names, (per_rep_a, per_rep_b)):
        for (measure, year), group in per_rep[per_rep["measure"].isin(JUDGED)].groupby(["measure", "year"], sort=False):
            if years is not None and year not in years:
                continue
            values = group.sort_values("rep")["value"].dropna().to_numpy()
            d = relative_precision(values)
            if d > worst_d:
                worst, worst_d = (arm, measure, year), d
            n = projected_needed(values, target)
            needed = None if n is None or needed is None else max(needed, n)
    if worst is None or (reps >= 3 and worst_d <= target):
        return None
    return Shortfall(reps, needed if needed is None else max(needed, 3, reps + 1), target, worst)
