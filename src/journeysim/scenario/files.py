"""Reading scenario files: TOML, ``extends``, the line of every key, unknown keys and the hint
after them, and ``--set section.key=value`` overrides.

What is read here is flat (dotted keys) and not yet checked: :func:`journeysim.scenario.from_values`
checks it against :data:`PARAMS`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import ScenarioError
from .params import PARAMS, SECTIONS


def _flatten(doc: dict, prefix: str = "") -> dict[str, Any]:
    """Flatten nested TOML tables to dotted keys, stopping at keys declared in PARAMS."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if key in PARAMS or not isinstance(v, dict):
            out[key] = v
        else:
            out.update(_flatten(v, key + "."))
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


def _read_toml(path: Path, shown: str) -> tuple[dict, str]:
    """The parsed TOML document of a scenario file and its text; ``shown`` names it in messages."""
    if path.is_dir():
        raise ScenarioError(f"{shown}: is a folder, not a scenario file (a scenario is a .toml file)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot read the scenario file ({exc.strerror or exc.__class__.__name__})") from None
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


def load_raw(path: Path, seen: tuple[Path, ...] = (), extends_from: Path | None = None) -> Raw:
    """Flattened values and, per key, the file (and line) that set it; following ``extends``, a file named
    relative to ``path``'s folder (or to ``extends_from``: the app reads a scenario being built as if it were
    in the scenario folder)."""
    real = path.resolve()
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
        if ppath.resolve() in (*seen, real):
            chain = " -> ".join(p.name for p in (*seen, real, ppath.resolve()))
            raise ScenarioError(f"{at}: extends: circular inheritance ({chain})")
        raw = load_raw(ppath, (*seen, real))
    raw.files.append(path)
    for k, v in _flatten(doc).items():
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
    if key not in PARAMS:
        raise ScenarioError(f"--set {text}: unknown key '{key}'{_suggest(key)}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as never
    return key, value
