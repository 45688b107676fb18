"""The pandas :mod:`journeysim.projections.waits` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...events import Event
from .._frame import JOURNEY, as_frame, of, timestamp


def allocation_waits(log) -> pd.DataFrame:
    """One row per referred child journey that was allocated a worker.

    Columns: ``case_id``, ``child_id``, ``referred`` (date), ``team`` (of the first
    allocation), ``days`` (time from the referral to the first allocation, in days).
    """
    df = as_frame(log)
    refs = of(df, Event.REFERRAL_RECEIVED).drop_duplicates(JOURNEY)[[*JOURNEY, "date", "time"]]
    alloc = of(df, Event.WORKER_ALLOCATED).drop_duplicates(JOURNEY)[[*JOURNEY, "team", "time"]]
    both = refs.merge(alloc, on=JOURNEY, suffixes=("_ref", "_alloc"))
    both = both[both["time_alloc"] >= both["time_ref"]]
    out = both.rename(columns={"date": "referred"}).assign(days=both["time_alloc"] - both["time_ref"])
    return out[[*JOURNEY, "referred", "team", "days"]].reset_index(drop=True)


def hub_waits(log) -> pd.DataFrame:
    """One row per family (``case_id``) each time hub support starts.

    Columns: ``case_id``, ``team`` (the hub), ``date`` (support started), ``days`` (waited).
    """
    df = as_frame(log)
    started = of(df, Event.HUB_SUPPORT_STARTED).drop_duplicates(["case_id", "time"])
    out = started.rename(columns={"value": "days"})[["case_id", "team", "date", "days"]]
    return out.reset_index(drop=True)


def _spells(rows: pd.DataFrame, start: str) -> pd.DataFrame:
    """Spells opened by each ``start`` row and ended by the journey's next row (NaT if none)."""
    ends = rows.groupby(JOURNEY, sort=False)["date"].shift(-1)
    opened = rows["event"] == start
    return pd.DataFrame({"case_id": rows["case_id"], "start": rows["date"], "end": ends})[opened]


def _open_at(spells: pd.DataFrame, dates: list[pd.Timestamp]) -> list[int]:
    """Number of spells open at the end of each date (started on or before it, not ended)."""
    starts = np.sort(spells["start"].to_numpy())
    ends = np.sort(spells["end"].dropna().to_numpy())
    out = []
    for date in dates:
        d = np.datetime64(date)
        out.append(int(np.searchsorted(starts, d, side="right") - np.searchsorted(ends, d, side="right")))
    return out


def queue_lengths(log, dates) -> pd.DataFrame:
    """Queues at the end of each date.

    Columns (one row per date, indexed by ``date``): ``awaiting_allocation`` (children
    referred and neither allocated a worker nor closed), ``hub_waiting`` (families
    referred to a hub whose support has not started and whose case is open) and
    ``hub_supported`` (families receiving hub support).
    """
    df = as_frame(log)
    dates = [timestamp(d) for d in dates]
    referral = of(df, Event.REFERRAL_RECEIVED, Event.WORKER_ALLOCATED, Event.CASE_CLOSED)
    first = referral.drop_duplicates([*JOURNEY, "event"])
    waiting = _spells(first, Event.REFERRAL_RECEIVED.value)
    hub = of(df, Event.HUB_REFERRED, Event.HUB_SUPPORT_STARTED, Event.HUB_SUPPORT_ENDED, Event.CASE_CLOSED)
    families = {name: _by_family(_spells(hub, name)) for name in (Event.HUB_REFERRED.value, Event.HUB_SUPPORT_STARTED.value)}
    out = pd.DataFrame(
        {
            "awaiting_allocation": _open_at(waiting, dates),
            "hub_waiting": _open_at(families[Event.HUB_REFERRED.value], dates),
            "hub_supported": _open_at(families[Event.HUB_SUPPORT_STARTED.value], dates),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )
    return out


def _by_family(spells: pd.DataFrame) -> pd.DataFrame:
    """One spell per family and start date (siblings share one), ending with the last child's."""
    spells = spells.assign(open_end=spells["end"].isna())
    grouped = spells.groupby(["case_id", "start"], as_index=False).agg(end=("end", "max"), open_end=("open_end", "any"))
    grouped.loc[grouped["open_end"], "end"] = pd.NaT
    return grouped[["case_id", "start", "end"]]
