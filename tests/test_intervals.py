"""The 90% interval the calibration and a forecast report: one more draw falls in it nine times in
ten, where the 5th to 95th percentile of a dozen replications holds it only about three times in four."""

import math

import numpy as np
import pytest

from journeysim.fitreport import _percentile_coverage, simulated
from journeysim.stats import prediction_interval, t_quantile


def test_t_quantiles_of_the_tables_and_beyond_them():
    assert t_quantile(0.95, 11) == pytest.approx(1.7959)
    assert t_quantile(0.75, 1) == pytest.approx(1.0)  # the Cauchy distribution's quartile
    assert t_quantile(0.95, 40) == pytest.approx(1.6839, abs=2e-4)
    assert t_quantile(0.75, 40) == pytest.approx(0.6807, abs=2e-4)
    assert math.isnan(t_quantile(0.95, 0))
    with pytest.raises(ValueError):
        t_quantile(0.9, 5)


def test_a_prediction_interval_worked_by_hand():
    # a percentage: logit scale.  logit(20%) = -ln 4, logit(50%) = 0, logit(80%) = ln 4: mean 0, sd ln 4
    lo, hi = prediction_interval([20.0, 50.0, 80.0], "re_referral_12m_pct")
    half = 2.9200 * math.log(4) * math.sqrt(1 + 1 / 3)
    assert (lo, hi) == (pytest.approx(100 / (1 + math.exp(half))), pytest.approx(100 / (1 + math.exp(-half))))
    # a count: log scale, so the bounds are the geometric mean times and divided by one factor
    lo, hi = prediction_interval([50.0, 200.0], "cla_starts")
    factor = math.exp(6.3138 * math.log(4) / math.sqrt(2) * math.sqrt(1.5))
    assert lo == pytest.approx(100 / factor) and hi == pytest.approx(100 * factor)
    # a zero among counts: the values as they are; the 50% interval
    lo, hi = prediction_interval([0.0, 2.0, 4.0], "cla_starts", level=0.50)
    assert (lo, hi) == (pytest.approx(2 - 0.8165 * 2 * math.sqrt(4 / 3)), pytest.approx(2 + 0.8165 * 2 * math.sqrt(4 / 3)))
    assert all(math.isnan(v) for v in prediction_interval([5.0], "cla_starts"))
    assert prediction_interval([7.0, 7.0, float("nan")], "cla_starts") == (pytest.approx(7.0), pytest.approx(7.0))


def coverage(n: int, trials: int = 20_000) -> tuple[float, float]:
    """How often one more lognormal draw falls in the prediction interval, and in the 5th to 95th
    percentile, of ``n`` draws."""
    rng = np.random.default_rng(2026 + n)
    draws = np.exp(rng.normal(6.0, 0.1, size=(trials, n + 1)))  # counts like CLA starts
    inside_pi = inside_pct = 0
    for row in draws:
        lo, hi = prediction_interval(row[:n], "cla_starts")
        inside_pi += lo <= row[n] <= hi
        p5, p95 = np.quantile(row[:n], [0.05, 0.95])
        inside_pct += p5 <= row[n] <= p95
    return inside_pi / trials, inside_pct / trials


@pytest.mark.parametrize("n", [12, 21])
def test_one_more_draw_falls_in_the_interval_nine_times_in_ten_and_in_the_percentiles_less_often(n):
    pi, pct = coverage(n)
    # the binomial standard error of a share near 0.9 over 20,000 trials is 0.002
    assert pi == pytest.approx(0.90, abs=0.008)
    if n == 21:  # the 5th percentile of 21 draws is the smallest but one: the rank formula is exact
        assert _percentile_coverage(n) == pytest.approx(18 / 22)
        assert pct == pytest.approx(18 / 22, abs=0.01)
    else:  # between ranks, it is near
        assert _percentile_coverage(n) == pytest.approx(9.9 / 13)
        assert pct == pytest.approx(_percentile_coverage(n), abs=0.025) and pct < 0.8


def test_the_calibrations_interval_is_the_prediction_interval():
    import pandas as pd

    per_rep = pd.DataFrame({"rep": [0, 1, 2, 0, 1, 2], "measure": ["cla_starts"] * 3 + ["cin_at_31_march"] * 3,
                            "year": "2016-17", "value": [500.0, 550.0, 605.0, 10.0, 10.0, float("nan")]})
    sim = simulated(per_rep).set_index("measure")
    assert sim.loc["cla_starts", "mean"] == pytest.approx(551.6667)
    assert (sim.loc["cla_starts", "lo"], sim.loc["cla_starts", "hi"]) == pytest.approx(
        prediction_interval([500.0, 550.0, 605.0], "cla_starts"))
    assert sim.loc["cin_at_31_march", "n"] == 2 and sim.loc["cin_at_31_march", "hi"] == pytest.approx(10.0)
