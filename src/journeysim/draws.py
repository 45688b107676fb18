"""Parameter draws: each replication of a run at its own point of the calibration's plausible space.

A scenario that sets ``run.parameter_draws`` names a CSV file of parameter draws, as
:func:`journeysim.calibrate.plausible_draws` writes them (``calibration/plausible.csv``): a
``draw`` column (the draw's number), then one column per calibration knob, named by
:attr:`journeysim.knobs.Knob.name` (``mash.outcome[referral]``), holding the knob's value.
Replication ``r`` of a run with seed ``s`` uses the draw at position ``order[r mod N]`` of the
file's N rows, where ``order`` is a permutation of the rows drawn from
``SeedSequence([s, TAG])``: the same seed gives the same draws; replications use distinct draws
while there are no more of them than rows; and two scenarios run on the same seed give
replication ``r`` the same draw (common random numbers on the parameters too).  The draw is
applied to the replication's scenario with :func:`journeysim.knobs.apply_values` just before it
runs, so a forecast's interval carries the parameters' uncertainty as well as chance.

The path is relative to the scenario file that sets it (as ``extends`` is) and may not leave the
folder above that file's folder (``../calibration/plausible.csv`` from ``scenarios/``); given on
the command line (``--set``), it is relative to the current folder.  Anything wrong with it (an
absolute path, a path that leaves that folder, a missing file, a file that is not a draws table)
is one :class:`~journeysim.scenario.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .knobs import KNOBS, Knob, apply_values
from .scenario import PARAMS, Scenario, ScenarioError
from .scenario.checks import check_value
from .scenario.files import not_regular

#: The scenario key.
KEY = "run.parameter_draws"
#: Its value when a run draws no parameters.
NONE = "none"
#: The file name of the copy a results folder keeps (its scenario.toml points at it).
COPY = "parameter_draws.csv"
#: Mixed with the run seed to draw the order of the draws (a stream of its own: the model's streams
#: never see it).
TAG = zlib.crc32(KEY.encode("utf-8"))

_KNOBS = {k.name: k for k in KNOBS}


@dataclass(frozen=True)
class Draw:
    """One row of a draws file: its number (the ``draw`` column) and the knobs' values."""

    number: int
    knobs: tuple[str, ...]
    values: tuple[float, ...]

    def apply(self, scenario: Scenario) -> Scenario:
        """``scenario`` with each knob set to this draw's value (:func:`journeysim.knobs.apply_values`)."""
        return apply_values(scenario, [_KNOBS[name] for name in self.knobs], self.values)


@dataclass(frozen=True)
class Draws:
    """A checked draws file: where it was read from, its bytes' SHA-256 and its rows."""

    path: Path
    shown: str  # the path as the scenario wrote it
    data: bytes = field(repr=False)  # the file's bytes, as checked
    knobs: tuple[str, ...]
    rows: tuple[tuple[int, tuple[float, ...]], ...]  # (draw number, values)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def __len__(self) -> int:
        return len(self.rows)

    def order(self, seed: int) -> list[int]:
        """The rows' positions in the order replications 0, 1, ... use them (a permutation drawn
        from the run seed)."""
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, TAG])))
        return [int(i) for i in rng.permutation(len(self.rows))]

    def for_replications(self, seed: int, reps: int) -> list[Draw]:
        """The draw of each of replications 0..reps-1 of a run with ``seed``: row ``order[r mod N]``."""
        order = self.order(seed)
        return [self._draw(order[r % len(order)]) for r in range(reps)]

    def _draw(self, position: int) -> Draw:
        number, values = self.rows[position]
        return Draw(number, self.knobs, values)

    def keys(self) -> list[str]:
        """The scenario keys the draws set."""
        return sorted({_KNOBS[name].key for name in self.knobs})

    def manifest(self) -> dict:
        """What a run's manifest.json records about the draws."""
        return {"file": COPY, "read_from": self.shown, "sha256": self.sha256, "draws": len(self),
                "knobs": list(self.knobs)}


def replaced(scenario: Scenario, draws: Draws | None) -> list[str]:
    """The keys given with ``--set`` that the draws replace in every replication."""
    if draws is None:
        return []
    return [k for k in draws.keys() if scenario.sources.get(k, "").startswith("--set")]


def portable(scenario: Scenario) -> Scenario:
    """``scenario`` reading its draws from the copy a results folder keeps beside its scenario.toml
    (:data:`COPY`), so that the folder can be run again from inside it."""
    return Scenario({**scenario.values, KEY: COPY}, dict(scenario.sources), scenario.path, list(scenario.files),
                    list(scenario.overrides))


def _where(scenario: Scenario) -> tuple[str, Path | None]:
    """How messages name the setting (``<file>: run.parameter_draws``, or the ``--set`` that gave it),
    and the folder of the scenario file that set it (None on the command line: the current folder)."""
    source = scenario.sources.get(KEY)
    if source is None:
        return KEY, None
    if source.startswith("--set"):
        return source, None
    return f"{source}: {KEY}", Path(source).parent


def location(scenario: Scenario) -> Path | None:
    """The draws file ``scenario`` names (None for ``"none"``), after the checks on its path."""
    value = scenario[KEY]
    if value == NONE:
        return None
    where, folder = _where(scenario)
    if folder is None:
        path = Path(value)
    else:
        path = folder / value
        top = folder.resolve().parent
        if not path.resolve().is_relative_to(top):
            raise ScenarioError(f"{where}: {value!r} leads outside {top}; a scenario may read parameter draws only "
                                f"in its own folder or the folder above it, like \"../calibration/plausible.csv\"")
    looked = f" (looked for {path})" if str(path) != value else ""
    kind = not_regular(path)
    if kind:
        raise ScenarioError(f"{where}: {value!r} is {kind}, not a file of parameter draws{looked}")
    if not path.is_file():
        raise ScenarioError(f"{where}: no such file {value!r}{looked}; the calibration writes one "
                            f"(calibration/plausible.csv, by journeysim calibrate), or set it to \"{NONE}\"")
    return path


def read(scenario: Scenario) -> Draws | None:
    """The checked draws ``scenario`` names (None when it draws no parameters)."""
    path = location(scenario)
    if path is None:
        return None
    return read_file(path, _where(scenario)[0], scenario[KEY])


def read_file(path: Path, where: str, shown: str | None = None) -> Draws:
    """The draws in ``path``, checked; ``where`` names the setting in messages."""
    name = shown or str(path)
    at = f"{where}: {name!r}"
    kind = not_regular(path)
    if kind:
        raise ScenarioError(f"{at}: is {kind}; parameter draws are a CSV file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{at}: cannot read it ({exc.strerror or exc.__class__.__name__})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(f"{at}: not a text file; parameter draws are a CSV file with a 'draw' column and "
                            f"one column per calibration knob") from None
    try:
        reader = csv.reader(io.StringIO(text))
        table = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ScenarioError(f"{at}: not a CSV file ({exc})") from None
    if not table:
        raise ScenarioError(f"{at}: is empty; parameter draws are a CSV file with a 'draw' column and one column "
                            f"per calibration knob (as journeysim calibrate writes calibration/plausible.csv)")
    header = [h.strip() for h in table[0][1]]
    knobs = _check_header(header, at)
    rows = []
    numbers: set[int] = set()
    for n, row in table[1:]:
        if len(row) != len(header):
            raise ScenarioError(f"{at}, line {n}: has {len(row)} values; the header names {len(header)} columns")
        cells = [_number(cell, f"{at}, line {n}, column {header[i]}") for i, cell in enumerate(row)]
        number = cells[0]
        if not float(number).is_integer() or number < 0:
            raise ScenarioError(f"{at}, line {n}: draw must be a whole number from 0; got {row[0].strip()!r}")
        if int(number) in numbers:
            raise ScenarioError(f"{at}, line {n}: draw {int(number)} is listed twice; each draw needs its own number")
        numbers.add(int(number))
        for knob, value in zip(knobs, cells[1:]):
            _check_value(knob, value, f"{at}, line {n}, column {knob.name}")
        rows.append((int(number), tuple(cells[1:])))
    if not rows:
        raise ScenarioError(f"{at}: has a header but no draws; it needs at least one row")
    return Draws(path, name, data, tuple(k.name for k in knobs), tuple(rows))


def _check_header(header: list[str], at: str) -> list[Knob]:
    """The knobs the header's columns name, after ``draw``."""
    expected = "a 'draw' column, then one column per calibration knob (journeysim calibrate writes them)"
    if header[0] != "draw":
        raise ScenarioError(f"{at}: the first column must be 'draw'; got {header[0]!r}: parameter draws are {expected}")
    if len(header) < 2:
        raise ScenarioError(f"{at}: has no knob columns; parameter draws are {expected}")
    seen: set[str] = set()
    knobs = []
    for name in header[1:]:
        if name in seen:
            raise ScenarioError(f"{at}: column {name!r} appears twice")
        seen.add(name)
        if name not in _KNOBS:
            close = difflib.get_close_matches(name, _KNOBS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the knobs are {', '.join(_KNOBS)}"
            raise ScenarioError(f"{at}: column {name!r} is not a calibration knob{hint}")
        knobs.append(_KNOBS[name])
    return knobs


def _number(cell: str, at: str) -> float:
    try:
        x = float(cell)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise ScenarioError(f"{at}: must be a number; got {cell.strip()!r}")
    return x


def _check_value(knob: Knob, value: float, at: str) -> None:
    """A value the knob's key can take (as :func:`journeysim.knobs.apply_values` sets it)."""
    p = PARAMS[knob.key]
    if knob.part is None:
        check_value(knob.key, p, round(value) if p.kind == "int" else value, at)
    elif p.kind == "probs" and not 0.0 <= value <= 1.0:
        raise ScenarioError(f"{at}: is a probability and must be between 0 and 1; got {value:g}")
    elif p.kind == "dist" and value <= 0:
        raise ScenarioError(f"{at}: is a length and must be above 0; got {value:g}")
    elif knob.part == "*" and value < 0:
        raise ScenarioError(f"{at}: is a multiplier and must be 0 or more; got {value:g}")
