"""Writing a results folder while a run goes on (:func:`journeysim.runner.run` drives it).

The folder is built as ``<out>.incomplete`` (:func:`incomplete_folder`) beside the
target.  :func:`prepare` checks the output folders and starts the manifest, or checks
that an interrupted run may be resumed (same scenario values, replications, seed and
journeysim) and keeps its replications whose logs are intact; :func:`record` lists each
replication in manifest.json as it finishes; :func:`finish` writes the measures, costs
and the final manifest and renames the folder into place; :func:`interrupted` leaves an
interrupted run as its manifest says and says what it kept.  A run with parameter draws
(``run.parameter_draws``) keeps a copy of them in the folder and lists each replication's draw.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import __version__, spreadsheet
from ..calendar import fy_label
from ..costs import annual_costs, write_costs
from ..draws import COPY, Draws
from ..eventlog import file_digest
from ..interrupts import RunError, RunInterrupted, signals_held
from ..ownership import OwnershipError, check_folder, check_interrupted
from ..projections import Logs, measures
from ..rng import replication_seeds
from ..scenario import Scenario, ScenarioError, reported_years, resolved_toml, scenario_digest
from ..scenario import load as load_scenario
from ..stability import unbounded
from ..stats import summarise
from .dictionary import rounded, rounded_summary, write_dictionary


def git_commit() -> str:
    """The commit of the journeysim source tree, or 'unknown' outside a git checkout."""
    here = Path(__file__).resolve().parents[1]  # the journeysim package
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def incomplete_folder(out: Path) -> Path:
    """Where a run into ``out`` is built, and where an interrupted one is kept: ``<out>.incomplete``."""
    out = Path(out)
    return out.with_name(out.name + ".incomplete")


#: The lock a run holds on the folder it builds: ``<out>.incomplete/.lock`` holds "PID@HOST".
LOCK = ".lock"


def _host() -> str:
    return socket.gethostname()


def lock_holder(partial: Path) -> tuple[int, str] | None:
    """(process id, host) of a live run that holds ``partial``; None when no run does: no lock, or a lock
    left on this machine by a run that ended without removing it, which the next run takes over.  A
    lock of another machine's run (a folder on a shared filesystem) cannot be checked here, and is
    taken to be held."""
    try:
        pid_text, _, host = (partial / LOCK).read_text(encoding="utf-8").strip().partition("@")
        pid = int(pid_text)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if host != _host():
        return pid, host
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # a process of another user: alive
        pass
    return pid, host


def _refuse_if_locked(partial: Path, out: Path) -> None:
    holder = lock_holder(partial)
    if holder is not None:
        pid, host = holder
        where = "" if host == _host() else f" on {host}"
        raise RunError(f"{out}: another journeysim run (process {pid}{where}) is writing into {partial}; wait for it "
                       f"to finish, or stop it (kill {pid}{where}) and then --resume or --force")


def _take_lock(partial: Path, out: Path) -> None:
    """Hold ``partial`` for this run (taking over a lock its run left behind when it ended)."""
    _refuse_if_locked(partial, out)
    tmp = partial / f"{LOCK}.{os.getpid()}"
    tmp.write_text(f"{os.getpid()}@{_host()}\n", encoding="utf-8")
    os.replace(tmp, partial / LOCK)


def release_lock(partial: Path) -> None:
    """Remove this run's lock on ``partial`` (not another's)."""
    try:
        mine = (partial / LOCK).read_text(encoding="utf-8").strip() == f"{os.getpid()}@{_host()}"
    except OSError:
        return
    if mine:
        (partial / LOCK).unlink(missing_ok=True)


def unfinished(out: Path) -> tuple[int, int] | None:
    """(replications finished, replications asked for) of an interrupted run into ``out``, or None."""
    path = incomplete_folder(out) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return len(manifest["event_logs"]), int(manifest["replications"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def log_entry(rep: int, path: str, events: int, seconds: float, draw: int | None = None) -> dict:
    """The manifest's entry for replication ``rep``, whose event log is at ``path`` (and the number of
    its parameter draw, when it ran at one)."""
    entry = {"rep": rep, "file": f"events/{Path(path).name}", "events": events,
             "seconds": round(seconds, 2), "sha256": file_digest(path)}
    if draw is not None:
        entry["draw"] = draw
    return entry


def record(partial: Path, manifest: dict, finished: dict[int, dict], entry: dict) -> None:
    """List a replication that has finished (its :func:`log_entry`) in the manifest of the run being built
    in ``partial``, and then in ``manifest`` and ``finished`` (replication -> entry) here.

    The manifest on disk is written first and memory updated after, with Ctrl-C and SIGTERM held
    until both agree: an interrupt never leaves a replication counted here but not listed there.
    """
    rep = entry["rep"]
    with signals_held():
        logs = [entry if r == rep else finished[r] for r in sorted({*finished, rep})]
        _write_json(partial / "manifest.json", {**manifest, "event_logs": logs})
        finished[rep] = entry
        manifest["event_logs"] = logs


def _write_json(path: Path, data: dict) -> None:
    """Write JSON so that a reader (or a crash) never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _resume_command(scenario: Scenario, out: Path, reps: int, seed: int) -> str:
    sets = " ".join(f"--set {shlex.quote(o)}" for o in scenario.overrides)
    return (f"journeysim run {shlex.quote(scenario.path)} --reps {reps} --seed {seed} --out {shlex.quote(str(out))}"
            + (f" {sets}" if sets else "") + " --resume")


def file_names(files: list) -> list[str]:
    """The scenario's files by name, with as many of their folders as it takes to tell apart two files of
    the same name (``my-variants/hampshire.toml, scenarios/hampshire.toml``), never a full path."""
    paths = [Path(f).resolve() for f in files]
    names = [p.name for p in paths]
    depth = 1
    while len(set(names)) < len(set(paths)) and depth < max(len(p.parts) for p in paths):
        depth += 1
        alike = {n for n in names if names.count(n) > 1}
        names = ["/".join(p.parts[-depth:]) if n in alike else n for p, n in zip(paths, names)]
    return names


def _made_by(scenario: Scenario) -> dict:
    """The manifest's account of the journeysim and the scenario that made the run."""
    return {
        "journeysim_version": __version__,
        "git_commit": git_commit(),
        "scenario_name": scenario.name,
        "scenario_files": file_names(scenario.files),
        "overrides": scenario.overrides,
    }


def _start_manifest(scenario: Scenario, out: Path, reps: int, seed: int, draws: Draws | None) -> dict:
    return {
        "complete": False,
        **_made_by(scenario),
        "scenario_sha256": scenario_digest(scenario),
        "seed": seed,
        "replications": reps,
        "replication_seeds": replication_seeds(seed, reps),
        **({"parameter_draws": draws.manifest()} if draws is not None else {}),
        "event_logs": [],
        "resume": _resume_command(scenario, out, reps, seed),
    }


def _check_resumable(partial: Path, scenario: Scenario, reps: int, seed: int, draws: Draws | None) -> dict:
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
    if (manifest.get("parameter_draws") or {}).get("sha256") != (draws.sha256 if draws is not None else None):
        had = manifest.get("parameter_draws")
        raise RunError(f"{partial} was started with "
                       + (f"the parameter draws of {had.get('read_from')}" if had else "no parameter draws")
                       + f", now {'those of ' + draws.shown if draws is not None else 'none'} (run.parameter_draws; "
                       f"a draws file that changed counts as other draws); resume it with the same draws, or pass "
                       f"--force to start again")
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
        try:  # an entry that is not one a run writes (a hand-edited manifest) counts as not finished
            rep, name = entry["rep"], entry["file"]
            intact = (name == f"events/rep-{rep:03d}.parquet" and (partial / name).is_file()
                      and file_digest(partial / name) == entry["sha256"])
        except (KeyError, TypeError, ValueError, OSError):
            continue
        if intact:
            kept[rep] = entry
    return kept


def prepare(out: Path, scenario: Scenario, reps: int, seed: int, force: bool,
             resume: bool, draws: Draws | None = None) -> tuple[dict, dict[int, dict]]:
    """Check the output folders and return (manifest so far, finished replications) of the run to do
    (whose replications run at ``draws``, whose copy the folder keeps)."""
    partial = incomplete_folder(out)
    if resume and force:
        raise RunError("--resume finishes an interrupted run and --force starts again: choose one")
    if partial.is_dir():
        _refuse_if_locked(partial, out)
    if out.exists() and not force:
        if resume:
            raise RunError(f"{out}: this run is complete; there is nothing to resume")
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    try:
        if out.exists():
            check_folder(out)
        if os.path.lexists(partial):
            check_interrupted(partial)
    except OwnershipError as exc:
        raise RunError(str(exc)) from None
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
        manifest = _check_resumable(partial, scenario, reps, seed, draws)
        _take_lock(partial, out)
        finished = _finished_logs(partial, manifest)
        manifest["event_logs"] = [finished[r] for r in sorted(finished)]
        return manifest, finished
    partial.mkdir(parents=True)
    _take_lock(partial, out)
    (partial / "scenario.toml").write_text(resolved_toml(scenario), encoding="utf-8")
    if draws is not None:
        (partial / COPY).write_bytes(draws.data)
    manifest = _start_manifest(scenario, out, reps, seed, draws)
    _write_json(partial / "manifest.json", manifest)
    return manifest, {}


def interrupted(out: Path, finished: dict, reps: int, manifest: dict, signum: int) -> RunInterrupted:
    """Leave the interrupted run as its manifest.json says and say what that keeps.

    The manifest is rewritten from the replications recorded (so the file, the logs kept and the
    message agree whatever moment the interrupt came at), logs it does not list are removed, and the
    message counts the replications the manifest on disk lists.  A second Ctrl-C meanwhile is ignored.
    """
    partial = incomplete_folder(out)
    with signals_held(redeliver=False):
        if finished:
            manifest["event_logs"] = [finished[r] for r in sorted(finished)]
            with contextlib.suppress(OSError):
                _write_json(partial / "manifest.json", manifest)
        (partial / "manifest.json.tmp").unlink(missing_ok=True)
        listed = _disk_logs(partial) if finished else []
        if listed is None:  # no readable manifest (it could not be written): keep what was recorded
            listed = manifest["event_logs"]
        kept = [entry for entry in listed if (partial / entry["file"]).is_file()]
        keep = {Path(entry["file"]).name for entry in kept}
        for path in (partial / "events").glob("rep-*.parquet"):  # logs of abandoned replications are incomplete
            if path.name not in keep:
                path.unlink(missing_ok=True)
        release_lock(partial)
        if not kept:
            shutil.rmtree(partial, ignore_errors=True)
            return RunInterrupted(f"no replication had finished; nothing was kept (no {partial.name} folder)", signum)
    return RunInterrupted(f"{len(kept)} of {reps} replications finished and are kept in {partial}; "
                          f"to finish the run: {manifest['resume']}", signum)


def _disk_logs(partial: Path) -> list[dict] | None:
    """The replications the manifest.json of ``partial`` lists (None if it cannot be read)."""
    try:
        return list(json.loads((partial / "manifest.json").read_text(encoding="utf-8"))["event_logs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def finish(scenario: Scenario, out: Path, reps: int, seed: int, manifest: dict, finished: dict[int, dict],
            resumed: list[int], t0: float,
            also: Callable[[Path, pd.DataFrame], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Every replication has run: write the measures (and whatever ``also(folder, per_rep)`` adds) and
    the final manifest, and rename into place.

    The manifest's ``warnings`` list what the run's measures show that a reader of its figures must
    know: a queue or stock growing without bound (:func:`journeysim.stability.unbounded`)."""
    partial = incomplete_folder(out)
    years = reported_years(scenario)
    logs = Logs.files({r: partial / finished[r]["file"] for r in range(reps)})
    per_rep = measures(logs, years)
    summary = summarise(per_rep.drop(columns="rep"))
    rounded(per_rep).to_csv(partial / "measures.csv", index=False)
    rounded_summary(summary).to_csv(partial / "summary.csv", index=False)
    write_dictionary(partial)
    write_costs(annual_costs(logs, scenario, years), partial)
    spreadsheet.write_run_summary(partial, scenario.name, summary, pd.read_csv(partial / "costs_summary.csv"),
                                  [fy_label(y) for y in years], reps, seed)
    (partial / "scenario.toml").write_text(resolved_toml(scenario), encoding="utf-8")
    if also is not None:
        also(partial, per_rep)
    files = {path.name: file_digest(path) for path in sorted(partial.iterdir())
             if path.is_file() and path.name not in ("manifest.json", "manifest.json.tmp", ".lock")}
    manifest = {
        "complete": True,
        **_made_by(scenario),
        "scenario_sha256": manifest["scenario_sha256"],
        "seed": seed,
        "replications": reps,
        "replication_seeds": manifest["replication_seeds"],
        **({"parameter_draws": manifest["parameter_draws"]} if "parameter_draws" in manifest else {}),
        "event_logs": [finished[r] for r in range(reps)],
        "files": files,
        "resumed_replications": resumed,
        "warnings": [finding.as_dict() for finding in unbounded(per_rep, [fy_label(y) for y in years])],
        "python": sys.version.split()[0],
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "reproduce": f"journeysim run scenario.toml --reps {reps} --seed {seed}",
    }
    _write_json(partial / "manifest.json", manifest)
    with signals_held():  # an interrupt here would leave the folders half swapped
        release_lock(partial)
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(trash)
            partial.rename(out)
            shutil.rmtree(trash)
        else:
            partial.rename(out)
    return per_rep, summary, manifest
