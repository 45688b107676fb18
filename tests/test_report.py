"""The HTML report: every figure's data equals the projections of the event logs, the
figures plot that data, and the page is self-contained with alt text and captions."""

from __future__ import annotations

import base64
import shutil
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.text import Annotation

from journeysim import pathway
from journeysim.cli import main
from journeysim.projections import (
    allocation_waits,
    caseloads_at,
    measures,
    social_workers_distribution,
)
from journeysim.projections._frame import fy_of
from journeysim.report import data, figures as draw
from journeysim.report.collect import TABLE9_WINDOW
from journeysim.scenario import reported_years
from journeysim.targets import observed as observed_targets


@pytest.fixture(scope="module")
def built(small_report):
    return small_report.results, small_report.proj, small_report.page, small_report.figs


_LOGS: dict = {}


def _logs(results):
    """Each replication's log as a converted frame (read once per test session)."""
    if results.path not in _LOGS:
        _LOGS[results.path] = dict(results.frames())
    return _LOGS[results.path]


def test_fan_chart_data_are_the_measures_of_every_replications_log(built):
    results, proj, _, figs = built
    fan = figs["measure-cp_plans_started"].data.set_index("year")
    years = reported_years(results.scenario)
    per_rep = pd.DataFrame({rep: measures(log, years).set_index(["measure", "year"])["value"]
                            for rep, log in _logs(results).items()})
    cp = per_rep.xs("cp_plans_started", level="measure")
    assert fan["mean"].to_numpy() == pytest.approx(cp.mean(axis=1).to_numpy())
    assert fan["p5"].to_numpy() == pytest.approx(cp.quantile(0.05, axis=1).to_numpy())
    assert fan["p95"].to_numpy() == pytest.approx(cp.quantile(0.95, axis=1).to_numpy())
    assert (fan["p5"] <= fan["p25"]).all() and (fan["p75"] <= fan["p95"]).all() and (fan["n"] == 2).all()
    # observed counts are scaled to the run's size; percentages are not
    obs = observed_targets().query("model_measure == 'cp_plans_started'").set_index("year")["value"]
    scale = results.scenario["run.scale"]
    assert fan.loc["2017-18", "observed"] == pytest.approx(obs["2017-18"] * scale)
    pct = figs["measure-re_referral_12m_pct"].data.set_index("year")
    obs_pct = observed_targets().query("model_measure == 're_referral_12m_pct'").set_index("year")["value"]
    assert pct.loc["2017-18", "observed"] == pytest.approx(obs_pct["2017-18"])
    assert np.isnan(fan.loc["2019-20", "observed"])


def test_fan_chart_plots_its_data():
    fan = pd.DataFrame({"year": ["2016-17", "2017-18", "2018-19"], "mean": [10.0, 12.0, 11.0],
                        "p5": [8.0, 9.0, 9.5], "p25": [9.0, 11.0, 10.5], "p75": [11.0, 13.0, 11.5],
                        "p95": [12.0, 14.0, 12.5], "n": [3, 3, 3], "observed": [np.nan, 11.5, np.nan]})
    fig = draw.fan_chart(fan, "CP plans started", "plans")
    ax = fig.axes[0]
    mean_line, observed = ax.lines
    assert list(mean_line.get_ydata()) == [10.0, 12.0, 11.0]
    assert list(observed.get_ydata()[1:2]) == [11.5]
    bands = [c.get_paths()[0].vertices[:, 1] for c in ax.collections]
    assert min(bands[0]) == 8.0 and max(bands[0]) == 14.0  # the 90% band
    assert min(bands[1]) == 9.0 and max(bands[1]) == 13.0  # the 50% band
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2016-17", "2017-18", "2018-19"]


def test_pathway_flows_are_mean_annual_transitions(built):
    results, proj, _, figs = built
    flows = figs["pathway"].data.set_index(["source", "target"])["per_year"]
    years = reported_years(results.scenario)
    labels_of_years = [f"{y}-{str(y + 1)[2:]}" for y in years]
    referrals = [measures(log, years).query("measure == 'referrals'")["value"].mean() for log in _logs(results).values()]
    # every referral is one step from the MASH's decision to ReferralReceived: the annual mean equals the
    # referrals measure's mean
    assert flows[("MashScreeningCompleted", "ReferralReceived")] == pytest.approx(np.mean(referrals))
    assert ("START", "ReferralReceived") not in flows.index
    # the front door counts families: contacts by their triage, MASH decisions by their outcome
    door = {}
    for log in _logs(results).values():
        rows = log[log["event"].isin(["ContactReceived", "MashScreeningCompleted"])]
        rows = rows[fy_of(rows["date"]).isin(years)]
        for (event, outcome), n in rows.groupby(["event", "outcome"]).size().items():
            door[(event, outcome)] = door.get((event, outcome), 0) + n
    per_year = len(_logs(results)) * len(labels_of_years)
    assert flows[("ContactReceived", "MashScreeningCompleted")] == pytest.approx(door[("ContactReceived", "mash")] / per_year)
    assert flows[("ContactReceived", "FrontDoorAdvice")] == pytest.approx(door[("ContactReceived", "advice")] / per_year)
    assert flows[("MashScreeningCompleted", "MashNfa")] == pytest.approx(door[("MashScreeningCompleted", "nfa")] / per_year)
    assert flows[("CaseClosed", "END")] > 0 and flows[("AssessmentStarted", "AssessmentCompleted")] > 0
    # the arrows' labels are those numbers
    ax = draw.pathway_diagram(pathway.build(results.scenario), figs["pathway"].data).axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert f"{flows[('MashScreeningCompleted', 'ReferralReceived')]:,.0f}" in labels
    assert f"{flows[('ContactReceived', 'MashScreeningCompleted')]:,.0f}" in labels
    # one arrow per step some child or family took between two stages, none for the steps nobody took;
    # stages in plain words, the front door's among them
    g = draw.with_front_door(pathway.build(results.scenario), draw.step_flows(figs["pathway"].data))
    steps = [(u, v) for u, v in g.edges if u != v and "START" not in (u, v) and "END" not in (u, v)]
    taken = [(u, v) for u, v in steps if flows.get((u, v), 0) > 0]
    assert len(taken) < len(steps)  # the initial stock's steps fall in the warm-up
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(arrows) == len(taken)
    assert {"Referral\n(children)", "Contact\n(families)", "MASH\nscreening", "No further\naction"} <= labels
    assert "ReferralReceived" not in labels and "0" not in labels
    # every stage drawn has its place in the grid: none falls into an extra column
    assert {n for edge in taken for n in edge} <= set(draw.PATHWAY_GRID)


def test_caseload_bands_are_the_caseloads_of_workers_at_each_month(built):
    results, proj, _, figs = built
    bands = figs["caseloads"].data
    date = pd.Timestamp("2019-10-01")
    pooled = []
    for log in _logs(results).values():
        held = caseloads_at(log, date - pd.Timedelta(days=1))
        teams = log[log["event"].isin(["WorkerJoined", "WorkerMoved"])].query("date < @date")
        team = teams.drop_duplicates("worker", keep="last").set_index("worker")["team"]
        cast = held[team.reindex(held.index).str.contains("CAST").to_numpy()]
        pooled.extend(cast.tolist())
    row = bands[(bands["date"] == date) & (bands["kind"] == "CAST")].iloc[0]
    assert row["median"] == pytest.approx(np.median(pooled))
    assert row["p90"] == pytest.approx(np.quantile(pooled, 0.9))
    assert row["workers"] == pytest.approx(len(pooled) / 2)
    assert bands["date"].min() >= pd.Timestamp(results.scenario["run.start"])
    assert set(bands["kind"]) == {"RA", "CIN", "CIC", "CL", "CAST"}


def test_intake_figure_counts_each_teams_weekly_referrals(built):
    results, proj, _, figs = built
    pattern = figs["intake"].data
    log = _logs(results)[0]
    refs = log[log["event"] == "ReferralReceived"].copy()
    refs["week"] = refs["date"] - pd.to_timedelta(refs["date"].dt.day_of_week, unit="D")
    for (week, team), n in pattern.set_index(["week", "team"])["referrals"].items():
        assert n == ((refs["week"] == week) & (refs["team"] == team)).sum()
    assert set(pattern["team"]) == {f"D1-CAST{i}" for i in range(1, 5)}
    assert pattern["week"].nunique() == 12
    # one week in four: every week, one team takes all of the district's new referrals
    per_week = pattern.groupby("week")["referrals"]
    busy = per_week.sum() > 0
    assert ((per_week.max() == per_week.sum()) | ~busy).all()
    on_intake = pattern.loc[pattern.groupby("week")["referrals"].idxmax(), "team"].tolist()
    assert len(set(on_intake)) == 4


def test_wait_summary_is_the_allocation_waits_by_year(built):
    results, proj, _, figs = built
    waits = figs["waits"].data
    alloc = waits[waits["wait"] == "allocation"].set_index("year")
    pooled = pd.concat([allocation_waits(log) for log in _logs(results).values()])
    in_year = pooled[fy_of(pd.to_datetime(pooled["referred"])) == 2018]["days"]
    assert alloc.loc["2018-19", "mean"] == pytest.approx(in_year.mean())
    assert alloc.loc["2018-19", "p90"] == pytest.approx(in_year.quantile(0.9))
    assert alloc.loc["2018-19", "per_rep"] == pytest.approx(len(in_year) / 2)
    hub = waits[waits["wait"] == "hub"].set_index("year")
    assert np.isnan(hub.loc["2016-17", "mean"]) and hub.loc["2016-17", "per_rep"] == 0
    assert hub.loc["2019-20", "per_rep"] > 0


def test_workers_per_journey_against_table_9(built):
    results, proj, _, figs = built
    table = figs["workers"].data
    obs = table[table["window"] == "observed"].set_index("band")["mean"]
    assert obs.to_dict() == {"1": 10.0, "2": 38.0, "3": 34.0, "4": 11.0, "5+": 7.0}
    window = table[table["window"].str.startswith("Nov 2017")].set_index("band")
    shares = pd.DataFrame({rep: social_workers_distribution(log, *TABLE9_WINDOW)
                           for rep, log in _logs(results).items()})
    assert window["mean"].to_numpy() == pytest.approx(shares.mean(axis=1).to_numpy())
    assert window["low"].to_numpy() == pytest.approx(shares.min(axis=1).to_numpy())
    assert window["mean"].sum() == pytest.approx(100.0)


def test_cost_table_means_over_replications():
    costs = pd.DataFrame({"rep": [0, 1, 0, 1, 0, 1], "year": ["2018-19"] * 4 + ["2017-18"] * 2,
                          "component": ["social_workers", "social_workers", "placements_foster", "placements_foster",
                                        "social_workers", "social_workers"],
                          "value": [100.0, 300.0, 50.0, 70.0, 10.0, 20.0]})
    table = data.cost_table(costs, ["2017-18", "2018-19"])
    got = {(y, c): (n, m) for y, c, n, m in table[["year", "component", "name", "mean"]].itertuples(index=False)}
    assert got == {("2017-18", "social_workers"): ("Social workers", 15.0), ("2017-18", "total"): ("Total", 15.0),
                   ("2018-19", "social_workers"): ("Social workers", 200.0),
                   ("2018-19", "placements_foster"): ("Placements: foster", 60.0), ("2018-19", "total"): ("Total", 260.0)}
    # in the fixed order of the components, the total last; its range is that of each replication's total
    assert table["component"].tolist()[2:] == ["social_workers", "placements_foster", "total"]
    total = table.iloc[-1]
    assert (total["p5"], total["p95"]) == pytest.approx((150 + 0.05 * 220, 150 + 0.95 * 220))


def test_no_two_cost_components_share_a_colour(built):
    from journeysim.costs import COMPONENTS

    parts = [c for c in COMPONENTS if c != "total"]
    colours = draw.cost_colours(parts + ["a_new_component"])
    assert len(set(colours.values())) == len(parts) + 1
    # and the chart draws each component in its own colour, named in words, in the fixed order
    fig = draw.costs_chart(built[3]["costs"].data)
    handles, names = fig.axes[0].get_legend_handles_labels()
    bars = {name: tuple(h.patches[0].get_facecolor()) for h, name in zip(handles, names) if hasattr(h, "patches")}
    assert len(bars) == len(parts) and len(set(bars.values())) == len(parts)
    assert list(bars) == [data.cost_name(c) for c in parts]
    assert "total: 5-95% of replications" in names


class _Page(HTMLParser):
    """Collects images (with their figure and caption), links and section ids."""

    def __init__(self):
        super().__init__()
        self.images, self.urls, self.sections, self.captions = [], [], [], 0
        self._in_figure = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._in_figure = True
        if tag == "img":
            self.images.append((a.get("src", ""), a.get("alt", ""), self._in_figure))
        if tag == "figcaption":
            self.captions += 1
        if tag == "section":
            self.sections.append(a["id"])
        for key in ("src", "href"):
            if key in a and tag != "img":
                self.urls.append(a[key])

    def handle_endtag(self, tag):
        if tag == "figure":
            self._in_figure = False


def test_page_is_self_contained_with_alt_text_and_captions(built):
    results, proj, page, figs = built
    parsed = _Page()
    parsed.feed(page)
    assert parsed.sections == ["scenario", "measures", "pathway", "caseloads", "waits", "workers", "costs", "about"]
    assert len(parsed.images) == len(figs) == parsed.captions >= 15
    for src, alt, in_figure in parsed.images:
        assert src.startswith("data:image/png;base64,") and in_figure
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(alt) > 40
    assert all(u.startswith("#") for u in parsed.urls)  # only links within the page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert 'id="fig-costs"' in page  # every run writes costs.csv
    assert "switches to CAST teams" in page  # the scenario in plain words
    assert "multiplied by 0.05, this run" in page
    # the workers table reads observed, then the Table 9 window, then the last year
    heads = [page.index(f'<th scope="col">{h}</th>') for h in ("observed", "Nov 2017 - Feb 2018 (simulated)",
                                                               "2019-20 (simulated)")]
    assert heads == sorted(heads)


def test_costs_section_when_the_run_wrote_costs(small_results, tmp_path):
    copy = tmp_path / "with-costs"
    shutil.copytree(small_results, copy)
    rows = [(rep, year, comp, value) for rep in (0, 1) for year in ("2018-19", "2019-20")
            for comp, value in (("social_workers", 1.5e6 + rep * 1e5), ("placements", 2.0e6))]
    pd.DataFrame(rows, columns=["rep", "year", "component", "value"]).to_csv(copy / "costs.csv", index=False)
    out = tmp_path / "report.html"
    # the costs are written by hand, so the folder no longer matches its manifest: read it anyway
    r = CliRunner().invoke(main, ["report", str(copy), "--out", str(out), "--no-verify"])
    assert r.exit_code == 0, r.output
    assert f"Report: {out}" in r.output
    page = out.read_text()
    assert "no costs.csv" not in page and 'id="fig-costs"' in page
    assert "1,550,000 [1,505,000-1,595,000]" in page  # mean social-worker cost and its range over replications
    assert "3,550,000 [3,505,000-3,595,000]" in page  # the year's total


def test_report_errors_name_the_folder(tmp_path):
    r = CliRunner().invoke(main, ["report", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "no such results folder" in r.output
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "manifest.json").write_text("{}")
    r = CliRunner().invoke(main, ["report", str(tmp_path / "partial")])
    assert r.exit_code == 2 and "measures.csv, scenario.toml missing" in r.output
    assert "Traceback" not in r.output


def test_compare_section_shows_the_paired_differences_of_two_runs(small_results, tmp_path):
    from journeysim.compare import paired_differences
    from journeysim.report.build import comparison_figure, comparison_table
    from journeysim.results.reader import open_results
    from journeysim.runner import run

    from conftest import small

    other = tmp_path / "no-hubs"
    run(small("hampshire.toml", "hubs.start=never"), other, reps=2, seed=7, workers=1)
    this, that = open_results(small_results), open_results(other)
    fig = comparison_figure(this, that)
    expected = paired_differences(that.measures, this.measures).set_index(["measure", "year"])
    assert "cost_total" in set(fig.data["measure"])  # costs are compared too
    for row in fig.data[fig.data["measure"] != "cost_total"].itertuples(index=False):
        exp = expected.loc[(row.measure, row.year)]
        assert row.diff == pytest.approx(exp["diff"], nan_ok=True)
        assert row.ci_low == pytest.approx(exp["ci_low"], nan_ok=True)
    assert "cla_starts" in set(fig.data["measure"])
    out = tmp_path / "report.html"
    r = CliRunner().invoke(main, ["report", str(small_results), "--compare", str(other), "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text()
    assert 'id="fig-compare"' in page and "Paired differences with 95% intervals" in page
    # two runs of one scenario named by their folders, never by a path of this machine
    assert "Compared with hampshire (no-hubs)" in page and "this run (hampshire (hampshire-small))" in page
    assert str(tmp_path) not in page and str(small_results.parent) not in page
    # the years before the scenarios differ (hubs open in 2019-20) are left out, and said to be
    assert set(fig.data["year"]) == {"2019-20"} and "The years before 2019-20 are left out" in page
    # costs in GBP millions, to the penny of a million at most
    table_ = comparison_table(fig.data, "a", "b").set_index("measure")
    total = fig.data.set_index("measure").loc["cost_total"]
    assert table_.loc["Total cost (GBP million)", "difference"] == f"{total['diff'] / 1e6:,.2f}"


def test_compare_refuses_runs_that_cannot_be_paired(small_results, tmp_path):
    from journeysim.runner import run

    from conftest import small

    other = tmp_path / "other-seed"
    run(small("hampshire.toml"), other, reps=2, seed=8, workers=1)
    r = CliRunner().invoke(main, ["report", str(small_results), "--compare", str(other), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "cannot be paired" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("setting,said", [
    ("run.scale=0.04", "run.scale is 0.04 in {other}, 0.05 in {this}"),
    ("run.end=2019-04-01", "run.end is 2019-04-01 in {other}, 2020-04-01 in {this}"),
])
def test_compare_refuses_runs_of_another_size_or_period(small_results, tmp_path, setting, said):
    """Same seed, but another scale (or period): replication k of each is another county (or other
    days), so their differences are no effect of anything; one line, exit 2, nothing written."""
    from journeysim.runner import run

    from conftest import small

    other = tmp_path / "other"
    run(small("hampshire.toml", setting), other, reps=2, seed=7, workers=1)
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(small_results), "--compare", str(other), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    errors = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {other}: its replications cannot be paired with {small_results}'s: "
                      + said.format(other=other, this=small_results)
                      + "; differences between runs of another size or period are not the effect of a change: "
                        "run both with the same run.scale, run.start, run.end, run.warmup_days"]
    assert not out.exists()


def test_compare_with_more_replications_pairs_the_common_ones_and_says_so(small_results, tmp_path):
    from journeysim.report.build import comparison_figure, comparison_table
    from journeysim.results.reader import open_results
    from journeysim.runner import run

    from conftest import small

    other = tmp_path / "no-hubs-3"
    run(small("hampshire.toml", "hubs.start=never"), other, reps=3, seed=7, workers=1)
    fig = comparison_figure(open_results(small_results), open_results(other))
    assert set(fig.data["n"]) <= {2} and (fig.data["n"] == 2).any(), "pairs of the 2 replications both runs have"
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(small_results), "--compare", str(other), "--out", str(out)])
    assert r.exit_code == 0, r.output
    note = (f"comparing the 2 replications both runs have (2 in {small_results}, 3 in {other}); "
            "the others are left out")
    assert f"note: {note}" in r.output.splitlines()
    page = out.read_text()
    assert ("comparing the 2 replications both runs have (2 in hampshire (hampshire-small), 3 in hampshire "
            "(no-hubs-3)); the others are left out") in page  # the report names runs, never their paths
    assert str(tmp_path) not in page


def test_two_scenario_files_of_one_name_are_told_apart_by_their_folders(tmp_path):
    """A variant hampshire.toml extending the shipped one was listed as 'hampshire.toml, hampshire.toml'."""
    from journeysim.results.writer import file_names

    mine, shipped = tmp_path / "my-variants" / "hampshire.toml", tmp_path / "scenarios" / "hampshire.toml"
    assert file_names([mine, shipped, tmp_path / "scenarios" / "calibration.toml"]) == [
        "my-variants/hampshire.toml", "scenarios/hampshire.toml", "calibration.toml"]
    deeper = [tmp_path / "a" / "x" / "s.toml", tmp_path / "b" / "x" / "s.toml"]
    assert file_names(deeper) == ["a/x/s.toml", "b/x/s.toml"]
    assert file_names([shipped]) == ["hampshire.toml"]  # no folder where none is needed, never a full path
