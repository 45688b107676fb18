"""Writing an export without clobbering anyone's files.

The rules are journeysim's for every file it writes (:mod:`journeysim.ownership`): a folder
journeysim exports into keeps a record of what it wrote there (each file's name and SHA-256);
:func:`check` refuses, before anything is written, to put a file where one already is unless
``force`` is given, and even then only where the file there is one journeysim wrote and nobody
has changed since; any other file in the folder is left alone.  :func:`record` adds what was
written to the record.
"""

from __future__ import annotations

from pathlib import Path

from ..ownership import OwnershipError, check_files, claim


class ExportError(OwnershipError):
    """An export that cannot be written: a year the run does not cover, or files in the way (one line)."""


def check(folder: Path, names: list[str], force: bool, option: str = "--out") -> None:
    """ExportError unless ``names`` can be written into ``folder`` (see the module's doc)."""
    try:
        check_files(folder, names, force, option)
    except OwnershipError as exc:
        raise ExportError(str(exc)) from None


def record(folder: Path, names: list[str]) -> None:
    """Add ``names`` (now written in ``folder``) to the folder's record of journeysim's files."""
    claim(folder, names)
