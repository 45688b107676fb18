"""Annual costs: the event log priced with the scenario's unit costs (``costs.*``).

Costs never change the simulation.  They are a projection of each replication's event
log plus its scenario (of one log, or of :class:`~journeysim.projections.Logs` of many, per ``rep``): staff-days come from ``WorkerJoined`` / ``WorkerLeft``,
placement-days from ``PlacementStarted`` to the next ``PlacementStarted`` or
``CareLeft`` of the child, hub-days from ``HubOpened``, FIT-days from ``FitOpened`` to
``FitClosed``, edge-of-care interventions from ``EdgeOfCareStarted``; what the log does not hold
(PAs per social worker, hub, FIT and early help staffing) comes from the scenario.
Anything still running at ``run.end`` is costed to ``run.end``.

A cost in a financial year is the annual cost times the share of the year's days
covered.  Components (GBP, one row per year each; :func:`with_total` adds their sum):

=========================  ===================================================================
``social_workers``         every social worker in post: salary x (1 + overheads)
``agency_premium``         the extra for agency workers: their cost x ``agency_premium``
``team_managers``          social worker FTE / ``social_workers_per_manager``: salary x (1 + overheads)
``pas``                    social worker FTE x the PAs per worker of the pilot (``workforce.pa_pilot_ratio``
                           from ``workforce.pa_pilot_start``) or of its extension (``workforce.pa_ratio``
                           from ``workforce.pa_start``)
``hub_family_workers``     ``hubs.family_workers`` per open hub, at the run's scale: salary x (1 + overheads)
``hub_specialists``        ``hubs.specialists`` per open hub, at the mean of the three specialists
``fit_specialists``        ``fit.workers`` per open Family Intervention Team, at the mean of the three
``early_help_workers``     ``early_help.workers`` per district: a family support worker's salary x (1 + overheads)
``edge_of_care``           ``edge_of_care_intervention`` per family starting edge-of-care support
``placements_<type>``      placement-days of each type (foster, kinship, residential,
                           independent, adoption = placed for adoption before the order)
=========================  ===================================================================

:func:`write_costs` writes a run's ``costs.csv`` and ``costs_summary.csv``.
"""

from __future__ import annotations

import datetime as dt
import math
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
              "fit_specialists", "early_help_workers", "edge_of_care", *[f"placements_{t}" for t in PLACEMENT_TYPES.values()],
              "total"]

#: Labels for printed tables.
LABELS = {
    "social_workers": "Social workers",
    "agency_premium": "  agency premium",
    "team_managers": "Team managers",
    "pas": "PAs",
    "hub_family_workers": "Hub family support workers",
    "hub_specialists": "Hub specialists",
    "fit_specialists": "Family Intervention Team specialists",
    "early_help_workers": "Early help family support workers",
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
    """One row per social worker: ``time`` joined, ``end`` (left, or ``horizon``), ``outcome`` (kind).
    Team managers who hold cases are not social workers (they are costed as team managers)."""
    joined = df.loc[(df["event"] == Event.WORKER_JOINED.value) & (df["outcome"] != "manager"), ["time", "worker", "outcome"]]
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


def fit_years(df: pd.DataFrame, yrs: Years) -> np.ndarray:
    """Family Intervention Team-years open per financial year (each from its FitOpened to its FitClosed)."""
    opened = df.loc[df["event"] == Event.FIT_OPENED.value, ["team", "time"]]
    closed = df.loc[df["event"] == Event.FIT_CLOSED.value, ["team", "time"]].rename(columns={"time": "end"})
    spans = opened.merge(closed, on="team", how="left")
    return yrs.years_covered(spans["time"], spans["end"].fillna(yrs.horizon))


def edge_of_care_starts(df: pd.DataFrame, yrs: Years) -> np.ndarray:
    """Families starting edge-of-care support in each financial year (its events are per child)."""
    starts = df.loc[df["event"] == Event.EDGE_OF_CARE_STARTED.value, ["case_id", "time"]].drop_duplicates()
    return np.array([((starts["time"] >= lo) & (starts["time"] < hi)).sum() for lo, hi in yrs.bounds], dtype=float)


def team_scale(scale: float) -> float:
    """The multiplier on each team's, hub's and FIT's staff at ``run.scale`` (a county larger than twice
    Hampshire's has more districts rather than larger teams: see the parameter)."""
    return scale / max(1, math.floor(scale))


def with_total(costs: pd.DataFrame) -> pd.DataFrame:
    """A costs table (``costs.csv`` layout, with or without ``rep``) with a ``total`` row per replication and year."""
    keys = [k for k in ("rep", "year") if k in costs.columns]
    total = costs.groupby(keys, sort=False)["value"].sum().round(2).reset_index().assign(component="total")
    return pd.concat([costs, total[costs.columns]], ignore_index=True)


#: The events costs are priced from, and their columns.
COSTED_EVENTS = [Event.WORKER_JOINED, Event.WORKER_LEFT, Event.PLACEMENT_STARTED, Event.CARE_LEFT, Event.HUB_OPENED,
                 Event.FIT_OPENED, Event.FIT_CLOSED, Event.EDGE_OF_CARE_STARTED]
_COSTED_COLUMNS = ["seq", "time", "event", "worker", "outcome", "child_id", "case_id", "team"]


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
    pilot, extended = yrs.day(scenario["workforce.pa_pilot_start"]), yrs.day(scenario["workforce.pa_start"])
    pa_years = (yrs.years_covered(np.maximum(spans["time"], pilot), np.minimum(spans["end"], extended))
                * scenario["workforce.pa_pilot_ratio"]
                + yrs.years_covered(np.maximum(spans["time"], extended), spans["end"]) * scenario["workforce.pa_ratio"])
    staff = team_scale(scale)
    specialist = np.mean([c["specialist_domestic_abuse"], c["specialist_substance_misuse"], c["specialist_mental_health"]])
    hubs, fits = hub_years(df, yrs), fit_years(df, yrs)
    whole = yrs.years_covered([0.0], [yrs.horizon])
    parts = {
        "social_workers": fte * c["social_worker"] * loaded,
        "agency_premium": yrs.years_covered(agency["time"], agency["end"]) * c["social_worker"] * loaded * c["agency_premium"],
        "team_managers": fte / c["social_workers_per_manager"] * c["team_manager"] * loaded,
        "pas": pa_years * c["pa"] * loaded,
        "hub_family_workers": hubs * scenario["hubs.family_workers"] * staff * c["family_support_worker"] * loaded,
        "hub_specialists": hubs * scenario["hubs.specialists"] * staff * specialist,
        "fit_specialists": fits * scenario["fit.workers"] * staff * specialist,
        "early_help_workers": whole * scenario["early_help.workers"] * scenario["population.districts"] * scale
        * c["family_support_worker"] * loaded,
        "edge_of_care": edge_of_care_starts(df, yrs) * c["edge_of_care_intervention"],
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
    and their ``total``), to the precisions of :mod:`journeysim.results.dictionary`."""
    from .results.dictionary import rounded, rounded_summary  # the dictionary names the components from here

    rounded(per_rep, "component").to_csv(folder / "costs.csv", index=False)
    summary = summarise(with_total(per_rep).drop(columns="rep").rename(columns={"component": "measure"}))
    rounded_summary(summary.rename(columns={"measure": "component"}), "component").to_csv(
        folder / "costs_summary.csv", index=False)
