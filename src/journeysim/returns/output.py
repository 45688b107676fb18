"""Writing an export without clobbering anyone's files.

A folder journeysim exports into keeps a record of what it wrote there, ``.journeysim-export.json``
(each file's name and SHA-256).  :func:`check` refuses, before anything is written, to put a file
where one already is unless ``force`` is given, and even then only where the file there is one
journeysim wrote and nobody has changed since (its digest is the recorded one); any other file in
the folder is left alone.  :func:`record` adds what was written to the record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

RECORD = ".journeysim-export.json"


class ExportError(Exception):
    """An export that would overwrite files journeysim cannot prove it wrote (one line)."""


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _recorded(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.get("files", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def check(folder: Path, names: list[str], force: bool, option: str = "--out") -> None:
    """ExportError unless ``names`` can be written into ``folder`` (see the module's doc)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{option} {folder}: is a file, not a folder")
    present = [n for n in names if (folder / n).exists()]
    if not present:
        return
    if not force:
        raise ExportError(f"{option} {folder}: already holds {', '.join(present)}; give another folder, or "
                          f"--force to replace files an earlier journeysim export wrote there")
    recorded = _recorded(folder)
    foreign = [n for n in present if (folder / n).is_dir() or recorded.get(n) != _digest(folder / n)]
    if foreign:
        raise ExportError(f"{option} {folder}: {', '.join(foreign)} {'was' if len(foreign) == 1 else 'were'} not "
                          f"written by journeysim (or changed since), so --force leaves "
                          f"{'it' if len(foreign) == 1 else 'them'} alone; move {'it' if len(foreign) == 1 else 'them'} "
                          f"or export to another folder")


def record(folder: Path, names: list[str]) -> None:
    """Add ``names`` (now written in ``folder``) to the folder's record of journeysim's files."""
    folder = Path(folder)
    files = _recorded(folder)
    files.update({n: _digest(folder / n) for n in names})
    tmp = folder / (RECORD + ".partial")
    tmp.write_text(json.dumps({"written_by": "journeysim", "files": dict(sorted(files.items()))}, indent=1) + "\n",
                   encoding="utf-8")
    tmp.replace(folder / RECORD)
