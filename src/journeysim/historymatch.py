"""History matching in waves: the calibration method, independent of the simulator.

History matching (Craig, Goldstein, Seheult and Smith 1997; Vernon, Goldstein and Bower
2010; Andrianakis et al. 2015 for a stochastic epidemic model) does not look for one best
point.  It rules out, wave by wave, the parts of parameter space where the model cannot
reproduce the observations, allowing for every source of uncertainty:

1. run the simulator on a space-filling design over the region still in play (wave 1:
   a maximin Latin hypercube over the prior box), all design points on common random
   numbers, plus a few replicate runs at the region's centre to measure the
   simulator's own noise;
2. fit an **emulator** to each output: a linear ridge regression on the parameters,
   whose lack of fit and leverage give its uncertainty;
3. compute each candidate point's **implausibility** for each target
   ``|E[f(x)] - z| / sqrt(V_emulator + V_simulator + V_observation)`` and keep the
   points whose second-largest implausibility is below the cut-off (3, by Pukelsheim's
   three-sigma rule): the *not-ruled-out-yet* (NROY) space;
4. the next wave designs inside that space, and so on.

The NROY space at the end gives plausible ranges for every parameter; the shipped
point is the NROY candidate with the lowest expected (weighted, standardised) squared
error of its outputs' mean (:func:`loss`), found by a cross-entropy search on the emulator.  Everything is seeded: the same seed, design
size and simulator give the same result.

The simulator is any function ``simulate(X, seeds, full) -> Y``: ``X`` has one row per run,
parameters scaled to the unit cube; ``seeds`` one integer per run; ``full`` says which runs
are at full scale (the design runs may be at a reduced, cheaper scale); ``Y`` one row of
outputs per run (NaN where a run could not give an output).  The replicates at each
wave's centre run at full scale: they measure the full-size model's noise, and anchor the
emulator there (its prediction is shifted to their mean), which corrects both the
emulator's local bias and any difference between the design's scale and full scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Simulator = Callable[[np.ndarray, list[int], list[bool]], np.ndarray]


@dataclass
class Observations:
    """What the outputs are compared with: value, standard deviation (observation error and
    model discrepancy together) and weight (for choosing the best point) per output."""

    names: list[str]
    value: np.ndarray
    sd: np.ndarray
    weight: np.ndarray


@dataclass
class Emulator:
    """Ridge regressions of every output on the (unit-cube) parameters.

    Each output has its own ridge penalty (``choice`` indexes ``gram_invs``), chosen by
    leave-one-out error.  The regression's residual variance is split, using the replicate
    runs, into the simulator's noise at the design's scale (``noise``) and the emulator's
    lack of fit; the uncertainty about the mean output at a new point is the lack of fit
    plus the residual variance times the point's leverage.  ``sim_var`` is the simulator's
    noise at full scale, which an observation is compared against as well.
    """

    x_mean: np.ndarray
    x_scale: np.ndarray
    coef: np.ndarray  # (features, outputs)
    gram_invs: list[np.ndarray]  # one (features, features) matrix per ridge penalty tried
    choice: np.ndarray  # (outputs,): which penalty each output uses
    resid_var: np.ndarray  # (outputs,): residual variance of the regression
    noise: np.ndarray  # (outputs,): the simulator's variance at the design's scale
    sim_var: np.ndarray  # (outputs,): the simulator's variance at full scale
    shift: np.ndarray | None = None  # (outputs,): added to the regression (the anchor at the centre)

    def features(self, X: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones((len(X), 1)), (X - self.x_mean) / self.x_scale])

    def predict_mean(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulated mean of every output at ``X``, and the variance of that estimate."""
        F = self.features(X)
        mean = F @ self.coef
        leverage = np.empty_like(mean)
        for c in np.unique(self.choice):
            cols = self.choice == c
            leverage[:, cols] = np.einsum("ij,jk,ik->i", F, self.gram_invs[c], F)[:, None]
        lack_of_fit = np.maximum(self.resid_var - self.noise, 0.0)
        if self.shift is not None:
            mean = mean + self.shift[None, :]
        return mean, self.resid_var[None, :] * leverage + lack_of_fit[None, :]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulated mean and the total variance of a full-scale run about it (emulator + simulator)."""
        mean, var = self.predict_mean(X)
        return mean, var + self.sim_var[None, :]


#: Ridge penalties tried for each output (times the number of runs).
PENALTIES = (1e-6, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


def fit_emulator(X: np.ndarray, Y: np.ndarray, noise: np.ndarray, sim_var: np.ndarray) -> Emulator:
    """Linear ridge regression of each column of ``Y`` on ``X``; each output's penalty is chosen
    by leave-one-out error.  Missing outputs (NaN) are filled with the column mean.  ``noise``
    and ``sim_var``: the simulator's variance at the design's scale and at full scale."""
    n = len(X)
    em = Emulator(x_mean=X.mean(axis=0), x_scale=np.maximum(X.std(axis=0), 1e-9), coef=np.zeros(0), gram_invs=[],
                  choice=np.zeros(0, dtype=int), resid_var=np.zeros(0), noise=noise, sim_var=sim_var)
    F = em.features(X)
    k = F.shape[1]
    col_mean = np.nanmean(np.where(np.isfinite(Y), Y, np.nan), axis=0)
    Yf = np.where(np.isfinite(Y), Y, np.nan_to_num(col_mean)[None, :])
    penalty = np.eye(k)
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    coefs, scores, rss, dofs = [], [], [], []
    for lam in PENALTIES:
        gram_inv = np.linalg.inv(F.T @ F + lam * n * penalty)
        hat = np.einsum("ij,jk,ik->i", F, gram_inv, F)
        coef = gram_inv @ F.T @ Yf
        resid = Yf - F @ coef
        loo = resid / np.clip(1.0 - hat, 1e-6, None)[:, None]
        em.gram_invs.append(gram_inv)
        coefs.append(coef)
        scores.append(np.mean(loo**2, axis=0))
        rss.append(np.sum(resid**2, axis=0))
        dofs.append(max(1.0, n - hat.sum()))
    choice = np.argmin(np.vstack(scores), axis=0)
    em.choice = choice
    em.coef = np.column_stack([coefs[c][:, j] for j, c in enumerate(choice)])
    em.resid_var = np.array([rss[c][j] / dofs[c] for j, c in enumerate(choice)])
    return em


@dataclass
class Wave:
    """What one wave did: its design and runs, its emulator, and what it left in play."""

    number: int
    design: np.ndarray
    outputs: np.ndarray
    emulator: Emulator
    runs_used: int  # runs the emulator was fitted to: this wave's and earlier ones inside its region
    nroy_share: float  # share of the candidates in its box not ruled out
    kept_least_implausible: bool  # no candidate passed the cut-off: the least implausible were kept
    nroy: np.ndarray  # the not-ruled-out candidates (unit cube)


@dataclass
class Result:
    best: np.ndarray  # the chosen point (unit cube)
    nroy: np.ndarray  # the final not-ruled-out candidates (unit cube)
    waves: list[Wave]
    best_mean: np.ndarray  # emulated outputs at the chosen point
    best_sd: np.ndarray
    centres: list[tuple[np.ndarray, np.ndarray]]  # each wave's centre and its full-scale replicate outputs

    def plausible_range(self, q: tuple[float, float] = (0.05, 0.95)) -> np.ndarray:
        """(parameters, 2): the 5% and 95% quantiles of each parameter over the NROY space."""
        return np.quantile(self.nroy, q, axis=0).T


def latin_hypercube(n: int, dims: int, rng: np.random.Generator, tries: int = 20) -> np.ndarray:
    """An ``n`` x ``dims`` Latin hypercube in the unit cube: of ``tries`` random ones, the one
    whose closest pair of points is furthest apart (maximin)."""
    best, best_gap = None, -1.0
    for _ in range(tries):
        strata = np.argsort(rng.random((dims, n)), axis=1).T
        X = (strata + rng.random((n, dims))) / n
        gap = _min_distance(X)
        if gap > best_gap:
            best, best_gap = X, gap
    return best


def _min_distance(X: np.ndarray) -> float:
    if len(X) < 2:
        return np.inf
    d = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(d, np.inf)
    return float(np.sqrt(d.min()))


def spread_subset(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` of ``points`` chosen greedily so that each is as far as possible from those already
    chosen (a space-filling design inside an irregular region)."""
    if len(points) <= n:
        return points.copy()
    chosen = [int(rng.integers(len(points)))]
    dist = np.sum((points - points[chosen[0]]) ** 2, axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.sum((points - points[i]) ** 2, axis=1))
    return points[chosen]


def implausibility(em: Emulator, X: np.ndarray, obs: Observations) -> np.ndarray:
    """(candidates, outputs): |emulated - observed| / total standard deviation."""
    mean, var = em.predict(X)
    return np.abs(mean - obs.value[None, :]) / np.sqrt(var + obs.sd[None, :] ** 2)


def robust_order(outputs: int) -> int:
    """Which largest implausibility decides (1 = the largest): with many outputs, a point is not
    ruled out by the one or two the model cannot match (Vernon et al. 2010 use the second and
    third largest)."""
    return 1 if outputs < 5 else (2 if outputs < 20 else 3)


def kth_largest(I: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k``-th largest value."""
    k = min(k, I.shape[1])
    return np.partition(I, -k, axis=1)[:, -k]


def second_largest(I: np.ndarray) -> np.ndarray:
    return kth_largest(I, 2)


def loss(em: Emulator, X: np.ndarray, obs: Observations) -> np.ndarray:
    """Weighted expected squared error of the outputs' mean, standardised by the observation
    error and model discrepancy (lower is closer).  The emulator's uncertainty adds to the
    expected error, so a search is not drawn to where the emulator knows least.

    The simulator's own noise is left out of the standardisation, unlike in
    :func:`implausibility`.  Ruling a point out compares one run with the observations, and a
    run's noise is part of that comparison.  Choosing the best point concerns the mean of
    many replications, whose noise is small.  Dividing by a run's noise would give the
    noisiest outputs the least weight, and those are the small counts, whose mean is what
    the fit is judged on.  That noise is also estimated from a few replicates, so it would
    reweigh the outputs by chance."""
    mean, var = em.predict_mean(X)
    scale = obs.sd[None, :] ** 2
    return np.sum(obs.weight[None, :] * ((mean - obs.value[None, :]) ** 2 + var) / scale, axis=1)


def search(em: Emulator, obs: Observations, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator,
           n: int = 4000, elite: int = 100, iterations: int = 30) -> np.ndarray:
    """The elite points (best first) of a cross-entropy search for the emulator's lowest
    :func:`loss` inside the box: the non-implausible region of a 25-dimensional space is far too
    small for uniform sampling to find."""
    dims = len(lo)
    X = lo + (hi - lo) * rng.random((n, dims))
    best = X[:0]
    for _ in range(iterations):
        X = np.vstack([best, X])
        best = X[np.argsort(loss(em, X, obs), kind="stable")[:elite]]
        spread = best.std(axis=0) + 1e-3 * (hi - lo)
        X = np.clip(best.mean(axis=0) + spread * rng.standard_normal((n, dims)), lo, hi)
    return best


def history_match(simulate: Simulator, obs: Observations, dims: int, *, waves: int, runs_per_wave: int,
                  replicates: int = 4, seed: int = 1, cutoff: float = 3.0, candidates: int = 20_000,
                  design_scale: float = 1.0, min_keep: int = 200, progress=None) -> Result:
    """Run ``waves`` waves of history matching; see the module docstring.

    Each wave's emulator is fitted to its own design and to earlier runs inside its region, and
    anchored at its centre by the full-scale replicates.  Candidates are drawn uniformly in the
    region and around the elite points of a search on the emulator; those whose robust
    implausibility (:func:`robust_order`) is below ``cutoff`` are not ruled out.  The next
    wave's centre is the best of them.  ``design_scale``: the design runs' scale relative to
    full scale (their noise is the full-scale noise divided by it).  ``progress(wave, waves)``
    is called after each wave.
    """
    rng = np.random.default_rng(seed)
    order = robust_order(len(obs.value))
    lo, hi = np.zeros(dims), np.ones(dims)
    done: list[Wave] = []
    centres: list[tuple[np.ndarray, np.ndarray]] = []
    seen_X, seen_Y = np.zeros((0, dims)), np.zeros((0, len(obs.value)))
    nroy, centre = None, np.full(dims, 0.5)
    for k in range(waves):
        run_seed = int(rng.integers(2**31))
        design = latin_hypercube(runs_per_wave, dims, rng) if nroy is None else spread_subset(nroy, runs_per_wave, rng)
        X = np.vstack([design, np.repeat(centre[None, :], replicates, axis=0)])
        seeds = [run_seed] * len(design) + [run_seed + 1 + r for r in range(replicates)]
        Y = np.asarray(simulate(X, seeds, [False] * len(design) + [True] * replicates), dtype=float)
        Yd, Yr = Y[: len(design)], Y[len(design):]
        sim_var = np.nan_to_num(np.nanvar(Yr, axis=0, ddof=1)) if replicates > 1 else np.zeros(Y.shape[1])
        inside = np.all((seen_X >= lo) & (seen_X <= hi), axis=1)
        em = fit_emulator(np.vstack([seen_X[inside], design]), np.vstack([seen_Y[inside], Yd]),
                          sim_var / design_scale, sim_var)
        if replicates:
            em.shift = np.nan_to_num(np.nanmean(Yr, axis=0) - em.predict_mean(centre[None, :])[0][0])
            centres.append((centre, Yr))
        runs_used = int(inside.sum()) + len(design)
        seen_X, seen_Y = np.vstack([seen_X, design]), np.vstack([seen_Y, Yd])
        elite = search(em, obs, lo, hi, rng)
        spread = np.maximum(elite.std(axis=0) * 3.0, 0.02 * (hi - lo))
        uniform = lo + (hi - lo) * rng.random((candidates // 2, dims))
        local = np.clip(elite[0] + spread * rng.standard_normal((candidates - len(uniform), dims)), lo, hi)
        cloud = np.vstack([elite, uniform, local])
        score = kth_largest(implausibility(em, cloud, obs), order)
        keep = score < cutoff
        share = float(keep[len(elite): len(elite) + len(uniform)].mean())
        kept_least = keep.sum() < min_keep
        if kept_least:  # too little passes: keep the least implausible, and say so
            keep = np.zeros(len(cloud), dtype=bool)
            keep[np.argsort(score, kind="stable")[:min_keep]] = True
        nroy = cloud[keep]
        centre = _best(em, nroy, obs)[0]
        done.append(Wave(k + 1, design, Yd, em, runs_used, share, kept_least, nroy))
        span = nroy.max(axis=0) - nroy.min(axis=0)
        lo = np.clip(nroy.min(axis=0) - 0.1 * span - 0.01, 0.0, 1.0)
        hi = np.clip(nroy.max(axis=0) + 0.1 * span + 0.01, 0.0, 1.0)
        if progress:
            progress(k + 1, waves)
    best, mean, var = _best(done[-1].emulator, nroy, obs)
    return Result(best, nroy, done, mean, np.sqrt(var), centres)


def simulated_loss(Y: np.ndarray, obs: Observations) -> float:
    """:func:`loss` of simulated outputs (mean over the rows of ``Y``), for choosing between
    points whose outputs have been simulated rather than emulated."""
    mean = np.nanmean(Y, axis=0)
    ok = np.isfinite(mean)
    return float(np.sum((obs.weight * (mean - obs.value) ** 2 / obs.sd**2)[ok]))


def _best(em: Emulator, points: np.ndarray, obs: Observations) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The point of ``points`` whose emulated outputs are closest to the observations."""
    i = int(np.argmin(loss(em, points, obs)))
    mean, var = em.predict(points[i: i + 1])
    return points[i], mean[0], var[0]
