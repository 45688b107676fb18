"""The pandas :mod:`journeysim.projections.flows` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import pandas as pd

from ...events import Event
from ...pathway import BACKGROUND
from .._frame import JOURNEY, as_frame, fy_of, label

_HUB = [Event.HUB_REFERRED.value, Event.HUB_SUPPORT_STARTED.value, Event.HUB_SUPPORT_ENDED.value]
_SKIP = {e.value for e in BACKGROUND}


def _steps(rows: pd.DataFrame, restart_after: str | None) -> pd.DataFrame:
    """``source`` -> ``target`` pairs of consecutive rows of each journey (``START`` first)."""
    source = rows.groupby(JOURNEY, sort=False)["event"].shift()
    if restart_after is not None:
        source = source.where(source != restart_after)
    return pd.DataFrame({"source": source.fillna("START"), "target": rows["event"], "date": rows["date"]})


def transitions(log) -> pd.DataFrame:
    """Every step of every child journey through the pathway, in log order.

    Columns: ``source``, ``target`` (event names, or ``START`` / ``END``), ``date`` (the
    date of the target event; for ``END``, of ``CaseClosed``).
    """
    df = as_frame(log)
    child = df[df["case_id"].notna() & df["child_id"].notna()]
    stages = child[~child["event"].isin(_SKIP)]
    closed = stages[stages["event"] == Event.CASE_CLOSED.value]
    ends = pd.DataFrame({"source": closed["event"], "target": "END", "date": closed["date"]})
    hubs = child[child["event"].isin(_HUB)]
    steps = pd.concat([_steps(stages, None), ends, _steps(hubs, Event.HUB_SUPPORT_ENDED.value)])
    return steps.sort_index(kind="stable").reset_index(drop=True)


def transition_counts(log, years: list[int]) -> pd.DataFrame:
    """Steps per pathway edge and financial year (of the target event's date).

    Columns: ``source``, ``target``, ``year`` (label such as ``"2016-17"``), ``count``;
    one row per edge seen in the log and year in ``years`` (0 where none happened).
    """
    steps = transitions(log)
    steps = steps.assign(fy=fy_of(steps["date"]))
    steps = steps[steps["fy"].isin(years)]
    edges = steps[["source", "target"]].drop_duplicates()
    counts = steps.groupby(["source", "target", "fy"]).size().rename("count")
    full = pd.MultiIndex.from_tuples([(s, t, y) for s, t in edges.itertuples(index=False) for y in years],
                                     names=["source", "target", "fy"])
    out = counts.reindex(full, fill_value=0).reset_index()
    out["year"] = out["fy"].map(label)
    return out[["source", "target", "year", "count"]]


def intake_by_week(log) -> pd.DataFrame:
    """Referrals received by each team in each week (weeks start on Monday).

    Columns: ``week`` (the Monday), ``district`` (``D1`` ...), ``team``, ``referrals``;
    one row per team and week with at least one referral.
    """
    df = as_frame(log)
    refs = df[df["event"] == Event.REFERRAL_RECEIVED.value]
    week = refs["date"] - pd.to_timedelta(refs["date"].dt.day_of_week, unit="D")
    out = refs.assign(week=week).groupby(["week", "team"]).size().rename("referrals").reset_index()
    out.insert(1, "district", out["team"].str.split("-").str[0])
    return out
