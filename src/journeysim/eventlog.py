"""The append-only event log: typed column buffers, Parquet write and read.

The model appends events through :meth:`EventLog.emit`; rows are buffered in
one buffer per column (typed arrays of doubles for time and age, lists for the
others) and converted to an Arrow record batch every
``chunk_rows`` rows, so a long run holds at most one chunk of Python objects.
With a ``path`` the batches stream straight into a Parquet file and memory does
not grow with the horizon.  Without one they are kept in memory and
:meth:`EventLog.to_table` returns them.

Reading goes through :func:`read_log`, which checks the schema version in the
file's metadata and upcasts logs written by an older version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from array import array
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .events import COLUMN_NAMES, COLUMNS, SCHEMA_VERSION, Event, arrow_schema

_EPOCH = dt.date(1970, 1, 1)
_NO_AGE = float("nan")
_DOUBLES = ("time", "age")  # the columns buffered as typed arrays of doubles


def _buffers() -> list:
    """A chunk's column buffers (all but seq and date): typed arrays of doubles for time and age,
    lists for the rest.  An age is a new float for every event of a child; held in a list until
    the chunk is written, 65,536 of them sat in scattered free slots of a heap the model keeps
    busy, and freeing them together cost the model its cache (a county run about 5% slower).  In
    a typed array each is copied in and freed at once."""
    return [array("d") if name in _DOUBLES else [] for name in COLUMN_NAMES if name not in ("seq", "date")]


#: How logs are written: zstd; Parquet's dictionary encoding only for the columns that are already
#: Arrow dictionaries (the ids and numbers are mostly distinct, so dictionary pages of them cost
#: time and bytes for nothing); min/max statistics only for seq, time and date, the columns that
#: readers filter row groups by.  A third smaller and twice as fast to write as Parquet's defaults.
PARQUET_OPTIONS = {
    "compression": "zstd",
    "use_dictionary": [name for name, kind, _ in COLUMNS if pa.types.is_dictionary(kind)],
    "write_statistics": ["seq", "time", "date"],
}


class LogFormatError(Exception):
    """An event-log file that this version cannot read."""


class LogMigrationWarning(UserWarning):
    """An event log written by an older schema version was migrated as it was read."""


class EventLog:
    """Append-only log of domain events.

    Parameters
    ----------
    start_date:
        Calendar date of simulation time 0; each row's ``date`` is derived from it.
    path:
        Optional Parquet file to stream into.  The file is complete only after
        :meth:`close`.
    metadata:
        Extra key/value pairs stored in the Parquet schema metadata.
    """

    def __init__(
        self,
        start_date: dt.date,
        path: str | Path | None = None,
        metadata: dict[str, str] | None = None,
        chunk_rows: int = 65_536,
    ) -> None:
        self.schema = arrow_schema(metadata)
        self._start_ordinal = (start_date - _EPOCH).days
        self._chunk_rows = chunk_rows
        self._cols = _buffers()  # all but seq and date
        self._batches: list[pa.RecordBatch] = []
        self._writer = pq.ParquetWriter(str(path), self.schema, **PARQUET_OPTIONS) if path else None
        self._closed = False
        self._flushed = 0  # rows already converted to record batches
        self.n = 0

    # The hot path: one list append per column; seq and date are derived when a chunk is flushed.
    def emit(
        self,
        time: float,
        event: Event,
        case_id: int | None = None,
        child_id: int | None = None,
        family_id: int | None = None,
        team: str | None = None,
        worker: int | None = None,
        outcome: str | None = None,
        reason: str | None = None,
        legal_status: str | None = None,
        age: float | None = None,
        count: int | None = None,
        value: float | None = None,
    ) -> None:
        """Append one event.  ``time`` is in days since the start date; an ``age`` of None (or NaN)
        is written as missing."""
        if self._closed:
            raise RuntimeError("event log is closed")
        c = self._cols
        c[0].append(time)
        c[1].append(event)
        c[2].append(case_id)
        c[3].append(child_id)
        c[4].append(family_id)
        c[5].append(team)
        c[6].append(worker)
        c[7].append(outcome)
        c[8].append(reason)
        c[9].append(legal_status)
        c[10].append(_NO_AGE if age is None else age)
        c[11].append(count)
        c[12].append(value)
        self.n += 1
        if len(c[0]) >= self._chunk_rows:
            self._flush()

    def _flush(self) -> None:
        cols = self._cols
        rows = len(cols[0])
        if not rows:
            return
        time = np.frombuffer(cols[0], dtype=np.float64)
        date = (self._start_ordinal + np.trunc(time)).astype(np.int32)
        arrays = [pa.array(np.arange(self._flushed, self._flushed + rows, dtype=np.int64)),
                  pa.array(time), pa.array(date, type=pa.int32()).cast(pa.date32())]
        # the columns after seq, time and date, in schema order (an Event is a str: its value)
        for field, values in zip(list(self.schema)[3:], cols[1:]):
            if isinstance(values, array):  # age: a missing age is NaN
                ages = np.frombuffer(values, dtype=np.float64)
                missing = np.isnan(ages)
                arrays.append(pa.array(ages.astype(np.float32), mask=missing if missing.any() else None))
            else:
                arrays.append(pa.array(values, type=field.type))
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        if self._writer is not None:
            self._writer.write_batch(batch)
        else:
            self._batches.append(batch)
        self._flushed += rows
        self._cols = _buffers()

    def close(self) -> None:
        """Flush the last chunk and, when writing to a file, finish it."""
        if self._closed:
            return
        self._flush()
        if self._writer is not None:
            self._writer.close()
        self._closed = True

    def to_table(self) -> pa.Table:
        """The whole log as an Arrow table (in-memory logs only)."""
        if self._writer is not None:
            raise RuntimeError("this log streams to a file; read it with read_log()")
        if not self._closed:
            self._flush()
        return pa.Table.from_batches(self._batches, schema=self.schema)


def table_from_rows(rows: list[dict], start_date: dt.date = dt.date(2014, 4, 1)) -> pa.Table:
    """Build a log table from hand-written rows (dicts of column values).

    Used by tests and examples: ``seq`` is assigned in row order and ``date`` is
    derived from ``time`` unless given.
    """
    log = EventLog(start_date)
    for row in rows:
        row = dict(row)
        event = row.pop("event")
        if not isinstance(event, Event):
            event = Event(event)
        log.emit(row.pop("time"), event, **row)
    return log.to_table()


def write_log(table: pa.Table, path: str | Path) -> None:
    """Write a log table to Parquet (zstd, the schema metadata kept)."""
    pq.write_table(table, str(path), **PARQUET_OPTIONS)


def upcast(table: pa.Table, version: int, source: str) -> pa.Table:
    """Migrate a log written by schema ``version`` to the current version, one version at a time,
    with a :class:`LogMigrationWarning` saying what was assumed."""
    if version > SCHEMA_VERSION:
        raise LogFormatError(
            f"{source}: event log schema version {version} is newer than this journeysim "
            f"understands (up to {SCHEMA_VERSION}); upgrade journeysim to read it"
        )
    if version < 1:
        raise LogFormatError(f"{source}: event log schema version {version} is not supported "
                             f"(supported: 1 to {SCHEMA_VERSION})")
    if version == 1:
        table = _v1_to_v2(table, source)
    return table


def _v1_to_v2(table: pa.Table, source: str) -> pa.Table:
    """Version 2 records the run's end (``journeysim.end_date``, the day after the last day
    simulated); version 1 did not, so a version 1 log's end is taken as the day after its last event."""
    meta = dict(table.schema.metadata or {})
    meta[b"journeysim.schema_version"] = b"2"
    meta[b"journeysim.migrated_from"] = b"1"
    note = ""
    if table.num_rows:
        end = pc.max(table.column("date")).as_py() + dt.timedelta(days=1)
        meta[b"journeysim.end_date"] = end.isoformat().encode()
        note = (f": the end of its run, which version 1 did not record, is taken as the day after its "
                f"last event ({end})")
    warnings.warn(f"{source}: event log written at schema version 1, read as version 2{note}",
                  LogMigrationWarning, stacklevel=4)
    return table.replace_schema_metadata(meta)


def read_log(path: str | Path) -> pa.Table:
    """Read an event log, checking and upcasting its schema version."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(f"{path}: no such event log")
    try:
        table = pq.read_table(str(path))
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise LogFormatError(f"{path}: not a readable Parquet event log ({exc})") from None
    meta = table.schema.metadata or {}
    raw = meta.get(b"journeysim.schema_version")
    if raw is None:
        raise LogFormatError(f"{path}: no 'journeysim.schema_version' in the file metadata; not a journeysim event log")
    table = upcast(table, int(raw), str(path))
    missing = [c for c in COLUMN_NAMES if c not in table.column_names]
    if missing:
        raise LogFormatError(f"{path}: event log lacks columns {missing}")
    return table


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded in run manifests)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

