"""Sensitivity sweeps: one scenario run at several values of one or two parameters.

``journeysim sweep SCENARIO --vary key=v1,v2,...`` runs the scenario once per value
(or per combination of two keys' values), every point with the same seed, so the
points share their random numbers as the two arms of a comparison do.  With
``one_at_a_time`` each key is varied alone around the scenario's own value, and the
result is drawn as a tornado.  Every point is a complete results folder written by
:func:`journeysim.runner.run`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import runner
from .compare import COST_PREFIX, costs_as_measures, stage_of
from .costs import COMPONENTS
from .executors import Executor
from .interrupts import RunError
from .ownership import check_folder
from .projections import MEASURES
from .scenario import ScenarioError, load, parse_override
from .stats import summarise

#: Every measure a sweep can report: the official measures and the cost components.
SWEEP_MEASURES = [*MEASURES, *[COST_PREFIX + c for c in COMPONENTS]]


@dataclass
class Vary:
    """One parameter and the values (TOML text) to run it at."""

    key: str
    values: list[str]


def split_values(text: str) -> list[str]:
    """Split ``v1,v2,...`` at the commas outside brackets and braces (so lists and tables stay whole)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


def parse_vary(text: str) -> Vary:
    """``key=v1,v2,...`` -> :class:`Vary`; each value is checked as ``--set key=value`` would be."""
    if "=" not in text:
        raise ScenarioError(f"--vary {text}: expected KEY=V1,V2,..., e.g. --vary workforce.hard_cap=0,18,22")
    key, raw = (s.strip() for s in text.split("=", 1))
    values = split_values(raw)
    if not values:
        raise ScenarioError(f"--vary {text}: give at least one value after '='")
    parsed = [parse_override(f"{key}={v}")[1] for v in values]
    for i, value in enumerate(parsed):
        if value in parsed[:i]:  # the same point twice: its runs would be two of one
            raise ScenarioError(f"--vary {text}: {values[i]} is given twice (as {values[parsed.index(value)]}); "
                                f"give each value once")
    return Vary(key, values)


def points(varies: list[Vary], one_at_a_time: bool) -> list[dict[str, str]]:
    """The runs of a sweep, as {key: value text}: a full grid, or (one at a time) a base run with
    no override followed by each key at each of its values alone."""
    keys = [v.key for v in varies]
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice:
        raise ScenarioError(f"--vary {twice}: given twice; give all its values in one --vary {twice}=V1,V2,...")
    if one_at_a_time:
        return [{}, *[{v.key: x} for v in varies for x in v.values]]
    if len(varies) > 2:
        raise ScenarioError("--vary: a grid sweep takes one or two keys; use --one-at-a-time for more")
    return [dict(zip([v.key for v in varies], combo)) for combo in itertools.product(*[v.values for v in varies])]


def check_measures(measures: list[str]) -> None:
    unknown = [m for m in measures if m not in SWEEP_MEASURES]
    if unknown:
        raise ScenarioError(f"--measure {unknown[0]}: unknown measure; choose from {', '.join(SWEEP_MEASURES)}")


def run_sweep(scenario_file: Path, overrides: list[str], varies: list[Vary], out: Path, reps: int, seed: int,
              workers: int | None = None, force: bool = False, one_at_a_time: bool = False, progress=None,
              executor: Executor | None = None, stage=None) -> pd.DataFrame:
    """Run every point into ``out/point-NN`` (with ``executor``, default ``workers`` local processes); return
    and write ``sweep.csv``: one row per point, measure and year with the point's values of the varied keys,
    ``mean``, ``ci95`` and ``n``.

    Progress: ``progress(result, done, total)`` for every replication, or ``stage(label, reps)``, a
    context manager giving that callback for each point's replications (label "point 2/5: key=value")."""
    out = Path(out)
    if out.exists() and not force:
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    if out.exists():  # --force: only a folder of journeysim's own runs and tables is written over
        check_folder(out)
    runs = points(varies, one_at_a_time)
    scenarios = [load(scenario_file, [*overrides, *[f"{k}={v}" for k, v in point.items()]]) for point in runs]
    keys = [v.key for v in varies]
    frames = []
    for i, (point, scenario) in enumerate(zip(runs, scenarios)):
        folder = out / f"point-{i:02d}"
        label = f"point {i + 1}/{len(runs)}: " + (", ".join(f"{k}={v}" for k, v in point.items()) or "the scenario as it is")
        with stage_of(stage, progress, label, reps) as callback:
            runner.run(scenario, folder, reps, seed, workers, force=True, progress=callback, executor=executor)
        per_rep = pd.concat([pd.read_csv(folder / "measures.csv"), costs_as_measures(pd.read_csv(folder / "costs.csv"))])
        summary = summarise(per_rep.drop(columns="rep"))[["measure", "year", "mean", "ci95", "n"]]
        values = {k: point.get(k, "base" if one_at_a_time else "") for k in keys}
        frames.append(summary.assign(point=i, **values))
    result = pd.concat(frames, ignore_index=True)[["point", *keys, "measure", "year", "mean", "ci95", "n"]]
    result.to_csv(out / "sweep.csv", index=False)
    return result


def _numeric(values: list[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def line_plot(result: pd.DataFrame, vary: Vary, measures: list[str], years: list[str], path: Path, title: str) -> Path:
    """One panel per measure: its mean (95% interval) against the key's values, one line per year."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(measures), figsize=(max(6.0, 4.0 * len(measures)), 3.2), squeeze=False)
    xs = _numeric(vary.values)
    for ax, measure in zip(axes.flat, measures):
        for year in years:
            rows = result[(result["measure"] == measure) & (result["year"] == year)].set_index(vary.key).loc[vary.values]
            x = xs if xs is not None else np.arange(len(vary.values))
            ax.errorbar(x, rows["mean"], yerr=rows["ci95"].fillna(0), marker="o", capsize=3, label=year)
        if xs is None:
            ax.set_xticks(np.arange(len(vary.values)), vary.values, fontsize=7, rotation=20)
        ax.set_xlabel(vary.key, fontsize=8)
        ax.set_title(measure, fontsize=9)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7)
    return _save(fig, path, title)


def heatmap(result: pd.DataFrame, varies: list[Vary], measures: list[str], year: str, path: Path, title: str) -> Path:
    """One panel per measure: its mean in ``year`` on the grid of the two keys' values."""
    plt = _pyplot()
    k1, k2 = varies
    fig, axes = plt.subplots(1, len(measures), figsize=(max(6.0, 4.2 * len(measures)), 3.6), squeeze=False)
    for ax, measure in zip(axes.flat, measures):
        rows = result[(result["measure"] == measure) & (result["year"] == year)]
        grid = rows.pivot(index=k1.key, columns=k2.key, values="mean").loc[k1.values, k2.values]
        im = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis", aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            ax.text(j, i, f"{v:,.3g}", ha="center", va="center", fontsize=7, color="white")
        ax.set_xticks(range(len(k2.values)), k2.values, fontsize=7)
        ax.set_yticks(range(len(k1.values)), k1.values, fontsize=7)
        ax.set_xlabel(k2.key, fontsize=8)
        ax.set_ylabel(k1.key, fontsize=8)
        ax.set_title(f"{measure} {year}", fontsize=9)
        fig.colorbar(im, ax=ax)
    return _save(fig, path, title)


def tornado(result: pd.DataFrame, varies: list[Vary], measures: list[str], year: str, path: Path, title: str) -> Path:
    """One panel per measure: for each key, the range of the measure's mean in ``year`` over the key's
    values, as a bar about the base run's value; keys sorted by the width of their range."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(measures), figsize=(5.0 * len(measures), 1.6 + 0.5 * len(varies)), squeeze=False)
    for ax, measure in zip(axes.flat, measures):
        rows = result[(result["measure"] == measure) & (result["year"] == year)]
        base = float(rows.loc[rows["point"] == 0, "mean"].iloc[0])
        spans = []
        for v in varies:
            varied = rows[rows[v.key] != "base"]
            low, high = varied.loc[varied["mean"].idxmin()], varied.loc[varied["mean"].idxmax()]
            spans.append((v.key, min(base, low["mean"]), max(base, high["mean"]), low[v.key], high[v.key]))
        spans.sort(key=lambda s: s[2] - s[1])
        for i, (key, lo, hi, at_low, at_high) in enumerate(spans):
            ax.barh(i, hi - lo, left=lo, color="#1f5fa8")
            ax.text(lo, i, f"{at_low} ", ha="right", va="center", fontsize=7)
            ax.text(hi, i, f" {at_high}", ha="left", va="center", fontsize=7)
        ax.axvline(base, color="black", lw=0.8)
        lo, hi = min(s[1] for s in spans), max(s[2] for s in spans)
        pad = 0.3 * (hi - lo) or 1.0
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_yticks(range(len(spans)), [s[0] for s in spans], fontsize=7)
        ax.set_title(f"{measure} {year} (line: the scenario as it is)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    return _save(fig, path, title)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, title: str) -> Path:
    """Title, lay out and write ``fig``: each panel's title wrapped to its panel's width and the figure's
    title to the figure's, so that no title runs off the picture."""
    suptitle = fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if ax.get_title():
            _fit_text(ax.title, ax.get_window_extent(renderer).width, renderer)
    _fit_text(suptitle, 0.96 * fig.bbox.width, renderer)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _fit_text(text, width: float, renderer) -> None:
    """Wrap a text artist at spaces until it is at most ``width`` pixels wide (or cannot be wrapped more)."""
    import textwrap

    words = " ".join(text.get_text().split())
    chars = len(words)
    while text.get_window_extent(renderer).width > width and chars > 12:
        chars = max(12, int(chars * 0.85))
        text.set_text(textwrap.fill(words, chars, break_long_words=False))
