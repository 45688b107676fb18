"""The data behind every figure of the report: small tables folded from projections.

Each function here takes projections of the event log (per replication, with a
``rep`` column) or the run's per-replication measures, and returns the exact table
a figure plots.  Tests compare these tables with the projections, so a figure
cannot quietly show something else.  Nothing here draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..calendar import fy_label
from ..costs import COMPONENTS, LABELS as COST_LABELS, with_total
from ..events import WORKER_CHANGE_REASONS, Event
from ..projections.journeys import WORKER_BANDS

#: Quantiles of the fan charts: the 90% and 50% intervals across replications.
FAN_QUANTILES = {"p5": 0.05, "p25": 0.25, "p75": 0.75, "p95": 0.95}


def is_count(measure: str) -> bool:
    """True for measures that count children, plans or events (they grow with ``run.scale``);
    False for percentages, means and medians."""
    return not measure.endswith(("_pct", "_mean", "_wd")) and "_pct_" not in measure


def fan(per_rep: pd.DataFrame, measure: str, years: list[str], observed: pd.DataFrame | None = None,
        scale: float = 1.0) -> pd.DataFrame:
    """One measure by year across replications: ``mean``, ``p5``, ``p25``, ``p75``, ``p95``
    (the 90% and 50% intervals), ``n`` replications and the ``observed`` value (NaN where
    there is none).  ``per_rep`` has the measures.csv layout; ``observed`` the
    :func:`journeysim.targets.observed` layout.  Observed counts are multiplied by
    ``scale`` (the run's ``run.scale``) so that a scaled-down county is compared like
    with like."""
    rows = per_rep[per_rep["measure"] == measure]
    g = rows.groupby("year")["value"]
    out = pd.DataFrame({"mean": g.mean(), **{k: g.quantile(q) for k, q in FAN_QUANTILES.items()}, "n": g.count()})
    out = out.reindex(years)
    out["observed"] = np.nan
    if observed is not None:
        obs = observed[observed["model_measure"] == measure].set_index("year")["value"]
        out["observed"] = obs.reindex(years).to_numpy(dtype=float) * (scale if is_count(measure) else 1.0)
    return out.rename_axis("year").reset_index()


MASH, REFERRAL = Event.MASH_SCREENING_COMPLETED.value, Event.REFERRAL_RECEIVED.value


def pathway_flows(counts: pd.DataFrame) -> pd.DataFrame:
    """Mean steps per year along each pathway edge: ``source``, ``target``, ``per_year``.

    ``counts`` is :func:`journeysim.projections.transition_counts` (and
    :func:`~journeysim.projections.front_door_counts`) of each replication stacked with a ``rep``
    column; the mean is over replications and years.  When the front door is there, a journey that
    starts with a referral comes from the MASH's decision rather than from ``START``."""
    n = counts["rep"].nunique() * counts["year"].nunique()
    if (counts["source"] == MASH).any():
        from_start = (counts["source"] == "START") & (counts["target"] == REFERRAL)
        door = (counts["source"] == MASH) & (counts["target"] == REFERRAL)
        counts = counts[~door].assign(source=counts["source"].mask(from_start, MASH))
    total = counts.groupby(["source", "target"])["count"].sum()
    return (total / n).rename("per_year").reset_index()


def team_kind(team: pd.Series) -> pd.Series:
    """``D3-CIN2`` -> ``CIN``: the kind of team (RA, CIN, CIC, CL, CAST).  Each team's name is
    parsed once (a county has a few dozen teams; a caseload series has a row per worker and month)."""
    names = pd.Series(team.unique())
    return team.map(dict(zip(names, names.str.split("-").str[1].str.rstrip("0123456789"))))


def caseload_bands(series: pd.DataFrame) -> pd.DataFrame:
    """Caseload distribution over time by kind of team.

    ``series`` is :func:`journeysim.projections.caseload_series` of each replication
    with a ``rep`` column.  Returns ``date``, ``kind``, ``p10``, ``median``, ``p90``
    (children per worker, pooled over workers and replications) and ``workers``
    (mean number of case-holding workers per replication)."""
    s = series.assign(kind=team_kind(series["team"]))
    g = s.groupby(["date", "kind"])
    children = g["children"]
    out = pd.DataFrame({"p10": children.quantile(0.1), "median": children.median(), "p90": children.quantile(0.9),
                        "workers": g.size() / series["rep"].nunique()})
    return out.reset_index()


def intake_pattern(weekly: pd.DataFrame, district: str, weeks: int = 12) -> pd.DataFrame:
    """Referrals per team and week in one district over its last ``weeks`` weeks with referrals.

    ``weekly`` is :func:`journeysim.projections.intake_by_week` of one replication.
    Returns ``week``, ``team``, ``referrals`` for every team of the district in those
    weeks (0 where a team received none)."""
    rows = weekly[weekly["district"] == district]
    last = sorted(rows["week"].unique())[-weeks:]
    teams = sorted(rows.loc[rows["week"].isin(last), "team"].unique())
    grid = pd.MultiIndex.from_product([last, teams], names=["week", "team"])
    counts = rows.set_index(["week", "team"])["referrals"].reindex(grid, fill_value=0)
    return counts.reset_index()


def cast_district(weekly: pd.DataFrame) -> str | None:
    """The district whose referrals first went to CAST teams (None if none ever did)."""
    cast = weekly[weekly["team"].str.contains("-CAST", regex=False)]
    return None if cast.empty else str(cast.sort_values("week").iloc[0]["district"])


def wait_summary(waits: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    """Waits by financial year: ``year``, ``mean``, ``median``, ``p90`` (days, pooled over
    replications) and ``per_rep`` (mean number of waits per replication).

    ``waits`` has columns ``rep``, ``year`` (label) and ``days``."""
    g = waits.groupby("year")["days"]
    out = pd.DataFrame({"mean": g.mean(), "median": g.median(), "p90": g.quantile(0.9),
                        "per_rep": g.size() / max(1, waits["rep"].nunique())})
    out = out.reindex(years)
    out["per_rep"] = out["per_rep"].fillna(0.0)
    return out.rename_axis("year").reset_index()


def workers_per_journey(shares: pd.DataFrame, observed: pd.Series | None) -> pd.DataFrame:
    """Share of journeys by number of social workers, simulated and observed.

    ``shares`` has columns ``rep``, ``window`` (a label), ``band`` and ``pct`` (from
    :func:`journeysim.projections.social_workers_distribution`).  Returns ``window``,
    ``band``, ``mean``, ``low``, ``high`` (range over replications), windows in the
    order given, bands 1..5+; the observed shares (a Series indexed by band) come
    first as window ``"observed"``."""
    g = shares.groupby(["window", "band"], sort=False)["pct"]
    sim = g.agg(mean="mean", low="min", high="max").reset_index()
    parts = []
    if observed is not None:
        parts.append(pd.DataFrame({"window": "observed", "band": WORKER_BANDS,
                                   "mean": observed.reindex(WORKER_BANDS).to_numpy(dtype=float),
                                   "low": np.nan, "high": np.nan}))
    for window in dict.fromkeys(sim["window"]):
        rows = sim[sim["window"] == window].set_index("band").reindex(WORKER_BANDS)
        parts.append(rows.drop(columns="window").rename_axis("band").reset_index().assign(window=window))
    return pd.concat(parts, ignore_index=True)[["window", "band", "mean", "low", "high"]]


def handoffs_table(handoffs: pd.DataFrame) -> pd.DataFrame:
    """Mean changes of worker per year over replications, by reason: ``year`` (a label),
    ``reason`` (in words, in :data:`journeysim.events.WORKER_CHANGE_REASONS` order), ``mean``,
    ``low`` and ``high`` (range over replications); reasons no replication had are left out."""
    g = handoffs.groupby(["year", "reason"], sort=False)["changes"]
    out = g.agg(mean="mean", low="min", high="max").reset_index()
    out = out[out.groupby("reason")["high"].transform("max") > 0]
    out["year"] = out["year"].map(fy_label)
    out["reason"] = out["reason"].map(lambda r: WORKER_CHANGE_REASONS.get(r, r))
    return out.reset_index(drop=True)


def cost_table(costs: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    """Cost over replications by year and component: ``year``, ``component``, ``name`` (in words),
    ``mean`` (GBP), ``p5``, ``p95`` (the 5-95% range over replications); the components in
    :data:`journeysim.costs.COMPONENTS` order (any other after them), then their ``total``, whose
    range is that of each replication's total.  One row per component and reported year."""
    costs = with_total(costs[costs["year"].isin(years)])
    g = costs.groupby(["year", "component"], sort=False)["value"]
    out = g.agg(mean="mean", p5=lambda x: x.quantile(0.05), p95=lambda x: x.quantile(0.95)).reset_index()
    order = [c for c in COMPONENTS if c in set(out["component"])]
    order = [c for c in order if c != "total"] + sorted(set(out["component"]) - set(order)) + ["total"]
    out["year"] = pd.Categorical(out["year"], years)
    out["component"] = pd.Categorical(out["component"], order)
    out = out.sort_values(["year", "component"]).reset_index(drop=True).astype({"year": str, "component": str})
    out.insert(2, "name", out["component"].map(cost_name))
    return out


def cost_name(component: str) -> str:
    """A cost component in words (``agency_premium`` -> "Social workers: agency premium")."""
    label = COST_LABELS.get(component)
    if label is None:
        return component.replace("_", " ").capitalize()
    return f"Social workers: {label.strip()}" if label.startswith(" ") else label


def stock_frames(stocks: pd.DataFrame, queues: pd.DataFrame) -> pd.DataFrame:
    """The animation's data: stocks and queues at each date, averaged over replications.

    ``stocks`` is :func:`journeysim.projections.stock_series` and ``queues``
    :func:`journeysim.projections.queue_lengths` of each replication, indexed by
    ``date`` with a ``rep`` column.  Returns one row per date (the index)."""
    both = stocks.reset_index().merge(queues.reset_index(), on=["date", "rep"])
    return both.drop(columns="rep").groupby("date").mean()
