"""Reading a results folder written by ``journeysim run`` (see :mod:`journeysim.results`).

The report, the animation, the exports and ``trace`` all start here, so a folder
that is missing a file gives the same clear message everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa

from ..eventlog import read_log
from ..projections import Logs, as_frame
from ..scenario import Scenario, load


class ResultsError(Exception):
    """A results folder that cannot be read (the message names the folder and the file)."""


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


def open_results(path: str | Path) -> Results:
    """The results folder at ``path``; :class:`ResultsError` if it is not a complete one."""
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder (write one with `journeysim run SCENARIO --out {path}`)")
    missing = [name for name in _REQUIRED if not (path / name).exists()]
    if missing and path.name.endswith(".incomplete"):
        raise ResultsError(f"{path}: an interrupted run, not a results folder; finish it with the 'resume' "
                           f"command in its manifest.json")
    if missing:
        raise ResultsError(f"{path}: not a complete results folder: {', '.join(missing)} missing")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path / 'manifest.json'}: not valid JSON ({exc.msg})") from None
    if not manifest.get("event_logs"):
        raise ResultsError(f"{path / 'manifest.json'}: lists no event logs (key 'event_logs')")
    return Results(path, manifest)


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"year": str})
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return table


def _ranges(reps: list[int]) -> str:
    return f"{min(reps)}..{max(reps)}" if reps else "none"
