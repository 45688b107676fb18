"""A scenario, checked: :class:`Scenario` (every parameter's value and where it came from), and the
ways to get one: :func:`load` (a file, its parents and ``--set`` overrides) and :func:`from_values`
(a flat dict of values); what a valid scenario probably does not mean (:func:`notes`), and the
financial years it reports (:func:`reported_years`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

from .. import distributions as dists
from ..calendar import fy_of
from ..rng import Outcomes
from .checks import check_value, check_whole
from .files import Raw, load_raw, parse_override
from .params import NEVER, PARAMS


@dataclass
class Scenario:
    """A validated scenario: every parameter with its value, and where each came from."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    path: str = "<defaults>"
    files: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def name(self) -> str:
        return self.values["name"]

    def ns(self) -> SimpleNamespace:
        """Nested attribute access for the model: ``sc.ns().care.p_breakdown``.  Tables of
        probabilities come as :class:`~journeysim.rng.Outcomes` (dicts that draw fast)."""
        root = SimpleNamespace()
        for key, v in self.values.items():
            if PARAMS[key].kind == "probs":
                v = Outcomes(v)
            node = root
            *parts, last = key.split(".")
            for part in parts:
                if not hasattr(node, part):
                    setattr(node, part, SimpleNamespace())
                node = getattr(node, part)
            setattr(node, last, v)
        return root

    def raw(self) -> dict[str, Any]:
        """Values in scenario-file form (distributions as tables, 'never' for absent dates)."""
        out = {}
        for k, v in self.values.items():
            kind = PARAMS[k].kind
            if kind == "dist":
                v = dists.to_table(v)
            elif kind == "cdate" and v is None:
                v = NEVER
            elif kind == "dates":
                v = {d: (NEVER if x is None else x) for d, x in v.items()}
            out[k] = v
        return out

    def with_values(self, changes: Mapping[str, Any]) -> "Scenario":
        """This scenario with the keys of ``changes`` set (values in scenario-file form, as :meth:`raw`
        gives them), validated again; where each value came from, the files it was read from and its
        ``--set`` overrides are kept, so that a scenario derived from it still says what it came from."""
        return from_values({**self.raw(), **changes}, dict(self.sources), self.path, list(self.files),
                           list(self.overrides))


def from_values(raw: dict[str, Any], sources: dict[str, str] | None = None, path: str = "<defaults>",
                files: list[str] | None = None, overrides: list[str] | None = None,
                lines: dict[str, int] | None = None) -> Scenario:
    """Validate a flat dict of raw values laid over the defaults.

    ``sources`` and ``lines`` say which file (or ``--set``) and line set each key, for messages.
    """
    sources = dict(sources or {})
    lines = lines or {}

    def at(key: str) -> str:
        src = sources.get(key, path if key in raw else "defaults")
        return f"{src}, line {lines[key]}" if key in lines and not src.startswith("--set") else src

    values: dict[str, Any] = {}
    for key, p in PARAMS.items():
        values[key] = check_value(key, p, raw.get(key, p.default), at(key))
    check_whole(values, at)
    return Scenario(values, sources, path, files or [], overrides or [])


def load(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, inherit, override and validate a scenario file (None: the defaults)."""
    raw = load_raw(Path(path)) if path is not None else Raw()
    for text in overrides:
        key, value = parse_override(text)
        raw.values[key] = value
        raw.sources[key] = f"--set {text}"
    return from_values(raw.values, raw.sources, str(path) if path else "<defaults>", [str(f) for f in raw.files],
                       list(overrides), raw.lines)


def notes(scenario: Scenario) -> list[str]:
    """Things that are allowed but probably not meant: a partial first or last financial year,
    and dated components that never start because their date is on or after run.end."""
    out = []
    start, end = scenario["run.start"], scenario["run.end"]
    if (start.month, start.day) != (4, 1):
        out.append(f"run.start ({start}) is not 1 April: the first financial year is reported in part")
    if (end.month, end.day) != (4, 1):
        out.append(f"run.end ({end}) is not 1 April: the last financial year is reported in part")
    for key, p in PARAMS.items():
        date = scenario[key]
        if p.kind == "cdate" and date is not None and date >= end:
            out.append(f"{key} ({date}) is on or after run.end ({end}): it never takes effect in this run")
    for d, date in scenario["teams.cast_start_by_district"].items():
        if date is not None and date >= end:
            out.append(f"teams.cast_start_by_district.{d} ({date}) is on or after run.end ({end}): "
                       f"{d} never switches to CAST in this run")
    return out


def reported_years(scenario: Scenario) -> list[int]:
    """Start years of the financial years from run.start to the day before run.end (warm-up excluded)."""
    last = scenario["run.end"] - dt.timedelta(days=1)
    return list(range(fy_of(scenario["run.start"]), fy_of(last) + 1))
