"""The pandas :mod:`journeysim.projections.caseload` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...events import Event
from .._frame import JOURNEY, as_frame, of, timestamp
from .stocks import latest


def holding_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The events that decide who holds a journey: allocations and closures."""
    return of(df, Event.WORKER_ALLOCATED, Event.CASE_CLOSED)[["date", "event", *JOURNEY, "worker"]]


def holdings(rows: pd.DataFrame, left: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """``worker``, ``child_id`` pairs held at the end of ``date`` by workers in post.

    ``rows`` is :func:`holding_rows`; ``left`` the ``WorkerLeft`` events.
    """
    last = latest(rows, JOURNEY, date)
    held = last[last["event"] == Event.WORKER_ALLOCATED.value]
    gone = left.loc[left["date"] <= date, "worker"]
    held = held[~held["worker"].isin(gone)]
    return held[["worker", "child_id"]].drop_duplicates()


def mean_caseload(rows: pd.DataFrame, left: pd.DataFrame, date: pd.Timestamp) -> float:
    """Mean children per worker among workers in post holding at least one child (NaN if none)."""
    held = holdings(rows, left, date)
    n_workers = held["worker"].nunique()
    return len(held) / n_workers if n_workers else np.nan


def caseloads_at(log, date) -> pd.Series:
    """Children held by each worker (with at least one) at the end of ``date``."""
    df = as_frame(log)
    held = holdings(holding_rows(df), of(df, Event.WORKER_LEFT), timestamp(date))
    return held.groupby("worker").size().rename("children")


def _with_team(caseloads: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Add each worker's team on the row's ``asof`` date."""
    moves = of(df, Event.WORKER_JOINED, Event.WORKER_MOVED)[["date", "worker", "team"]]
    moves = moves.sort_values("date", kind="stable").rename(columns={"date": "asof"})
    caseloads = caseloads.sort_values("asof", kind="stable")
    return pd.merge_asof(caseloads, moves, on="asof", by="worker", direction="backward")


def caseload_series(log, freq: str = "MS") -> pd.DataFrame:
    """Caseload of each worker holding at least one child at the start of each period.

    Periods are ``pandas.date_range`` steps of ``freq`` between the first and last event
    dates; the caseload "at the start" of a period date is the state at the end of the
    day before.  Columns: ``date`` (period start), ``team`` (the worker's team then),
    ``worker``, ``children``.
    """
    df = as_frame(log)
    rows, left = holding_rows(df), of(df, Event.WORKER_LEFT)
    periods = pd.date_range(df["date"].min(), df["date"].max(), freq=freq) if len(df) else []
    frames = []
    for date in periods:
        asof = date - pd.Timedelta(days=1)
        held = holdings(rows, left, asof).groupby("worker").size().rename("children")
        frames.append(held.reset_index().assign(date=date, asof=asof))
    cols = ["date", "team", "worker", "children"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = _with_team(pd.concat(frames, ignore_index=True), df)
    return out.sort_values(["date", "worker"]).reset_index(drop=True)[cols]
