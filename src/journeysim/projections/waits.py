"""Waiting: for a first social worker after a referral, and for a hub place.

Both are read from the log alone:

* a child waits for **allocation** from their journey's ``ReferralReceived`` to its first
  ``WorkerAllocated`` (journeys closed at the referral, with no allocation, never wait);
* a family waits for a **hub place** from ``HubReferred`` to ``HubSupportStarted``
  (``HubSupportStarted.value`` is that wait in days); a family whose case closes first
  stops waiting.
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from ..events import Event
from .logs import EVENT, JOURNEY, Logs
from .stocks import held_at, spells


def _first(rows: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """The first row (in seq order) of each ``keys``."""
    return rows.unique(keys, keep="first", maintain_order=True)


def allocation_wait_frame(logs: Logs) -> pl.LazyFrame:
    """:func:`allocation_waits` with ``rep``."""
    logs = logs.read([Event.REFERRAL_RECEIVED, Event.WORKER_ALLOCATED], ["time", "date", "event", "case_id", "child_id", "team"])
    refs = _first(logs.rows(Event.REFERRAL_RECEIVED), [JOURNEY]).select("rep", JOURNEY, "case_id", "child_id",
                                                                         referred="date", referred_at="time")
    alloc = _first(logs.rows(Event.WORKER_ALLOCATED), [JOURNEY]).select(JOURNEY, pl.col("team").cast(pl.String), "time")
    both = refs.join(alloc, on=JOURNEY, maintain_order="left").filter(pl.col("time") >= pl.col("referred_at"))
    return both.select("rep", "case_id", "child_id", "referred", "team", days=pl.col("time") - pl.col("referred_at"))


def allocation_waits(log) -> pd.DataFrame:
    """One row per referred child journey that was allocated a worker.

    Columns: ``case_id``, ``child_id``, ``referred`` (date), ``team`` (of the first
    allocation), ``days`` (time from the referral to the first allocation, in days).
    """
    logs = Logs.of(log)
    return logs.answer(allocation_wait_frame(logs))


def hub_wait_frame(logs: Logs) -> pl.LazyFrame:
    """:func:`hub_waits` with ``rep``."""
    started = _first(logs.rows(Event.HUB_SUPPORT_STARTED), ["rep", "case_id", "time"])
    return started.select("rep", "case_id", pl.col("team").cast(pl.String), "date", days="value")


def hub_waits(log) -> pd.DataFrame:
    """One row per family (``case_id``) each time hub support starts.

    Columns: ``case_id``, ``team`` (the hub), ``date`` (support started), ``days`` (waited).
    """
    logs = Logs.of(log)
    return logs.answer(hub_wait_frame(logs))


def _family_spells(spells_: pl.LazyFrame) -> pl.LazyFrame:
    """One spell per family and start date (siblings share one), ending with the last child's."""
    return spells_.group_by("rep", "case_id", "date").agg(pl.col("until").max())


def queue_frame(logs: Logs, dates) -> pl.DataFrame:
    """:func:`queue_lengths` with ``rep``, the dates as column ``date``."""
    days = sorted({pd.Timestamp(d).date() for d in dates})
    referral = [Event.REFERRAL_RECEIVED, Event.WORKER_ALLOCATED, Event.CASE_CLOSED]
    hub_events = [Event.HUB_REFERRED, Event.HUB_SUPPORT_STARTED, Event.HUB_SUPPORT_ENDED, Event.CASE_CLOSED]
    logs = logs.read([*referral, *hub_events], ["date", "event", "case_id", "child_id"])
    first = _first(logs.rows(*referral), [JOURNEY, "event"])
    waiting = spells(first, JOURNEY).filter(EVENT == Event.REFERRAL_RECEIVED.value)
    hub = spells(logs.rows(*hub_events), JOURNEY)
    queues = {
        "awaiting_allocation": waiting,
        "hub_waiting": _family_spells(hub.filter(EVENT == Event.HUB_REFERRED.value)),
        "hub_supported": _family_spells(hub.filter(EVENT == Event.HUB_SUPPORT_STARTED.value)),
    }
    counts = pl.collect_all([held_at(s, days).group_by("rep", "day").agg(pl.len().alias(name)) for name, s in queues.items()])
    grid = logs.rep_frame().join(pl.DataFrame({"day": days}, schema={"day": pl.Date}), how="cross")
    for part in counts:
        grid = grid.join(part, on=["rep", "day"], how="left")
    return grid.with_columns(pl.col(*queues).fill_null(0).cast(pl.Int64)).rename({"day": "date"}).sort("rep", "date")


def queue_lengths(log, dates) -> pd.DataFrame:
    """Queues at the end of each date.

    Columns (one row per date, indexed by ``date``): ``awaiting_allocation`` (children
    referred and neither allocated a worker nor closed), ``hub_waiting`` (families
    referred to a hub whose support has not started and whose case is open) and
    ``hub_supported`` (families receiving hub support).
    """
    logs = Logs.of(log)
    return logs.answer(queue_frame(logs, dates)).set_index("date")
