"""One pass over a run's event logs, keeping the projections the report needs.

Each replication's log is read once, folded into small projections and dropped,
so a report on many large replications needs the memory of one log at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..calendar import fy_label
from ..progress import progress_bar
from ..projections import (
    allocation_waits,
    caseload_series,
    handoffs_by_reason,
    hub_waits,
    intake_by_week,
    social_workers_distribution,
    transition_counts,
)
from ..projections._frame import fy_of
from ..projections.journeys import WORKER_BANDS
from ..results.reader import Results
from ..scenario import reported_years

#: The 000 Table 9 baseline sample: case files of journeys closed November 2017 - February 2018.
TABLE9_WINDOW = (dt.date(2017, 11, 1), dt.date(2018, 2, 28))


@dataclass
class Projected:
    """Per-replication projections (each with a ``rep`` column) for the report's figures."""

    years: list[int]
    transitions: pd.DataFrame
    caseloads: pd.DataFrame
    intake: pd.DataFrame
    allocation_waits: pd.DataFrame
    hub_waits: pd.DataFrame
    worker_shares: pd.DataFrame
    windows: dict[str, tuple[dt.date, dt.date]]
    handoffs: pd.DataFrame  # rep, year, reason, changes

    @property
    def labels(self) -> list[str]:
        return [fy_label(y) for y in self.years]


def journey_windows(years: list[int]) -> dict[str, tuple[dt.date, dt.date]]:
    """Closing windows for the social-workers-per-journey comparison: the Table 9 baseline
    window when the run covers it, and the last reported financial year."""
    first, last = dt.date(years[0], 4, 1), dt.date(years[-1] + 1, 3, 31)
    windows = {}
    if first <= TABLE9_WINDOW[0] and TABLE9_WINDOW[1] <= last:
        windows["Nov 2017 - Feb 2018 (simulated)"] = TABLE9_WINDOW
    windows[f"{fy_label(years[-1])} (simulated)"] = (dt.date(years[-1], 4, 1), last)
    return windows


def _with_year(frame: pd.DataFrame, date_col: str, rep: int, years: list[int]) -> pd.DataFrame:
    fy = fy_of(pd.to_datetime(frame[date_col]))
    keep = frame[fy.isin(years)]
    return pd.DataFrame({"rep": rep, "year": fy[fy.isin(years)].map(fy_label), "days": keep["days"]})


def project(results: Results) -> Projected:
    """Fold every replication's log of ``results`` into the report's projections."""
    years = reported_years(results.scenario)
    windows = journey_windows(years)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("tr", "cl", "aw", "hw", "ws", "ho")}
    intake = pd.DataFrame(columns=["week", "district", "team", "referrals"])
    with progress_bar(len(results.reps), "reading event logs", "rep") as bar:
        for rep, df in results.frames():
            parts["tr"].append(transition_counts(df, years).assign(rep=rep))
            parts["cl"].append(caseload_series(df).assign(rep=rep))
            parts["aw"].append(_with_year(allocation_waits(df), "referred", rep, years))
            parts["hw"].append(_with_year(hub_waits(df), "date", rep, years))
            parts["ho"].append(handoffs_by_reason(df, years).assign(rep=rep))
            for window, (start, end) in windows.items():
                shares = social_workers_distribution(df, start, end)
                parts["ws"].append(pd.DataFrame({"rep": rep, "window": window, "band": WORKER_BANDS,
                                                 "pct": shares.reindex(WORKER_BANDS).to_numpy()}))
            if rep == results.reps[0]:
                intake = intake_by_week(df)
            bar.update(1)
    return Projected(
        years=years,
        transitions=pd.concat(parts["tr"], ignore_index=True),
        caseloads=pd.concat(parts["cl"], ignore_index=True),
        intake=intake,
        allocation_waits=pd.concat(parts["aw"], ignore_index=True),
        hub_waits=pd.concat(parts["hw"], ignore_index=True),
        worker_shares=pd.concat(parts["ws"], ignore_index=True),
        windows=windows,
        handoffs=pd.concat(parts["ho"], ignore_index=True),
    )
