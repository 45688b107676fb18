"""Flows through the pathway and the weekly intake pattern.

A *transition* is one step of a child's journey from one stage event to the next,
in ``seq`` order, as the pathway graph (:mod:`journeysim.pathway`) draws it: the
first stage event of a journey follows ``START`` and ``CaseClosed`` is followed by
``END``.  Events that are not stages (a change of worker, a placement move) are
skipped; hub events form their own sub-path from ``START`` (``HubReferred`` ->
``HubSupportStarted`` -> ``HubSupportEnded``, and again from ``START`` after that).
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from ..events import Event
from ..pathway import BACKGROUND
from .logs import EVENT, JOURNEY, Logs, fy, year_label

_HUB = [Event.HUB_REFERRED.value, Event.HUB_SUPPORT_STARTED.value, Event.HUB_SUPPORT_ENDED.value]
_SKIP = [e.value for e in BACKGROUND]
#: The nodes of the pathway: every event type, START and END (an Enum: steps are counted on small codes).
_NODE = pl.Enum([e.value for e in Event] + ["START", "END"])


def _steps(rows: pl.LazyFrame, restart_after: str | None) -> pl.LazyFrame:
    """``source`` -> ``target`` pairs of consecutive rows of each journey (``START`` first)."""
    same = pl.col(JOURNEY) == pl.col(JOURNEY).shift()
    source = pl.when(same).then(EVENT.shift())
    if restart_after is not None:
        source = pl.when(source != restart_after).then(source)
    ordered = rows.sort(JOURNEY, maintain_order=True)
    return ordered.select("rep", "seq", "date", source=source.fill_null(pl.lit("START", _NODE)), target=EVENT,
                          _end=pl.lit(False))


def transition_frame(logs: Logs) -> pl.LazyFrame:
    """Every step of every journey: ``rep``, ``seq`` (of the target event), ``date``, ``source``,
    ``target``, and ``_end`` (True for the step to ``END``, which follows its ``CaseClosed``)."""
    logs = logs.read(columns=["seq", "date", "event", "case_id", "child_id"])
    child = logs.frame.filter(pl.col(JOURNEY).is_not_null()).select("rep", "seq", "date", JOURNEY, EVENT.cast(_NODE))  # Enum to Enum: codes, no text
    stages = child.filter(~EVENT.is_in(_SKIP))
    closed = stages.filter(EVENT == Event.CASE_CLOSED.value)
    ends = closed.select("rep", "seq", "date", source=EVENT, target=pl.lit("END", _NODE), _end=pl.lit(True))
    hubs = child.filter(EVENT.is_in(_HUB))
    return pl.concat([_steps(stages, None), ends, _steps(hubs, Event.HUB_SUPPORT_ENDED.value)])


def transitions(log) -> pd.DataFrame:
    """Every step of every child journey through the pathway, in log order.

    Columns: ``source``, ``target`` (event names, or ``START`` / ``END``), ``date`` (the
    date of the target event; for ``END``, of ``CaseClosed``).
    """
    logs = Logs.of(log)
    steps = transition_frame(logs).sort("rep", "seq", "_end")
    return logs.answer(steps.select("rep", "source", "target", "date"))


def transition_counts(log, years: list[int]) -> pd.DataFrame:
    """Steps per pathway edge and financial year (of the target event's date).

    Columns: ``source``, ``target``, ``year`` (label such as ``"2016-17"``), ``count``;
    one row per edge seen in the log and year in ``years`` (0 where none happened),
    by edge and year.
    """
    logs = Logs.of(log)
    steps = transition_frame(logs).with_columns(fy()).filter(pl.col("fy").is_in(years))
    counts = steps.group_by("rep", "source", "target", "fy").agg(count=pl.len().cast(pl.Int64)).collect()
    edges = counts.select("rep", "source", "target").unique()
    grid = edges.join(pl.DataFrame({"fy": years}, schema={"fy": counts.schema["fy"]}), how="cross")
    out = grid.join(counts, on=["rep", "source", "target", "fy"], how="left").with_columns(pl.col("count").fill_null(0))
    out = out.sort("rep", "source", "target", "fy").with_columns(year_label(years))
    return logs.answer(out.select("rep", "source", "target", "year", "count"))


#: The front door's steps (of families): a contact's triage, then the MASH's decision, each outcome a
#: node of the pathway diagram (``FrontDoorAdvice``, ``EarlyHelp``, ``MashNfa``, or on to the MASH and a
#: referral).
FRONT_DOOR_STEPS = {
    (Event.CONTACT_RECEIVED.value, "advice"): "FrontDoorAdvice",
    (Event.CONTACT_RECEIVED.value, "early_help"): "EarlyHelp",
    (Event.CONTACT_RECEIVED.value, "mash"): Event.MASH_SCREENING_COMPLETED.value,
    (Event.MASH_SCREENING_COMPLETED.value, "nfa"): "MashNfa",
    (Event.MASH_SCREENING_COMPLETED.value, "early_help"): "EarlyHelp",
    (Event.MASH_SCREENING_COMPLETED.value, "referral"): Event.REFERRAL_RECEIVED.value,
}


def front_door_counts(log, years: list[int]) -> pd.DataFrame:
    """Families through the front door per step and financial year (of the contact's or the MASH
    decision's date), in :func:`transition_counts`' layout: a ``ContactReceived`` goes to its triage
    ``outcome``, a ``MashScreeningCompleted`` to its decision (:data:`FRONT_DOOR_STEPS`).  Every
    step and year in ``years`` has a row (0 where none happened)."""
    logs = Logs.of(log)
    door = logs.rows(Event.CONTACT_RECEIVED, Event.MASH_SCREENING_COMPLETED).select("rep", fy(), "event", "outcome")
    # counted on the log's codes first, then named: the step table is joined to a few dozen counts, not to every contact
    counted = (door.filter(pl.col("fy").is_in(years)).group_by("rep", "event", "outcome", "fy").agg(count=pl.len())
               .collect().select("rep", "fy", "count", source=EVENT.cast(pl.String), outcome=pl.col("outcome").cast(pl.String)))
    steps = pl.DataFrame([{"source": s, "outcome": o, "target": t} for (s, o), t in FRONT_DOOR_STEPS.items()])
    counts = (counted.join(steps, on=["source", "outcome"]).group_by("rep", "source", "target", "fy")
              .agg(count=pl.col("count").sum().cast(pl.Int64)).with_columns(pl.col("rep").cast(pl.Int32)))
    reps = logs.rep_frame()
    grid = reps.join(steps.select("source", "target").unique(maintain_order=True), how="cross").join(
        pl.DataFrame({"fy": years}, schema={"fy": counts.schema["fy"]}), how="cross")
    out = grid.join(counts, on=["rep", "source", "target", "fy"], how="left").with_columns(pl.col("count").fill_null(0))
    out = out.sort("rep", "source", "target", "fy").with_columns(year_label(years))
    return logs.answer(out.select("rep", "source", "target", "year", "count"))


def intake_by_week(log) -> pd.DataFrame:
    """Referrals received by each team in each week (weeks start on Monday).

    Columns: ``week`` (the Monday), ``district`` (``D1`` ...), ``team``, ``referrals``;
    one row per team and week with at least one referral.
    """
    logs = Logs.of(log)
    refs = logs.rows(Event.REFERRAL_RECEIVED).select("rep", "date", team=pl.col("team").cast(pl.String))  # (a scan)
    weekly = refs.group_by("rep", "team", week=pl.col("date").dt.truncate("1w")).agg(referrals=pl.len().cast(pl.Int64))
    weekly = weekly.with_columns(district=pl.col("team").str.split("-").list.first())
    return logs.answer(weekly.select("rep", "week", "district", "team", "referrals").sort("rep", "week", "team"))
