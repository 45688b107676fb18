"""The statutory returns: journeysim's runs written as the DfE's returns, and an authority's own
returns read back as a starting state and as estimates of the model's rates.

* out: :func:`export_return` writes one replication's year as the **SSDA903** return (children
  looked after: CSV tables, :mod:`.ssda903`) or the **CIN census** (children in need: XML,
  :mod:`.cin_census`), to the DfE's specifications for the collection year; both are built from
  each child's history (:mod:`.history`), with the fields the model does not hold drawn from
  documented distributions (:mod:`.synthetic`) and the code sets of :mod:`.codes`;
* in: :mod:`.extracts` reads an authority's extracts (or exported ones), reporting every row it
  cannot use by file, row and column without ever showing a personal value; :mod:`.snapshot` turns
  them into the open caseload at a date (``journeysim snapshot``), and :mod:`.estimate` into the
  model's rates with their intervals (``journeysim estimate``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from pathlib import Path

from . import codes
from .output import ExportError, check, record

#: Each log's histories while the log is alive, by the log's identity (an Arrow table is not hashable).
_HISTORIES: dict[int, object] = {}

#: The export formats of the statutory returns (``journeysim export --format``).
FORMATS = ("ssda903", "cin-census")


def export_return(log, fmt: str, year: str, out: str | Path, force: bool = False) -> dict[str, int]:
    """Write collection year ``year`` of ``log`` (an Arrow table with journeysim's metadata) as ``fmt``
    into ``out`` (a folder for ssda903, an .xml file for cin-census); returns rows (or records)
    written per file.  ExportError (one line) for a year the run does not cover, a year journeysim
    does not write, or files in the way."""
    from . import cin_census, ssda903
    from .history import histories

    try:
        codes.check_year(year)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    first, last = codes.year_bounds(year)
    meta = log.schema.metadata or {}
    end = dt.date.fromisoformat(meta.get(b"journeysim.end_date", b"1900-01-01").decode())
    begin = dt.date.fromisoformat(meta.get(b"journeysim.report_start", b"2999-01-01").decode())
    if end <= last or begin > first:
        raise ExportError(f"--year {year}: the run reports {begin} to {end - dt.timedelta(days=1)}, which does not "
                          f"cover {first} to {last}; run to {last + dt.timedelta(days=1)} (--set run.end="
                          f"{last + dt.timedelta(days=1)})")
    out = Path(out)
    if fmt == "ssda903":
        folder, names = out, [f for f, _ in codes.TABLES_903.values()]
    elif fmt == "cin-census":
        if out.is_dir():
            raise ExportError(f"--out {out}: is a folder; the CIN census is one XML file (e.g. --out cin_{year}.xml)")
        folder, names = out.parent, [out.name]
    else:
        raise ExportError(f"--format {fmt}: not a statutory return; they are {', '.join(FORMATS)}")
    check(folder, names, force)
    h = _HISTORIES.get(id(log))
    if h is None:  # both returns of a year, or two years, of one log: its histories folded once
        h = _HISTORIES[id(log)] = histories(log)
        weakref.finalize(log, _HISTORIES.pop, id(log), None)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / ".journeysim-export.partial"
    staging.mkdir(exist_ok=True)
    try:
        if fmt == "ssda903":
            counts = ssda903.write(h, year, staging)
        else:
            counts = {names[0]: cin_census.write(h, year, staging / names[0])["children"]}
        for n in names:
            (staging / n).replace(folder / n)
        record(folder, names)
    finally:
        for leftover in staging.glob("*"):
            leftover.unlink()
        staging.rmdir()
    return counts


__all__ = ["FORMATS", "ExportError", "export_return"]
