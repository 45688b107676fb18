"""The published Hampshire figures the model is judged against (``calibration/targets.csv``).

One loader for everyone who compares a run with what the county saw: calibration,
the fit report, the HTML report's observed points.  The file lives in the
project's ``calibration/`` folder; pass ``path`` to read another copy.
:func:`target_sd` says how far a published figure may be from the model's.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

#: The project's copy of the targets (a source checkout or an editable install).
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "calibration" / "targets.csv"

#: The firm annual series the fit is judged on (issue 3's acceptance list).
FIRM = [
    "cp_plans_started",
    "cp_second_or_subsequent_pct",
    "cla_starts",
    "cla_at_31_march",
    "cla_ceased",
    "cla_ceased_adoption",
    "re_referral_12m_pct",
    "cin_at_31_march",
]


class TargetsError(Exception):
    """A targets file that cannot be used (the message names the file and the column)."""


_REQUIRED = ["measure", "period", "year", "value", "use", "weight", "model_measure", "source"]


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Every row of the targets file, with ``value`` and ``weight`` as floats."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.exists():
        raise TargetsError(f"{path}: no such targets file")
    t = pd.read_csv(path, dtype={"year": str, "period": str})
    missing = [c for c in _REQUIRED if c not in t.columns]
    if missing:
        raise TargetsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(_REQUIRED)}")
    t["value"] = pd.to_numeric(t["value"], errors="coerce")
    t["weight"] = pd.to_numeric(t["weight"], errors="coerce")
    return t


def observed(path: str | Path | None = None, uses: tuple[str, ...] = ("fit", "check")) -> pd.DataFrame:
    """Observed values comparable with a run: ``model_measure``, ``year`` (label such as
    ``"2016-17"``), ``value``, ``weight``, ``use``, ``source``; one row per measure and year
    (the first listed where the file has several)."""
    t = load_targets(path)
    t = t[t["use"].isin(uses) & t["model_measure"].notna() & t["year"].notna()]
    t = t.drop_duplicates(["model_measure", "year"])
    return t[["model_measure", "year", "value", "weight", "use", "source"]].reset_index(drop=True)


#: Observation error and model discrepancy, as standard deviations (see docs/calibration.md):
#: published counts and stocks: 2% recording error plus 5% discrepancy (relative);
#: published percentages: 1.5 points plus 5% relative; case-file sample shares: binomial
#: sampling error for 110 cases plus 2 points; the interview caseload: 10%.
CASE_FILE_N = 110


def target_sd(measure: str, value: float) -> float:
    """The observation error and model discrepancy of a published ``value`` of ``measure``, as a standard deviation."""
    if measure.startswith("social_workers_per_journey_pct") or measure == "positive_change_pct":
        p = value / 100.0
        return math.hypot(100.0 * math.sqrt(p * (1 - p) / CASE_FILE_N), 2.0)
    if measure.startswith("sw_caseload"):
        return 0.10 * value
    if measure.endswith("_pct"):
        return math.hypot(1.5, 0.05 * value)
    return math.hypot(0.02 * value, 0.05 * value)
