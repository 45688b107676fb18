"""Calibration to Hampshire's published figures: setting the uncertain parameters, the
simulator wrapper, the fit, the fitted-parameter file and the back-test.

:func:`fit` runs :func:`journeysim.historymatch.history_match` over the
:data:`~journeysim.knobs.KNOBS` (the uncertain parameters, each with a prior range) against the fitting
targets in ``calibration/targets.csv``, then runs the chosen point at full scale for
the fit report.  The chosen values are written to ``calibration/hampshire.toml``,
which ``scenarios/hampshire.toml`` extends, so every shipped scenario uses them.

Why history matching: the model has two dozen uncertain parameters and about seventy
noisy targets, many of which no parameter setting hits exactly (published series
move year to year for reasons the model does not hold).  An optimiser would chase
that noise to a single point and say nothing about what else fits; rejection ABC
would need far more runs than two cores allow.  History matching with emulators
rules out the implausible space in a few hundred runs, states the uncertainty it
allows for, and leaves plausible ranges as well as a point.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from . import historymatch as hm
from .calendar import fy_label
from .executors import Executor
from .knobs import CalibrationError, Fit, Knob, Settings, Variation, apply_knobs, knob_named
from .model import simulate
from .projections import measures
from .rng import replication_seeds
from .runner import run_jobs
from .scenario import PARAMS, Scenario, reported_years
from .stats import logit_pct
from .targets import target_sd


# ------------------------------------------------------------------------------------ targets
def is_count(measure: str) -> bool:
    """Counts and stocks scale with ``run.scale``; percentages (``..._pct``, ``..._pct_2``),
    means and medians do not."""
    return not ("_pct" in measure or measure.endswith("_mean") or measure.endswith("_wd"))


def fit_targets(targets: pd.DataFrame, years: list[str] | None = None) -> pd.DataFrame:
    """The fitting rows (``use`` = fit), optionally only those of ``years``."""
    fit = targets[(targets["use"] == "fit") & targets["model_measure"].notna()]
    if years is not None:
        fit = fit[fit["year"].isin(years)]
    fit = fit.drop_duplicates(["model_measure", "year"]).reset_index(drop=True)
    if fit.empty:
        raise CalibrationError("no fitting targets (use = fit) for the years asked")
    return fit


def observations(fit: pd.DataFrame, origin_weight: float = 1.0) -> hm.Observations:
    """The targets as history matching reads them.  The last fitted year (the jump-off a forecast
    starts from) counts ``origin_weight`` times as much, and is held to a standard deviation
    ``sqrt(origin_weight)`` times smaller, so that the fit sits on the latest figures as a
    demographer's projection starts from the latest population."""
    names = [f"{m}|{y}" for m, y in zip(fit["model_measure"], fit["year"])]
    sd = np.array([target_sd(m, v) for m, v in zip(fit["model_measure"], fit["value"])])
    weight = fit["weight"].to_numpy(float).copy()
    last = (fit["year"] == max(fit["year"])).to_numpy()
    weight[last] *= origin_weight
    sd[last] /= math.sqrt(origin_weight)
    return hm.Observations(names, fit["value"].to_numpy(float), sd, weight)


# ------------------------------------------------------------------------------------ simulation
def _simulate_measures(scenario: Scenario, seed: int) -> pd.DataFrame:
    """One replication in memory; its official measures for the reported years (long format)."""
    log = simulate(scenario, seed)
    years = [int(y[:4]) for y in _labels(scenario)]
    return measures(log.to_table(), years)


def _labels(scenario: Scenario) -> list[str]:
    return [fy_label(y) for y in reported_years(scenario)]


def _outputs(m: pd.DataFrame, names: list[str], scale: float, by_rep: bool = False) -> np.ndarray:
    """The named ``measure|year`` values, counts scaled back to the full county; with
    ``by_rep``, one row per replication of a per-replication table."""
    if by_rep:
        return np.vstack([_outputs(g, names, scale) for _, g in m.groupby("rep", sort=True)])
    values = dict(zip(m["measure"] + "|" + m["year"], m["value"]))
    out = []
    for name in names:
        v = values.get(name, np.nan)
        out.append(v / scale if is_count(name.split("|")[0]) else v)
    return np.array(out, dtype=float)


def _design_job(base: Scenario, knobs: list[Knob], u: np.ndarray, seed: int, scale: float, names: list[str]) -> np.ndarray:
    sc = with_variation(apply_knobs(base, knobs, u), {})
    sc = sc.with_values({"run.scale": sc["run.scale"] * scale})
    return _outputs(_simulate_measures(sc, seed), names, sc["run.scale"])


def _full_job(scenario: Scenario, seed: int) -> pd.DataFrame:
    """One replication's measures, counts scaled to the full county when ``run.scale`` is not 1."""
    m = _simulate_measures(scenario, seed)
    scale = scenario["run.scale"]
    if scale != 1.0:
        counts = m["measure"].map(is_count)
        m.loc[counts, "value"] = m.loc[counts, "value"] / scale
    return m


# ------------------------------------------------------------------------------------ year-to-year variation
#: Each channel of year-to-year variation (src/journeysim/model/years.py) and the fitted firm
#: series it moves most directly, from which its size is estimated.
VARIATION_SERIES = {
    "front_door": "cin_at_31_march",
    "care_entry": "cla_starts",
    "returns": "re_referral_12m_pct",
    "repeat_cp": "cp_second_or_subsequent_pct",
}
#: The sizes of the trial run that measures how far each channel moves its series.
VARIATION_TRIAL = {"front_door": 0.05, "care_entry": 0.15, "returns": 0.15, "repeat_cp": 0.4}


def with_variation(scenario: Scenario, sds: dict[str, float]) -> Scenario:
    """``scenario`` with each ``variation.<channel>_sd`` set from ``sds`` (0 where not given)."""
    return scenario.with_values({f"variation.{channel}_sd": float(sds.get(channel, 0.0)) for channel in VARIATION_SERIES})


def _transformed(measure: str, values: np.ndarray) -> np.ndarray:
    """Counts on the log scale, percentages on the logit scale: the scales the channels act on."""
    values = np.asarray(values, dtype=float)
    if measure.endswith("_pct"):
        return logit_pct(np.clip(values, 1e-4, 100.0 - 1e-4))
    return np.log(np.maximum(values, 1e-9))


def _residual_sd(x: np.ndarray, z: np.ndarray) -> float:
    """Standard deviation of ``z`` about its least-squares line in ``x`` (n - 2 degrees of freedom)."""
    resid = z - np.polyval(np.polyfit(x, z, 1), x)
    return float(np.sqrt(np.sum(resid ** 2) / (len(z) - 2)))


def observed_spread(rows: pd.DataFrame, measure: str) -> float:
    """The published series' movement from year to year: the residual standard deviation about a
    straight line through the fitted years (log or logit scale, n - 2 degrees of freedom)."""
    s = rows[rows["model_measure"] == measure].sort_values("year")
    if len(s) < 3:
        raise CalibrationError(f"too few fitted years of {measure} ({len(s)}) to measure its year-to-year variation")
    x = np.array([int(y[:4]) for y in s["year"]], dtype=float)
    return _residual_sd(x, _transformed(measure, s["value"].to_numpy(float)))


def simulated_spread(per_rep: pd.DataFrame, measure: str, years: list[str]) -> float:
    """The same statistic for the simulation: each replication's residual standard deviation about
    its own straight line through ``years``, as a root mean square over replications (a
    replication's own level and trend are taken out, as the published series' are)."""
    m = per_rep[(per_rep["measure"] == measure) & per_rep["year"].isin(years)]
    variances = []
    for _, r in m.sort_values(["rep", "year"]).groupby("rep"):
        if len(r) >= 3:
            x = np.array([int(y[:4]) for y in r["year"]], dtype=float)
            variances.append(_residual_sd(x, _transformed(measure, r["value"].to_numpy(float))) ** 2)
    return float(np.sqrt(np.mean(variances))) if variances else math.nan


def _nonnegative_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The x >= 0 that minimises |a x - b| (a small system: every set of free unknowns is tried)."""
    n = a.shape[1]
    best, best_err = np.zeros(n), float(np.sum(b ** 2))
    for mask in range(1, 2 ** n):
        free = [j for j in range(n) if mask >> j & 1]
        sol, *_ = np.linalg.lstsq(a[:, free], b, rcond=None)
        if np.all(sol >= 0):
            x = np.zeros(n)
            x[free] = sol
            err = float(np.sum((a @ x - b) ** 2))
            if err < best_err - 1e-15:
                best, best_err = x, err
    return best


def estimate_variation(rows: pd.DataFrame, without: pd.DataFrame, trials: dict[str, pd.DataFrame]) -> dict[str, Variation]:
    """Size the channels so that the simulated year-to-year spread of each channel's series matches
    the published one (a one-step method of simulated moments).

    The simulator's own noise explains part of each observed spread; the rest is the variance the
    channels must add.  Each channel's trial run (that channel alone, at its trial size, on the
    same seeds as ``without``) shows how much variance it adds to every series per unit of its
    size squared (a channel moves its own series less than one for one, and others a little: the
    front door also moves CLA starts).  The variances added are taken to add up and to grow as the
    square of each size, so the sizes squared solve a small linear system, kept non-negative.  When
    no non-negative solution matches every series, each series' miss counts relative to its own
    published variance: the series move on scales far apart (children in need 0.05 on the log
    scale, second CP plans 0.16 on the logit), and an absolute miss would let the widest series
    size every channel, a noisy cross-effect on it shrinking the front door's to nothing.  A
    series that moves no more than the simulator's own noise asks for no variation."""
    years = sorted(set(rows["year"]))
    channels = list(VARIATION_SERIES)
    measures = [VARIATION_SERIES[c] for c in channels]
    obs = np.array([observed_spread(rows, m) for m in measures])
    base = np.array([simulated_spread(without, m, years) for m in measures])
    trial = {c: np.array([simulated_spread(trials[c], m, years) for m in measures]) for c in channels}
    # a[i, j]: variance channel j adds to series i per unit of its size squared
    a = np.column_stack([np.maximum(0.0, trial[c] ** 2 - base ** 2) / VARIATION_TRIAL[c] ** 2 for c in channels])
    needed = np.maximum(0.0, obs ** 2 - base ** 2)
    relative = np.nan_to_num(1.0 / np.where(obs > 0, obs, np.nan) ** 2)  # each row's miss against its own variance
    x = _nonnegative_solve(np.nan_to_num(a) * relative[:, None], np.nan_to_num(needed) * relative)
    out = {}
    for j, c in enumerate(channels):
        sd = float(f"{min(PARAMS[f'variation.{c}_sd'].hi, math.sqrt(x[j])):.3g}")
        out[c] = Variation(c, measures[j], sd, float(obs[j]), float(base[j]), float(trial[c][j]))
    return out


def with_achieved(variation: dict[str, Variation], per_rep: pd.DataFrame, years: list[str]) -> dict[str, Variation]:
    """``variation`` with the spread each series reached in the replications run with it."""
    return {c: replace(v, achieved=simulated_spread(per_rep, v.measure, years)) for c, v in variation.items()}


# ------------------------------------------------------------------------------------ the jump-off
#: Each factor of the jump-off (model/years.py: the realised shifts of the last fitted year) and the
#: firm or fitted series of that year it is estimated from: the year's own flows.
JUMP_OFF_SERIES = {
    "front_door": "referrals",
    "care_entry": "cla_starts",
    "returns": "re_referral_12m_pct",
    "repeat_cp": "cp_second_or_subsequent_pct",
    "court_pace": "cla_ceased_adoption",
}
#: The factor each trial run sets, alone, to measure how far it moves every series.
JUMP_OFF_TRIAL = {"front_door": 1.1, "care_entry": 1.3, "returns": 1.3, "repeat_cp": 1.5, "court_pace": 1.2}


def with_jump_off(scenario: Scenario, year: int, factors: dict[str, float]) -> Scenario:
    """``scenario`` with ``year`` (its first calendar year: 2018 for 2018-19) as the jump-off and each
    ``variation.<channel>_jump_off`` from ``factors`` (1 where not given)."""
    return scenario.with_values({"variation.jump_off_year": int(year),
                                 **{f"variation.{c}_jump_off": float(factors.get(c, 1.0)) for c in JUMP_OFF_SERIES}})


def _year_level(per_rep: pd.DataFrame, measure: str, year: str) -> float:
    """A series' mean over replications in ``year``, on its transformed scale (nan when absent)."""
    v = per_rep.loc[(per_rep["measure"] == measure) & (per_rep["year"] == year), "value"]
    return float(_transformed(measure, np.array([v.mean()]))[0]) if len(v) else math.nan


def jump_off_factors(rows: pd.DataFrame, year: str, base: pd.DataFrame, small: pd.DataFrame,
                     trials: dict[str, pd.DataFrame], at: dict[str, float] | None = None) -> dict[str, float]:
    """The realised shifts of ``year`` that put its series (:data:`JUMP_OFF_SERIES`) on the published
    figures in ``rows``: one Newton step from ``base``, replications run with the factors ``at``
    (default: every factor 1).

    ``trials[c]`` is channel ``c`` alone at its trial factor and ``small`` the same with none, on
    the same seeds (common random numbers): their differences give how far the log of each factor
    moves every series (log or logit scale) in the year, a square matrix, since the channels move
    each other's series as well as their own (more new families dilute the share of re-referrals,
    more returns add referrals).  The log factors solve that matrix against what ``base`` misses by.
    A channel whose series is not published that year, or that hardly moves its own series, keeps
    a factor of 1; each factor stays within its key's range."""
    published = rows[rows["year"] == year].drop_duplicates("model_measure").set_index("model_measure")["value"]
    names, measures = list(JUMP_OFF_SERIES), list(JUMP_OFF_SERIES.values())
    # jac[i, j]: how far channel j's log factor moves series i (each trial against the same seeds without)
    without = np.array([_year_level(small, m, year) for m in measures])
    jac = np.column_stack([(np.array([_year_level(trials[c], m, year) for m in measures]) - without)
                           / math.log(JUMP_OFF_TRIAL[c]) for c in names])
    level = np.array([_year_level(base, m, year) for m in measures])
    keep = [i for i, m in enumerate(measures) if m in published.index and math.isfinite(level[i]) and jac[i, i] > 0.05]
    if not keep:
        return {}
    channels = [names[i] for i in keep]
    jac = jac[np.ix_(keep, keep)]
    miss = np.array([float(_transformed(measures[i], np.array([published[measures[i]]]))[0]) - level[i] for i in keep])
    x = np.linalg.solve(jac, miss) + np.log([(at or {}).get(c, 1.0) for c in channels])
    out = {}
    for c, v in zip(channels, x):
        param = PARAMS[f"variation.{c}_jump_off"]
        out[c] = float(f"{min(param.hi, max(param.lo, math.exp(v))):.4g}")
    return out


# ------------------------------------------------------------------------------------ the fit
def fit(base: Scenario, targets: pd.DataFrame, settings: Settings, seed: int = 1, workers: int = 1,
        fit_years: list[str] | None = None, progress=None, executor: Executor | None = None, label: str = "",
        knob_names: tuple[str, ...] | None = None, origin_weight: float = 1.0,
        variation_sds: dict[str, float] | None = None) -> Fit:
    """History-match ``base`` to the fitting targets (of ``fit_years``) with no year-to-year
    variation (the design runs follow each year's expected course, so the fit is not bent to one
    draw of the years), size the year-to-year variation from the published series
    (:func:`estimate_variation`, on ``settings.trial_reps`` replications), then run the chosen
    point ``settings.reps`` times at full scale with it, its values rounded as the fitted-parameter
    file writes them (:func:`as_written`), and as many replications each with
    parameters drawn from the best-fitting tenth of the space not ruled out (the plausible
    ensemble: its spread adds the parameter uncertainty left after calibration to the
    simulator's own).  The runs go to ``executor`` (default: ``workers`` local processes).

    ``knob_names`` (default: ``settings.knobs``) are the parameters varied; ``base`` holds every
    other.  ``origin_weight`` weights the last fitted year (:func:`observations`).  With
    ``variation_sds`` given (a lighter fit, for a forecast's origin or a sensitivity), the
    year-to-year variation is not sized again but taken from them, and no plausible ensemble is run."""
    t0 = time.perf_counter()
    knobs = [knob_named(n) for n in (knob_names or settings.knobs)]
    rows = fit_targets(targets, fit_years)
    obs = observations(rows, origin_weight)
    names = obs.names

    which = f"{label}: " if label else ("back-test fit: " if fit_years else "")
    wave = 0

    def simulate_design(X: np.ndarray, seeds: list[int], full: list[bool]) -> np.ndarray:
        nonlocal wave
        wave += 1
        jobs = [(base, knobs, x, s, 1.0 if f else settings.scale, names) for x, s, f in zip(X, seeds, full)]
        return np.vstack(run_jobs(_design_job, jobs, workers, progress=progress,
                                  label=f"{which}wave {wave}/{settings.waves} design runs", executor=executor))

    result = hm.history_match(simulate_design, obs, len(knobs), waves=settings.waves,
                              runs_per_wave=settings.runs_per_wave, replicates=settings.replicates,
                              seed=seed, design_scale=settings.scale)
    seeds = replication_seeds(seed, settings.reps)  # the trials use the first few (spawned seeds keep their order)
    trial_reps = min(settings.trial_reps, settings.reps)
    draws = _ensemble_draws(result, obs, settings.reps, seed)
    quiet = with_variation(base, {})

    def full(scenarios: list[Scenario], label: str, block: int = len(seeds)) -> list[pd.DataFrame]:
        """Each scenario's replication, the ``i``-th on seed ``i`` mod ``block`` (blocks on the same seeds)."""
        jobs = [(sc, seeds[i % block]) for i, sc in enumerate(scenarios)]
        return run_jobs(_full_job, jobs, workers, progress=progress, label=f"{which}full-scale replications ({label})",
                        executor=executor)

    # the emulator's best point, or a wave's centre if its full-scale replicates fit better
    without = _stack(full([apply_knobs(quiet, knobs, result.best)] * trial_reps, "the emulator's best point"))
    losses = [hm.simulated_loss(_outputs(without, names, 1.0, by_rep=True), obs)]
    losses += [hm.simulated_loss(Y, obs) for _, Y in result.centres]
    pick = int(np.argmin(losses))
    chosen_u, chosen_from = result.best, "the emulator's best point after the last wave"
    if pick > 0:
        chosen_u, chosen_from = result.centres[pick - 1][0], f"the centre of wave {pick} (its full-scale replicates fit best)"
        without = _stack(full([apply_knobs(quiet, knobs, chosen_u)] * trial_reps, f"wave {pick}'s centre"))
    chosen = apply_knobs(quiet, knobs, chosen_u)
    last = max(rows["year"])
    jump_year = int(last[:4])  # the jump-off: the last fitted year (2018 for 2018-19)

    def jump_off(scenario: Scenario) -> dict[str, float]:
        """The realised shifts of the last fitted year at ``scenario``: two Newton steps
        (:func:`jump_off_factors`) from every factor at 1, the trials at the design runs' scale."""
        small = scenario.with_values({"run.scale": scenario["run.scale"] * settings.scale})
        runs = full([with_jump_off(small, jump_year, {})] * trial_reps
                    + [with_jump_off(small, jump_year, {c: JUMP_OFF_TRIAL[c]}) for c in JUMP_OFF_SERIES for _ in range(trial_reps)],
                    f"trials of the jump-off's shifts ({last})", block=trial_reps)
        unshifted = _stack(runs[:trial_reps])
        trials = {c: _stack(runs[trial_reps * (i + 1): trial_reps * (i + 2)]) for i, c in enumerate(JUMP_OFF_SERIES)}
        factors: dict[str, float] = {}
        for step in (1, 2):
            at = _stack(full([with_jump_off(scenario, jump_year, factors)] * trial_reps, f"the jump-off ({last}), step {step}"))
            factors = jump_off_factors(rows, last, at, unshifted, trials, factors)
        return factors

    if variation_sds is not None:  # a lighter fit: the variation as given, no ensemble
        shipped = with_variation(as_written(chosen, knobs), variation_sds)
        factors = jump_off(shipped)
        shipped = with_jump_off(shipped, jump_year, factors)
        per_rep = _stack(full([shipped] * trial_reps, "chosen point, with year-to-year variation"))
        return Fit(knobs, result, shipped, rows, per_rep, per_rep.iloc[0:0], settings, time.perf_counter() - t0,
                   seed, workers, chosen_u, chosen_from, losses, None, factors)
    trials = {c: _stack(full([with_variation(chosen, {c: VARIATION_TRIAL[c]})] * trial_reps,
                             f"trial of year-to-year variation: {c}")) for c in VARIATION_TRIAL}
    variation = estimate_variation(rows, without, trials)
    sds = {c: v.sd for c, v in variation.items()}
    shipped = with_variation(as_written(chosen, knobs), sds)  # what calibration/hampshire.toml will hold
    factors = jump_off(shipped)
    shipped = with_jump_off(shipped, jump_year, factors)
    frames = full([shipped] * settings.reps
                  + [with_jump_off(with_variation(apply_knobs(quiet, knobs, result.nroy[i]), sds), jump_year, factors)
                     for i in draws],
                  "chosen point and plausible ensemble, with year-to-year variation")
    per_rep, ensemble = _stack(frames[: settings.reps]), _stack(frames[settings.reps:])
    variation = with_achieved(variation, per_rep, sorted(set(rows["year"])))
    return Fit(knobs, result, shipped, rows, per_rep, ensemble, settings,
               time.perf_counter() - t0, seed, workers, chosen_u, chosen_from, losses, variation, factors)


def _ensemble_draws(result: hm.Result, obs: hm.Observations, n: int, seed: int) -> np.ndarray:
    """Indices into the not-ruled-out candidates for the plausible ensemble: ``n`` drawn from the
    tenth of them whose emulated outputs fit best (plain NROY draws spread over everything not yet
    ruled out, much of it a poor fit; the best tenth approximates the parameters' posterior)."""
    em = result.waves[-1].emulator
    order = np.argsort(hm.loss(em, result.nroy, obs), kind="stable")
    pool = order[: max(n, len(order) // 10)]
    return np.random.default_rng(seed).choice(pool, n, replace=len(pool) < n)


#: Parameter draws written beside the fitted file (``plausible.csv``): enough for a forecast's replications.
PLAUSIBLE_DRAWS = 200


def plausible_draws(f: Fit, n: int = PLAUSIBLE_DRAWS) -> pd.DataFrame:
    """``n`` points of the plausible space the fit left (drawn as its plausible ensemble is: from the
    best-fitting tenth of the not-ruled-out candidates), as knob values: ``draw`` (0, 1, ...) and one
    column per knob (:attr:`Knob.name`).  A forecast gives each replication one of them
    (``run.parameter_draws``), so that its interval carries the parameters' uncertainty."""
    obs = observations(f.targets)
    picks = _ensemble_draws(f.result, obs, n, f.seed + 1)
    rows = [[knob.value(float(x)) for knob, x in zip(f.knobs, f.result.nroy[i])] for i in picks]
    out = pd.DataFrame(rows, columns=[k.name for k in f.knobs]).round(6)
    out.insert(0, "draw", range(len(out)))
    return out


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    per_rep = pd.concat([f.assign(rep=i) for i, f in enumerate(frames)], ignore_index=True)
    return per_rep[["rep", "measure", "year", "value"]]


# ------------------------------------------------------------------------------------ the file
def _fmt(v: Any) -> str:
    """A value in TOML (numbers as :func:`_rounded` left them)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def fitted_toml(f: Fit, command: str, trends_from: Fit | None = None, walks: dict[str, float] | None = None) -> str:
    """The fitted-parameter file: every key a knob sets, with the knob's plausible range (a trend fitted
    in the earlier fit ``trends_from`` with that fit's range and years), the year-to-year variation
    and the random walks' steps (``walks``)."""
    raw = f.scenario.raw()
    by_key: dict[str, list[tuple[Knob, np.ndarray, str]]] = {}
    for knob, r in zip(f.knobs, f.result.plausible_range()):
        by_key.setdefault(knob.key, []).append((knob, r, ""))
    if trends_from is not None:
        early = sorted(set(trends_from.targets["year"]))
        for knob, r in zip(trends_from.knobs, trends_from.result.plausible_range()):
            if knob.key not in by_key:
                by_key.setdefault(knob.key, []).append((knob, r, f" fitted to {early[0]} to {early[-1]} only"))
    lines = [
        "# Fitted parameters for Hampshire, written by `journeysim calibrate`; do not edit by hand.",
        f"# Reproduce with: {command}",
        f"# journeysim {__version__}; history matching, {f.settings.waves} waves of "
        f"{f.settings.runs_per_wave} runs (+{f.settings.replicates} replicates) at run.scale x{f.settings.scale:g}, seed {f.seed}.",
        f"# Fitted to: {', '.join(sorted(set(f.targets['year'])))} (calibration/targets.csv, use = fit).",
        "# Each value is the chosen point; the comment gives the knob's plausible range (5-95% of the",
        "# space history matching did not rule out) and its prior range. See docs/calibration.md.",
        "",
    ]
    section = None
    for key in sorted(by_key, key=lambda k: list(PARAMS).index(k)):
        top, name = key.split(".", 1)
        if top != section:
            if section is not None:
                lines.append("")
            lines.append(f"[{top}]")
            section = top
        for knob, (lo, hi), note in by_key[key]:
            lines.append(f"# {knob.doc}: {knob.name}{note} plausible {_num(knob.value(lo))} to {_num(knob.value(hi))} "
                         f"(prior {_num(knob.lo)} to {_num(knob.hi)})")
        lines.append(f"{name} = {_fmt(_written(key, raw[key]))}")
    if f.variation:
        lines += ["", "[variation]",
                  "# year-to-year variation, sized so that each series' simulated spread from year to year matches the",
                  "# published one (standard deviations on the log scale for counts, logit for percentages; see",
                  "# docs/calibration.md)"]
        for v in f.variation.values():
            lines.append(f"# {v.channel}: {v.measure} moves {v.observed:.3f} about its trend; the simulator alone "
                         f"{v.without:.3f}; this channel alone at {VARIATION_TRIAL[v.channel]:g}, {v.trial:.3f}; "
                         f"every channel at its size, {v.achieved:.3f}")
            lines.append(f"{v.channel}_sd = {_fmt(v.sd)}")
    if f.jump_off is not None:
        if not f.variation:
            lines += ["", "[variation]"]
        last = max(f.targets["year"])
        lines.append(f"# the jump-off: {last}'s realised shifts, which put its flows on the published figures (two Newton")
        lines.append("# steps from the fitted point; see docs/calibration.md)")
        lines.append(f"jump_off_year = {int(last[:4])}")
        for channel in JUMP_OFF_SERIES:
            lines.append(f"{channel}_jump_off = {_fmt(float(f.jump_off.get(channel, 1.0)))}")
    if walks:
        if not f.variation and f.jump_off is None:
            lines += ["", "[variation]"]
        lines.append("# a forecast's random walks (after variation.walk_start): each year's step, sized from the published")
        lines.append("# year-to-year changes (docs/calibration.md)")
        for channel, sd in walks.items():
            lines.append(f"{channel}_walk_sd = {_fmt(sd)}")
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _written(key: str, value: Any) -> Any:
    """A fitted value as the fitted-parameter file writes it."""
    return _rounded_probs(value) if PARAMS[key].kind == "probs" else _rounded(value)


def as_written(scenario: Scenario, knobs: list[Knob]) -> Scenario:
    """``scenario`` with every value a knob sets rounded as the fitted-parameter file writes it: the
    scenario a user who loads that file runs, so that the report describes exactly that."""
    raw = scenario.raw()
    return scenario.with_values({key: _written(key, raw[key]) for key in {k.key for k in knobs}})


def _rounded_probs(table: dict[str, float]) -> dict[str, float]:
    """A table of probabilities to 4 significant figures that still sums to 1 (as a scenario's
    must): every entry rounded but the largest, which takes what is left."""
    largest = max(table, key=lambda k: (table[k], k))
    out = {k: _rounded(float(v)) for k, v in table.items()}
    out[largest] = round(1.0 - sum(v for k, v in out.items() if k != largest), 10)
    return out


def _rounded(v: Any) -> Any:
    """Numbers to 4 significant figures, so that a refit gives the same text."""
    if isinstance(v, float):
        return float(f"{v:.4g}")
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return v


# ------------------------------------------------------------------------------------ the files
def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
