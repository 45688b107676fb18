"""Paired comparisons of two scenarios on common random numbers, and counterfactual statements.

Two scenarios run with the same seed get the same replication seeds, and inside each
replication every part of the model draws from its own named stream (:mod:`journeysim.rng`),
so replication *r* of scenario A and replication *r* of scenario B see the same families
arriving on the same days.  The effect of B against A is then estimated from the
per-replication differences B - A, whose spread is much smaller than that of either
scenario alone: a paired t interval on the differences.

:func:`paired_differences` is the statistic; :func:`run_comparison` runs both scenarios
through :func:`journeysim.runner.run`; the ``format_*`` functions, :func:`statement` and
:func:`figure` present the result.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import draws as parameter_draws
from . import runner, tables
from .costs import COMPONENTS, LABELS as COST_LABELS, with_total
from .executors import Executor
from .interrupts import RunError
from .results.dictionary import places_off_zero, rounded_summary
from .ownership import check_folder
from .scenario import Scenario
from .stats import summarise, t95

#: The columns of :func:`paired_differences`.
COLUMNS = ["measure", "year", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "pct_change", "includes_zero", "n"]

#: Cost components appear among the measures as ``cost_<component>`` (GBP).
COST_PREFIX = "cost_"

#: Settings the two runs of a paired comparison must share.  Replication k of each uses the same random
#: numbers only if both simulate the same population (run.scale) over the same days (run.start less
#: run.warmup_days, to run.end); otherwise the "differences" mix the change with a different county or period.
PAIRED_SETTINGS = ("run.scale", "run.start", "run.end", "run.warmup_days")


def unpaired_settings(a: Scenario, b: Scenario, name_a: str = "A", name_b: str = "B") -> str:
    """The :data:`PAIRED_SETTINGS` on which ``a`` and ``b`` differ, in words ("run.scale is 0.05 in A,
    0.1 in B; ..."); empty when they agree and the two can be paired."""
    return "; ".join(f"{key} is {a[key]} in {name_a}, {b[key]} in {name_b}" for key in PAIRED_SETTINGS if a[key] != b[key])


def unpaired_draws(a: Scenario, b: Scenario, name_a: str = "A", name_b: str = "B") -> str:
    """How the parameter draws (``run.parameter_draws``) of ``a`` and ``b`` differ, in words; empty when
    both draw none or both draw from the same draws (the same file contents), so that replication k of
    each runs at the same parameters."""
    da, db = parameter_draws.read(a), parameter_draws.read(b)
    if (da.sha256 if da is not None else None) == (db.sha256 if db is not None else None):
        return ""

    def said(d) -> str:
        return f"drawn from {d.shown}" if d is not None else "not drawn"

    return f"the parameters are {said(da)} in {name_a}, {said(db)} in {name_b} ({parameter_draws.KEY})"


def paired_differences(per_rep_a: pd.DataFrame, per_rep_b: pd.DataFrame) -> pd.DataFrame:
    """Per (measure, year): the means of A and B, the paired difference B - A with its 95% t interval.

    Both tables have the ``measures.csv`` layout (``rep``, ``measure``, ``year``, ``value``);
    replications are paired on ``rep``, and a pair with a missing value on either side is
    left out.  Columns: ``measure``, ``year``, ``mean_a``, ``mean_b``, ``diff`` (mean of
    B - A), ``ci_low``, ``ci_high``, ``pct_change`` (100 x diff / mean_a; NaN if mean_a is
    0), ``includes_zero`` (True also when there are too few pairs for an interval), ``n``.
    """
    keys = ["rep", "measure", "year"]
    pairs = per_rep_a[[*keys, "value"]].merge(per_rep_b[[*keys, "value"]], on=keys, suffixes=("_a", "_b"))
    pairs = pairs.dropna(subset=["value_a", "value_b"])
    pairs["d"] = pairs["value_b"] - pairs["value_a"]
    g = pairs.groupby(["measure", "year"], sort=False)
    out = g.agg(mean_a=("value_a", "mean"), mean_b=("value_b", "mean"), diff=("d", "mean"), sd=("d", "std"),
                n=("d", "count")).reset_index()
    half = np.array([t95(n - 1) * sd / math.sqrt(n) if n > 1 else np.nan for n, sd in zip(out["n"], out["sd"])])
    out["ci_low"] = out["diff"] - half
    out["ci_high"] = out["diff"] + half
    out["pct_change"] = 100.0 * out["diff"] / out["mean_a"].replace(0, np.nan)
    out["includes_zero"] = ~((out["ci_low"] > 0) | (out["ci_high"] < 0))
    return out[COLUMNS]


def costs_as_measures(costs: pd.DataFrame) -> pd.DataFrame:
    """A ``costs.csv`` table in the ``measures.csv`` layout, components (and their total) named ``cost_<component>``."""
    costs = with_total(costs)
    return costs.assign(measure=COST_PREFIX + costs["component"])[["rep", "measure", "year", "value"]]


def arm_intervals(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's own mean and 95% interval per (measure, year): ``mean``, ``low``, ``high``."""
    s = summarise(per_rep.drop(columns="rep"))
    half = pd.Series([t95(n - 1) * sd / math.sqrt(n) if n > 1 else np.nan for n, sd in zip(s["n"], s["sd"])])
    return s.assign(low=s["mean"] - half, high=s["mean"] + half).set_index(["measure", "year"])[["mean", "low", "high"]]


@dataclass
class Comparison:
    """Two scenarios' per-replication results (measures and costs) and their paired differences."""

    name_a: str
    name_b: str
    years: list[str]
    per_rep_a: pd.DataFrame
    per_rep_b: pd.DataFrame
    diffs: pd.DataFrame
    reps: int
    seed: int


def stage_of(stage, progress, label: str, total: int):
    """The progress callback of one labelled batch: ``stage(label, total)`` when given, else ``progress``."""
    return stage(label, total) if stage is not None else contextlib.nullcontext(progress)


def _results(folder: Path) -> pd.DataFrame:
    measures = pd.read_csv(folder / "measures.csv")
    return pd.concat([measures, costs_as_measures(pd.read_csv(folder / "costs.csv"))], ignore_index=True)


def run_comparison(a: Scenario, b: Scenario, out: Path, reps: int, seed: int, workers: int | None = None,
                   force: bool = False, progress=None, executor: Executor | None = None,
                   stage=None) -> Comparison:
    """Run A and B with the same seed (common random numbers) into ``out/a-<name>`` and ``out/b-<name>``
    (with ``executor``, default ``workers`` local processes), write ``comparison.csv`` and return the comparison.

    Progress: ``progress(result, done, total)`` for every replication, or ``stage(label, reps)``, a
    context manager giving that callback for each scenario's replications (label "<name> (A)" or
    "<name> (B)"), as :func:`journeysim.progress.stage_progress` does.  A and B must share
    :data:`PAIRED_SETTINGS` (:class:`journeysim.interrupts.RunError` otherwise)."""
    out = Path(out)
    differ = unpaired_settings(a, b)
    if differ:
        raise RunError(f"A ({a.name}) and B ({b.name}) cannot be paired: {differ}; differences between runs of "
                              f"another size or period are not the effect of a change: give both the same "
                              f"{', '.join(PAIRED_SETTINGS)} (with --set rather than --set-a or --set-b)")
    draws = unpaired_draws(a, b)
    if draws:
        raise RunError(f"A ({a.name}) and B ({b.name}) cannot be paired: {draws}; replication k of each must run at "
                       f"the same parameters for the difference to be the effect of the change: give both the same "
                       f"{parameter_draws.KEY} (with --set rather than --set-a or --set-b)")
    if out.exists() and not force:
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    if out.exists():  # --force: only a folder of journeysim's own runs and tables is written over
        check_folder(out)
    folders = [out / f"a-{a.name}", out / f"b-{b.name}"]
    for scenario, folder, arm in zip((a, b), folders, "AB"):
        with stage_of(stage, progress, f"{scenario.name} ({arm})", reps) as callback:
            runner.run(scenario, folder, reps, seed, workers, force=True, progress=callback, executor=executor)
    per_a, per_b = (_results(f) for f in folders)
    diffs = paired_differences(per_a, per_b)
    rounded_summary(diffs).to_csv(out / "comparison.csv", index=False)
    years = [y for y in per_a["year"].drop_duplicates() if y in set(per_b["year"])]
    return Comparison(a.name, b.name, years, per_a, per_b, diffs, reps, seed)


# ------------------------------------------------------------------------------------------ presentation
def _num(value: float, dec: int, sign: bool = False) -> str:
    """A number with thousands separators; "-" for NaN; no "-0" for a value that rounds to zero."""
    if pd.isna(value):
        return "-"
    if round(value, dec) == 0:
        return f"{0.0:,.{dec}f}"
    return f"{value:{'+' if sign else ''},.{dec}f}"


def _bound(value: float, dec: int, sign: bool = False) -> str:
    """A difference or an interval's bound as :func:`_num` writes it, with as many more decimals (up to 6)
    as it takes for a value that is not zero not to show as 0: an interval that excludes zero never
    looks as if it starts or ends there, nor a clear difference as if it were none."""
    return _num(value, places_off_zero(value, dec), sign)


def _interval(low: float, high: float, dec: int) -> str:
    return f"[{_bound(low, dec)}, {_bound(high, dec)}]"


def _rows_with_costs(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The given (measure, label, decimals) rows followed by the cost components (in GBP million)."""
    return [*rows, *[(COST_PREFIX + c, f"Cost (GBP m): {COST_LABELS[c].strip()}", 2) for c in COMPONENTS]]


def _full_labels(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Rows with an indented label ("  returned home") named with their parent ("CLA ceased: returned home")."""
    out, parent = [], ""
    for measure, label, dec in rows:
        if label.startswith(" "):
            label = f"{parent}: {label.strip()}"
        else:
            parent = label
        out.append((measure, label, dec))
    return out


def _scale(measure: str) -> float:
    return 1e6 if measure.startswith(COST_PREFIX) else 1.0


def format_table(cmp: Comparison, rows: list[tuple[str, str, int]], years: list[str] | None = None) -> str:
    """The comparison as a table: each measure and year with both means, the paired difference
    [95% interval], the % change, and a flag where the interval includes zero; each column as wide as
    its widest cell, so that none runs into the next however wide the intervals."""
    years = years or cmp.years
    d = cmp.diffs.set_index(["measure", "year"])
    body = []
    for measure, label, dec in _rows_with_costs(rows):
        for y in years:
            if (measure, y) not in d.index:
                continue
            r = d.loc[(measure, y)]
            k = _scale(measure)
            diff = f"{_bound(r['diff'] / k, dec)} {_interval(r['ci_low'] / k, r['ci_high'] / k, dec)}"
            change = "-" if pd.isna(r["pct_change"]) else f"{r['pct_change']:+.1f}%"
            flag = "includes 0" if r["includes_zero"] and r["n"] > 1 else ""
            body.append([label, y, _num(r["mean_a"] / k, dec), _num(r["mean_b"] / k, dec), diff, change, flag])
    return tables.columns(["", "year", cmp.name_a, cmp.name_b, "difference [95% CI]", "change", ""], body,
                          left=(0, 4, 6))


def statement(cmp: Comparison, rows: list[tuple[str, str, int]], years: list[str] | None = None) -> list[str]:
    """The effect of B against A in words and numbers, one sentence per measure and year.

    B is the scenario "with the change" (the factual), A the one "without" (the
    counterfactual); every figure is a mean over paired replications with its 95% interval.
    """
    years = years or cmp.years
    d = cmp.diffs.set_index(["measure", "year"])
    arm_a, arm_b = arm_intervals(cmp.per_rep_a), arm_intervals(cmp.per_rep_b)
    lines = [f"Estimated effect of '{cmp.name_b}' (with the change) against '{cmp.name_a}' (without it): "
             f"means over {cmp.reps} paired replications (seed {cmp.seed}, common random numbers) "
             f"with 95% intervals."]
    for measure, label, dec in _full_labels(_rows_with_costs(rows)):
        for y in years:
            if (measure, y) not in d.index or (measure, y) not in arm_b.index:
                continue
            lines.append(_sentence(label, y, measure, dec, d.loc[(measure, y)], arm_b.loc[(measure, y)],
                                   arm_a.loc[(measure, y)]))
    return lines


def _sentence(label: str, year: str, measure: str, dec: int, r, with_, without) -> str:
    k = _scale(measure)
    points = measure.endswith("_pct")

    def est(row) -> str:
        return f"{_num(row['mean'] / k, dec)} {_interval(row['low'] / k, row['high'] / k, dec)}"

    diff = f"{_bound(r['diff'] / k, dec, sign=True)} {_interval(r['ci_low'] / k, r['ci_high'] / k, dec)}"
    unit = " points" if points else ""
    change = "" if pd.isna(r["pct_change"]) else f" ({r['pct_change']:+.1f}%{' relative' if points else ''})"
    verdict = ("; the interval includes zero: no clear effect" if r["includes_zero"]
               else f"; a clear {'rise' if r['diff'] > 0 else 'fall'}")
    return f"{label} {year}: {est(with_)} with the change, {est(without)} without: difference {diff}{unit}{change}{verdict}."


#: Measures drawn by :func:`figure` unless others are asked for.
FIGURE_MEASURES = ["referrals", "re_referral_12m_pct", "cp_plans_started", "cla_starts", "cla_at_31_march",
                   "sw_caseload_children_mean", "social_workers_per_journey_pct_1", "cost_total"]


def figure(cmp: Comparison, path: Path, labels: dict[str, str], measures: list[str] | None = None) -> Path:
    """Small multiples of the paired difference B - A by year, with 95% intervals and a zero line."""
    import matplotlib.pyplot as plt

    fig = difference_figure(cmp, labels, measures)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def comparison_of(per_rep_a: pd.DataFrame, per_rep_b: pd.DataFrame, name_a: str, name_b: str, seed: int) -> Comparison:
    """A :class:`Comparison` of two runs already made (measures and costs in the ``measures.csv`` layout)."""
    years = [y for y in per_rep_a["year"].drop_duplicates() if y in set(per_rep_b["year"])]
    reps = int(min(per_rep_a["rep"].nunique(), per_rep_b["rep"].nunique()))
    return Comparison(name_a, name_b, years, per_rep_a, per_rep_b, paired_differences(per_rep_a, per_rep_b), reps, seed)


def difference_figure(cmp: Comparison, labels: dict[str, str], measures: list[str] | None = None):
    """The figure of :func:`figure`, not yet saved."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = [m for m in (measures or FIGURE_MEASURES) if m in set(cmp.diffs["measure"])]
    cols = min(4, len(measures))
    rows = math.ceil(len(measures) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False)
    for ax, measure in zip(axes.flat, measures):
        d = cmp.diffs[cmp.diffs["measure"] == measure].set_index("year").reindex(cmp.years)
        k = _scale(measure)
        x = np.arange(len(cmp.years))
        err = np.vstack([(d["diff"] - d["ci_low"]) / k, (d["ci_high"] - d["diff"]) / k])
        colours = ["#888888" if z else "#1f5fa8" for z in d["includes_zero"].fillna(True)]
        ax.axhline(0, color="black", lw=0.8)
        ax.errorbar(x, d["diff"] / k, yerr=err, fmt="none", ecolor="#888888", capsize=3)
        ax.scatter(x, d["diff"] / k, c=colours, zorder=3)
        ax.set_xticks(x, [y[2:] for y in cmp.years], fontsize=7)
        title = labels.get(measure) or f"Cost (GBP m): {COST_LABELS.get(measure[len(COST_PREFIX):], measure).strip()}"
        ax.set_title(title.strip(), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(measures):]:
        ax.set_visible(False)
    fig.suptitle(f"{cmp.name_b} minus {cmp.name_a}: paired difference, 95% interval "
                 f"(grey: includes zero; {cmp.reps} replications)", fontsize=9)
    fig.tight_layout()
    return fig
