"""Reading a results folder written by ``journeysim run`` (see :mod:`journeysim.results`).

The report, the animation, the exports and ``trace`` all start here, so a folder
that is missing a file gives the same clear message everywhere.  Nothing is read
before the folder is checked (:func:`open_results`): its manifest's shape
(:func:`check_manifest`), that the run finished, that every event log it lists is a
journeysim log with events, and that the logs and the other files it lists (its
``scenario.toml`` among them) still have the SHA-256 the run recorded, so that a
hand-edited folder is never reported as if it were the run's.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..eventlog import LogFormatError, check_log_file, file_digest, read_log
from ..projections import Logs, as_frame
from ..scenario import Scenario, load


class ResultsError(Exception):
    """A results folder that cannot be read (the message names the folder and the file)."""


class EditedResultsWarning(UserWarning):
    """A results folder read with ``verify=False`` whose files no longer match its manifest."""


#: The largest manifest.json read (a run of 100,000 replications writes about 30 MB).
MANIFEST_LIMIT = 64 << 20
_LOG_FILE = re.compile(r"events/rep-(\d{3,})\.parquet")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Folders checked against their manifest in this process: path -> (files' sizes and times, whether all matched).
_VERIFIED: dict[str, tuple] = {}


_REQUIRED = ("manifest.json", "measures.csv", "scenario.toml")


@dataclass
class Results:
    """A results folder: its manifest, measures, resolved scenario and event logs."""

    path: Path
    manifest: dict = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario_name", self.path.name))

    @property
    def reps(self) -> list[int]:
        return [int(e["rep"]) for e in self.manifest.get("event_logs", [])]

    @cached_property
    def scenario(self) -> Scenario:
        """The fully resolved scenario the run used."""
        return load(self.path / "scenario.toml")

    @cached_property
    def measures(self) -> pd.DataFrame:
        """Every measure by replication and year (``rep``, ``measure``, ``year``, ``value``)."""
        return _read_csv(self.path / "measures.csv", ["rep", "measure", "year", "value"])

    @cached_property
    def costs(self) -> pd.DataFrame | None:
        """Costs by replication, year and component (``costs.csv``), or None when the run wrote none."""
        path = self.path / "costs.csv"
        return _read_csv(path, ["rep", "year", "component", "value"]) if path.exists() else None

    def log_path(self, rep: int) -> Path:
        """The event-log file of replication ``rep``."""
        if rep not in self.reps:
            raise ResultsError(f"{self.path}: no replication {rep}; this run has replications "
                               f"{_ranges(self.reps)} (use --rep)")
        path = self.path / "events" / f"rep-{rep:03d}.parquet"
        if not path.exists():
            raise ResultsError(f"{path}: event log missing from the results folder")
        return path

    def log(self, rep: int = 0) -> pa.Table:
        """The event log of replication ``rep`` as an Arrow table."""
        return read_log(self.log_path(rep))

    def logs(self) -> Logs:
        """The event logs of every replication, for the projections to read as one (the replication a column)."""
        return Logs.files({rep: self.log_path(rep) for rep in self.reps})

    def frames(self) -> Iterator[tuple[int, pd.DataFrame]]:
        """``(rep, log frame)`` for every replication, one at a time."""
        for rep in self.reps:
            yield rep, as_frame(self.log(rep))


def open_results(path: str | Path, verify: bool = True) -> Results:
    """The results folder at ``path``; :class:`ResultsError` if it is not a complete one, or if its files
    no longer match its manifest (with ``verify=False``, an :class:`EditedResultsWarning` instead)."""
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder (write one with `journeysim run SCENARIO --out {path}`)")
    missing = [name for name in _REQUIRED if not (path / name).exists()]
    if missing and path.name.endswith(".incomplete"):
        raise ResultsError(f"{path}: an interrupted run, not a results folder; finish it with the 'resume' "
                           f"command in its manifest.json")
    if missing:
        raise ResultsError(f"{path}: not a complete results folder: {', '.join(missing)} missing")
    manifest = read_manifest(path / "manifest.json")
    check_manifest(manifest, path / "manifest.json")
    _check_files(path, manifest, verify)
    return Results(path, manifest)


def read_manifest(file: Path) -> dict:
    """The JSON object in ``file`` (a results folder's manifest.json); ResultsError if it is not one."""
    try:
        if os.stat(file).st_size > MANIFEST_LIMIT:
            raise ResultsError(f"{file}: larger than a manifest journeysim writes ({MANIFEST_LIMIT >> 20} MB at most)")
        manifest = json.loads(Path(file).read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ResultsError(f"{file}: not a manifest journeysim wrote (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{file}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise ResultsError(f"{file}: not a manifest journeysim wrote (nested too deep)") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"{file}: expected a JSON object (as journeysim writes), got {_json_type(manifest)}")
    return manifest


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _expect(ok: bool, file: Path, key: str, expected: str, value) -> None:
    if not ok:
        shown = json.dumps(value)[:40] if not isinstance(value, (dict, list)) else _json_type(value)
        raise ResultsError(f"{file}: '{key}' should be {expected}; got {shown}")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_manifest(manifest: dict, file: Path) -> None:
    """ResultsError (naming ``file``, the key and what was expected) unless ``manifest`` has the shape
    journeysim writes for a complete run."""
    if manifest.get("complete") is not True:
        if manifest.get("complete") is False:
            raise ResultsError(f"{file}: says \"complete\": false: an unfinished run, not a results folder; "
                               f"finish it with the 'resume' command in that manifest")
        _expect(False, file, "complete", "true (a finished run)", manifest.get("complete"))
    logs = manifest.get("event_logs")
    _expect(isinstance(logs, list) and len(logs) > 0, file, "event_logs", "a list of the run's event logs", logs)
    for key in ("replications", "seed"):
        _expect(_whole(manifest.get(key)), file, key, "a whole number", manifest.get(key))
    _expect(isinstance(manifest.get("scenario_name", ""), str), file, "scenario_name", "text",
            manifest.get("scenario_name"))
    seen = set()
    for i, entry in enumerate(logs):
        where = f"event_logs[{i}]"
        _expect(isinstance(entry, dict), file, where, "an object (rep, file, events, sha256)", entry)
        rep, name = entry.get("rep"), entry.get("file")
        _expect(_whole(rep) and rep >= 0 and rep not in seen, file, f"{where}.rep",
                "a replication number (whole, 0 or more, listed once)", rep)
        seen.add(rep)
        _expect(isinstance(name, str) and _LOG_FILE.fullmatch(name) is not None
                and int(_LOG_FILE.fullmatch(name).group(1)) == rep, file, f"{where}.file",
                f"'events/rep-{rep:03d}.parquet'", name)
        _expect(_whole(entry.get("events")) and entry["events"] > 0, file, f"{where}.events",
                "the number of events (more than 0)", entry.get("events"))
        _expect(isinstance(entry.get("sha256"), str) and _SHA256.fullmatch(entry["sha256"]) is not None, file,
                f"{where}.sha256", "a SHA-256 digest (64 hexadecimal digits)", entry.get("sha256"))
    files = manifest.get("files", {})
    _expect(isinstance(files, dict), file, "files", "an object (file name -> SHA-256)", files)
    for name, digest in files.items():
        _expect("/" not in name and "\\" not in name and name not in ("", ".", ".."), file, f"files.{name}",
                "the name of a file in the folder", name)
        _expect(isinstance(digest, str) and _SHA256.fullmatch(digest) is not None, file, f"files.{name}",
                "a SHA-256 digest (64 hexadecimal digits)", digest)
    _expect(isinstance(manifest.get("warnings", []), list), file, "warnings", "a list", manifest.get("warnings"))


def _listed_files(path: Path, manifest: dict) -> dict[Path, str]:
    """Every file the manifest lists (its logs and, from this version on, the others) with its SHA-256."""
    listed = {path / e["file"]: e["sha256"] for e in manifest["event_logs"]}
    listed.update({path / name: digest for name, digest in manifest.get("files", {}).items()})
    return listed


def _check_files(path: Path, manifest: dict, verify: bool) -> None:
    """Every log the manifest lists is a journeysim log with events, and every file it lists has its digest."""
    listed = _listed_files(path, manifest)
    for file in listed:
        if not file.is_file():
            raise ResultsError(f"{file}: listed in {path / 'manifest.json'} but missing from the results folder")
    stamp = tuple((str(f), os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in listed)
    key = str(path.resolve())
    if _VERIFIED.get(key) in ((stamp, True), *([(stamp, False)] if not verify else [])):
        return  # checked already in this process (and, if it differs, said so already)
    for entry in manifest["event_logs"]:
        log = path / entry["file"]
        check_log_file(log)
        try:
            rows = pq.read_metadata(str(log)).num_rows
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise LogFormatError(f"{log}: not a readable Parquet event log ({exc})") from None
        if rows == 0:
            raise ResultsError(f"{log}: an event log with no events; a run's logs always have some")
    clean = True
    for file, digest in listed.items():
        if file_digest(file) != digest:
            clean = False
            message = (f"{file}: does not match the SHA-256 that {path / 'manifest.json'} records: it changed since "
                       f"the run wrote it")
            if verify:
                raise ResultsError(f"{message}; run again for results to trust, or pass --no-verify to read it anyway")
            warnings.warn(f"{message}; read anyway (--no-verify)", EditedResultsWarning, stacklevel=3)
    _VERIFIED[key] = (stamp, clean)


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """A table of the results folder with ``columns`` (``rep`` whole numbers, ``value`` numbers); ResultsError
    naming the file otherwise (read with --no-verify, a hand-edited table can be anything)."""
    try:
        table = pd.read_csv(path, dtype={"year": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise ResultsError(f"{path}: not a table journeysim wrote ({str(exc).splitlines()[0][:80]})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    for column, kind in (("rep", "whole numbers"), ("value", "numbers")):
        if column in columns and not pd.api.types.is_numeric_dtype(table[column]):
            raise ResultsError(f"{path}: column '{column}' should hold {kind}")
    if "rep" in columns and (table["rep"].isna().any() or (table["rep"] % 1 != 0).any()):
        raise ResultsError(f"{path}: column 'rep' should hold whole numbers")
    return table


def _ranges(reps: list[int]) -> str:
    return f"{min(reps)}..{max(reps)}" if reps else "none"
