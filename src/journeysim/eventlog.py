"""The append-only event log: column buffers, Parquet write and read.

The model appends events through ``EventLog.emit``; rows are buffered column by
column and converted to an Arrow record batch every ``chunk_rows`` rows, so a long
run holds at most one chunk.  The buffers are the compiled module
``journeysim._columns`` (typed arrays) when the package was built with it, else
:class:`ListColumns` (Python lists); the two give byte-identical files.  With a
``path`` the batches stream straight into a Parquet file and memory does not grow
with the horizon.  Without one they are kept in memory and
:meth:`EventLog.to_table` returns them.

Reading goes through :func:`read_log`, which checks the schema version in the
file's metadata and upcasts logs written by an older version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import warnings
from array import array
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import compiled as _compiled
from .events import COLUMN_NAMES, COLUMNS, SCHEMA_VERSION, Event, arrow_schema

_EPOCH = dt.date(1970, 1, 1)
_NO_AGE = float("nan")
_DOUBLES = ("time", "age")  # the columns buffered as typed arrays of doubles


def age_array(ages: np.ndarray) -> pa.Array:
    """The age column of a chunk from its ages as doubles, a missing age being NaN: float32,
    null where missing (for both column buffers: ListColumns and the compiled Columns)."""
    missing = np.isnan(ages)
    return pa.array(ages.astype(np.float32), mask=missing if missing.any() else None)


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


class ListColumns:
    """A chunk's rows in Python lists (typed arrays of doubles for time and age), one per column.

    The reference for the compiled :class:`journeysim._columns.Columns`, which keeps the same rows
    in typed arrays and gives the same Arrow arrays; the log uses this one when the package was
    installed without the compiled module (see :data:`COMPILED`).  An age is a new float for every
    event of a child; held in a list until the chunk is written, 65,536 of them sat in scattered
    free slots of a heap the model keeps busy, and freeing them together cost the model its cache
    (a county run about 5% slower).  In a typed array each is copied in and freed at once."""

    def __init__(self, capacity: int, full) -> None:
        self.capacity = capacity
        self.full = full  # called with the buffers when they hold capacity rows
        self._cols = self._empty()

    @staticmethod
    def _empty() -> list:
        return [array("d") if name in _DOUBLES else [] for name in COLUMN_NAMES if name not in ("seq", "date")]

    def __len__(self) -> int:
        return len(self._cols[0])

    # The hot path of the pure-Python log: one list append per column.
    def emit(self, time, event, case_id=None, child_id=None, family_id=None, team=None, worker=None, outcome=None,
             reason=None, legal_status=None, age=None, count=None, value=None) -> None:
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
        if len(c[0]) >= self.capacity:
            self.full(self)

    def take(self, fields: list[pa.Field]) -> list[pa.Array]:
        """The chunk's columns as Arrow arrays for the schema ``fields`` (the log's columns but seq
        and date: time, event, case_id, ..., value); the buffers are then empty."""
        out = []
        for field, values in zip(fields, self._cols):
            if isinstance(values, array):  # time, or age (a missing age is NaN)
                doubles = np.frombuffer(values, dtype=np.float64)
                out.append(pa.array(doubles) if field.name == "time" else age_array(doubles))
            else:
                out.append(pa.array(values, type=field.type))
        self._cols = self._empty()
        return out


# After age_array, which the compiled module imports from here.
_CompiledColumns = getattr(_compiled.built("_columns"), "Columns", None)

#: Whether the event log buffers its rows with the compiled module ``journeysim._columns``
#: (see :mod:`journeysim.compiled`).
COMPILED = _compiled.in_use("_columns") is not None


class EventLog:
    """Append-only log of domain events.

    Events are appended with ``emit(time, event, case_id=None, child_id=None, family_id=None,
    team=None, worker=None, outcome=None, reason=None, legal_status=None, age=None, count=None,
    value=None)``: ``time`` is in days since the start date, the rest are the columns of
    :data:`journeysim.events.COLUMNS` (None where they do not apply; an ``age`` of None or NaN is
    written as missing).  ``seq`` and ``date`` are derived when a chunk is flushed.

    Parameters
    ----------
    start_date:
        Calendar date of simulation time 0; each row's ``date`` is derived from it.
    path:
        Optional Parquet file to stream into.  The file is complete only after
        :meth:`close`.
    metadata:
        Extra key/value pairs stored in the Parquet schema metadata.
    chunk_rows:
        Rows per record batch (and Parquet row group).
    compiled:
        Buffer rows with the compiled module (default: :data:`COMPILED`) or in Python lists;
        the file is the same either way.
    thread:
        Write the file's batches in a thread of its own (:class:`_Writer`), or in turn as they
        fill; default: in a thread when this process may use more than one core.  The file is
        the same either way.
    """

    def __init__(
        self,
        start_date: dt.date,
        path: str | Path | None = None,
        metadata: dict[str, str] | None = None,
        chunk_rows: int = 65_536,
        compiled: bool | None = None,
        thread: bool | None = None,
    ) -> None:
        if compiled and _CompiledColumns is None:
            raise RuntimeError("journeysim._columns is not built: reinstall the package with a C compiler")
        self.schema = arrow_schema(metadata)
        writer = None
        if path:
            writer = pq.ParquetWriter(str(path), self.schema, **PARQUET_OPTIONS)
            if (cores_available() > 1) if thread is None else thread:
                writer = _Writer(writer)
        self._chunks = _Chunks(self.schema, (start_date - _EPOCH).days, writer)
        kind = _CompiledColumns if (COMPILED if compiled is None else compiled) else ListColumns
        self._columns = kind(chunk_rows, self._chunks)
        # The hot path: emit is the buffers' own method, with no call in between.
        self.emit = self._columns.emit
        self._closed = False

    @property
    def n(self) -> int:
        """Events appended so far."""
        return self._chunks.flushed + len(self._columns)

    def close(self) -> None:
        """Flush the last chunk and, when writing to a file, finish it."""
        if self._closed:
            return
        self._chunks(self._columns)
        if self._chunks.writer is not None:
            self._chunks.writer.close()
        self._closed = True
        self.emit = _emit_after_close

    def to_table(self) -> pa.Table:
        """The whole log as an Arrow table (in-memory logs only)."""
        if self._chunks.writer is not None:
            raise RuntimeError("this log streams to a file; read it with read_log()")
        if not self._closed:
            self._chunks(self._columns)
        return pa.Table.from_batches(self._chunks.batches, schema=self.schema)


class _Chunks:
    """Where full column buffers go: each becomes a record batch (with seq and date added),
    written to the Parquet file or kept in memory.  The buffers call it with themselves when
    full, and hold no reference back to the log: the log, its buffers and this form no cycle,
    which matters while a run pauses the garbage collector (world.py)."""

    def __init__(self, schema: pa.Schema, start_ordinal: int, writer: "pq.ParquetWriter | _Writer | None") -> None:
        self.schema = schema
        self.fields = [schema.field("time"), *list(schema)[3:]]  # the buffered columns: all but seq and date
        self.start_ordinal = start_ordinal
        self.writer = writer
        self.batches: list[pa.RecordBatch] = []  # without a writer
        self.flushed = 0  # rows already turned into record batches

    def __call__(self, columns) -> None:
        rows = len(columns)
        if not rows:
            return
        arrays = columns.take(self.fields)
        time = arrays[0].to_numpy()
        date = (self.start_ordinal + np.trunc(time)).astype(np.int32)
        seq = np.arange(self.flushed, self.flushed + rows, dtype=np.int64)
        batch = pa.RecordBatch.from_arrays(
            [pa.array(seq), arrays[0], pa.array(date, type=pa.int32()).cast(pa.date32()), *arrays[1:]], schema=self.schema)
        if self.writer is not None:
            self.writer.write_batch(batch)
        else:
            self.batches.append(batch)
        self.flushed += rows


def cores_available() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Writer:
    """Writes a log's record batches to its Parquet file in a thread of its own, so that encoding
    and compressing a chunk (pyarrow does it without Python's global lock) overlaps the run that
    fills the next: 6 to 7% of a county run's time, taken off it by a second core.  A log is
    written this way only when the process may use more than one core (on one, the thread would
    only contend for it: a county run pinned to one core took 1 to 2% longer).  The batches
    are written one at a time, in order, by the one thread, so the file is byte for byte the one
    writing them in turn would give; at most one batch is in the thread at a time (the next
    waits for it), so memory holds two chunks at most, and a failed write is raised in the run,
    at the next batch or at close."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self._writer = writer
        self._thread: ThreadPoolExecutor | None = None  # started with the first batch
        self._pending: Future | None = None

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._wait()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journeysim-log")
        self._pending = self._thread.submit(self._writer.write_batch, batch)

    def _wait(self) -> None:
        """Wait for the batch in the thread; if its write failed, stop the thread and raise the error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                pending.result()
            except BaseException:
                self._stop()
                raise

    def _stop(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    def close(self) -> None:
        """Wait for the last batch, stop the thread and finish the file."""
        try:
            self._wait()
        finally:
            self._stop()
            self._writer.close()


def _emit_after_close(*args, **kwargs) -> None:
    raise RuntimeError("event log is closed")


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
    _check_version(version, source)
    if version == 1:
        table = _v1_to_v2(table, source)
    return table


def _check_version(version: int, source: str) -> None:
    if version > SCHEMA_VERSION:
        raise LogFormatError(
            f"{source}: event log schema version {version} is newer than this journeysim "
            f"understands (up to {SCHEMA_VERSION}); upgrade journeysim to read it"
        )
    if version < 1:
        raise LogFormatError(f"{source}: event log schema version {version} is not supported "
                             f"(supported: 1 to {SCHEMA_VERSION})")


def _v1_to_v2(table: pa.Table, source: str) -> pa.Table:
    """Version 2 records the run's end (``journeysim.end_date``, the day after the last day
    simulated); version 1 did not, so a version 1 log's end is taken as the day after its last event."""
    meta = dict(table.schema.metadata or {})
    meta[b"journeysim.schema_version"] = b"2"
    meta[b"journeysim.migrated_from"] = b"1"
    end = _v1_end(pc.max(table.column("date")).as_py() if table.num_rows else None, source)
    if end is not None:
        meta[b"journeysim.end_date"] = end.isoformat().encode()
    return table.replace_schema_metadata(meta)


def _v1_end(last: dt.date | None, source: str, stacklevel: int = 5) -> dt.date | None:
    """The end of a version 1 log's run (the day after its ``last`` event; None for an empty log),
    with the :class:`LogMigrationWarning` that says so."""
    end = None if last is None else last + dt.timedelta(days=1)
    note = "" if end is None else (f": the end of its run, which version 1 did not record, is taken as the day "
                                   f"after its last event ({end})")
    warnings.warn(f"{source}: event log written at schema version 1, read as version 2{note}",
                  LogMigrationWarning, stacklevel=stacklevel)
    return end


def _schema_version(schema: pa.Schema, path: Path) -> int:
    """The schema version a log's file metadata records; LogFormatError if it records none or lacks columns."""
    raw = (schema.metadata or {}).get(b"journeysim.schema_version")
    if raw is None:
        raise LogFormatError(f"{path}: no 'journeysim.schema_version' in the file metadata; not a journeysim event log")
    missing = [c for c in COLUMN_NAMES if c not in schema.names]
    if missing:
        raise LogFormatError(f"{path}: event log lacks columns {missing}")
    try:
        version = int(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise LogFormatError(f"{path}: 'journeysim.schema_version' in the file metadata should be a whole number; "
                             f"got {raw[:20]!r}") from None
    _check_types(schema, path)
    return version


def _same_kind(found: pa.DataType, expected: pa.DataType) -> bool:
    """Whether a column stored as ``found`` holds what the log's ``expected`` type holds (any width of
    integer or float; text as a dictionary or plain)."""
    if pa.types.is_dictionary(expected):
        return (pa.types.is_dictionary(found) and pa.types.is_string(found.value_type)) or pa.types.is_string(found)
    for kind in (pa.types.is_integer, pa.types.is_floating, pa.types.is_date):
        if kind(expected):
            return kind(found)
    return found == expected


def _check_types(schema: pa.Schema, path: Path) -> None:
    """LogFormatError naming the first column whose stored type is not the log's (a child_id as text,
    a column of nothing but nulls)."""
    for name, expected, _ in COLUMNS:
        found = schema.field(name).type
        if not _same_kind(found, expected):
            raise LogFormatError(f"{path}: column '{name}' is stored as {found}; an event log stores it as {expected}")


def _opened(path: str | Path, read):
    """``read(path)`` of a log file, or LogFormatError if there is none or it is not readable Parquet."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(f"{path}: no such event log")
    try:
        return read(str(path))
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise LogFormatError(f"{path}: not a readable Parquet event log ({exc})") from None


def read_log(path: str | Path) -> pa.Table:
    """Read an event log, checking and upcasting its schema version."""
    table = _opened(path, pq.read_table)
    return upcast(table, _schema_version(table.schema, Path(path)), str(path))


def check_log_file(path: str | Path) -> None:
    """Check an event-log file as :func:`read_log` does, reading only its metadata, for readers that
    scan the file themselves (:mod:`journeysim.projections`): the same error for a missing, unreadable,
    foreign or newer file, and the same note for a version 1 log, whose events need no migration
    (its end is taken from its last date, as read_log takes it)."""
    path = Path(path)
    schema = _opened(path, pq.read_schema)
    version = _schema_version(schema, path)
    _check_version(version, str(path))
    if version == 1:
        dates = pq.read_table(str(path), columns=["date"]).column("date")
        _v1_end(pc.max(dates).as_py() if len(dates) else None, str(path), stacklevel=3)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded in run manifests)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

