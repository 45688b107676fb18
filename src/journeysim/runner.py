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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
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
from .scenario import Scenario, ScenarioError
from .scenario import load as load_scenario


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
                     progress=None, todo: list[int] | None = None) -> list[RepResult]:
    """Run replications ``todo`` (default: all of 0..reps-1) into ``folder/events``; in parallel
    processes when ``workers`` > 1.

    ``progress(result, done, total)`` is called in this process as each replication finishes.  When
    interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt), replications that finished are
    still reported to ``progress``, the others are abandoned (worker processes stopped), and the
    interrupt is raised again.
    """
    seeds = replication_seeds(seed, reps)
    todo = list(range(reps)) if todo is None else todo
    (folder / "events").mkdir(parents=True, exist_ok=True)
    jobs = [(scenario, r, seeds[r], str(folder / "events" / f"rep-{r:03d}.parquet")) for r in todo]
    results: list[RepResult] = []

    def done(result: RepResult) -> None:
        results.append(result)
        if progress:
            progress(result, len(results), len(jobs))

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            done(_run_one(*job))
    else:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_worker_signals)
        futures = [pool.submit(_run_one, *job) for job in jobs]
        try:
            for fut in as_completed(futures):
                done(fut.result())
        except BaseException:
            reported = {r.rep for r in results}
            for fut in futures:
                if fut.done() and not fut.cancelled() and fut.exception() is None and fut.result().rep not in reported:
                    done(fut.result())
            _stop(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return sorted(results, key=lambda r: r.rep)


def _worker_signals() -> None:
    """Worker processes leave Ctrl-C to the main process, and end at once when it stops them
    (a SIGTERM handler inherited from the main process would not end them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the worker processes (their replications are abandoned)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()


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


def _nested(scenario: Scenario) -> dict:
    nested: dict = {}
    for key, value in scenario.raw().items():
        node = nested
        *parts, last = key.split(".")
        for part in parts:
            node = node.setdefault(part, {})
        node[last] = _toml_ready(value)
    return nested


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of every parameter's value: equal digests mean the same model inputs."""
    return hashlib.sha256(tomli_w.dumps(_nested(scenario)).encode("utf-8")).hexdigest()


def resolved_toml(scenario: Scenario) -> str:
    """The scenario with every parameter written out, loadable by ``journeysim run``."""
    nested = _nested(scenario)
    header = (f"# Resolved scenario '{scenario.name}' written by journeysim {__version__}.\n"
              + _comment(f"# Loaded from: {', '.join(Path(f).name for f in scenario.files) or 'defaults'}"
                         + (f"; overrides: {' '.join(scenario.overrides)}" if scenario.overrides else "")) + "\n")
    return header + tomli_w.dumps(nested)


def _comment(text: str) -> str:
    """A TOML comment line: characters a comment may not hold (a newline in an override) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def reported_years(scenario: Scenario) -> list[int]:
    """Start years of the financial years from run.start to the day before run.end (warm-up excluded)."""
    last = scenario["run.end"] - dt.timedelta(days=1)
    return list(range(fy_of(scenario["run.start"]), fy_of(last) + 1))


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
        progress=None, resume: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run and write a complete results folder at ``out``; return (per-replication measures, summary, manifest).

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
        finished[result.rep] = _log_entry(result)
        manifest["event_logs"] = [finished[r] for r in sorted(finished)]
        _write_json(partial / "manifest.json", manifest)
        if progress:
            progress(result, len(finished), reps)

    t0 = time.perf_counter()
    workers = workers or min(reps, os.cpu_count() or 1)
    try:
        run_replications(scenario, seed, reps, partial, workers, record, todo)
    except KeyboardInterrupt as exc:
        raise _interrupted(out, finished, reps, manifest, getattr(exc, "signum", signal.SIGINT)) from None
    except BaseException:
        if not finished:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        return _finish(scenario, out, reps, seed, manifest, finished, resumed, t0)
    except KeyboardInterrupt as exc:
        raise _interrupted(out, finished, reps, manifest, getattr(exc, "signum", signal.SIGINT)) from None


def _interrupted(out: Path, finished: dict, reps: int, manifest: dict, signum: int) -> RunInterrupted:
    partial = incomplete_folder(out)
    keep = {Path(entry["file"]).name for entry in finished.values()}
    for path in (partial / "events").glob("rep-*.parquet"):  # logs of abandoned replications are incomplete
        if path.name not in keep:
            path.unlink(missing_ok=True)
    if not finished:
        shutil.rmtree(partial, ignore_errors=True)
        return RunInterrupted(f"no replication had finished; nothing was kept (no {partial.name} folder)", signum)
    return RunInterrupted(f"{len(finished)} of {reps} replications finished and are kept in {partial}; "
                          f"to finish the run: {manifest['resume']}", signum)


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
    if out.exists():
        trash = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(trash)
        partial.rename(out)
        shutil.rmtree(trash)
    else:
        partial.rename(out)
    return per_rep, summary, manifest
