"""Continuity as a case-file sample counts it: social workers per journey among journeys with a plan
closed in a window of dates (journeysim.continuity, ``journeysim continuity``), and the calibration
report's prediction section."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner
from pytest import approx

from journeysim import continuity as ct
from journeysim.cli import main
from journeysim.fitreport import continuity_section

from test_projections import log_of, worker_rows

FIRST_YEAR = ("first year", dt.date(2014, 4, 1), dt.date(2015, 3, 31))
NEXT_YEAR = ("next year", dt.date(2015, 4, 1), dt.date(2015, 12, 31))


def test_shares_count_the_journeys_with_a_plan_closed_in_each_window():
    table = ct.shares(log_of(worker_rows()), [FIRST_YEAR, NEXT_YEAR])
    first = table[table["window"] == "first year"].set_index("band")
    # journeys 1-4 closed in the first year with 1, 2, 3 and 2 workers (4: A, B, A); 5 had no plan,
    # 6 is open, 7 never had a worker; 8 closed the next year with six workers
    assert first["pct"].tolist() == [25.0, 50.0, 25.0, 0.0, 0.0]
    assert set(first["journeys"]) == {4}
    after = table[table["window"] == "next year"].set_index("band")
    assert after.loc["5+", "pct"] == 100.0 and set(after["journeys"]) == {1}


def test_summary_gives_the_mean_and_the_interval_across_replications():
    per_rep = pd.DataFrame({"rep": [0, 1, 2, 3, 4], "window": "w", "band": "1", "pct": [10.0, 20.0, 30.0, 40.0, 50.0],
                            "journeys": [100, 110, 120, 130, 140]})
    row = ct.summary(per_rep).iloc[0]
    assert row["mean"] == 30.0 and row["journeys"] == 120.0 and row["replications"] == 5
    assert row["p5"] == approx(12.0) and row["p95"] == approx(48.0)  # linear interpolation between reps


def test_a_case_file_sample_of_110_tells_a_share_to_within_its_sampling_error():
    assert ct.sampling_half_width(10.0, 118) == approx(5.41, abs=0.01)  # the baseline's 10% of 118
    assert ct.sampling_half_width(50.0, 100) == approx(9.8)


@pytest.mark.parametrize("text, says", [
    ("2019-11", "expected YYYY-MM-DD..YYYY-MM-DD"),
    ("2019-11-01..2020-13-01", "the dates must be written"),
    ("2020-04-30..2019-11-01", "ends before it starts"),
])
def test_a_window_that_cannot_be_read_is_refused(text, says):
    with pytest.raises(ct.WindowError, match=says):
        ct.parse_window(text)
    assert ct.parse_window("2019-11-01..2020-04-30") == ("2019-11-01 to 2020-04-30", dt.date(2019, 11, 1),
                                                          dt.date(2020, 4, 30))


def test_the_command_counts_a_results_folder_in_the_windows_given(small_results, tmp_path):
    out = tmp_path / "continuity.csv"
    done = CliRunner().invoke(main, ["continuity", str(small_results), "--closed", "2017-11-01..2018-02-28",
                                     "--closed", "2019-04-01..2020-03-31", "--out", str(out)])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out, dtype={"band": str})
    assert list(dict.fromkeys(table["window"])) == ["2017-11-01 to 2018-02-28", "2019-04-01 to 2020-03-31"]
    for _, g in table.groupby("window"):
        assert g["mean"].sum() == approx(100.0, abs=0.01) and (g["journeys"] > 0).all()
    # the same figures as the projection gives on the run's logs
    from journeysim.results.reader import open_results

    direct = ct.summary(ct.shares(open_results(small_results).logs(), [ct.parse_window("2019-04-01..2020-03-31")]))
    assert table[table["window"] == "2019-04-01 to 2020-03-31"]["mean"].tolist() == approx(direct["mean"].round(3).tolist())
    assert "1 worker" in done.output and "2019-04-01 to 2020-03-31" in done.output
    again = CliRunner().invoke(main, ["continuity", str(small_results), "--out", str(out), "--force"])
    assert again.exit_code == 0, again.output  # its own table, replaced with --force
    mine = tmp_path / "mine.csv"
    mine.write_text("a user's own table\n")
    refused = CliRunner().invoke(main, ["continuity", str(small_results), "--out", str(mine), "--force"])
    assert refused.exit_code == 2 and "journeysim" in refused.output
    assert mine.read_text() == "a user's own table\n"


@pytest.mark.parametrize("window, says", [
    ("2021-01-01..2021-03-31", "outside the run"),
    ("yesterday", "expected YYYY-MM-DD..YYYY-MM-DD"),
])
def test_the_command_refuses_a_window_it_cannot_count(small_results, window, says):
    done = CliRunner().invoke(main, ["continuity", str(small_results), "--closed", window])
    assert done.exit_code == 2 and says in done.output and "Traceback" not in done.output


def test_the_calibration_report_calls_the_later_windows_a_prediction():
    rows = []
    for scenario, one in (("CAST (calibrated)", [20.0, 70.0]), ("model A kept", [10.0, 12.0])):
        for w, share in zip(["Nov 2017 - Feb 2018", "Nov 2019 - Apr 2020"], one):
            for rep in range(3):
                rows += [{"scenario": scenario, "rep": rep, "window": w, "band": b, "pct": p, "journeys": 900}
                         for b, p in zip(["1", "2", "3", "4", "5+"], [share, 100 - share, 0, 0, 0])]
    numbers = {}
    text = "\n".join(continuity_section(pd.DataFrame(rows), numbers))
    assert "a prediction, not a fit" in text
    assert "| Nov 2019 - Apr 2020 | CAST (calibrated) | 900 | 70% (70-70) | 30% (30-30) |" in text
    assert "| Nov 2019 - Apr 2020 | model A kept | 900 | 12% (12-12) |" in text
    assert numbers == {"one_worker_pct Nov 2019 - Apr 2020": 70.0}
    assert "to within about 9 points" in text  # 70% in 110 cases: 1.96 x sqrt(.7 x .3 / 110) = 8.6
