"""Reading scenario files: TOML, ``extends``, the line of every key, unknown keys and the hint
after them, and ``--set section.key=value`` overrides.

What is read here is flat (dotted keys) and not yet checked: :func:`journeysim.scenario.from_values`
checks it against :data:`PARAMS`.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import ScenarioError
from .params import PARAMS, SECTIONS


#: The largest scenario file read (the shipped ones are a few kB; a calibrated one some tens).
SIZE_LIMIT = 4 << 20
#: How many files an ``extends`` chain may hold.
EXTENDS_LIMIT = 32


class _Twice(Exception):
    """A key a TOML document gives twice: once in a table and once as a quoted dotted name."""


def _flatten(doc: dict, prefix: str = "") -> dict[str, Any]:
    """Flatten nested TOML tables to dotted keys, stopping at keys declared in PARAMS; _Twice if the
    same dotted key comes both from a table and from a quoted name (``"workforce.hard_cap" = 18``),
    which TOML itself lets through and which would otherwise keep only one of the two values."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        flat = {key: v} if key in PARAMS or not isinstance(v, dict) else _flatten(v, key + ".")
        twice = next((k2 for k2 in flat if k2 in out), None)
        if twice is not None:
            raise _Twice(twice)
        out.update(flat)
    return out


def _suggest(key: str) -> str:
    """The hint after an unknown key: the same name in another section, or the closest key."""
    if key in SECTIONS:
        keys = [k.split(".", 1)[1] for k in PARAMS if k.startswith(key + ".")]
        return f"; '{key}' is a section: write [{key}] on its own line, then its keys ({', '.join(keys[:4])}, ...)"
    leaf = key.rsplit(".", 1)[-1]
    same = [k for k in PARAMS if k.rsplit(".", 1)[-1] == leaf]
    if leaf == "extends":
        return "; extends must come first in the file, before any [section]"
    if key in _RUN_OPTIONS:
        return f"; it is not a scenario parameter: give it on the command line (journeysim run {_RUN_OPTIONS[key]})"
    close = same if len(same) == 1 else difflib.get_close_matches(key, PARAMS.keys(), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else "; see 'journeysim describe' for the keys"


#: Keys people put in a scenario that are options of ``journeysim run``.
_RUN_OPTIONS = {"seed": "--seed", "reps": "--reps", "replications": "--reps", "out": "--out", "workers": "--workers"}

_BARE = r"[A-Za-z0-9_-]+"
_PART = rf"(?:{_BARE}|\"[^\"]*\"|'[^']*')"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


def _dotted(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in re.findall(_PART, text))


def key_lines(text: str) -> dict[str, int]:
    """Line number (from 1) of every key and table header in a TOML text, as dotted keys.

    Python's TOML reader gives no positions for values, so this reads the text again:
    a ``key =`` line inside ``[section]`` is ``section.key``.  Lines of multi-line
    strings or arrays may be misread; the numbers only help a message point at a line.
    """
    lines: dict[str, int] = {}
    section = ""
    for n, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = _dotted(header.group(1))
            lines.setdefault(section, n)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = _dotted(assign.group(1))
            lines.setdefault(f"{section}.{key}" if section else key, n)
    return lines


def _line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line of ``key``, or of the nearest enclosing table that has one."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        n = lines.get(".".join(parts[:i]))
        if n is not None:
            return n
    return None


_NOT_TOML_HINTS = {".md": "Markdown", ".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".csv": "CSV",
                   ".xlsx": "Excel", ".ini": "INI", ".parquet": "Parquet", ".txt": "plain text"}


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a folder", "a FIFO (named pipe)",
    "a device", ...), or None: journeysim reads only regular files, since a device such as /dev/zero
    would never end and a FIFO would wait for a writer for ever."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # nothing there (or a loop of links): reading it says so
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_bytes(path: Path, shown: str) -> bytes:
    """The bytes of a scenario file: a regular file (:func:`not_regular`) of at most :data:`SIZE_LIMIT` bytes."""
    try:
        kind = not_regular(path)
        if kind:
            raise ScenarioError(f"{shown}: is {kind}, not a scenario file (a scenario is a .toml file)")
        with open(path, "rb") as f:
            raw = f.read(SIZE_LIMIT + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such scenario file") from None
    except OSError as exc:  # a symbolic link that loops (ELOOP), a file that cannot be read
        raise ScenarioError(f"{shown}: cannot read the scenario file ({exc.strerror or exc.__class__.__name__})") from None
    if len(raw) > SIZE_LIMIT:
        raise ScenarioError(f"{shown}: larger than {SIZE_LIMIT >> 20} MB, far more than a scenario file holds; "
                            f"is it the file you meant?")
    return raw


def _read_toml(path: Path, shown: str) -> tuple[dict, str]:
    """The parsed TOML document of a scenario file and its text; ``shown`` names it in messages."""
    raw = _read_bytes(path, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{shown}: not a text file (byte {exc.start} is not UTF-8); "
                            f"a scenario is a TOML text file of key = value lines") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        kind = _NOT_TOML_HINTS.get(path.suffix.lower())
        hint = f" (this looks like a {kind} file; journeysim reads TOML scenarios)" if kind else ""
        where = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)$|\s*\(at end of document\)$", "", str(exc))
        at = f", line {where.group(1)}, column {where.group(2)}" if where else ""
        raise ScenarioError(f"{shown}{at}: not valid TOML: {reason[:1].lower()}{reason[1:]}{hint}") from None


@dataclass
class Raw:
    """Flattened values of a scenario file and its parents, with where each key was set."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _real(path: Path) -> Path:
    """``path`` with its symbolic links followed; ScenarioError for links that loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python raises RuntimeError for a loop of links
        raise ScenarioError(f"{path}: a symbolic link that leads round in a loop; cannot read the scenario file") from None


def load_raw(path: Path, seen: tuple[Path, ...] = (), extends_from: Path | None = None) -> Raw:
    """Flattened values and, per key, the file (and line) that set it; following ``extends``, a file named
    relative to ``path``'s folder (or to ``extends_from``: the app reads a scenario being built as if it were
    in the scenario folder)."""
    real = _real(path)
    doc, text = _read_toml(path, str(path))
    lines = key_lines(text)
    parent = doc.pop("extends", None)
    raw = Raw()
    if parent is not None:
        at = f"{path}, line {lines['extends']}" if "extends" in lines else str(path)
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(f"{at}: extends must be a file name in quotes, like \"hampshire.toml\"; got {parent!r}")
        ppath = (extends_from or path.parent) / parent
        looked = f" (looked for {ppath})" if str(ppath) != parent else ""
        if ppath.is_dir():
            raise ScenarioError(f"{at}: extends: '{parent}' is a folder, not a scenario file{looked}")
        if not ppath.is_file():
            raise ScenarioError(f"{at}: extends: no such scenario file '{parent}'{looked}")
        if _real(ppath) in (*seen, real):
            chain = " -> ".join(p.name for p in (*seen, real, _real(ppath)))
            raise ScenarioError(f"{at}: extends: circular inheritance ({chain})")
        if len(seen) + 1 >= EXTENDS_LIMIT:
            raise ScenarioError(f"{at}: extends: a chain of more than {EXTENDS_LIMIT} scenario files; a scenario "
                                f"extends a few at most")
        raw = load_raw(ppath, (*seen, real))
    raw.files.append(path)
    try:
        flat = _flatten(doc)
    except _Twice as twice:
        key = str(twice)
        line = _line_of(key, lines)
        raise ScenarioError(f"{path}{f', line {line}' if line else ''}: {key} is given twice (once in a [table] and "
                            f"once as a quoted dotted name); give it once") from None
    for k, v in flat.items():
        line = _line_of(k, lines)
        if k not in PARAMS:
            raise ScenarioError(f"{path}{f', line {line}' if line else ''}: unknown key '{k}'{_suggest(k)}")
        raw.values[k] = v
        raw.sources[k] = str(path)
        if line:
            raw.lines[k] = line
        else:
            raw.lines.pop(k, None)
    return raw


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``section.key=value`` (the value in TOML syntax, or a bare word)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected KEY=VALUE, e.g. --set workforce.hard_cap=18")
    key, raw = (s.strip() for s in text.split("=", 1))
    if "\n" in text or "\r" in text:
        raise ScenarioError(f"--set {text!r}: a value is one line; this one has a line break (set each key with "
                            f"its own --set)")
    if key not in PARAMS:
        raise ScenarioError(f"--set {text}: unknown key '{key}'{_suggest(key)}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as never
    return key, value
