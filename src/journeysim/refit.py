"""The calibration as ``journeysim calibrate`` runs it: the fits in their order, the back-tests, the files.

**Trends from the years before the programme, levels from every year.**  The trends and drifts a
counterfactual keeps (:data:`TREND_KNOBS`: the front door's trend, the child protection threshold's
drift, the drift of repeat protection) describe how the county would have moved without the
transformation.  Fitted across the programme's own years, they can absorb its effect; so they are
fitted to the years before it (:data:`PRE_PROGRAMME`: the CAST pilot began in one district in July
2017, the county-wide roll-out in 2018) and then held fixed while every other parameter is fitted
to all years.  The drifts of adoption and special guardianship
(:data:`journeysim.knobs.PERMANENCE_DRIFTS`) are among the others: the programme does not move them.

**A jump-off on the latest figures.**  In every fit the last fitted year counts
:data:`ORIGIN_WEIGHT` times as much as the others (:func:`journeysim.calibrate.observations`),
so that a forecast starts from where the county was, as a demographer's projection does.

**Rolling-origin back-tests.**  The model is fitted to the years up to each of
:data:`ROLLING_ORIGINS` and forecast from there to 2018-19, each replication with a draw from
that fit's plausible space and with the random walk of the front door and the care-entry
threshold after the origin; the coverage of the 90% intervals and the error by horizon are
reported.

**The sensitivity of the effects to the fit window.**  The transformation's estimated effect
(the shipped scenario against its counterfactual, on common random numbers) is estimated again
with the trends from each window, the other parameters held at the calibrated point.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import scenario as sc
from .calibrate import _full_job, _stack, _write_atomic, fit, fitted_toml, plausible_draws, with_variation
from .continuity import predict
from .executors import Executor
from .fitreport import comparison, simulated, write_report
from .knobs import TREND_KNOBS, Fit, Settings, apply_values
from .rng import replication_seeds
from .runner import run_jobs
from .scenario import Scenario
from .stats import t95
from .targets import FIRM

#: The financial years before the transformation.
PRE_PROGRAMME = ["2014-15", "2015-16", "2016-17"]

#: How much more the last fitted year counts than the others.
ORIGIN_WEIGHT = 4.0

#: The origins of the rolling back-tests: each fit uses the years up to it and forecasts the rest.
ROLLING_ORIGINS = ["2015-16", "2016-17", "2017-18"]

#: The measures whose effect the sensitivity table shows.
EFFECT_MEASURES = ["cp_plans_started", "cla_starts", "cin_at_31_march", "re_referral_12m_pct"]

#: The series the random walks are sized from: the front door's volume, and care entries.
WALK_SERIES = {"front_door": "referrals", "care_entry": "cla_starts"}


def walk_sizes(targets: pd.DataFrame, years: list[str]) -> dict[str, float]:
    """Each random walk's step, sized from the published year-to-year changes: the standard deviation
    of the change in the log of its series from one fitted year to the next, its mean change (the
    trend) taken out.  It includes each year's own noise as well as a shift of the trend, so it is
    generous; the rolling back-tests show whether the intervals it gives are too wide or too narrow."""
    out = {}
    for channel, measure in WALK_SERIES.items():
        s = targets[(targets["model_measure"] == measure) & targets["year"].isin(years) & (targets["use"] == "fit")]
        values = s.drop_duplicates("year").sort_values("year")["value"].to_numpy(float)
        steps = np.diff(np.log(values))
        out[channel] = float(f"{np.std(steps, ddof=1):.3g}") if len(steps) >= 2 else 0.0
    return out


def with_trends(scenario: Scenario, source: Scenario) -> Scenario:
    """``scenario`` with the trend parameters (:data:`TREND_KNOBS`) taken from ``source``."""
    trends = source.raw()
    return scenario.with_values({key: trends[key] for key in TREND_KNOBS})


def _knobs_without_trends(settings: Settings) -> tuple[str, ...]:
    return tuple(n for n in settings.knobs if n not in TREND_KNOBS)


# ------------------------------------------------------------------------------------ rolling origins
def _draws_job(scenario: Scenario, knobs, values, seed: int) -> pd.DataFrame:
    return _full_job(apply_values(scenario, knobs, values), seed)


def forecast_from(f: Fit, origin: str, variation: dict[str, float], walks: dict[str, float], reps: int, seed: int,
                  workers: int, progress=None, executor: Executor | None = None) -> pd.DataFrame:
    """``reps`` replications of ``f``'s scenario forecast from the end of ``origin`` (a label like
    2016-17), each with a draw from ``f``'s plausible space, the year-to-year variation
    ``variation`` and the random walks ``walks`` after the origin: rep, measure, year, value."""
    scenario = with_variation(f.scenario, variation).with_values(
        {"variation.walk_start": dt.date(int(origin[:4]) + 1, 4, 1),
         **{f"variation.{channel}_walk_sd": sd for channel, sd in walks.items()}})
    draws = plausible_draws(f, reps)
    jobs = [(scenario, f.knobs, draws.iloc[i, 1:].to_numpy(float), s)
            for i, s in enumerate(replication_seeds(seed, reps))]
    frames = run_jobs(_draws_job, jobs, workers, progress=progress, label=f"forecast from {origin}", executor=executor)
    return _stack(frames)


def rolling_table(per_rep: pd.DataFrame, targets: pd.DataFrame, origin: str) -> pd.DataFrame:
    """The forecast from ``origin`` against what was published: one row per firm measure and
    forecast year: ``origin``, ``measure``, ``year``, ``horizon`` (years after the origin),
    ``observed``, ``mean``, ``lo``, ``hi``, ``inside`` (the observed figure within the 90%
    interval) and ``error_pct`` (100 x (mean - observed) / observed).  The interval is the one a
    published figure falls in 90% of the time if the forecast is right
    (:func:`journeysim.fitreport.simulated`)."""
    after = [y for y in sorted(set(per_rep["year"])) if y > origin]
    obs = targets[(targets["use"] == "fit") & targets["model_measure"].isin(FIRM) & targets["year"].isin(after)]
    obs = obs.drop_duplicates(["model_measure", "year"])
    sim = simulated(per_rep).set_index(["measure", "year"])
    rows = []
    for m, y, v in zip(obs["model_measure"], obs["year"], obs["value"]):
        if (m, y) not in sim.index:
            continue
        r = sim.loc[(m, y)]
        rows.append({"origin": origin, "measure": m, "year": y, "horizon": int(y[:4]) - int(origin[:4]),
                     "observed": v, "mean": r["mean"], "lo": r["lo"], "hi": r["hi"],
                     "inside": bool(r["lo"] <= v <= r["hi"]), "error_pct": 100.0 * (r["mean"] - v) / v})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ sensitivity
def _pair_job(programme: Scenario, counterfactual: Scenario, seed: int) -> pd.DataFrame:
    a, b = _full_job(counterfactual, seed), _full_job(programme, seed)
    keys = ["measure", "year"]
    both = b.merge(a, on=keys, suffixes=("_programme", "_counterfactual"))
    return both.assign(effect=both["value_programme"] - both["value_counterfactual"])[[*keys, "effect"]]


def counterfactual_of(base: Scenario) -> Scenario | None:
    """The shipped counterfactual's settings (the keys on which ``counterfactual.toml`` beside the base
    scenario differs from it) laid over ``base``; None if there is no such file."""
    path = Path(base.path).parent / "counterfactual.toml"
    if not path.is_file():
        return None
    cf, own = sc.load(path).raw(), sc.load(base.path).raw()
    changed = {k: v for k, v in cf.items() if own.get(k) != v and k not in ("name", "description")}
    return base.with_values(changed)


def effect_sensitivity(main: Fit, windows: dict[str, Fit], reps: int, seed: int, workers: int, progress=None,
                       executor: Executor | None = None) -> pd.DataFrame:
    """The transformation's effect (the calibrated scenario against its counterfactual, paired) in the
    last reported years, with the trends of each fit window: ``window``, the trend values, and per
    measure and year the mean effect and its 95% interval."""
    rows = []
    for window, f in windows.items():
        programme = with_trends(main.scenario, f.scenario)
        counterfactual = counterfactual_of(programme)
        if counterfactual is None:
            return pd.DataFrame()
        jobs = [(programme, counterfactual, s) for s in replication_seeds(seed, reps)]
        frames = run_jobs(_pair_job, jobs, workers, progress=progress, label=f"effects with trends fitted to {window}",
                          executor=executor)
        effects = pd.concat(frames, ignore_index=True)
        last_years = sorted(set(effects["year"]))[-2:]
        trends = {k: programme[k] for k in TREND_KNOBS}
        for (m, y), g in effects[effects["measure"].isin(EFFECT_MEASURES) & effects["year"].isin(last_years)].groupby(
                ["measure", "year"]):
            d = g["effect"].to_numpy(float)
            half = t95(len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
            rows.append({"window": window, **trends, "measure": m, "year": y, "effect": d.mean(),
                         "ci_low": d.mean() - half, "ci_high": d.mean() + half})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ continuity
def continuity_prediction(scenario: Scenario, reps: int, seed: int, workers: int, progress=None,
                          executor: Executor | None = None) -> pd.DataFrame:
    """Social workers per journey in the windows of the evaluation's case-file samples
    (:data:`journeysim.continuity.PREDICTION_WINDOWS`), for the calibrated ``scenario`` and its
    counterfactual on the same seeds: the prediction docs/calibration.md reports."""
    scenarios = {"CAST (calibrated)": scenario}
    counterfactual = counterfactual_of(scenario)
    if counterfactual is not None:
        scenarios["model A kept"] = counterfactual
    return predict(scenarios, reps, seed, workers, progress, executor)


# ------------------------------------------------------------------------------------ the command
#: The files a calibration writes into its output folder (each refreshed in place: a calibration's job).
OUTPUT_FILES = ("hampshire.toml", "fit.csv", "plausible.csv", "backtest.csv", "rolling.csv", "sensitivity.csv")


def run_calibration(base: Scenario, targets: pd.DataFrame, settings: Settings, out: Path, report: Path,
                    command: str, seed: int = 1, workers: int = 1, backtest: bool = True, progress=None,
                    executor: Executor | None = None) -> dict:
    """Fit (trends to the years before the programme, then everything else to every year), write
    ``out/hampshire.toml``, ``fit.csv`` and ``plausible.csv``; with ``backtest``, the rolling-origin
    back-tests (``backtest.csv``, ``rolling.csv``) and the sensitivity of the effects to the fit
    window (``sensitivity.csv``); then the report.

    Nothing is written until every fit is complete, and each file is replaced in one step, so an
    interrupted calibration leaves the previous files as they were.
    """
    t0 = time.perf_counter()
    kw = dict(seed=seed, workers=workers, progress=progress, executor=executor, origin_weight=ORIGIN_WEIGHT)
    all_years = sorted(set(targets.loc[(targets["use"] == "fit") & targets["model_measure"].notna(), "year"].dropna()))
    pre = [y for y in PRE_PROGRAMME if y in all_years]
    trends_free = any(n in settings.knobs for n in TREND_KNOBS) and len(pre) >= 2
    stage1 = None
    if trends_free:  # the trends, from the years before the programme
        stage1 = fit(base, targets, settings, fit_years=pre, label=f"trends ({pre[0]} to {pre[-1]})", **kw)
        base = with_trends(base, stage1.scenario)
    main = fit(base, targets, settings, knob_names=_knobs_without_trends(settings) if trends_free else None,
               label="every year", **kw)
    variation = {c: v.sd for c, v in (main.variation or {}).items()}
    walks = walk_sizes(targets, all_years)
    years = sorted(set(main.targets["year"]))
    rolling = sensitivity = None
    bt = None
    if backtest and stage1 is not None:
        bt = (stage1, [y for y in all_years if y > pre[-1]])
        windows = {f"{pre[0]} to {pre[-1]}": stage1}
        origins = {pre[-1]: stage1}
        for origin in ROLLING_ORIGINS:
            upto = [y for y in all_years if y <= origin]
            if origin == pre[-1] or len(upto) < 2 or origin >= all_years[-1]:
                continue
            light = fit(base, targets, settings, fit_years=upto, label=f"fit to {upto[0]} to {origin}",
                        variation_sds=variation, **kw)
            origins[origin] = light
            windows[f"{upto[0]} to {origin}"] = light
        windows[f"{all_years[0]} to {all_years[-1]}"] = fit(
            base, targets, settings, label="trends to every year (for the sensitivity)", variation_sds=variation, **kw)
        frames = [rolling_table(forecast_from(f, origin, variation, walks, settings.reps, seed, workers, progress,
                                              executor), targets, origin) for origin, f in sorted(origins.items())]
        rolling = pd.concat(frames, ignore_index=True)
        sensitivity = effect_sensitivity(main, windows, settings.trial_reps, seed, workers, progress, executor)
    cont = continuity_prediction(with_variation(main.scenario, variation), settings.reps, seed, workers, progress,
                                 executor)
    seconds = time.perf_counter() - t0
    out = Path(out)
    _write_atomic(out / "hampshire.toml", fitted_toml(main, command, trends_from=stage1, walks=walks))
    _write_atomic(out / "fit.csv", comparison(targets, main.per_rep, years, main.ensemble).to_csv(index=False))
    _write_atomic(out / "plausible.csv", plausible_draws(main).to_csv(index=False))
    if bt is not None:
        bt_years = sorted(set(bt[0].targets["year"]))
        _write_atomic(out / "backtest.csv", comparison(targets, bt[0].per_rep, bt_years, bt[0].ensemble).to_csv(index=False))
    if rolling is not None:
        _write_atomic(out / "rolling.csv", rolling.round(4).to_csv(index=False))
    if sensitivity is not None and not sensitivity.empty:
        _write_atomic(out / "sensitivity.csv", sensitivity.round(5).to_csv(index=False))
    _write_atomic(out / "continuity.csv", cont.round(4).to_csv(index=False))
    numbers = write_report(main, targets, Path(report), command, bt, seconds, trends_from=stage1, rolling=rolling,
                           sensitivity=sensitivity, origin_weight=ORIGIN_WEIGHT, continuity=cont)
    numbers["seconds"] = seconds
    return numbers
