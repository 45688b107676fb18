"""Annual costs: the event log priced with the scenario's unit costs (``costs.*``).

Costs never change the simulation.  They are a projection of each replication's event
log plus its scenario (of one log, or of :class:`~journeysim.projections.Logs` of many, per ``rep``): staff-days come from ``WorkerJoined`` / ``WorkerLeft``,
placement-days from ``PlacementStarted`` to the next ``PlacementStarted`` or
``CareLeft`` of the child, hub-days from ``HubOpened``; what the log does not hold
(PAs per social worker, hub staffing, edge-of-care volume) comes from the scenario.
Anything still running at ``run.end`` is costed to ``run.end``.

A cost in a financial year is the annual cost times the share of the year's days
covered.  Components (GBP, one row per year each; :func:`with_total` adds their sum):

=========================  ===================================================================
``social_workers``         every social worker in post: salary x (1 + overheads)
``agency_premium``         the extra for agency workers: their cost x ``agency_premium``
``team_managers``          social worker FTE / ``social_workers_per_manager``: salary x (1 + overheads)
``pas``                    social worker FTE x ``workforce.pa_ratio`` from ``workforce.pa_start``
``hub_family_workers``     ``hubs.family_workers`` x scale per open hub: salary x (1 + overheads)
``hub_specialists``        ``hubs.specialists`` x scale per open hub, at the mean of the three specialists
``edge_of_care``           ``edge_of_care_per_year`` x scale interventions from ``edge_of_care_start``
``placements_<type>``      placement-days of each type (foster, kinship, residential,
                           independent, adoption = placed for adoption before the order)
=========================  ===================================================================

:func:`write_costs` writes a run's ``costs.csv`` and ``costs_summary.csv``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from . import tables
from .calendar import fy_label
from .events import Event
from .projections import Logs
from .projections.logs import to_pandas
from .scenario import Scenario
from .stats import summarise

PLACEMENT_TYPES = {"foster": "foster", "kinship": "kinship", "residential": "residential",
                   "independent": "independent", "placed_for_adoption": "adoption"}

#: Every component in output order, then ``total`` (their sum: in summaries and comparisons, not in costs.csv).
COMPONENTS = ["social_workers", "agency_premium", "team_managers", "pas", "hub_family_workers", "hub_specialists",
              "edge_of_care", *[f"placements_{t}" for t in PLACEMENT_TYPES.values()], "total"]

#: Labels for printed tables.
LABELS = {
    "social_workers": "Social workers",
    "agency_premium": "  agency premium",
    "team_managers": "Team managers",
    "pas": "PAs",
    "hub_family_workers": "Hub family support workers",
    "hub_specialists": "Hub specialists",
    "edge_of_care": "Edge-of-care interventions",
    "placements_foster": "Placements: foster",
    "placements_kinship": "Placements: kinship",
    "placements_residential": "Placements: residential",
    "placements_independent": "Placements: independent",
    "placements_adoption": "Placements: for adoption",
    "total": "Total",
}


class Years:
    """Financial years as simulation-day intervals [start, end) for one scenario."""

    def __init__(self, scenario: Scenario, years: list[int]) -> None:
        origin = scenario["run.start"] - dt.timedelta(days=scenario["run.warmup_days"])
        self.years = years
        self.horizon = float((scenario["run.end"] - origin).days)
        self.bounds = [(float((dt.date(y, 4, 1) - origin).days), float((dt.date(y + 1, 4, 1) - origin).days))
                       for y in years]
        self.origin = origin

    def day(self, date: dt.date | None) -> float:
        """Simulation day of a date; +inf for 'never'."""
        return np.inf if date is None else float((date - self.origin).days)

    def years_covered(self, start, end) -> np.ndarray:
        """For intervals [start, end) (arrays of days), the total share of each year covered: one value per year."""
        start = np.asarray(start, dtype=float)
        end = np.minimum(np.asarray(end, dtype=float), self.horizon)
        return np.array([np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None).sum() / (hi - lo)
                         for lo, hi in self.bounds])


def worker_spans(df: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """One row per social worker: ``time`` joined, ``end`` (left, or ``horizon``), ``outcome`` (kind)."""
    joined = df.loc[df["event"] == Event.WORKER_JOINED.value, ["time", "worker", "outcome"]]
    left = df.loc[df["event"] == Event.WORKER_LEFT.value, ["worker", "time"]].rename(columns={"time": "end"})
    spans = joined.merge(left.drop_duplicates("worker"), on="worker", how="left")
    return spans.assign(end=spans["end"].fillna(horizon))


def placement_years(df: pd.DataFrame, yrs: Years) -> pd.DataFrame:
    """Placement-years per financial year by type (columns: the component suffixes of PLACEMENT_TYPES)."""
    rows = df.loc[df["event"].isin([Event.PLACEMENT_STARTED.value, Event.CARE_LEFT.value]),
                  ["seq", "time", "event", "child_id", "outcome"]].sort_values(["child_id", "seq"], kind="stable")
    nxt = rows.groupby("child_id")["time"].shift(-1).fillna(yrs.horizon)
    started = rows["event"] == Event.PLACEMENT_STARTED.value
    out = {}
    for outcome, name in PLACEMENT_TYPES.items():
        sel = started & (rows["outcome"] == outcome)
        out[name] = yrs.years_covered(rows.loc[sel, "time"], nxt[sel])
    return pd.DataFrame(out, index=yrs.years)


def hub_years(df: pd.DataFrame, yrs: Years) -> np.ndarray:
    """Hub-years open per financial year (every hub counted once from its HubOpened)."""
    opened = df.loc[df["event"] == Event.HUB_OPENED.value, "time"]
    return yrs.years_covered(opened, np.full(len(opened), yrs.horizon))


def with_total(costs: pd.DataFrame) -> pd.DataFrame:
    """A costs table (``costs.csv`` layout, with or without ``rep``) with a ``total`` row per replication and year."""
    keys = [k for k in ("rep", "year") if k in costs.columns]
    total = costs.groupby(keys, sort=False)["value"].sum().round(2).reset_index().assign(component="total")
    return pd.concat([costs, total[costs.columns]], ignore_index=True)


#: The events costs are priced from, and their columns.
COSTED_EVENTS = [Event.WORKER_JOINED, Event.WORKER_LEFT, Event.PLACEMENT_STARTED, Event.CARE_LEFT, Event.HUB_OPENED]
_COSTED_COLUMNS = ["seq", "time", "event", "worker", "outcome", "child_id"]


def annual_costs(log, scenario: Scenario, years: list[int]) -> pd.DataFrame:
    """Cost of each component in each financial year (start years), long format: ``year``, ``component``,
    ``value`` (and first ``rep`` for :class:`~journeysim.projections.Logs` of many replications).  The
    components partition the cost: there is no total row (see :func:`with_total`)."""
    logs = Logs.of(log)
    rows = to_pandas(logs.read(COSTED_EVENTS, _COSTED_COLUMNS).frame.select("rep", *_COSTED_COLUMNS))
    per_rep = [_priced(rows[rows["rep"] == rep], scenario, years) for rep in logs.reps]
    if logs.single:
        return per_rep[0]
    return pd.concat([c.assign(rep=rep)[["rep", *c.columns]] for rep, c in zip(logs.reps, per_rep)], ignore_index=True)


def _priced(df: pd.DataFrame, scenario: Scenario, years: list[int]) -> pd.DataFrame:
    """:func:`annual_costs` of one replication's costed events (in seq order)."""
    c = {k.split(".", 1)[1]: v for k, v in scenario.values.items() if k.startswith("costs.")}
    yrs = Years(scenario, years)
    scale = scenario["run.scale"]
    loaded = 1.0 + c["overhead_rate"]
    spans = worker_spans(df, yrs.horizon)
    agency = spans[spans["outcome"] == "agency"]
    fte = yrs.years_covered(spans["time"], spans["end"])
    pa_from = np.maximum(spans["time"], yrs.day(scenario["workforce.pa_start"]))
    hubs = hub_years(df, yrs)
    specialist = np.mean([c["specialist_domestic_abuse"], c["specialist_substance_misuse"], c["specialist_mental_health"]])
    parts = {
        "social_workers": fte * c["social_worker"] * loaded,
        "agency_premium": yrs.years_covered(agency["time"], agency["end"]) * c["social_worker"] * loaded * c["agency_premium"],
        "team_managers": fte / c["social_workers_per_manager"] * c["team_manager"] * loaded,
        "pas": yrs.years_covered(pa_from, spans["end"]) * scenario["workforce.pa_ratio"] * c["pa"] * loaded,
        "hub_family_workers": hubs * scenario["hubs.family_workers"] * scale * c["family_support_worker"] * loaded,
        "hub_specialists": hubs * scenario["hubs.specialists"] * scale * specialist,
        "edge_of_care": yrs.years_covered([yrs.day(scenario["costs.edge_of_care_start"])], [yrs.horizon])
        * c["edge_of_care_per_year"] * scale * c["edge_of_care_intervention"],
    }
    placed = placement_years(df, yrs)
    for name in PLACEMENT_TYPES.values():
        parts[f"placements_{name}"] = placed[name].to_numpy() * c[f"placement_{name}"]
    wide = pd.DataFrame(parts, index=years).round(2)  # to the penny, so that equal costs compare equal
    long = wide.rename(index=fy_label).rename_axis("year").reset_index().melt(
        id_vars="year", var_name="component", value_name="value")
    return long[["year", "component", "value"]]


def format_costs(summary: pd.DataFrame, years: list[str], reps: int) -> str:
    """The costs table of ``costs_summary.csv``: one row per component, one column per year, in GBP millions."""
    rows = [(component, LABELS[component], 2) for component in COMPONENTS]
    return tables.yearly(summary, "component", rows, years, reps, corner="GBP million", divisor=1e6)


def write_costs(per_rep: pd.DataFrame, folder: Path) -> None:
    """``costs.csv`` (rep, year, component, value in GBP) and ``costs_summary.csv`` (as summary.csv, by component
    and their ``total``)."""
    per_rep.to_csv(folder / "costs.csv", index=False)
    summary = summarise(with_total(per_rep).drop(columns="rep").rename(columns={"component": "measure"}))
    summary.rename(columns={"measure": "component"}).to_csv(folder / "costs_summary.csv", index=False)
