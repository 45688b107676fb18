"""Continuity of social worker as the evaluation's case-file samples count it.

The evaluation read the files of about 110 cases closed in a window of months (the baseline:
closed November 2017 to February 2018, 000 Table 9) and counted the social workers each child
had across the journey.  Here the same count is made on a run's event logs: among journeys with
a CIN or CP plan that closed in a window (and had a worker), the share with one, two, three, four,
five or more distinct workers (:func:`journeysim.projections.journeys.worker_shares`).

An evaluator gives the window of their own sample (``journeysim continuity RESULTS --closed
2019-11-01..2020-04-30``).  The calibration fits the model's causes of a change of worker to the
years before CAST and to the baseline sample only; the share under CAST is then a prediction
(:func:`predict`, reported in docs/calibration.md).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .projections import Logs
from .projections.journeys import WORKER_BANDS, worker_shares
from .scenario import Scenario

#: The window of the baseline case-file sample: cases closed November 2017 to February 2018 (000 Table 9).
BASELINE = ("Nov 2017 - Feb 2018", dt.date(2017, 11, 1), dt.date(2018, 2, 28))

#: The windows the calibration predicts for: the baseline sample's, and the same months a year and
#: two years on, when CAST holds every new referral (the evaluation's later samples read cases
#: closed in late 2018 to early 2019 and in late 2019 to early 2020: DOMAIN.md, practice).
PREDICTION_WINDOWS = (BASELINE,
                      ("Nov 2018 - Apr 2019", dt.date(2018, 11, 1), dt.date(2019, 4, 30)),
                      ("Nov 2019 - Apr 2020", dt.date(2019, 11, 1), dt.date(2020, 4, 30)))

#: How a window is written on the command line.
WINDOW_FORMAT = "YYYY-MM-DD..YYYY-MM-DD"


class WindowError(ValueError):
    """A closing window that cannot be read (the message says what is allowed)."""


def parse_window(text: str) -> tuple[str, dt.date, dt.date]:
    """``FROM..TO`` (dates, both inclusive) as ``(label, from, to)``."""
    parts = text.split("..")
    if len(parts) != 2:
        raise WindowError(f"--closed {text!r}: expected {WINDOW_FORMAT} (two dates joined by '..')")
    try:
        start, end = (dt.date.fromisoformat(p.strip()) for p in parts)
    except ValueError:
        raise WindowError(f"--closed {text!r}: the dates must be written {WINDOW_FORMAT}, "
                          "e.g. 2019-11-01..2020-04-30") from None
    if end < start:
        raise WindowError(f"--closed {text!r}: the window ends before it starts")
    return f"{start} to {end}", start, end


def shares(logs, windows) -> pd.DataFrame:
    """Per replication, window and band of workers: ``rep``, ``window``, ``band``, ``pct`` and
    ``journeys`` (the journeys that closed in the window), for ``windows`` of ``(label, from, to)``."""
    logs = Logs.of(logs)
    frame = worker_shares(logs, {label: (start, end) for label, start, end in windows})
    out = frame.to_pandas()
    if "rep" not in out:
        out.insert(0, "rep", 0)
    return out


def summary(per_rep: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Across replications, per window (and ``by`` columns) and band: the mean share, its 90% interval
    (5th to 95th percentiles across replications) and the mean number of journeys; the window's
    journeys may be too few for a share in some replications (they are left out of that band's
    figures)."""
    keys = [*(by or []), "window", "band"]
    g = per_rep.groupby(keys, sort=False)
    out = pd.DataFrame({"mean": g["pct"].mean(), "p5": g["pct"].quantile(0.05), "p95": g["pct"].quantile(0.95),
                        "journeys": g["journeys"].mean(), "replications": g["pct"].count()}).reset_index()
    return out


def sampling_half_width(pct: float, n: int) -> float:
    """The half-width (percentage points) of a 95% interval of a share ``pct`` seen in a sample of
    ``n`` cases (normal approximation): what a case-file sample of that size can tell apart."""
    p = pct / 100.0
    return 196.0 * np.sqrt(p * (1 - p) / n)


def format_table(table: pd.DataFrame) -> str:
    """The summary as the command prints it: one line per window, each band's mean share and 90% interval."""
    head = f"{'closed':<26}{'journeys':>9}  " + "  ".join(f"{b + (' worker' if b == '1' else ' workers'):>19}"
                                                         for b in WORKER_BANDS)
    lines = [head, "-" * len(head)]
    for window, g in table.groupby("window", sort=False):
        g = g.set_index("band").reindex(WORKER_BANDS)
        cells = []
        for band in WORKER_BANDS:
            r = g.loc[band]
            cells.append(f"{'-':>19}" if pd.isna(r["mean"]) else f"{r['mean']:>5.1f}% [{r['p5']:4.1f}-{r['p95']:4.1f}]".rjust(19))
        lines.append(f"{window:<26}{g['journeys'].iloc[0]:>9,.0f}  " + "  ".join(cells))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ the prediction
def _until(scenario: Scenario, end: dt.date) -> Scenario:
    """``scenario`` run to at least the day after ``end``."""
    return scenario.with_values({"run.end": end + dt.timedelta(days=1)}) if scenario["run.end"] <= end else scenario


def prediction_job(scenario: Scenario, seed: int, windows=PREDICTION_WINDOWS) -> pd.DataFrame:
    """One full replication of ``scenario`` (run to the end of the last window), counted in each window."""
    from .model import simulate

    log = simulate(_until(scenario, max(end for _, _, end in windows)), seed)
    return shares(log.to_table(), windows).drop(columns="rep")


def predict(scenarios: dict[str, Scenario], reps: int, seed: int, workers: int = 1, progress=None,
            executor=None, windows=PREDICTION_WINDOWS) -> pd.DataFrame:
    """``reps`` replications of each named scenario on the same seeds (common random numbers), each
    counted in ``windows``: ``scenario``, ``rep``, ``window``, ``band``, ``pct``, ``journeys``."""
    from .rng import replication_seeds
    from .runner import run_jobs

    seeds = replication_seeds(seed, reps)
    frames = []
    for name, scenario in scenarios.items():
        done = run_jobs(prediction_job, [(scenario, s, windows) for s in seeds], workers, progress=progress,
                        label=f"continuity: {name}", executor=executor)
        frames += [f.assign(scenario=name, rep=i) for i, f in enumerate(done)]
    out = pd.concat(frames, ignore_index=True)
    return out[["scenario", "rep", "window", "band", "pct", "journeys"]]
