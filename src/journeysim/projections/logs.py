"""The event logs a projection reads: one log or many, as one Polars frame with the replication a column.

Every projection is computed per replication: its input is :class:`Logs`, the events of one or
many replications' logs with a ``rep`` column, and its grouping keys start with ``rep``, so a
results folder of any size is one query, not one frame per replication.  A projection also
takes a single log as it always has (a Parquet file journeysim wrote, an Arrow table as
:func:`journeysim.eventlog.read_log` or an in-memory run gives, or a pandas DataFrame of one),
and then answers without the ``rep`` column.

Log files are scanned, not read whole: a projection reads only the columns and events it
needs, straight from the Parquet file.  Rows are in ``seq`` order within each replication
(the order events happened; a log's dates never go back in that order), which the
projections rely on for "first" and "latest".  :meth:`Logs.batches` splits many large logs
into groups of replications, so that memory stays bounded whatever the number of them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pandas as pd
import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pyarrow.parquet as pq

from ..calendar import fy_label
from ..eventlog import check_log_file
from ..events import COLUMN_NAMES, Event, arrow_schema

#: The key of a child's journey (``rep``, ``case_id``, ``child_id``) and of a child (``rep``,
#: ``child_id``) as one integer column each, which :meth:`Logs.read` adds.
JOURNEY, CHILD = "journey", "child"

#: The event type of a row, as an expression.
EVENT = pl.col("event")

#: The event column's type: every event type the model can log, as a Polars Enum, so that selecting
#: events (``EVENT.is_in([...])``, the first step of every projection) compares small integer codes
#: instead of casting the whole column to text (a county log: 3 ms and no copy, against 90 ms and
#: a 40 MiB copy as a Categorical).  A name no journeysim logs (a hand-edited file) becomes null,
#: which no projection selects, as the text never matched either.
EVENT_TYPE = pl.Enum([e.value for e in Event])

#: Events of many replications read at once, at most: about two county replications.
BATCH_EVENTS = 5_000_000

_LOG_SCHEMA = arrow_schema()


class Logs:
    """The events of one or many replications' logs (:attr:`frame`: a LazyFrame with ``rep`` and the
    log's columns, in ``rep``, ``seq`` order).

    ``single`` is True for one log given as such (not as replication ``rep`` of a folder): the
    projections' answers then have no ``rep`` column."""

    def __init__(self, frame: pl.LazyFrame, sizes: Mapping[int, int | None], single: bool = False) -> None:
        self.frame = frame
        self.sizes = dict(sizes)  # replication -> events in its log (None when not known without reading it)
        self.single = single
        self._scans: dict[int, pl.LazyFrame] = {}  # replication -> its log file's scan, columns as the file has them

    @property
    def reps(self) -> list[int]:
        return list(self.sizes)

    @classmethod
    def files(cls, paths: Mapping[int, str | Path]) -> "Logs":
        """The logs of replications ``{rep: path}``, checked as :func:`journeysim.eventlog.read_log`
        checks a log, and scanned where they lie."""
        scans, sizes = {}, {}
        for rep, path in paths.items():
            check_log_file(path)
            sizes[rep] = pq.read_metadata(str(path)).num_rows
            scans[rep] = pl.scan_parquet(path)
        return cls._of_scans(scans, sizes)

    @classmethod
    def _of_scans(cls, scans: Mapping[int, pl.LazyFrame], sizes: Mapping[int, int | None], single: bool = False) -> "Logs":
        logs = cls(_concat(scan.select(_with_rep(rep)) for rep, scan in scans.items()), sizes, single)
        logs._scans = dict(scans)
        return logs

    @classmethod
    def of(cls, log) -> "Logs":
        """Any event log a projection takes, as :class:`Logs`: itself if it is one; a log file's path;
        an Arrow table; a pandas DataFrame (columns as an Arrow table converts, or as
        :func:`journeysim.projections.as_frame` leaves them)."""
        if isinstance(log, Logs):
            return log
        if isinstance(log, (str, Path)):
            logs = cls.files({0: log})
            logs.single = True
            return logs
        if isinstance(log, pd.DataFrame):
            log = _arrow_of_frame(log)
        if not isinstance(log, pa.Table):
            raise TypeError(f"not an event log: {type(log).__name__}")
        frame = pl.from_arrow(log.select(COLUMN_NAMES))
        if not frame["seq"].is_sorted():
            frame = frame.sort("seq")
        return cls(frame.lazy().select(_with_rep(0)), {0: frame.height}, single=True)

    def rows(self, *events) -> pl.LazyFrame:
        """The events of the given types (Event members or names), or every event when none are given."""
        names = [getattr(e, "value", e) for e in events]
        if not names:
            return self.frame
        if self._scans:  # log files: the selection goes into each file's scan, where the Parquet reader
            # decodes the other columns only for the rows it keeps (a county log's measure events: 0.14 s, not 0.21)
            return _concat(scan.filter(EVENT.cast(EVENT_TYPE, strict=False).is_in(names)).select(_with_rep(rep))
                           for rep, scan in self._scans.items())
        return self.frame.filter(EVENT.is_in(names))

    def read(self, events: Iterable = (), columns: Iterable[str] | None = None) -> "Logs":
        """These logs held in memory, only the given events (all when none) and columns (all when
        None; ``rep`` always), with the keys :data:`JOURNEY` and :data:`CHILD` when they
        have ``case_id`` and ``child_id``: what a projection reads before it starts, and what
        several projections read at once share."""
        frame = self.rows(*events)
        if columns is not None:
            keys = [k for k in (JOURNEY, CHILD) if k in self.frame.collect_schema()]
            frame = frame.select(*dict.fromkeys(["rep", *columns, *keys]))
        frame = frame.collect()
        if JOURNEY not in frame.columns and {"case_id", "child_id"} <= set(frame.columns):
            frame = _with_keys(frame)
        return Logs(frame.lazy(), self.sizes, self.single)

    def batches(self, max_events: int = BATCH_EVENTS) -> Iterator["Logs"]:
        """These logs in groups of whole replications of at most ``max_events`` events each (one
        replication alone when it is larger)."""
        if not self._scans or sum(n or 0 for n in self.sizes.values()) <= max_events:
            yield self
            return
        group: list[int] = []
        for rep in self.reps:
            if group and sum(self.sizes[r] for r in [*group, rep]) > max_events:
                yield self._subset(group)
                group = []
            group.append(rep)
        yield self._subset(group)

    def _subset(self, reps: list[int]) -> "Logs":
        return Logs._of_scans({r: self._scans[r] for r in reps}, {r: self.sizes[r] for r in reps}, self.single)

    def rep_frame(self) -> pl.DataFrame:
        """The replications, one row each (``rep``): the grid an answer is filled in on."""
        return pl.DataFrame({"rep": self.reps}, schema={"rep": pl.Int32})

    def answer(self, frame: pl.DataFrame | pl.LazyFrame) -> pd.DataFrame:
        """A projection's answer as pandas, text columns as strings and dates as datetime64[ns];
        without ``rep`` for a single log."""
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        return to_pandas(frame.drop("rep") if self.single and "rep" in frame.columns else frame)


def to_pandas(frame: pl.DataFrame | pl.LazyFrame) -> pd.DataFrame:
    """A Polars frame as pandas, text columns as strings and dates as datetime64[ns]."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    text = cs.categorical() | cs.enum()
    return frame.with_columns(text.cast(pl.String), pl.col(pl.Date).cast(pl.Datetime("ns"))).to_pandas()


def per_batch(logs: Logs, project, *args) -> pl.DataFrame:
    """``project(batch, *args)`` (a Polars DataFrame with ``rep``) for each batch of ``logs``, stacked."""
    return pl.concat([project(batch, *args) for batch in logs.batches()], how="vertical_relaxed")


def _with_rep(rep: int) -> list[pl.Expr]:
    return [pl.lit(rep, pl.Int32).alias("rep"),
            *[EVENT.cast(EVENT_TYPE, strict=False) if c == "event" else pl.col(c) for c in COLUMN_NAMES]]


def _concat(frames: Iterable[pl.LazyFrame]) -> pl.LazyFrame:
    frames = list(frames)
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def _with_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with :data:`JOURNEY` and :data:`CHILD`: its ids packed into one integer each, exactly
    (``(rep * cases + case_id) * children + child_id``, sizes from the largest ids), so that the
    projections group and order journeys by one column rather than three; in the unlikely event that
    the ids do not fit in 63 bits, their dense ranks instead."""
    top = frame.select(pl.col("rep", "case_id", "child_id").max().name.suffix("_max"),
                       pl.col("case_id", "child_id").min().name.suffix("_min")).row(0, named=True)
    cases, children = (top["case_id_max"] or 0) + 1, (top["child_id_max"] or 0) + 1
    rep, case, child = pl.col("rep").cast(pl.Int64), pl.col("case_id"), pl.col("child_id")
    reps = (top["rep_max"] or 0) + 1
    if reps * cases * children < 2**63 and min(top["case_id_min"] or 0, top["child_id_min"] or 0) >= 0:
        keys = {"journey": (rep * cases + case) * children + child, "child": rep * children + child}
    else:
        keys = {"journey": pl.when(case.is_not_null() & child.is_not_null())
                .then(pl.struct(rep, case, child).rank("dense").cast(pl.Int64)),
                "child": pl.when(child.is_not_null()).then(pl.struct(rep, child).rank("dense").cast(pl.Int64))}
    return frame.lazy().with_columns(**keys).collect()  # lazily: an eager with_columns would copy every column


def _arrow_of_frame(df: pd.DataFrame) -> pa.Table:
    """A pandas log (raw, or converted by as_frame) as an Arrow table of the log's schema."""
    df = df[COLUMN_NAMES].copy()
    df["date"] = pd.to_datetime(df["date"]).dt.date
    arrays = {}
    for field in _LOG_SCHEMA:
        column = df[field.name]
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        values = column.astype(object).where(column.notna(), None) if pa.types.is_string(kind) else column
        arrays[field.name] = pa.array(values, type=kind, from_pandas=True)
    return pa.table(arrays)


# ------------------------------------------------------------------ financial years
def fy(date: str | pl.Expr = "date") -> pl.Expr:
    """Start year of the financial year (1 April - 31 March) of a date column, as ``fy``."""
    d = pl.col(date) if isinstance(date, str) else date
    return (d.dt.year() - (d.dt.month() < 4).cast(pl.Int32)).alias("fy")


def fy_end(year: int) -> dt.date:
    """31 March closing the financial year that starts in ``year``."""
    return dt.date(year + 1, 3, 31)


def label(year: int) -> str:
    return fy_label(year)


def year_label(years: Iterable[int]) -> pl.Expr:
    """The label (``"2016-17"``) of column ``fy``, one of ``years``, as ``year``."""
    return pl.col("fy").replace_strict({y: label(y) for y in years}, return_dtype=pl.String).alias("year")


def all_years(logs: Logs) -> list[int]:
    """Start years of every financial year with at least one event."""
    years = logs.frame.select(fy().unique()).collect()["fy"].drop_nulls()
    return sorted(int(y) for y in years)
