"""The projections the report needs, over all of a run's event logs at once.

Each projection is one query over a few replications' logs at a time (the replication a
column), folded into small tables: a report on many large replications needs the memory
of a few logs' projections at a time, never of a whole log as a DataFrame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import polars as pl

from ..calendar import fy_label
from ..events import CHILD_EVENTS, Event
from ..progress import progress_bar
from ..projections import Logs, front_door_counts, intake_by_week, transition_counts
from ..projections.caseload import caseload_frame
from ..projections.journeys import JOURNEY_EVENTS, handoff_frame, journey_table, worker_shares
from ..projections.logs import fy, to_pandas, year_label
from ..projections.waits import allocation_wait_frame, hub_wait_frame
from ..results.reader import Results
from ..scenario import reported_years

#: The events and columns the report's projections read.
REPORT_EVENTS = sorted({*CHILD_EVENTS, Event.WORKER_JOINED, Event.WORKER_MOVED, Event.WORKER_LEFT}, key=list(Event).index)
REPORT_COLUMNS = ["seq", "time", "date", "event", "case_id", "child_id", "team", "worker", "reason", "count", "value"]

#: The 000 Table 9 baseline sample: case files of journeys closed November 2017 - February 2018.
TABLE9_WINDOW = (dt.date(2017, 11, 1), dt.date(2018, 2, 28))


@dataclass
class Projected:
    """Per-replication projections (each with a ``rep`` column) for the report's figures."""

    years: list[int]
    transitions: pd.DataFrame  # the journeys' steps and the front door's (front_door_counts)
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


def _by_year(waits: pl.LazyFrame, date_col: str, years: list[int]) -> pd.DataFrame:
    """Waits (``rep``, a date ``date_col``, ``days``) in ``years``: ``rep``, ``year`` (label) and ``days``,
    the year computed in the query rather than on a pandas copy of every wait."""
    in_years = waits.with_columns(fy(date_col)).filter(pl.col("fy").is_in(years))
    return to_pandas(in_years.select("rep", year_label(years), "days"))


def project(results: Results) -> Projected:
    """Fold the replications' logs of ``results`` into the report's projections, a few replications at a
    time (:meth:`journeysim.projections.Logs.batches`), each projection one query over them."""
    years = reported_years(results.scenario)
    windows = journey_windows(years)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("tr", "cl", "aw", "hw", "ws", "ho")}
    logs = results.logs()
    with progress_bar(len(results.reps), "reading event logs", "rep") as bar:
        for batch in logs.batches():
            parts["tr"].append(front_door_counts(batch, years))
            batch = batch.read(REPORT_EVENTS, REPORT_COLUMNS)  # once, for every projection below
            journeys = journey_table(batch.rows(*JOURNEY_EVENTS)).collect().lazy()
            parts["tr"].append(transition_counts(batch, years))
            parts["cl"].append(to_pandas(caseload_frame(batch, journeys=journeys)))
            parts["aw"].append(_by_year(allocation_wait_frame(batch), "referred", years))
            parts["hw"].append(_by_year(hub_wait_frame(batch), "date", years))
            parts["ws"].append(to_pandas(worker_shares(batch, windows, journeys)))
            parts["ho"].append(to_pandas(handoff_frame(batch, years)))
            bar.update(len(batch.reps))
    first = Logs.files({results.reps[0]: results.log_path(results.reps[0])})
    return Projected(
        years=years,
        transitions=pd.concat(parts["tr"], ignore_index=True),
        caseloads=pd.concat(parts["cl"], ignore_index=True),
        intake=intake_by_week(first).drop(columns="rep"),
        allocation_waits=pd.concat(parts["aw"], ignore_index=True),
        hub_waits=pd.concat(parts["hw"], ignore_index=True),
        worker_shares=pd.concat(parts["ws"], ignore_index=True),
        windows=windows,
        handoffs=pd.concat(parts["ho"], ignore_index=True),
    )
