"""Assembling the report: projections -> figure data -> figures -> HTML sections.

:func:`figures` returns every figure with the table it plots (``ReportFigure.data``),
which is what the tests check against the projections; :func:`write_report` puts
them on one self-contained page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from .. import __version__, compare, pathway, stability
from ..results.reader import Results, ResultsError, open_results
from ..targets import observed as observed_targets
from . import data, figures as draw
from .collect import Projected, project
from .page import ReportFigure, Section, document, grid, heading, para, table
from .words import fan_alt, number, scenario_paragraphs

#: The measures drawn as fan charts: (measure, title, unit, decimals).
FAN_MEASURES = [
    ("referrals", "Referrals", "referrals a year", 0),
    ("re_referral_12m_pct", "Re-referrals within 12 months", "% of referrals", 1),
    ("referrals_nfa_pct", "Referrals ending in no further action", "% of referrals", 1),
    ("children_assessed_not_in_need_pct", "Children assessed not in need", "% of referrals", 1),
    ("assessment_within_45wd_pct", "Assessments within 45 working days", "% of assessments", 1),
    ("cin_at_31_march", "Children in need at 31 March", "children", 0),
    ("cp_plans_started", "Child Protection plans started", "plans a year", 0),
    ("cp_at_31_march", "Children on a CP plan at 31 March", "children", 0),
    ("cp_second_or_subsequent_pct", "CP plans that are a second or later plan", "% of plans started", 1),
    ("cla_starts", "Children starting to be looked after", "children a year", 0),
    ("cla_at_31_march", "Children looked after at 31 March", "children", 0),
    ("uasc_at_31_march", "UASC looked after at 31 March", "children", 0),
    ("cla_ceased", "Children ceasing to be looked after", "children a year", 0),
    ("cla_ceased_adoption", "Children adopted from care", "children a year", 0),
    ("sw_caseload_children_mean", "Children per social worker at 31 March", "children per worker", 1),
    ("social_workers_per_journey_pct_1", "Journeys with one social worker", "% of closed journeys with a plan", 1),
    ("positive_change_pct", "Families with positive change at closure", "% of closed journeys with a plan", 1),
    ("hub_starts", "Families starting hub support", "families a year", 0),
]

_KINDS = ["RA", "CIN", "CIC", "CL", "CAST"]
_KIND_NAMES = {"RA": "Referral & Assessment", "CIN": "Child in Need", "CIC": "Children in Care", "CL": "Care Leavers",
               "CAST": "CAST"}


def _figure(key: str, title: str, caption: str, alt: str, table_: pd.DataFrame, fig) -> ReportFigure:
    return ReportFigure(key, title, caption, alt, table_, draw.png_bytes(fig))


def measure_figures(per_rep: pd.DataFrame, years: list[str], observed: pd.DataFrame,
                    scale: float = 1.0) -> list[ReportFigure]:
    """A fan chart for every measure in :data:`FAN_MEASURES` that the run reports (observed counts
    scaled by ``scale``, the run's ``run.scale``)."""
    out = []
    for measure, title, unit, dec in FAN_MEASURES:
        fan = data.fan(per_rep, measure, years, observed, scale)
        if fan["mean"].isna().all() or (fan["mean"].fillna(0) == 0).all() and fan["observed"].isna().all():
            continue
        caption = (f"{unit[0].upper() + unit[1:]}, by financial year: the mean over {int(fan['n'].max())} replications "
                   "(line) with the ranges holding the middle 50% and 90% of replications (shaded)"
                   + ("; diamonds are Hampshire's published figures" + _scaled(measure, scale) + "."
                      if fan["observed"].notna().any() else "; there is no published Hampshire figure to compare with."))
        out.append(_figure(f"measure-{measure}", title, caption, fan_alt(title, fan, dec), fan,
                           draw.fan_chart(fan, title, unit)))
    return out


def _scaled(measure: str, scale: float) -> str:
    return f" multiplied by {scale:g}, this run's scale" if scale != 1 and data.is_count(measure) else ""


def measures_table(per_rep: pd.DataFrame, years: list[str], observed: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """Mean [90% interval] by year for each fan-chart measure, with the observed figure beneath."""
    rows = []
    for measure, title, _unit, dec in FAN_MEASURES:
        fan = data.fan(per_rep, measure, years, observed, scale)
        if fan["mean"].isna().all():
            continue
        rows.append({"measure": title, **{y: interval(r, dec) for y, r in zip(years, fan.itertuples())}})
        if fan["observed"].notna().any():
            rows.append({"measure": "  observed" + _scaled(measure, scale), **{y: number(v, dec) for y, v in zip(years, fan["observed"])}})
    return pd.DataFrame(rows, columns=["measure", *years])


def interval(row, dec: int) -> str:
    """``row``'s mean and 90% interval as the report's tables write them: mean [p5-p95]."""
    if pd.isna(row.mean):
        return "-"
    return f"{number(row.mean, dec)} [{number(row.p5, dec)}-{number(row.p95, dec)}]"


def pathway_figure(results: Results, proj: Projected) -> ReportFigure:
    flows = data.pathway_flows(proj.transitions)
    g = pathway.build(results.scenario)
    untaken = draw.untaken_steps(g, flows)
    busiest = flows[(flows["source"] != flows["target"]) & (flows["target"] != "END") & (flows["source"] != "START")].sort_values("per_year", ascending=False).head(3)
    alt = ("Diagram of the pathway from a family's contact with the front door, through the MASH, to a child's "
           "referral and the journey's closure, each arrow labelled with the families or children taking it per year. "
           "Busiest steps: " + "; ".join(f"{draw.stage_label(s, True)} to {draw.stage_label(t, True)}, {f:,.0f} a year"
                                         for s, t, f in busiest.itertuples(index=False)) + ".")
    caption = (f"Each box is a stage; each arrow is labelled with the mean number taking that step per year "
               f"({proj.labels[0]} to {proj.labels[-1]}, averaged over replications), and its width grows with that "
               "number. The front door (purple arrows) counts families: a contact is triaged to advice, early help or "
               "the MASH, which decides on no further action, early help or a referral; from the referral on, the "
               "arrows count children. Orange arrows go back to an earlier stage (a step up, a breakdown, a plan "
               "after care); green arrows are the hub sub-path; a box with a yearly figure is a way in besides the "
               "front door. A change of worker or a placement move can happen between any two stages and is not drawn."
               + (f" {untaken} step(s) of the pathway that no child took in these years are left out." if untaken else ""))
    return _figure("pathway", "The pathway, with annual flows", caption, alt, flows, draw.pathway_diagram(g, flows))


def caseload_figure(results: Results, proj: Projected) -> ReportFigure:
    series = proj.caseloads[proj.caseloads["date"] >= pd.Timestamp(results.scenario["run.start"])]
    bands = data.caseload_bands(series)
    kinds = [k for k in _KINDS if k in set(bands["kind"])]
    last = bands[bands["date"] == bands["date"].max()]
    alt = ("Line charts of social workers' caseloads by kind of team over time. At the last month: " + "; ".join(
        f"{_KIND_NAMES[k]} median {r['median']:.0f} children (10-90%: {r['p10']:.0f}-{r['p90']:.0f})"
        for k in kinds for _, r in last[last["kind"] == k].iterrows()) + ".")
    caption = ("Children held by each case-holding social worker at the start of every month, by kind of team: the "
               "median (line) and the range holding 80% of workers (shaded), over all replications. A panel starts "
               "or stops when that kind of team exists (CAST teams replace the others when a district switches).")
    return _figure("caseloads", "Caseloads by kind of team", caption, alt, bands,
                   draw.caseload_chart(bands, kinds))


def intake_figure(proj: Projected) -> ReportFigure | None:
    district = data.cast_district(proj.intake)
    if district is None:
        return None
    pattern = data.intake_pattern(proj.intake, district)
    weekly = pattern.groupby("week")["referrals"]
    top_share = (weekly.max() / weekly.sum().replace(0, pd.NA)).dropna().astype(float).mean()
    teams = pattern["team"].nunique()
    alt = (f"Heat map of new referrals received by each of {teams} teams in district {district} over "
           f"{pattern['week'].nunique()} weeks; in each week one team receives {100 * top_share:.0f}% of them "
           "on average, and the team on intake changes every week.")
    caption = (f"New referrals in district {district} (the first to adopt CAST) in the last "
               f"{pattern['week'].nunique()} weeks of replication 1, by team and week (Monday dates). Under CAST "
               f"each week's referrals go to the team on the intake rota: here the team on intake received "
               f"{100 * top_share:.0f}% of a week's referrals on average.")
    return _figure("intake", "The CAST intake rota", caption, alt, pattern, draw.intake_heatmap(pattern, district))


def waits_figure(proj: Projected) -> ReportFigure:
    alloc = data.wait_summary(proj.allocation_waits, proj.labels)
    hub = data.wait_summary(proj.hub_waits, proj.labels)
    both = pd.concat([alloc.assign(wait="allocation"), hub.assign(wait="hub")], ignore_index=True)
    hub_years = hub.dropna(subset=["mean"])
    alt = (f"Bar charts of waiting times by year. Referral to allocated worker: mean {number(alloc['mean'].iloc[-1], 1)} "
           f"days in {proj.labels[-1]}. " + (
               f"Hub referral to support: mean {number(hub_years['mean'].iloc[-1], 1)} days in {hub_years['year'].iloc[-1]}."
               if not hub_years.empty else "No family started hub support."))
    caption = ("Left: days from a child's referral to their first allocated social worker, by financial year of the "
               "referral. Right: days a family waited for a hub place, by year support started. Mean, median and "
               "90th percentile over every wait in every replication.")
    return _figure("waits", "Waiting for a worker and for a hub place", caption, alt, both,
                   draw.waits_chart(alloc, hub))


def workers_figure(proj: Projected, observed: pd.DataFrame) -> ReportFigure:
    obs = observed[observed["model_measure"].str.startswith("social_workers_per_journey_pct_")]
    obs = obs.assign(band=obs["model_measure"].str.rsplit("_", n=1).str[1].str.replace("plus", "+"))
    obs_series = obs.set_index("band")["value"] if not obs.empty else None
    table_ = data.workers_per_journey(proj.worker_shares, obs_series)
    one = table_[table_["band"] == "1"].set_index("window")["mean"]
    alt = ("Bar chart of the share of closed journeys by number of social workers. Journeys with one worker: " +
           "; ".join(f"{w} {number(v, 0)}%" for w, v in one.items()) + ".")
    caption = ("Share of children's journeys that closed in the window after a Child in Need or Child Protection "
               "plan, by how many different social workers were allocated; hatched bars are the 000 Table 9 "
               "baseline case-file sample (cases closed November 2017 to February 2018), error bars the range "
               "over replications.")
    return _figure("workers", "Social workers per journey", caption, alt, table_, draw.workers_chart(table_))


def handoffs_figure(proj: Projected) -> ReportFigure:
    table_ = data.handoffs_table(proj.handoffs)
    last = table_[table_["year"] == proj.labels[-1]].sort_values("mean", ascending=False)
    alt = (f"Stacked bar chart of changes of a child's social worker a year, by reason; in {proj.labels[-1]}: " +
           "; ".join(f"{r} {number(v, 0)}" for r, v in zip(last["reason"], last["mean"])) + ".")
    caption = ("Changes of a child's social worker in each financial year, by cause, mean over replications "
               "(every allocation but a journey's first). Under model A a journey is handed from the R&A team "
               "to a CIN team and into the Children in Care team; under model B the CAST worker keeps it, and "
               "the other causes (a worker leaving or absent, workload rebalancing, the care teams) remain.")
    return _figure("handoffs", "Changes of social worker, by cause", caption, alt, table_, draw.handoffs_chart(table_))


def costs_figure(costs: pd.DataFrame, years: list[str]) -> ReportFigure:
    table_ = data.cost_table(costs, years)
    totals = table_[table_["component"] == "total"]
    alt = ("Stacked bar chart of cost by year and component, each component in its own colour; total £" + "; £".join(
        f"{r.mean / 1e6:,.1f} million in {r.year} (5-95% of replications {r.p5 / 1e6:,.1f} to {r.p95 / 1e6:,.1f})"
        for r in totals.itertuples(index=False)) + ".")
    caption = ("Mean cost per financial year over replications, by component (from costs.csv, in pounds at the "
               "prices the scenario states), stacked in the order of the legend; the black bars give the 5th to "
               "95th percentile of the year's total over replications.")
    return _figure("costs", "Costs", caption, alt, table_, draw.costs_chart(table_))


def figures(results: Results, proj: Projected, observed: pd.DataFrame) -> list[ReportFigure]:
    """Every figure of the report, each with the table it plots."""
    years = proj.labels
    scale = results.scenario["run.scale"]
    out = [*measure_figures(results.measures, years, observed, scale), pathway_figure(results, proj),
           caseload_figure(results, proj)]
    intake = intake_figure(proj)
    if intake is not None:
        out.append(intake)
    out += [waits_figure(proj), workers_figure(proj, observed), handoffs_figure(proj)]
    if results.costs is not None:
        out.append(costs_figure(results.costs, years))
    return out


def _about(results: Results) -> Section:
    m = results.manifest
    facts = pd.DataFrame([
        ("scenario", results.name), ("scenario files", ", ".join(m.get("scenario_files", [])) or "-"),
        ("replications", m.get("replications")), ("seed", m.get("seed")),
        ("journeysim version", m.get("journeysim_version")), ("git commit", m.get("git_commit")),
        ("run created", m.get("created")), ("events", f"{sum(e['events'] for e in m['event_logs']):,}"),
        ("reproduce (inside the results folder)", m.get("reproduce")),
    ], columns=["", "value"])
    return Section("about", "About this report").add(
        para("Every number in this report is computed from the simulation's event logs: the official measures use "
             "the published definitions (financial years April to March, stocks at the end of 31 March). Observed "
             "Hampshire figures come from the project's calibration/targets.csv."),
        table(facts, "The run"),
    )


def _with_costs(results: Results) -> pd.DataFrame:
    """A run's measures, and its costs as ``cost_<component>`` measures when it wrote costs."""
    costs = results.costs
    if costs is None:
        return results.measures
    return pd.concat([results.measures, compare.costs_as_measures(costs)], ignore_index=True)


def pairing(results: Results, other: Results, shown=lambda run: str(run.path)) -> str | None:
    """Check that ``results`` can be compared with ``other`` replication by replication on common random
    numbers: :class:`ResultsError` (one line, naming what differs) unless both were run with the same seed
    and the same :data:`journeysim.compare.PAIRED_SETTINGS` (scale, start, end, warm-up) and parameter draws.  Runs with
    different numbers of replications are compared on the ones both have: the returned note says so, naming
    each run as ``shown(run)`` does (its folder by default), and is None when they have the same replications."""
    seeds = [r.manifest.get("replication_seeds") for r in (results, other)]
    n = min(len(seeds[0] or []), len(seeds[1] or []))
    if n == 0 or seeds[0][:n] != seeds[1][:n]:
        raise ResultsError(f"{other.path}: its replications cannot be paired with {results.path}'s: they were run with "
                           f"different seeds ({other.manifest.get('seed')} and {results.manifest.get('seed')}); run both "
                           "with the same --seed so that replication k of each uses the same random numbers")
    differ = compare.unpaired_settings(other.scenario, results.scenario, str(other.path), str(results.path))
    if differ:
        raise ResultsError(f"{other.path}: its replications cannot be paired with {results.path}'s: {differ}; "
                           f"differences between runs of another size or period are not the effect of a change: "
                           f"run both with the same {', '.join(compare.PAIRED_SETTINGS)}")
    draws = [(r.manifest.get("parameter_draws") or {}).get("sha256") for r in (other, results)]
    if draws[0] != draws[1]:
        raise ResultsError(f"{other.path}: its replications cannot be paired with {results.path}'s: they ran at "
                           f"different parameter draws (run.parameter_draws, in manifest.json); run both with the "
                           f"same draws so that replication k of each runs at the same parameters")
    if set(results.reps) == set(other.reps):
        return None
    common = set(results.reps) & set(other.reps)
    return (f"comparing the {len(common)} replications both runs have ({len(results.reps)} in {shown(results)}, "
            f"{len(other.reps)} in {shown(other)}); the others are left out")


def run_label(run: Results, other: Results) -> str:
    """How the report names ``run`` beside ``other``: its scenario's name, and its folder's name as well
    when both runs have the same scenario name (never the folder's full path: the report is sent on)."""
    if run.name != other.name:
        return run.name
    if run.path.name != other.path.name:
        return f"{run.name} ({run.path.name})"
    return f"{run.name} ({run.path.parent.name}/{run.path.name})"


def differing_from(diffs: pd.DataFrame) -> list[str]:
    """The years from the first in which the two runs differ at all (a difference or an interval that is
    not zero in some measure): before it the scenarios were the same, and so were their replications."""
    years = list(dict.fromkeys(diffs["year"]))
    moved = diffs[(diffs[["diff", "ci_low", "ci_high"]].fillna(0).abs() > 1e-9).any(axis=1)]
    first = min((years.index(y) for y in moved["year"]), default=len(years))
    return years[first:]


def comparison_figure(results: Results, other: Results) -> ReportFigure:
    """Paired differences, this run minus ``other``, replication by replication on common random
    numbers; the figure's data are :func:`journeysim.compare.paired_differences` of the two runs
    (on the replications both have; :func:`pairing` refuses runs that cannot be paired), from the
    first year in which they differ (:func:`differing_from`)."""
    pairing(results, other)
    common = set(results.reps) & set(other.reps)
    mine, theirs = (_with_costs(r) for r in (results, other))
    this, that = run_label(results, other), run_label(other, results)
    cmp = compare.comparison_of(theirs[theirs["rep"].isin(common)], mine[mine["rep"].isin(common)], that,
                                this, int(results.manifest.get("seed", 0)))
    years = differing_from(cmp.diffs)
    cmp = dataclasses.replace(cmp, years=[y for y in cmp.years if y in years],
                              diffs=cmp.diffs[cmp.diffs["year"].isin(years)].reset_index(drop=True))
    labels = {m: title for m, title, _, _ in FAN_MEASURES}
    shown = [m for m in compare.FIGURE_MEASURES if m in set(cmp.diffs["measure"])]
    data_ = cmp.diffs[cmp.diffs["measure"].isin(shown)].reset_index(drop=True)
    clear = data_[~data_["includes_zero"]]
    alt = (f"Paired differences, {this} minus {that}, by year with 95% intervals, for "
           f"{len(shown)} measures; {len(clear)} of {len(data_)} intervals exclude zero.")
    caption = (f"{this} minus {that}: the mean paired difference over {cmp.reps} pairs of replications "
               "on common random numbers (replication k of each run uses the same random numbers), with its 95% "
               "interval; costs in GBP millions. Grey points: the interval includes zero.")
    return _figure("compare", "Compared with " + that, caption, alt, data_,
                   compare.difference_figure(cmp, labels, shown))


#: Decimal places of each measure in the comparison table (costs in GBP millions).
_COMPARE_DECIMALS = {m: dec for m, _, _, dec in FAN_MEASURES} | {"cost_total": 2}


def comparison_table(diffs: pd.DataFrame, name_a: str = "mean_a", name_b: str = "mean_b") -> pd.DataFrame:
    """The paired differences as the report prints them (one row per measure and year), costs in GBP
    millions, each number to its measure's decimal places; the means headed ``name_a`` and ``name_b``."""
    titles = {m: title for m, title, _, _ in FAN_MEASURES} | {"cost_total": "Total cost (GBP million)"}
    rows = []
    for r in diffs.itertuples(index=False):
        k, dec = (1e6 if r.measure.startswith("cost_") else 1.0), _COMPARE_DECIMALS.get(r.measure, 1)
        rows.append({"measure": titles.get(r.measure, r.measure), "year": r.year, name_a: number(r.mean_a / k, dec),
                     name_b: number(r.mean_b / k, dec), "difference": number(r.diff / k, dec),
                     "95% interval": f"{number(r.ci_low / k, dec)} to {number(r.ci_high / k, dec)}",
                     "% change": "-" if pd.isna(r.pct_change) else f"{r.pct_change:+.1f}",
                     "zero": "includes 0" if r.includes_zero else "excludes 0"})
    return pd.DataFrame(rows, columns=["measure", "year", name_a, name_b, "difference", "95% interval", "% change",
                                       "zero"])


def build_html(results: Results, proj: Projected, observed: pd.DataFrame,
               other: Results | None = None) -> tuple[str, list[ReportFigure]]:
    """The report page and its figures; with ``other``, a section of paired differences from it."""
    figs = figures(results, proj, observed)
    if other is not None:
        figs.append(comparison_figure(results, other))
    by_key = {f.key: f for f in figs}
    years = proj.labels
    sections = [s for s in [_instability(results, years, other)] if s is not None]
    sections.append(Section("scenario", "The scenario").add(*(para(p) for p in scenario_paragraphs(results.scenario, results.manifest))))
    sections.append(Section("measures", "Official measures by year").add(
        para("Each chart shows a measure as the service would report it. The line is the mean over replications; "
             "the darker band holds the middle 50% of replications and the lighter one 90%. Diamonds are Hampshire's "
             "published figures where they exist."),
        grid([f.html() for f in figs if f.key.startswith("measure-")]),
        table(measures_table(results.measures, years, observed, results.scenario["run.scale"]), "Mean [5th-95th percentile] over replications, "
              "and the observed figure where published"),
    ))
    sections.append(Section("pathway", "The pathway").add(by_key["pathway"].html()))
    caseloads = Section("caseloads", "Caseloads and intake").add(by_key["caseloads"].html())
    if "intake" in by_key:
        caseloads.add(heading("One week in four: the CAST intake rota"), by_key["intake"].html())
    else:
        caseloads.add(para("No district worked in CAST teams during this run, so there is no intake rota to show.", "note"))
    sections.append(caseloads)
    waits = by_key["waits"].data
    sections.append(Section("waits", "Waiting times").add(
        by_key["waits"].html(),
        table(waits[["wait", "year", "mean", "median", "p90", "per_rep"]].rename(columns={"per_rep": "waits per replication"}),
              "Waits in days by financial year", {"mean": ",.1f", "median": ",.1f", "p90": ",.1f", "waits per replication": ",.0f"}),
    ))
    workers = by_key["workers"].data
    sections.append(Section("workers", "Social workers per journey").add(
        by_key["workers"].html(),
        table(workers.pivot(index="band", columns="window", values="mean")[list(dict.fromkeys(workers["window"]))]
              .reset_index().rename(columns={"band": "workers"}),
              "% of closed journeys with a plan, by number of social workers", {c: ".1f" for c in workers["window"].unique()}),
        by_key["handoffs"].html(),
        table(by_key["handoffs"].data.pivot(index="reason", columns="year", values="mean")
              .reindex(list(dict.fromkeys(by_key["handoffs"].data["reason"]))).reset_index(),
              "Changes of social worker a year, by cause (mean over replications)",
              {y: ",.0f" for y in by_key["handoffs"].data["year"].unique()}),
    ))
    sections.append(_costs_section(results, by_key.get("costs")))
    if other is not None:
        sections.append(_comparison_section(results, other, by_key["compare"], years))
    sections.append(_about(results))
    subtitle = (f"Scenario '{results.name}', {len(results.reps)} replications, {years[0]} to {years[-1]}. "
                f"Written by journeysim {__version__} on {dt.date.today():%d %B %Y}.")
    return document(f"journeysim report: {results.name}", subtitle, sections), figs


def _comparison_section(results: Results, other: Results, fig: ReportFigure, years: list[str]) -> Section:
    """The paired differences from ``other``, the runs named by :func:`run_label` (never by their paths)."""
    this, that = run_label(results, other), run_label(other, results)
    note = pairing(results, other, lambda run: run_label(run, results if run is other else other))
    before = [y for y in years if len(fig.data) and y < fig.data["year"].iloc[0]]
    return Section("compare", f"Compared with {that}").add(
        para(f"Each difference is this run ({this}) minus {that}, averaged over pairs of replications "
             "that share their random numbers, so that chance affects both alike and the interval shows the "
             "effect of the change alone. Where an interval includes zero, the runs cannot tell the two apart."
             + (f" The years before {fig.data['year'].iloc[0]} are left out: the two runs were the same in them "
                "(every difference zero)." if before else "")
             + (f" Note: {note}." if note else "")),
        fig.html(),
        table(comparison_table(fig.data, that, this), "Paired differences with 95% intervals (costs in GBP millions)"),
    )


def _instability(results: Results, years: list[str], other: Results | None = None) -> Section | None:
    """A warning at the top of the report when a queue or stock grows without bound in the run (or in
    the run it is compared with): :func:`journeysim.stability.unbounded` of its measures."""
    runs = [(results, ""), *([(other, f"In {other.name} (the run compared with): ")] if other is not None else [])]
    blocks = []
    for run, prefix in runs:
        for finding in stability.unbounded(run.measures, years):
            blocks.append(para(prefix + finding.message(), "warning"))
    if not blocks:
        return None
    return Section("warning", "Warning: not a steady state").add(
        para("Some of the figures in this report are not a steady state: a queue or stock grew without bound, "
             "because the service did not keep up with its demand.", "warning"), *blocks)


def _costs_section(results: Results, fig: ReportFigure | None) -> Section:
    section = Section("costs", "Costs")
    if fig is None:
        return section.add(para(f"This run has no costs: its results folder ({results.path.name}) has no costs.csv, "
                                "so no costs are shown. Runs made by a journeysim version that writes costs include them.",
                                "note"))
    costs = fig.data.assign(cell=[interval(row, 0) for row in fig.data.itertuples(index=False)])
    wide = costs.pivot(index="name", columns="year", values="cell")
    wide = wide.reindex(index=list(dict.fromkeys(costs["name"])), columns=list(dict.fromkeys(costs["year"])))
    return section.add(fig.html(), table(wide.rename_axis("component").reset_index(),
                                         "Mean cost (£) [5th-95th percentile over replications] by component and "
                                         "financial year"))


def write_report(results_path: str | Path, out: str | Path, compare_with: str | Path | None = None,
                 verify: bool = True) -> Path:
    """Write the HTML report of the results folder at ``results_path`` to ``out``; with
    ``compare_with``, another results folder to show paired differences from (each checked against
    its manifest unless ``verify`` is False: see :func:`journeysim.results.reader.open_results`)."""
    results = open_results(results_path, verify)
    other = open_results(compare_with, verify) if compare_with is not None else None
    if other is not None:
        pairing(results, other)  # refuse before the long pass over the logs
    page, _ = build_html(results, project(results), observed_targets(), other)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # a write that failed half way leaves nothing behind
    return out
