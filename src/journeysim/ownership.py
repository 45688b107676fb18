"""What journeysim may delete or replace: only what it can prove it wrote.

Every command that writes goes through this module before it writes, so that a mistyped
``--out`` never costs a user a file of their own:

* :func:`check_place` refuses, whatever ``--force`` says, a results folder at a place that
  holds more than results: the file system's root, the home folder, the current folder, the
  folder holding a scenario file the command reads (or any folder above one of these), and
  a symbolic link (journeysim would write where the link points, not where the user looked).
* :func:`check_folder` decides whether ``--force`` may replace an existing folder: only when
  everything in it is journeysim's (:func:`foreign`): a run's manifest (``manifest.json``, as
  :mod:`journeysim.results.writer` writes it) and the files it lists, the event logs in
  ``events/``, files the folder's record lists unchanged, and folders that are themselves
  journeysim's (a comparison's or a sweep's runs).  An empty folder holds nothing to lose.
* :func:`check_file` and :func:`check_files` decide whether a single file (a report, an export,
  a figure, a table) may be written: where nothing is, or with ``--force`` over a regular file
  the record of its folder lists with the digest it has now.  Devices, FIFOs, sockets, folders
  and symbolic links are never written over.

The **record** is a small file, ``.journeysim-files.json``, in each folder journeysim writes
single files into: every file's name and SHA-256 (:func:`claim` adds to it).  It is
journeysim's mark on a file: a file it lists whose bytes have changed since is the user's.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Iterable

from .eventlog import file_digest

#: The record of the files journeysim wrote in a folder (name -> SHA-256).
RECORD = ".journeysim-files.json"
#: Records written by earlier versions (exports of the statutory returns only); still read.
_OLD_RECORDS = (".journeysim-export.json",)
#: Files a run's manifest stands for when it is from a version that did not list them (``files``).
_RUN_FILES = frozenset({"measures.csv", "summary.csv", "costs.csv", "costs_summary.csv", "scenario.toml",
                        "parameter_draws.csv", "forecast.csv", "forecast.png"})
#: Files a run writes on its way to the ones above (a manifest being replaced, a lock).
_RUN_WORKING = frozenset({"manifest.json.tmp", ".lock"})
_LOG_NAME = re.compile(r"rep-\d{3,}\.parquet")
#: How deep folders of runs go (a comparison's folder, its runs, their events).
_MAX_DEPTH = 6


class OwnershipError(Exception):
    """Something journeysim will not write over or delete (one line saying why)."""


# ------------------------------------------------------------------------------------------ the record
def recorded(folder: Path) -> dict[str, str]:
    """The files journeysim's record in ``folder`` lists (name -> SHA-256); empty when there is none
    or it cannot be read."""
    files: dict[str, str] = {}
    for name in (*_OLD_RECORDS, RECORD):
        try:
            data = json.loads((Path(folder) / name).read_text(encoding="utf-8"))
            files.update({str(k): str(v) for k, v in data.get("files", {}).items()})
        except (OSError, ValueError, AttributeError, UnicodeDecodeError):
            continue
    return files


def claim(folder: Path, names: Iterable[str]) -> None:
    """Add ``names`` (files just written in ``folder``) to the folder's record, with their digests."""
    folder = Path(folder)
    files = recorded(folder)
    files.update({n: file_digest(folder / n) for n in names})
    tmp = folder / (RECORD + ".partial")
    tmp.write_text(json.dumps({"written_by": "journeysim", "files": dict(sorted(files.items()))}, indent=1) + "\n",
                   encoding="utf-8")
    tmp.replace(folder / RECORD)


def claim_file(path: Path) -> None:
    """Add the file just written at ``path`` to its folder's record."""
    path = Path(path)
    claim(path.parent, [path.name])


# ------------------------------------------------------------------------------------ what a path is
def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # nothing there (or a file where a folder would be)
        return None


def _at_or_above(path: Path, place: Path) -> bool:
    return path == place or path in place.parents


def protected(path: Path, inputs: Iterable[str | Path] = ()) -> str | None:
    """Why a results folder may never be written at ``path`` (see the module's doc), or None."""
    where = Path(os.path.abspath(path))
    if where == Path(where.anchor):
        return "is the root folder"
    real = where.resolve()
    for place, what in ((Path.home(), "your home folder"), (Path.cwd(), "the current folder"),
                        *((Path(f).parent, f"the folder holding {f}") for f in inputs)):
        place = Path(os.path.abspath(place)).resolve()
        if real == place:
            return f"is {what}"
        if real in place.parents:
            return f"holds {what}"
    return None


def check_place(path: Path, option: str = "--out", inputs: Iterable[str | Path] = ()) -> None:
    """OwnershipError unless a folder of results may be made at ``path`` at all: not a place that
    holds more than results (:func:`protected`), nor a symbolic link, nor anything but a folder."""
    path = Path(path)
    reason = protected(path, inputs)
    if reason:
        raise OwnershipError(f"{option} {path}: {reason}; journeysim writes results only into a folder of their "
                             f"own (e.g. {option} results/NAME)")
    st = _lstat(path)
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise OwnershipError(f"{option} {path}: is a symbolic link (to {os.readlink(path)}); journeysim does not "
                             f"write results through a link: give the folder's own path")
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise OwnershipError(f"{option} {path}: is {'a file' if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)}, "
                             f"not a folder")


# ------------------------------------------------------------------------------------------- folders
def run_manifest(path: Path) -> dict | None:
    """The manifest at ``path`` when it is one journeysim wrote (a JSON object naming the journeysim that
    wrote it and listing event logs); None otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and "journeysim_version" in data and isinstance(data.get("event_logs"), list):
        return data
    return None


def _listed(manifest: dict) -> dict[str, str | None]:
    """The files a run's manifest stands for (name -> SHA-256, None where it gives none)."""
    files = manifest.get("files")
    if isinstance(files, dict):
        return {str(k): (str(v) if v is not None else None) for k, v in files.items()}
    return dict.fromkeys(_RUN_FILES)


def foreign(folder: Path, _depth: int = 0) -> str | None:
    """The first thing in ``folder`` that journeysim cannot prove it wrote, in words (its path and why),
    or None when everything in it is journeysim's (see the module's doc)."""
    folder = Path(folder)
    if _depth > _MAX_DEPTH:
        return f"{folder}: folders nested deeper than journeysim writes them"
    manifest = None
    if _lstat(folder / "manifest.json") is not None:
        manifest = run_manifest(folder / "manifest.json")
        if manifest is None:
            return f"{folder / 'manifest.json'}, which is not a manifest journeysim wrote"
    listed = _listed(manifest) if manifest is not None else {}
    record = recorded(folder)
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = folder / entry.name
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISDIR(mode):
            why = _events_foreign(path) if manifest is not None and entry.name == "events" \
                else foreign(path, _depth + 1)
            if why:
                return why
        elif not stat.S_ISREG(mode):
            return f"{path}, {_kind(mode)}"
        elif not _ours(path, manifest, listed, record):
            return _file_foreign(path, listed.get(entry.name) or record.get(entry.name))
    return None


def _ours(path: Path, manifest: dict | None, listed: dict, record: dict) -> bool:
    name = path.name
    if name in (RECORD, *_OLD_RECORDS):
        return True
    if manifest is not None and (name == "manifest.json" or name in _RUN_WORKING):
        return True
    if name in listed:
        return listed[name] is None or listed[name] == file_digest(path)
    return name in record and record[name] == file_digest(path)


def _file_foreign(path: Path, digest: str | None) -> str:
    return (f"{path}, which changed since journeysim wrote it" if digest
            else f"{path}, which journeysim did not write")


def _events_foreign(events: Path) -> str | None:
    """What in a run's ``events/`` folder is not an event log a run writes, or None."""
    for entry in os.scandir(events):
        if not (_LOG_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)):
            return f"{events / entry.name}, which is not an event log journeysim wrote"
    return None


def _not_a_folder(path: Path) -> str | None:
    """Why ``path`` is not a folder of its own (a file, a link, a device), or None."""
    st = _lstat(path)
    if st is None or stat.S_ISDIR(st.st_mode):
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"is a symbolic link (to {os.readlink(path)}); journeysim does not replace what a link points to"
    return f"is {'a file' if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)}, not a folder"


def check_folder(path: Path, option: str = "--out") -> None:
    """OwnershipError unless ``--force`` may replace the folder at ``path`` (see :func:`foreign`)."""
    not_folder = _not_a_folder(Path(path))
    if not_folder:
        raise OwnershipError(f"{option} {path}: {not_folder}")
    why = foreign(Path(path))
    if why:
        raise OwnershipError(f"{option} {path}: holds {why}, so --force will not replace the folder; move what is "
                             f"yours out of it, or choose another {option}")


def check_interrupted(path: Path) -> None:
    """OwnershipError unless ``path`` (an ``<out>.incomplete`` folder) is an interrupted run journeysim wrote
    (or an empty folder: nothing to lose)."""
    path = Path(path)
    not_folder = _not_a_folder(path)
    if not_folder:
        raise OwnershipError(f"{path}: {not_folder}; journeysim keeps an interrupted run there, so move it away or "
                             f"choose another --out")
    if not any(path.iterdir()):
        return
    manifest = run_manifest(path / "manifest.json")
    if manifest is None or manifest.get("complete") is not False:
        raise OwnershipError(f"{path}: a folder with the name journeysim gives an interrupted run, but it holds no "
                             f"manifest of an interrupted run, so journeysim will neither resume it nor delete it; "
                             f"move it away, or choose another --out")
    why = foreign(path)
    if why:
        raise OwnershipError(f"{path}: an interrupted run that now holds {why}, so journeysim will neither resume it "
                             f"nor delete it; move what is yours out of it, or choose another --out")


# --------------------------------------------------------------------------------------------- files
def _file_refusal(path: Path, force: bool) -> str | None:
    """Why ``path`` may not be written (with ``force`` or not), or None; "exists" when only --force is missing."""
    st = _lstat(path)
    if st is None:
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"is a symbolic link (to {os.readlink(path)}); journeysim does not write through links"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder; give a file name"
    if not stat.S_ISREG(st.st_mode):
        return f"is {_kind(st.st_mode)}, not a regular file; journeysim writes only regular files"
    if not force:
        return "exists"
    digest = recorded(path.parent).get(path.name)
    if digest is None:
        return (f"was not written by journeysim (its folder's {RECORD} does not list it), so --force leaves it "
                f"alone; move it or write elsewhere")
    if digest != file_digest(path):
        return "changed since journeysim wrote it, so --force leaves it alone; move it or write elsewhere"
    return None


def check_file(path: Path, option: str = "--out", force: bool = False) -> None:
    """OwnershipError unless a command may write the file ``path``: nothing is there, or with ``force``
    a file journeysim wrote and nobody changed since (see the module's doc)."""
    path = Path(path)
    why = _file_refusal(path, force)
    if why == "exists":
        raise OwnershipError(f"{option} {path}: already exists; give another name, or --force to replace a file "
                             f"journeysim wrote")
    if why:
        raise OwnershipError(f"{option} {path}: {why}")


def check_regular(path: Path, option: str) -> None:
    """OwnershipError unless ``path`` is nothing yet or a regular file: for the outputs a command refreshes
    in place by design (``calibrate``'s fit report), never a link, a folder, a device or a FIFO."""
    why = _file_refusal(Path(path), force=False)
    if why and why != "exists":
        raise OwnershipError(f"{option} {path}: {why}")


def check_files(folder: Path, names: list[str], force: bool, option: str = "--out") -> None:
    """OwnershipError unless every one of ``names`` may be written into ``folder`` (as :func:`check_file`
    decides for each); other files in the folder are left alone."""
    folder = Path(folder)
    st = _lstat(folder)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise OwnershipError(f"{option} {folder}: is {'a file' if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)}, "
                             f"not a folder")
    refusals = {n: _file_refusal(folder / n, force) for n in names}
    present = [n for n, why in refusals.items() if why == "exists"]
    if present:
        raise OwnershipError(f"{option} {folder}: already holds {', '.join(present)}; give another folder, or "
                             f"--force to replace files journeysim wrote there")
    for name, why in refusals.items():
        if why:
            raise OwnershipError(f"{option} {folder / name}: {why}")
