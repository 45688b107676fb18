"""A scenario as a planner builds it in the app: a base and the changes made to it.

A :class:`Draft` is what a scenario file says: ``extends`` (a file of the scenario folder, or
nothing) and the keys it sets.  It starts from a file of the folder (:func:`from_folder`: it
extends that file and sets nothing yet) or from an uploaded TOML (:func:`from_upload`); the
levers change keys (:meth:`Draft.with_values`) and append recruitment drives
(:meth:`Draft.with_drives`), never dropping the ones the base had.  :meth:`Draft.toml` is the
file to download or save, and :meth:`Draft.load` loads exactly that text, beside the folder's
files, with the loader ``journeysim validate`` uses: the app runs the file a planner takes away,
and the command line runs it with the same results.

An upload is data, never code: TOML is parsed, not run; its ``extends`` may name only a file of
the scenario folder, and it may not name other files (``run.start_state``,
``run.parameter_draws``), so that it cannot read anything outside the folder.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from ..scenario import PARAMS, Scenario, ScenarioError, from_values
from ..scenario.files import _flatten, load_raw

#: Largest upload read, in bytes (a scenario is a few kilobytes).
MAX_UPLOAD_BYTES = 100_000
#: Keys whose values name files: an upload may not set them.
FILE_KEYS = tuple(key for key, p in PARAMS.items() if p.kind in ("path", "draws"))
#: The file name messages give for a scenario built from a file of the folder, until it is saved.
NEW_FILE = "new-scenario.toml"
#: The first line of a file the app saves: the app replaces only files that start with it.
SAVED_MARK = "# A scenario saved by the journeysim app"


@dataclass(frozen=True)
class Draft:
    """What a scenario file says: the file it extends (in ``folder``) and the flat keys it sets."""

    folder: Path
    extends: str | None
    values: dict[str, Any] = field(default_factory=dict)
    shown: str = "scenario"  # the file name messages give

    def with_values(self, changes: dict[str, Any]) -> "Draft":
        """The draft with ``changes`` (flat keys) set."""
        return replace(self, values={**self.values, **changes})

    def with_drives(self, base: Scenario, added: list[dict]) -> "Draft":
        """The draft with recruitment drives ``added`` after ``base``'s own (the base's are kept)."""
        if not added:
            return self
        return self.with_values({"workforce.drives": [*base["workforce.drives"], *added]})

    def toml(self) -> str:
        """The scenario file: a header, ``extends``, then the keys set, by section."""
        head = {"extends": self.extends} if self.extends else {}
        top = {k: v for k, v in self.values.items() if "." not in k}
        nested: dict = {}
        for key, value in self.values.items():
            if "." in key:
                section, rest = key.split(".", 1)
                nested.setdefault(section, {})[rest] = value
        where = f"saved beside {self.extends}" if self.extends else "wherever it is saved"
        return (f"{SAVED_MARK}: it runs with 'journeysim run', {where}.\n"
                + tomli_w.dumps({**head, **top, **nested}))

    def load(self) -> Scenario:
        """The checked scenario of :meth:`toml`, as ``journeysim validate`` would load it from the scenario folder
        (ScenarioError with the same message, naming the file as :attr:`shown`)."""
        return load_text(self.toml(), self.folder, self.shown)


def scenario_files(folder: Path) -> list[str]:
    """The scenario files of ``folder`` (sorted file names)."""
    return sorted(p.name for p in Path(folder).glob("*.toml") if p.is_file())


def from_folder(folder: Path, name: str) -> Draft:
    """A draft extending ``name``, a file of ``folder``, that sets nothing yet."""
    if name not in scenario_files(folder):
        raise ScenarioError(f"{name}: not a scenario file of {folder}")
    return Draft(Path(folder), name, {}, shown=NEW_FILE)


def from_upload(folder: Path, filename: str, data: bytes) -> Draft:
    """A draft of an uploaded scenario file (checked: see the module's docstring); ScenarioError naming the
    upload's file name when it is refused or does not load."""
    shown = Path(filename).name or "upload.toml"
    if shown in scenario_files(folder):
        shown = f"uploaded-{shown}"  # not to be confused with (or extend) the folder's file of that name
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"{shown}: {len(data):,} bytes; an uploaded scenario may have at most "
                            f"{MAX_UPLOAD_BYTES:,} (a scenario is a few kilobytes of key = value lines)")
    try:
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        load_text(data, folder, shown)  # raises the loader's own message
        raise
    parent = doc.pop("extends", None)
    files = scenario_files(folder)
    if parent is not None and (not isinstance(parent, str) or parent not in files):
        raise ScenarioError(f"{shown}: extends: {parent!r} is not a file of the scenario folder; an uploaded scenario "
                            f"may extend only one of {', '.join(files)}")
    values = _flatten(doc)
    named = [k for k in FILE_KEYS if values.get(k, "") not in ("", "none")]  # "" and "none" name no file
    if named:
        raise ScenarioError(f"{shown}: {named[0]}: an uploaded scenario may not name other files; remove it, or save "
                            f"the scenario in the scenario folder and run it from the command line")
    load_text(text, folder, shown)  # the upload as written: the messages (and lines) of journeysim validate
    return Draft(Path(folder), parent, values, shown=shown)


def load_text(text: str | bytes, folder: Path, shown: str) -> Scenario:
    """Load a scenario file's ``text`` as if it were the file ``shown`` of ``folder`` (its ``extends`` found
    there), without writing into the folder: it is written to a private folder and read from there with the
    loader ``journeysim validate`` uses.  Messages name ``shown``, never that private folder."""
    with tempfile.TemporaryDirectory(prefix="journeysim-app-") as tmp:
        path = Path(tmp) / shown
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        try:
            raw = load_raw(path, extends_from=Path(folder))
            return from_values(raw.values, raw.sources, shown, [str(f) for f in raw.files], [], raw.lines)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(f"{tmp}/", "")) from None


def save(draft: Draft, library: Path, filename: str) -> Path:
    """Write the draft into the scenario library as ``filename`` (a plain .toml name); replaces only a file the
    app saved there before (ScenarioError otherwise)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.toml", filename) or ".." in filename:
        raise ScenarioError(f"{filename!r}: give a file name of letters, digits, '_', '-' or '.', ending in .toml")
    path = Path(library) / filename
    if path.exists() and not path.read_text(encoding="utf-8", errors="replace").startswith(SAVED_MARK):
        raise ScenarioError(f"{filename}: already in the scenario library and not saved by the app; choose another name")
    if draft.extends == filename:
        raise ScenarioError(f"{filename}: the scenario extends this file; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(draft.toml(), encoding="utf-8")
    tmp.replace(path)
    return path
