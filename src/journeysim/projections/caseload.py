"""Social workers' caseloads: which worker holds which child at the end of a day.

The worker holding an open journey is its latest ``WorkerAllocated`` on or before the
date; a journey with a ``CaseClosed`` on or before the date holds no worker.  A worker
is in post unless they have a ``WorkerLeft`` on or before the date.  A worker's team
is the one in their latest ``WorkerJoined`` or ``WorkerMoved``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl

from ..events import Event
from .journeys import JOURNEY_COLUMNS, JOURNEY_EVENTS, journey_table
from .logs import JOURNEY, Logs
from .stocks import FAR, held_at, spells

#: The events the caseloads read.
CASELOAD_EVENTS = [*JOURNEY_EVENTS, Event.WORKER_LEFT]


def holdings(logs: Logs, days: list[dt.date], journeys: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """``rep``, ``day``, ``worker``, ``child_id``: the children held at the end of each of ``days``
    (sorted) by workers in post, each pair once.  ``journeys``: the log's journey table, if at hand."""
    logs = logs.read(CASELOAD_EVENTS, JOURNEY_COLUMNS)
    if journeys is None:
        journeys = journey_table(logs.frame)
    # an allocation holds until the journey's next allocation, or its closure if that comes first
    allocations = spells(logs.rows(Event.WORKER_ALLOCATED).select("rep", JOURNEY, "child_id", "date", "worker"), JOURNEY)
    allocations = allocations.join(journeys.select(JOURNEY, "closed"), on=JOURNEY, how="left")
    held = held_at(allocations.with_columns(until=pl.min_horizontal("until", pl.col("closed").fill_null(pl.lit(FAR)))), days)
    left = logs.rows(Event.WORKER_LEFT).group_by("rep", "worker").agg(left=pl.col("date").min())
    held = held.join(left, on=["rep", "worker"], how="left").filter(pl.col("left").fill_null(pl.lit(FAR)) > pl.col("day"))
    return held.select("rep", "day", "worker", "child_id").unique()


def caseloads(logs: Logs, days: list[dt.date], journeys: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """``rep``, ``day``, ``worker``, ``children``: each worker's caseload at the end of each day
    (workers holding at least one child).  ``journeys``: the log's journey table, if at hand."""
    return holdings(logs, days, journeys).group_by("rep", "day", "worker").agg(children=pl.len().cast(pl.Int64))


def mean_caseloads(logs: Logs, days: list[dt.date], journeys: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """``rep``, ``day``, ``caseload``: mean children per worker among workers in post holding at
    least one child, at the end of each day (no row where none)."""
    return holdings(logs, days, journeys).group_by("rep", "day").agg(caseload=pl.len() / pl.col("worker").n_unique())


def caseloads_at(log, date) -> pd.Series:
    """Children held by each worker (with at least one) at the end of ``date``."""
    held = caseloads(Logs.of(log), [pd.Timestamp(date).date()]).sort("worker").collect()
    return pd.Series(held["children"].to_numpy(), index=pd.Index(held["worker"].to_numpy(), name="worker"),
                     name="children")


def teams(logs: Logs, workers: pl.LazyFrame) -> pl.LazyFrame:
    """``workers`` (``rep``, ``day``, ``worker``, ...) with each worker's ``team`` at the end of the day."""
    moves = logs.read([Event.WORKER_JOINED, Event.WORKER_MOVED], ["date", "worker", "team"]).frame
    moves = moves.select("rep", "worker", since="date", team=pl.col("team").cast(pl.String))
    return workers.sort("day").join_asof(moves, left_on="day", right_on="since", by=["rep", "worker"],
                                         strategy="backward", check_sortedness=False).drop("since")


def caseload_frame(logs: Logs, freq: str = "MS", journeys: pl.LazyFrame | None = None) -> pl.DataFrame:
    """:func:`caseload_series` per replication, with ``rep`` (``journeys``: the log's journey table, if at hand)."""
    bounds = logs.frame.group_by("rep").agg(first=pl.col("date").min(), last=pl.col("date").max()).collect()
    periods = {rep: [d.date() for d in pd.date_range(first, last, freq=freq)] for rep, first, last in bounds.iter_rows()}
    wanted = pl.DataFrame([(rep, d, d - dt.timedelta(days=1)) for rep, dates in periods.items() for d in dates],
                          schema={"rep": pl.Int32, "date": pl.Date, "day": pl.Date}, orient="row")
    loads = caseloads(logs, sorted(set(wanted["day"])), journeys)
    out = teams(logs, wanted.lazy().join(loads, on=["rep", "day"]))
    return out.select("rep", "date", "team", "worker", "children").sort("rep", "date", "worker").collect()


def caseload_series(log, freq: str = "MS") -> pd.DataFrame:
    """Caseload of each worker holding at least one child at the start of each period.

    Periods are ``pandas.date_range`` steps of ``freq`` between the first and last event
    dates; the caseload "at the start" of a period date is the state at the end of the
    day before.  Columns: ``date`` (period start), ``team`` (the worker's team then),
    ``worker``, ``children``.
    """
    logs = Logs.of(log)
    return logs.answer(caseload_frame(logs, freq))
