"""Queues and stocks that grow without bound in a run: found, measured and said in words.

A service that cannot keep up with its demand has no steady state: the queue for a worker
grows every year, children waiting still count as children in need, and every figure that
depends on them (waits, caseloads, the stock of children in need) is only where the growth
had got to when the run stopped.  :func:`unbounded` finds such a series among a run's
per-replication measures (the ``measures.csv`` layout) so that ``journeysim run``,
``compare``, ``effects`` and ``report`` can say so instead of printing the figure as if it
were a steady state.

The rule (:func:`growth`), applied to each measure in :data:`WATCHED` over the reported
years, flags a stretch of years in which all of these hold:

1. **The series rose at each of three year-ends in a row or more** (:data:`MIN_RISES`), each
   rise **well above noise**: the mean rise over replications is more than
   :data:`NOISE_MULTIPLE` (3) times its standard error.  The rise is taken replication by
   replication (the same replication's 31 March this year minus last year), so the
   year-to-year shifts each replication draws cancel out.  Its standard error is the larger
   of the replications' spread of their rises, pooled over the years (one year's spread from
   two or three replications is too rough a measure of noise) over sqrt(replications), and
   the chance variation of a count, sqrt((this year + last year) / replications) (a year-end
   count of *L* children varies by about sqrt(*L*) from chance alone): so one replication can
   be judged, and replications that happen to agree cannot make a wobble of a few children
   look like growth.  Three rises, not one or two: a step in demand or capacity (a referral
   surge, a recruitment freeze) moves a stock to a new level within a year or two, because
   children stay in need about a year and wait for a worker days when there is room, so only
   growth that goes on for three years is a service that does not keep up.
2. **It is not slowing to zero**: the last rise of the stretch is at least
   :data:`MIN_SHARE_OF_MEAN_RISE` (half) of the mean rise over it.  A stock settling to a new
   level rises by less each year (by a half or less of the year before once the change is a
   year old); a queue that is not served grows by about the same amount every year, or more.
3. **It is material**: it grew by at least :data:`MIN_RELATIVE_RISE` (5%) a year of its
   level when the growth began.  Demand that follows a trend of a percent or two a year is
   growth, but not a service falling behind; a queue that is not served doubles in a year or
   two.

The latest such stretch is reported: **ongoing** when it reaches the last reported year (the
queue is still growing when the run stops), or **ended** when a change to the service (a
recruitment drive, say) stopped it; the figures of those years were not a steady state either.

The rule was chosen on runs of the shipped scenarios (none is flagged at the sizes the
project's tests use, 5% and 10% of the county; the caseload cap of 18, whose queue grows for
years until the 2019 recruitment drive, is flagged from a quarter of the county up) and
of a hard cap on caseloads that the workforce cannot meet, whose queue grows by thousands of
children a year and is flagged from a single replication; docs/user-guide.md gives the numbers.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

#: The series checked, and what each counts (for the words of a finding).
WATCHED = {
    "awaiting_allocation_at_31_march": "Children waiting for a social worker at 31 March",
    "cin_at_31_march": "Children in need at 31 March",
}

#: Rises in a row, at consecutive year-ends ending with the last, that make growth sustained.
MIN_RISES = 3
#: A rise counts when its mean over replications exceeds this many standard errors.
NOISE_MULTIPLE = 3.0
#: The last rise must be at least this share of the mean rise over the sustained years.
MIN_SHARE_OF_MEAN_RISE = 0.5
#: The mean rise a year must be at least this share of the level when the growth began.
MIN_RELATIVE_RISE = 0.05


@dataclass(frozen=True)
class Growth:
    """A series that grew without bound: from ``value_start`` at the end of the year before
    ``start_year`` it rose at every year-end from ``start_year`` to ``end_year`` (``value_end``), by
    ``per_year`` a year on average and ``end_rise`` (standard error ``end_rise_se``) in ``end_year``.
    The run's last reported year is ``final_year`` (``value_final``); the growth is :attr:`ongoing`
    when it lasted to then."""

    measure: str
    what: str
    start_year: str
    end_year: str
    value_start: float
    value_end: float
    per_year: float
    end_rise: float
    end_rise_se: float
    replications: int
    final_year: str
    value_final: float

    @property
    def ongoing(self) -> bool:
        return self.end_year == self.final_year

    def message(self) -> str:
        """The finding in one paragraph."""
        noise = f"{self.end_rise_se:,.0f}" if self.end_rise_se >= 1 else f"{self.end_rise_se:.2f}"
        reps = f"{self.replications} replication{'s' if self.replications != 1 else ''}"
        grew = (f"{self.what} grew in every year from {self.start_year} to {self.end_year}: from "
                f"{self.value_start:,.0f} at {_year_end(self.start_year, -1)} to {self.value_end:,.0f} at "
                f"{_year_end(self.end_year)}, about {self.per_year:,.0f} a year ({self.end_year}: "
                f"{self.end_rise:+,.0f}, standard error {noise}; mean of {reps}).")
        if self.ongoing:
            return (f"{grew} This is growth without bound, not a steady state: the service in this run does not "
                    f"keep up with its demand, and the longer the run, the larger this figure and those that "
                    f"depend on it (waits, children in need, caseloads) become.")
        return (f"{grew} By {_year_end(self.final_year)} it was {self.value_final:,.0f}. While it grew, the "
                f"service in this run did not keep up with its demand: the figures of those years are not a "
                f"steady state, and the level it reached depends on how long the growth lasted.")

    def as_dict(self) -> dict:
        """The finding for a manifest: its fields, whether it is ongoing, and its message."""
        return {"kind": "unbounded_growth", **asdict(self), "ongoing": self.ongoing, "message": self.message()}


def _year_end(year: str, offset: int = 0) -> str:
    """"31 March YYYY" closing financial year ``year`` ("2018-19"), or ``offset`` years from it."""
    return f"31 March {int(year[:4]) + 1 + offset}"


def growth(values: np.ndarray, years: list[str], measure: str = "", what: str = "") -> Growth | None:
    """The finding for one series, or None: ``values`` holds one row per replication and one column per
    year (in ``years`` order, consecutive financial years); a replication with a missing value is left
    out.  The latest stretch of growth that meets the rule is reported: ongoing when it reaches the
    last year, or ended (a queue that grew until a change to the service, such as a recruitment drive,
    stopped it)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(years) or len(years) < MIN_RISES + 1:
        return None
    values = values[~np.isnan(values).any(axis=1)]
    n = len(values)
    if n == 0:
        return None
    means = values.mean(axis=0)
    change = values[:, 1:] - values[:, :-1]
    rise = change.mean(axis=0)  # rise[t - 1]: from year-end t - 1 to t
    se = _standard_errors(change, means)
    clear = rise > NOISE_MULTIPLE * se
    for end in range(len(years) - 1, MIN_RISES - 1, -1):  # the last year-end of a stretch, latest first
        first = end  # the first year-end of the stretch of clear rises that ends at ``end``
        while first >= 1 and clear[first - 1]:
            first -= 1
        # the longest stretch that meets the rule: a fast ramp at its start (a queue filling after a
        # change) may make the whole stretch look like slowing growth when its later years are not
        for start in range(first, end - MIN_RISES + 1):
            k = end - start
            per_year = (means[end] - means[start]) / k
            if rise[end - 1] < MIN_SHARE_OF_MEAN_RISE * per_year or per_year < MIN_RELATIVE_RISE * means[start]:
                continue  # slowing to zero, or too small
            return Growth(measure, what or measure, years[start + 1], years[end], float(means[start]),
                          float(means[end]), float(per_year), float(rise[end - 1]), float(se[end - 1]), n,
                          years[-1], float(means[-1]))
    return None


def _standard_errors(change: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The standard error of each year's mean rise (``change``: one row per replication, one column per
    year-end after the first): the larger of the replications' spread of their rises, pooled over the
    years (so that two or three replications give a usable estimate), over sqrt(replications), and the
    chance variation of a count, sqrt((this year-end + the one before) / replications)."""
    n = len(change)
    counted = np.sqrt(np.maximum(means[1:] + means[:-1], 0.0) / n)
    if n < 2:
        return counted
    pooled = math.sqrt(float(np.median(np.var(change, axis=0, ddof=1))) / n)
    return np.maximum(pooled, counted)


def unbounded(per_rep: pd.DataFrame, years: list[str] | None = None) -> list[Growth]:
    """Every series of :data:`WATCHED` that grows without bound in a run (the rule: this module's
    docstring).  ``per_rep`` is in the ``measures.csv`` layout (``rep``, ``measure``, ``year``,
    ``value``; other measures are ignored); ``years`` are the reported years in order (default:
    those of ``per_rep``, sorted)."""
    found = []
    for measure, what in WATCHED.items():
        rows = per_rep[per_rep["measure"] == measure]
        if rows.empty:
            continue
        wide = rows.pivot_table(index="rep", columns="year", values="value", aggfunc="first", dropna=False)
        order = [y for y in (years or sorted(wide.columns)) if y in wide.columns]
        finding = growth(wide[order].to_numpy(dtype=float), order, measure, what)
        if finding is not None:
            found.append(finding)
    return found


def warning_text(findings: list[dict], name: str | None = None, width: int = 100) -> str:
    """Findings (:meth:`Growth.as_dict`, as a manifest's ``warnings`` holds them) as a warning for the
    terminal, each wrapped to ``width`` columns; empty when there are none."""
    if not findings:
        return ""
    when = "grows" if any(f.get("ongoing") for f in findings) else "grew for years"
    head = f"WARNING: {f'{name}: ' if name else ''}not a steady state: a queue or stock {when} without bound in this run"
    body = [textwrap.fill(f["message"], width, initial_indent="  ", subsequent_indent="  ") for f in findings]
    return "\n\n".join([head + "\n" + body[0], *body[1:]])


def warnings_for(runs: list[tuple[str, pd.DataFrame]], years: list[str] | None = None) -> list[str]:
    """A warning paragraph (:func:`warning_text`) for each run, given as (name, per-replication measures),
    in which a queue or stock grows without bound; ``years`` as for :func:`unbounded`."""
    found = [(name, unbounded(per_rep, years)) for name, per_rep in runs]
    return [warning_text([f.as_dict() for f in findings], name) for name, findings in found if findings]
