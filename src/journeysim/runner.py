"""Replications: seeds, parallel execution, and a results folder written atomically.

A run writes, inside its output folder::

    events/rep-000.parquet ...   one event log per replication
    measures.csv                 every official measure, by replication and year
    summary.csv                  mean, 95% confidence interval and 5-95% range across replications
    costs.csv                    annual cost by component (GBP), by replication and year
    costs_summary.csv            the costs' mean, 95% confidence interval and range across replications
    scenario.toml                the fully resolved scenario (every parameter's value)
    manifest.json                scenario, seed, replication seeds, version, git commit, log digests

The folder is built under a temporary name beside the target and renamed into
place only when complete, so an interrupted run never leaves a folder that looks
finished.  ``journeysim run`` with the same scenario.toml and seed reproduces
the event logs byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from . import __version__
from .calendar import fy_of
from .costs import annual_costs, with_total
from .eventlog import file_digest, read_log
from .model import simulate
from .projections import as_frame, measures
from .rng import replication_seeds
from .scenario import Scenario


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


def _run_one(scenario: Scenario, rep: int, seed: int, path: str) -> RepResult:
    t0 = time.perf_counter()
    meta = {"journeysim.scenario": scenario.name, "journeysim.seed": str(seed),
            "journeysim.replication": str(rep), "journeysim.version": __version__}
    log = simulate(scenario, seed, path, meta)
    return RepResult(rep, seed, path, log.n, time.perf_counter() - t0)


def run_replications(scenario: Scenario, seed: int, reps: int, folder: Path, workers: int = 1,
                     progress=None, first: int = 0) -> list[RepResult]:
    """Run ``reps`` replications into ``folder/events``; in parallel processes when ``workers`` > 1.

    They are replications ``first`` .. ``first + reps - 1`` of the run seed (a later batch of the
    same run gets the seeds a single larger run would have given them)."""
    seeds = replication_seeds(seed, first + reps)
    (folder / "events").mkdir(parents=True, exist_ok=True)
    jobs = [(scenario, r, seeds[r], str(folder / "events" / f"rep-{r:03d}.parquet")) for r in range(first, first + reps)]
    results: list[RepResult] = []
    if workers <= 1 or reps == 1:
        for job in jobs:
            results.append(_run_one(*job))
            if progress:
                progress(results[-1], len(results), reps)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, reps)) as pool:
            futures = [pool.submit(_run_one, *job) for job in jobs]
            for fut in as_completed(futures):
                results.append(fut.result())
                if progress:
                    progress(results[-1], len(results), reps)
    return sorted(results, key=lambda r: r.rep)


def run_jobs(fn, jobs: list[tuple], workers: int = 1, progress=None, label: str = "runs") -> list:
    """``fn(*job)`` for every job, in ``workers`` parallel processes when more than one; the
    results come back in job order whatever order they finish in.  ``progress(done, total,
    label)`` is called as each one finishes."""
    results: list = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(*job)
            if progress:
                progress(i + 1, len(jobs), label)
        return results
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
        for done, fut in enumerate(as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if progress:
                progress(done, len(jobs), label)
    return results


_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t95(df: int) -> float:
    """Two-sided 95% Student t quantile for ``df`` degrees of freedom."""
    if df < 1:
        return float("nan")
    return _T95[df - 1] if df <= len(_T95) else 1.96


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95% CI half-width and 5-95% range of each measure and year across replications."""
    g = per_rep.groupby(["measure", "year"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n="count", p5=lambda s: s.quantile(0.05), p95=lambda s: s.quantile(0.95)).reset_index()
    out["ci95"] = [t95(n - 1) * sd / np.sqrt(n) if n > 1 else np.nan for sd, n in zip(out["sd"], out["n"])]
    return out[["measure", "year", "mean", "ci95", "p5", "p95", "sd", "n"]]


def write_costs(per_rep: pd.DataFrame, folder: Path) -> None:
    """``costs.csv`` (rep, year, component, value in GBP) and ``costs_summary.csv`` (as summary.csv, by component
    and their ``total``)."""
    per_rep.to_csv(folder / "costs.csv", index=False)
    summary = summarise(with_total(per_rep).drop(columns="rep").rename(columns={"component": "measure"}))
    summary.rename(columns={"measure": "component"}).to_csv(folder / "costs_summary.csv", index=False)


def _toml_ready(value):
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_toml_ready(v) for v in value]
    return value


def resolved_toml(scenario: Scenario) -> str:
    """The scenario with every parameter written out, loadable by ``journeysim run``."""
    nested: dict = {}
    for key, value in scenario.raw().items():
        node = nested
        *parts, last = key.split(".")
        for part in parts:
            node = node.setdefault(part, {})
        node[last] = _toml_ready(value)
    header = (f"# Resolved scenario '{scenario.name}' written by journeysim {__version__}.\n"
              f"# Loaded from: {', '.join(Path(f).name for f in scenario.files) or 'defaults'}"
              + (f"; overrides: {' '.join(scenario.overrides)}" if scenario.overrides else "") + "\n")
    return header + tomli_w.dumps(nested)


def reported_years(scenario: Scenario) -> list[int]:
    """Start years of the financial years from run.start to the day before run.end (warm-up excluded)."""
    last = scenario["run.end"] - dt.timedelta(days=1)
    return list(range(fy_of(scenario["run.start"]), fy_of(last) + 1))


def run(scenario: Scenario, out: Path, reps: int = 1, seed: int = 1, workers: int | None = None, force: bool = False,
        progress=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run and write a complete results folder at ``out``; return (per-replication measures, summary, manifest)."""
    out = Path(out)
    if out.exists() and not force:
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    if reps < 1:
        raise RunError(f"--reps must be at least 1; got {reps}")
    workers = workers or min(reps, os.cpu_count() or 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        results = run_replications(scenario, seed, reps, tmp, workers, progress)
        frames, cost_frames = [], []
        years = reported_years(scenario)
        for r in results:
            log = as_frame(read_log(r.path))
            m = measures(log, years)
            m.insert(0, "rep", r.rep)
            frames.append(m)
            c = annual_costs(log, scenario, years)
            c.insert(0, "rep", r.rep)
            cost_frames.append(c)
        per_rep = pd.concat(frames, ignore_index=True)
        summary = summarise(per_rep.drop(columns="rep"))
        per_rep.to_csv(tmp / "measures.csv", index=False)
        summary.to_csv(tmp / "summary.csv", index=False)
        write_costs(pd.concat(cost_frames, ignore_index=True), tmp)
        (tmp / "scenario.toml").write_text(resolved_toml(scenario), encoding="utf-8")
        manifest = {
            "journeysim_version": __version__,
            "git_commit": git_commit(),
            "scenario_name": scenario.name,
            "scenario_files": [Path(f).name for f in scenario.files],
            "overrides": scenario.overrides,
            "seed": seed,
            "replications": reps,
            "replication_seeds": [r.seed for r in results],
            "event_logs": [{"rep": r.rep, "file": f"events/{Path(r.path).name}", "events": r.events,
                            "seconds": round(r.seconds, 2), "sha256": file_digest(r.path)} for r in results],
            "python": sys.version.split()[0],
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - t0, 2),
            "reproduce": f"journeysim run scenario.toml --reps {reps} --seed {seed}",
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(trash)
            tmp.rename(out)
            shutil.rmtree(trash)
        else:
            tmp.rename(out)
        return per_rep, summary, manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
