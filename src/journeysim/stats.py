"""Statistics across replications: Student t quantiles and the summary of measures.

:func:`t95` is the 95% t quantile for confidence intervals on a mean or a paired
difference (comparisons, sweeps, the replications needed);  :func:`summarise` gives
the mean, 95% confidence interval and 5-95% range of every measure and year, as in a
results folder's ``summary.csv`` and ``costs_summary.csv``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

# Two-sided 95% Student t quantiles for 1..30 degrees of freedom.
_T95 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604,
        2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555,
        2.0518, 2.0484, 2.0452, 2.0423]


def t95(df: float) -> float:
    """Two-sided 95% Student t quantile (0.975) for ``df`` degrees of freedom; NaN below 1.

    A table to 30 degrees of freedom, then the Cornish-Fisher expansion of the t quantile
    about the normal one (Abramowitz and Stegun 26.7.5), accurate to 1e-4 there.
    """
    if not df >= 1:
        return float("nan")
    if df <= len(_T95):
        return _T95[int(df) - 1]
    z = 1.959963984540054
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
