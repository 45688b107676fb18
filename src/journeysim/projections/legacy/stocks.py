"""The pandas :mod:`journeysim.projections.stocks` (see there for the definitions), kept as the reference
the tests check it against until it is removed."""

from __future__ import annotations

import pandas as pd

from ...events import CASE_OPENING, Event
from .._frame import JOURNEY, as_frame, of, timestamp

_CIN_EVENTS = (*CASE_OPENING, Event.CASE_CLOSED)
_CP_EVENTS = (Event.CP_PLAN_STARTED, Event.CP_PLAN_ENDED, Event.CASE_CLOSED)
_CLA_EVENTS = (Event.CARE_ENTERED, Event.CARE_LEFT)


def latest(rows: pd.DataFrame, keys: list[str], date: pd.Timestamp) -> pd.DataFrame:
    """The last row (in seq order) per ``keys`` among ``rows`` dated on or before ``date``."""
    return rows[rows["date"] <= date].drop_duplicates(keys, keep="last")


def cin_children(rows: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """Children with an open journey at the end of ``date``.

    A journey is open when its opening event (``ReferralReceived``, ``CaseLoaded``,
    ``UascArrived``) is on or before the date and no ``CaseClosed`` is.
    ``rows`` holds the opening and closing events.
    """
    last = latest(rows, JOURNEY, date)
    return last.loc[last["event"] != Event.CASE_CLOSED.value, "child_id"].drop_duplicates()


def cp_children(rows: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """Children on a Child Protection plan at the end of ``date``.

    A plan runs from ``CpPlanStarted`` until ``CpPlanEnded`` (or, failing that, the
    journey's ``CaseClosed``).  ``rows`` holds those three events.
    """
    last = latest(rows, JOURNEY, date)
    return last.loc[last["event"] == Event.CP_PLAN_STARTED.value, "child_id"].drop_duplicates()


def cla_entries(rows: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """Looked-after children at the end of ``date``: the latest ``CareEntered`` of each
    child whose care episode has no ``CareLeft`` on or before the date (one row per child).
    """
    last = latest(rows, ["child_id"], date)
    return last[last["event"] == Event.CARE_ENTERED.value]


def stock_counts(df: pd.DataFrame, dates) -> pd.DataFrame:
    """Counts of children ``cin``, ``cp``, ``cla`` and ``uasc`` (looked after with
    latest legal status ``uasc_s20``) at the end of each date; one row per date."""
    cols = ["date", "event", *JOURNEY, "legal_status"]
    cin_rows, cp_rows, cla_rows = (of(df, *events)[cols] for events in (_CIN_EVENTS, _CP_EVENTS, _CLA_EVENTS))
    out = []
    for date in map(timestamp, dates):
        cla = cla_entries(cla_rows, date)
        out.append(
            {
                "date": date,
                "cin": len(cin_children(cin_rows, date)),
                "cp": len(cp_children(cp_rows, date)),
                "cla": len(cla),
                "uasc": int((cla["legal_status"] == "uasc_s20").sum()),
            }
        )
    return pd.DataFrame(out, columns=["date", "cin", "cp", "cla", "uasc"]).set_index("date")


def stocks_at(log, date) -> dict[str, int]:
    """Children in need (``cin``), on a CP plan (``cp``) and looked after (``cla``) at the
    end of ``date`` -- the same definitions as the 31 March measures."""
    row = stock_counts(as_frame(log), [date]).iloc[0]
    return {k: int(row[k]) for k in ("cin", "cp", "cla")}


def stock_series(log, dates) -> pd.DataFrame:
    """Children ``cin``, ``cp``, ``cla`` and ``uasc`` at the end of each of ``dates``
    (indexed by ``date``; the same definitions as the 31 March measures)."""
    return stock_counts(as_frame(log), dates)
