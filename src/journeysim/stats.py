"""Statistics across replications: Student t quantiles, prediction intervals and the summary of measures.

:func:`t95` is the 95% t quantile for confidence intervals on a mean or a paired
difference (comparisons, sweeps, the replications needed);  :func:`summarise` gives
the mean, 95% confidence interval and 5-95% range of every measure and year, as in a
results folder's ``summary.csv`` and ``costs_summary.csv``;  :func:`prediction_interval`
is the interval a further replication, or a published figure the model is right about,
falls in with a stated chance (the calibration's coverage and a forecast's fan).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

# Two-sided 95% Student t quantiles for 1..30 degrees of freedom.
_T95 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604,
        2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555,
        2.0518, 2.0484, 2.0452, 2.0423]
# The 0.95 and 0.75 quantiles (two-sided 90% and 50%) likewise.
_T = {0.975: _T95,
      0.95: [6.3138, 2.9200, 2.3534, 2.1318, 2.0150, 1.9432, 1.8946, 1.8595, 1.8331, 1.8125, 1.7959, 1.7823,
             1.7709, 1.7613, 1.7531, 1.7459, 1.7396, 1.7341, 1.7291, 1.7247, 1.7207, 1.7171, 1.7139, 1.7109,
             1.7081, 1.7056, 1.7033, 1.7011, 1.6991, 1.6973],
      0.75: [1.0000, 0.8165, 0.7649, 0.7407, 0.7267, 0.7176, 0.7111, 0.7064, 0.7027, 0.6998, 0.6974, 0.6955,
             0.6938, 0.6924, 0.6912, 0.6901, 0.6892, 0.6884, 0.6876, 0.6870, 0.6864, 0.6858, 0.6853, 0.6848,
             0.6844, 0.6840, 0.6837, 0.6834, 0.6830, 0.6828]}
#: The standard normal quantiles of the same probabilities.
_Z = {0.975: 1.959963984540054, 0.95: 1.6448536269514722, 0.75: 0.6744897501960817}


def t95(df: float) -> float:
    """Two-sided 95% Student t quantile (0.975) for ``df`` degrees of freedom; NaN below 1."""
    return t_quantile(0.975, df)


def t_quantile(p: float, df: float) -> float:
    """The Student t quantile ``p`` (0.975, 0.95 or 0.75: two-sided 95%, 90% and 50%) for ``df``
    degrees of freedom; NaN below 1.  A table to 30 degrees of freedom, then the Cornish-Fisher
    expansion about the normal quantile (Abramowitz and Stegun 26.7.5), accurate to 1e-4 there."""
    if p not in _T:
        raise ValueError(f"t quantile {p}: only {', '.join(map(str, _T))} are tabulated")
    if not df >= 1:
        return float("nan")
    if df <= len(_T[p]):
        return _T[p][int(df) - 1]
    z = _Z[p]
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


#: The same quantiles to three decimals (rounded half up, as printed t tables are).
_T95_3DP = [float(Decimal(str(t)).quantize(Decimal("0.001"), ROUND_HALF_UP)) for t in _T95]


def _summary_t95(df: int) -> float:
    """The quantile of :func:`summarise`'s ``ci95``: :func:`t95` to three decimals, and 1.96 beyond 30
    degrees of freedom.  Coarser than :func:`t95`, and kept so that summary.csv stays as it was."""
    if df < 1:
        return float("nan")
    return _T95_3DP[df - 1] if df <= len(_T95_3DP) else 1.96


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95% CI half-width and 5-95% range of each measure and year across replications."""
    g = per_rep.groupby(["measure", "year"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n="count", p5=lambda s: s.quantile(0.05), p95=lambda s: s.quantile(0.95)).reset_index()
    out["ci95"] = [_summary_t95(n - 1) * sd / np.sqrt(n) if n > 1 else np.nan for sd, n in zip(out["sd"], out["n"])]
    return out[["measure", "year", "mean", "ci95", "p5", "p95", "sd", "n"]]


def _is_percentage(measure: str) -> bool:
    return measure.endswith("_pct") or "_pct_" in measure


def logit_pct(v):
    """The logit of a percentage (strictly between 0 and 100)."""
    return np.log(v / (100.0 - v))


def _expit_pct(x):
    return 100.0 / (1.0 + np.exp(-x))


def _identity(v):
    return v


def _scale(measure: str, values: np.ndarray) -> tuple:
    """The scale a measure's replications are near normal on, as (forward, back): logit for a
    percentage strictly between 0 and 100, log for positive values, else the values as they are."""
    if _is_percentage(measure):
        if np.all((values > 0) & (values < 100)):
            return logit_pct, _expit_pct
    elif np.all(values > 0):
        return np.log, np.exp
    return _identity, _identity


def prediction_interval(values, measure: str = "", level: float = 0.90) -> tuple[float, float]:
    """The ``level`` (0.90 or 0.50) prediction interval for one more draw from the distribution that
    gave the replications ``values``: mean +- t(n-1) x sd x sqrt(1 + 1/n) on the scale where the
    measure is near normal (:func:`_scale`: logit for a percentage, log for a positive count), then
    back (Hahn and Meeker, *Statistical Intervals*, 1991, 4.7).

    This, not the 5th to 95th percentile of the replications, is the interval a published figure
    falls in 90% of the time when the model is right.  The percentiles of n replications cover one
    more draw with probability about (n + 1 - 2k) / (n + 1), where k is the 5th percentile's rank:
    76% for 12 replications, 83% for 24.  Kept within 0 (and a percentage within 100) when the
    values are; (NaN, NaN) with fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 2:
        return float("nan"), float("nan")
    if np.all(x == x[0]):  # no spread: the value itself (a round trip through the log would miss it)
        return float(x[0]), float(x[0])
    forward, back = _scale(measure, x)
    y = forward(x)
    half = t_quantile(0.5 + level / 2, n - 1) * float(np.std(y, ddof=1)) * np.sqrt(1.0 + 1.0 / n)
    m = float(np.mean(y))
    lo, hi = float(back(m - half)), float(back(m + half))
    if np.all(x >= 0):  # a count with a zero among its replications, or a percentage at 0 or 100
        lo = max(lo, 0.0)
        hi = min(hi, 100.0) if _is_percentage(measure) else hi
    return lo, hi


def prediction_table(per_rep: pd.DataFrame, bounds: dict[float, tuple[str, str]]) -> pd.DataFrame:
    """Per measure and year of ``per_rep`` (measures.csv's layout): the ``mean`` and number ``n`` of
    the replications, and for each ``level: (low name, high name)`` of ``bounds`` the
    :func:`prediction_interval` at that level in those two columns."""
    rows = []
    for (measure, year), g in per_rep.groupby(["measure", "year"], sort=True):
        values = g["value"].dropna().to_numpy(float)
        row = {"measure": measure, "year": year, "mean": values.mean() if len(values) else np.nan, "n": len(values)}
        for level, names in bounds.items():
            row.update(zip(names, prediction_interval(values, measure, level)))
        rows.append(row)
    columns = ["measure", "year", "mean", *[c for names in bounds.values() for c in names], "n"]
    return pd.DataFrame(rows, columns=columns)
