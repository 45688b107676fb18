"""Stocks at the end of a day: children in need, on a CP plan, looked after.

A stock "at 31 March" is the state at the end of that day: something started on or
before the date counts unless it also ended on or before the date.  Each stock is
found the same way, from *spells*: the relevant start and end events of each key (a
journey, or a child), in seq order; each event holds from its date until the key's next
event (:func:`spells`); at the end of a day, the event holding is the latest on or
before it, and the key counts when that event is a start (:func:`held_at`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl

from ..events import CASE_OPENING, Event
from .journeys import JOURNEY_COLUMNS, journey_table
from .logs import CHILD, EVENT, JOURNEY, Logs

#: A date after every log: the end of a spell that has not ended.
FAR = dt.date(9999, 12, 31)

_CIN_EVENTS = (*CASE_OPENING, Event.CASE_CLOSED)
_CP_EVENTS = (Event.CP_PLAN_STARTED, Event.CP_PLAN_ENDED, Event.CASE_CLOSED)
_CLA_EVENTS = (Event.CARE_ENTERED, Event.CARE_LEFT)

#: The events the stocks read, and their columns.
STOCK_EVENTS = sorted({*_CIN_EVENTS, *_CP_EVENTS, *_CLA_EVENTS}, key=list(Event).index)
STOCK_COLUMNS = ["date", "event", "case_id", "child_id", "legal_status"]


def latest(rows: pd.DataFrame, keys: list[str], date: pd.Timestamp) -> pd.DataFrame:
    """The last row (in seq order) per ``keys`` among ``rows`` (a pandas log) dated on or before ``date``:
    the fold these projections answer, for checking them by hand."""
    return rows[rows["date"] <= date].drop_duplicates(keys, keep="last")


def spells(rows: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """``rows`` (in seq order), each with ``until``: the date of the next row of the same ``key``
    (:data:`FAR` for the last).  A row holds from its ``date`` until then; since a log's dates never
    go back, the row holding at the end of a day is the latest on or before it."""
    same = pl.col(key) == pl.col(key).shift(-1)
    ordered = rows.sort(key, maintain_order=True)
    return ordered.with_columns(until=pl.when(same).then(pl.col("date").shift(-1)).otherwise(pl.lit(FAR)))


def held_at(spells_: pl.LazyFrame, days: list[dt.date]) -> pl.LazyFrame:
    """Each spell once for every one of ``days`` (sorted) at whose end it holds (``date`` on or before
    the day, ``until`` after it), with that ``day``, in order of day within each spell."""
    on = pl.lit(pl.Series("day", days, dtype=pl.Date))
    first, after = on.search_sorted(pl.col("date"), side="left"), on.search_sorted(pl.col("until"), side="left")
    held = spells_.with_columns(_day=pl.int_ranges(first, after)).explode("_day").drop_nulls("_day")
    return held.with_columns(day=on.gather(pl.col("_day"))).drop("_day")


def open_journeys(journeys: pl.LazyFrame) -> pl.LazyFrame:
    """Journeys as spells (``rep``, ``journey``, ``child_id``, ``date``, ``until``): a journey is open
    from its opening event (``ReferralReceived``, ``CaseLoaded``, ``UascArrived``) until its
    ``CaseClosed``.  ``journeys`` is :func:`journeysim.projections.journeys.journey_table` of the log."""
    spans = journeys.select("rep", JOURNEY, "child_id", date="opened", until=pl.col("closed").fill_null(pl.lit(FAR)))
    return spans.filter(pl.col("date").is_not_null())


def held(logs: Logs, days: list[dt.date], journeys: pl.LazyFrame | None = None) -> dict[str, pl.LazyFrame]:
    """The children in each stock at the end of each of ``days`` (sorted): ``cin`` children with an open
    journey (:func:`open_journeys`); ``cp`` children on a Child Protection plan (from ``CpPlanStarted``
    until ``CpPlanEnded`` or, failing that, the journey's ``CaseClosed``); ``cla`` children looked
    after (from ``CareEntered`` until ``CareLeft``), with the ``legal_status`` of their latest
    ``CareEntered``.  Each a frame of ``rep``, ``day``, ``child_id`` (a child may have a row for
    each of its journeys open that day).  ``journeys``: the log's journey table, if at hand."""
    if journeys is None:
        journeys = journey_table(logs.read(_CIN_EVENTS, JOURNEY_COLUMNS).frame)
    logs = logs.read(STOCK_EVENTS, STOCK_COLUMNS)
    plans = logs.rows(Event.CP_PLAN_STARTED).select(JOURNEY).unique()
    cp = logs.rows(*_CP_EVENTS).join(plans, on=JOURNEY, how="semi", maintain_order="left")
    cla = spells(logs.rows(*_CLA_EVENTS), CHILD)
    return {"cin": held_at(open_journeys(journeys), days),
            "cp": held_at(spells(cp, JOURNEY).filter(EVENT == Event.CP_PLAN_STARTED.value), days),
            "cla": held_at(cla.filter(EVENT == Event.CARE_ENTERED.value), days)}


def stock_frame(logs: Logs, days: list[dt.date], journeys: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Per replication and day, the children in each stock of :func:`held` (``cin``, ``cp``, ``cla``)
    and ``uasc``, those looked after whose latest ``CareEntered`` has legal status ``uasc_s20``.
    Columns ``rep``, ``day``, ``cin``, ``cp``, ``cla``, ``uasc``; one row per replication and day
    (0 where none)."""
    days = sorted({pd.Timestamp(d).date() for d in days})
    stocks = held(logs, days, journeys)
    counts = pl.collect_all([
        stocks["cin"].group_by("rep", "day").agg(cin=pl.col("child_id").n_unique()),
        stocks["cp"].group_by("rep", "day").agg(cp=pl.col("child_id").n_unique()),
        stocks["cla"].group_by("rep", "day").agg(cla=pl.len(), uasc=(pl.col("legal_status") == "uasc_s20").sum()),
    ])
    return _per_day(logs, days, counts, ["cin", "cp", "cla", "uasc"])


def _per_day(logs: Logs, days: list[dt.date], counts: list[pl.DataFrame], names: list[str]) -> pl.DataFrame:
    """Counts per replication and day (``rep``, ``day``, ``names``), 0 where ``counts`` have no row."""
    grid = logs.rep_frame().join(pl.DataFrame({"day": days}, schema={"day": pl.Date}), how="cross")
    for part in counts:
        grid = grid.join(part, on=["rep", "day"], how="left")
    return grid.with_columns(pl.col(*names).fill_null(0).cast(pl.Int64)).sort("rep", "day")


def stock_counts(log, dates) -> pd.DataFrame:
    """Counts of children ``cin``, ``cp``, ``cla`` and ``uasc`` (looked after with
    latest legal status ``uasc_s20``) at the end of each date; one row per date
    (per replication, with ``rep``, for many logs), indexed by ``date``."""
    logs = Logs.of(log)
    frame = logs.answer(stock_frame(logs, dates).rename({"day": "date"}))
    return frame.set_index("date")


def stocks_at(log, date) -> dict[str, int]:
    """Children in need (``cin``), on a CP plan (``cp``) and looked after (``cla``) at the
    end of ``date`` -- the same definitions as the 31 March measures."""
    row = stock_frame(Logs.of(log), [date]).row(0, named=True)
    return {k: int(row[k]) for k in ("cin", "cp", "cla")}


def stock_series(log, dates) -> pd.DataFrame:
    """Children ``cin``, ``cp``, ``cla`` and ``uasc`` at the end of each of ``dates``
    (indexed by ``date``; the same definitions as the 31 March measures)."""
    return stock_counts(log, dates)
