"""A queue or stock growing without bound is found and said: the rule on hand-made series, and runs
of a service that cannot meet a hard cap on caseloads against one that can."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.stability import Growth, growth, unbounded

from conftest import SCENARIOS

YEARS = ["2014-15", "2015-16", "2016-17", "2017-18", "2018-19", "2019-20"]


def series(*rows) -> np.ndarray:
    return np.array(rows, dtype=float)


# ------------------------------------------------------------------ the rule on hand-made series
QUEUE = ([100, 200, 305, 398, 501, 602], [102, 198, 297, 402, 499, 598])


def test_a_queue_growing_every_year_is_flagged_with_when_and_how_fast():
    found = growth(series(*QUEUE), YEARS, "q", "The queue")
    assert isinstance(found, Growth) and found.ongoing
    assert (found.start_year, found.end_year) == ("2015-16", "2019-20"), "five rises, every one clear"
    assert (found.value_start, found.value_end) == (101, 600)
    assert found.per_year == pytest.approx((600 - 101) / 5)
    assert found.end_rise == pytest.approx(100.0)
    # the noise: the replications' rises pooled over the years, or the count's, whichever is larger
    pooled = math.sqrt(np.var(np.diff(series(*QUEUE), axis=1), axis=0, ddof=1).mean() / 2)
    assert pooled < math.sqrt((500 + 600) / 2) == pytest.approx(found.end_rise_se)
    words = found.message()
    assert "The queue grew in every year from 2015-16 to 2019-20" in words
    assert "from 101 at 31 March 2015 to 600 at 31 March 2020, about 100 a year (2019-20: +100" in words
    assert "without bound" in words
    assert found.as_dict()["ongoing"] is True and found.as_dict()["message"] == words


def test_a_steady_series_with_noise_is_not_flagged():
    rng = np.random.default_rng(3)
    assert growth(rng.poisson(60, size=(24, 6)), YEARS) is None


def test_two_rises_are_not_sustained_growth():
    assert growth(series([50, 50, 50, 50, 300, 600]), YEARS) is None


def test_a_stock_settling_to_a_new_level_is_not_flagged():
    # a step up of 1,000 reached with half of what is left each year: rises 500, 250, 125, 62
    level = [8000, 8000, 8500, 8750, 8875, 8938]
    assert growth(series(*[level] * 50), YEARS) is None, "every rise is clear of noise, but they halve"
    steady = [8000, 8000, 8500, 9000, 9500, 10000]
    assert growth(series(*[steady] * 50), YEARS) is not None


def test_growth_that_stopped_is_reported_as_ended_with_the_final_level():
    found = growth(series([0, 300, 600, 900, 1200, 1180], [10, 310, 610, 910, 1210, 1200]), YEARS, "q", "The queue")
    assert found is not None and not found.ongoing
    assert (found.start_year, found.end_year, found.final_year) == ("2015-16", "2018-19", "2019-20")
    assert found.value_final == 1190
    assert "By 31 March 2020 it was 1,190" in found.message()


def test_slow_growth_of_a_large_stock_is_not_material():
    # 2% a year on 8,000, measured very precisely: growth, but not a service falling behind
    level = [8000 * 1.02**t for t in range(6)]
    assert growth(series(*[level] * 50), YEARS) is None
    # 10% a year is
    level = [8000 * 1.10**t for t in range(6)]
    assert growth(series(*[level] * 50), YEARS) is not None


def test_a_small_wobble_is_noise_even_when_the_replications_agree():
    """Two replications with the same rises have no spread of their own; the count's chance variation
    (a rise of 5 in a queue of about 10 is within sqrt(20)) keeps them from being flagged."""
    assert growth(series([2, 4, 7, 11, 16, 22], [2, 4, 7, 11, 16, 22]), YEARS) is None
    assert growth(series([20, 60, 120, 200, 300, 420]), YEARS) is not None, "one replication, a hundred a year"


def test_unbounded_reads_the_measures_layout_and_leaves_other_measures_alone():
    rows = []
    for rep, offset in enumerate((0, 7)):
        for i, y in enumerate(YEARS):
            rows.append((rep, "awaiting_allocation_at_31_march", y, 500 + 400 * i + offset))
            rows.append((rep, "cin_at_31_march", y, 8000 + (30 if i % 2 else 0) + offset))
            rows.append((rep, "cla_starts", y, 100 + 400 * i))
    per_rep = pd.DataFrame(rows, columns=["rep", "measure", "year", "value"]).sample(frac=1, random_state=1)
    found = unbounded(per_rep)
    assert [f.measure for f in found] == ["awaiting_allocation_at_31_march"]
    assert found[0].what == "Children waiting for a social worker at 31 March" and found[0].per_year == pytest.approx(400)
    assert unbounded(per_rep[per_rep["measure"] == "cla_starts"]) == []


# ------------------------------------------------------------------ runs: a cap the workforce cannot meet
RUN = ["--reps", "4", "--seed", "7", "--set", "run.scale=0.05"]
CAP = ["--set", "workforce.hard_cap=6"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """journeysim run of Hampshire at 5% of the county, with and without a hard cap of 6 children a worker."""
    base = tmp_path_factory.mktemp("stability")
    out = {}
    for name, extra in (("stable", []), ("capped", CAP)):
        folder = base / name
        result = CliRunner().invoke(main, ["run", str(SCENARIOS / "hampshire.toml"), *RUN, *extra, "--out", str(folder)])
        assert result.exit_code == 0, result.output
        out[name] = (folder, result.output)
    return out


def test_a_run_that_cannot_meet_its_cap_says_so(runs):
    folder, output = runs["capped"]
    manifest = json.loads((folder / "manifest.json").read_text())
    warned = {w["measure"]: w for w in manifest["warnings"]}
    assert set(warned) == {"awaiting_allocation_at_31_march", "cin_at_31_march"}
    queue = warned["awaiting_allocation_at_31_march"]
    measures = pd.read_csv(folder / "measures.csv")
    means = measures[measures["measure"] == "awaiting_allocation_at_31_march"].groupby("year")["value"].mean()
    assert queue["value_end"] == pytest.approx(means[queue["end_year"]])
    assert queue["value_end"] > 2 * queue["value_start"] > 0 and queue["per_year"] > 100
    assert queue["message"] in " ".join(output.split())
    table_end = output.index("Hub wait (days, mean)")
    warning = output.index("WARNING: not a steady state: a queue or stock ")
    assert table_end < warning < output.index("Annual cost")
    assert "warning" not in (folder / "summary.csv").read_text().lower()


def test_a_run_that_meets_its_demand_says_nothing(runs):
    folder, output = runs["stable"]
    assert json.loads((folder / "manifest.json").read_text())["warnings"] == []
    assert "WARNING" not in output
    waiting = pd.read_csv(folder / "measures.csv").query("measure == 'awaiting_allocation_at_31_march'")
    assert len(waiting) == 4 * 6 and waiting["value"].max() < 50


def test_compare_and_the_report_say_which_run_is_unstable(runs, tmp_path):
    from journeysim.report.build import _instability
    from journeysim.results.reader import open_results

    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"), str(SCENARIOS / "hampshire.toml"),
                                       *RUN, *["--set-b", "workforce.hard_cap=6", "--set-b", "name=capped"],
                                       "--years", "2019-20", "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert "WARNING: capped: not a steady state: a queue or stock" in result.output
    assert "WARNING: hampshire" not in result.output
    assert "WARNING: capped: not a steady state" in (tmp_path / "cmp" / "comparison.txt").read_text()
    report = CliRunner().invoke(main, ["report", str(runs["capped"][0]), "--out", str(tmp_path / "capped.html")])
    assert report.exit_code == 0 and "WARNING: hampshire: not a steady state" in report.output
    page = (tmp_path / "capped.html").read_text()
    assert page.index('id="warning"') < page.index('id="scenario"'), "the warning comes first"
    assert "Children waiting for a social worker at 31 March grew in every year" in page
    stable, capped = (open_results(runs[name][0]) for name in ("stable", "capped"))
    years = sorted(stable.measures["year"].unique())
    assert _instability(stable, years) is None
    compared = _instability(stable, years, capped).html()
    assert "In hampshire (the run compared with): Children waiting" in compared
