"""What a calibration fits and what it finds, shared by the fit (:mod:`journeysim.calibrate`)
and its report (:mod:`journeysim.fitreport`): the uncertain parameters with their prior
ranges (:class:`Knob`, :data:`KNOBS`), how hard a calibration tries (:class:`Settings`),
and its result (:class:`Variation`, :class:`Fit`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import historymatch as hm
from .scenario import PARAMS, Scenario


class CalibrationError(Exception):
    """A calibration that cannot start (the message says why)."""


@dataclass(frozen=True)
class Knob:
    """One uncertain parameter: the scenario key it sets, which part of it, and its prior range.

    ``part`` is ``None`` for a plain number; a field name (``median``, ``mean``) for a
    distribution (a lognormal keeps its p90/median ratio); an outcome name for a table of
    probabilities (the other outcomes are rescaled to keep the sum at 1); ``"*"`` for a
    multiplier on every entry of a table of probabilities by age band.
    """

    key: str
    part: str | None
    lo: float
    hi: float
    doc: str
    log: bool = False  # sampled evenly on a log scale

    @property
    def name(self) -> str:
        if self.part is None:
            return self.key
        return f"{self.key}[{self.part}]" if self.part != "*" else f"{self.key}[x]"

    def value(self, u: float) -> float:
        """The parameter value at position ``u`` in [0, 1] of the prior range."""
        if self.log:
            return math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


#: The uncertain parameters fitted to Hampshire, with their prior ranges.
KNOBS: list[Knob] = [
    Knob("arrivals.contacts_per_year", None, 60_000, 110_000, "front-door volume (contacts from new families)"),
    Knob("arrivals.trend_per_year", None, -0.03, 0.06, "front-door trend"),
    Knob("mash.outcome", "referral", 0.20, 0.50, "MASH: share of new families' contacts referred"),
    Knob("referral.p_nfa", None, 0.04, 0.22, "referrals closed with no further action"),
    Knob("assessment.outcome", "not_in_need", 0.18, 0.42, "assessments concluding not in need"),
    Knob("assessment.outcome", "strategy_discussion", 0.12, 0.36, "assessments leading to a strategy discussion"),
    Knob("assessment.strategy_trend_per_year", None, -0.30, 0.05, "drift of the child protection threshold (a CP response against a CIN plan)"),
    Knob("s47.outcome", "icpc", 0.30, 0.65, "section 47 enquiries leading to an ICPC"),
    Knob("population.prior_cp_share", None, 0.02, 0.25, "children new to the model with an earlier CP plan"),
    Knob("assessment.prior_cp_trend_per_year", None, -0.10, 0.30, "drift of repeat protection (log odds ratio per year)"),
    Knob("cin.duration", "median", 60, 240, "CIN plan length (median days)", log=True),
    Knob("cp.duration", "median", 80, 280, "CP plan length (median days)", log=True),
    Knob("cin.p_care_no_change", None, 0.02, 0.16, "CIN plans without change ending in care"),
    Knob("plo.p_proceedings", None, 0.30, 0.85, "PLO leading to proceedings"),
    Knob("practice.base_engagement", None, 0.55, 0.88, "practice mechanism's baseline engagement"),
    Knob("practice.p_return_no_change", None, 0.40, 0.95, "families closed without change coming back"),
    Knob("practice.p_return_no_plan", None, 0.25, 0.80, "families closed without a plan coming back"),
    Knob("arrivals.return_delay", "mean", 20, 320, "closure to the next contact (mean days)", log=True),
    Knob("care.p_return_home", "*", 0.5, 1.6, "chance of a path home from care (multiplier on every age band)"),
    Knob("care.return_home_time", "median", 60, 400, "time in care before a return home (median days)", log=True),
    Knob("care.p_adoption", "*", 0.6, 1.6, "chance of adoption (multiplier on every age band)"),
    Knob("care.adoption_trend_per_year", None, -0.16, 0.02, "drift of the chance of adoption (change in its log per year)"),
    Knob("care.adoption_time", "median", 350, 800, "time in care before adoption (median days)"),
    Knob("care.p_sgo", "*", 0.5, 1.6, "chance of special guardianship (multiplier on every age band)"),
    Knob("care.sgo_trend_per_year", None, -0.05, 0.25, "drift of the chance of special guardianship (change in its log "
         "per year; England +11% from 2017-18 to 2018-19)"),
    Knob("care.p_other_exit", None, 0.04, 0.30, "other exits from long-term care before 18"),
    Knob("edge_of_care.p_care", None, 0.16, 1.0, "edge of care: decided entries that still enter care after the "
         "support (003: 11% of starters within months, but adolescent entries rose 50% against 80% at all ages)"),
    Knob("initial.cla_children", None, 1000, 1200, "children looked after when the run starts (before warm-up)"),
    # continuity: each cause of a change of worker (model.allocation), fitted to the baseline's
    # case-file sample (model A) only through the distribution of workers per journey
    Knob("workforce.turnover_permanent", None, 0.125, 0.175, "permanent social workers' leaving rate (DfE: Hampshire "
         "12.5% and 17.5% in 2018 and 2017)"),
    Knob("workforce.absence_rate", None, 0.03, 0.15, "long absences per worker-year"),
    Knob("workforce.handover_on_joining", None, 0.0, 1.0, "share of the team's mean caseload handed to a joining worker"),
    Knob("teams.rebalance_over", None, 0.6, 1.6, "caseload (x cap) above which a review moves a worker's newest cases"),
    Knob("teams.ra_keeps_cin_p", None, 0.0, 0.4, "model A: CIN cases the R&A team keeps"),
]

#: The trends and drifts a counterfactual keeps: how the county would have moved without the
#: transformation.  The calibration fits them to the years before it (:mod:`journeysim.refit`), so
#: that they cannot take up the programme's effect.
TREND_KNOBS = ("arrivals.trend_per_year", "assessment.strategy_trend_per_year", "assessment.prior_cp_trend_per_year")

#: The drifts of permanence, fitted to every year with the other parameters.  No part of the
#: programme changes the chance of adoption or special guardianship (the courts and the adoption
#: agencies decide them), and the children adopted or made subject to an order in its first years
#: entered care before it (adoption comes a median of about a year and a half after entry, and
#: the chance is drawn on entry: model/care.py).  So their drifts cannot take up its effect, and the
#: later years are evidence about them that fitting to the years before the programme would throw away:
#: Hampshire's adoptions fell from 86 to 55 and rose to 69 in 2018-19, and its special
#: guardianship orders rose from 56 to 93 in that year.
PERMANENCE_DRIFTS = ("care.adoption_trend_per_year", "care.sgo_trend_per_year")

#: The knobs a ``--quick`` calibration fits (the rest keep the scenario's values).
QUICK_KNOBS = [
    "arrivals.contacts_per_year", "assessment.outcome[strategy_discussion]", "cin.duration[median]",
    "cp.duration[median]", "cin.p_care_no_change", "care.p_return_home[x]", "practice.p_return_no_change",
    "workforce.handover_on_joining",
]


def apply_knobs(scenario: Scenario, knobs: list[Knob], u: np.ndarray) -> Scenario:
    """``scenario`` with each knob set to position ``u[i]`` of its prior range (:func:`apply_values`)."""
    return apply_values(scenario, knobs, [knob.value(float(x)) for knob, x in zip(knobs, u)])


def apply_values(scenario: Scenario, knobs: list[Knob], values) -> Scenario:
    """``scenario`` with each knob set to ``values[i]``.

    Every key a knob touches starts from its documented default, not from the scenario's
    current value, so the result never depends on an earlier fit.
    """
    raw = scenario.raw()
    for key in {k.key for k in knobs}:
        raw[key] = copy.deepcopy(PARAMS[key].default)
        if PARAMS[key].kind == "dist":
            raw[key] = dict(raw[key])
    fixed: dict[str, dict[str, float]] = {}
    for knob, v in zip(knobs, values):
        v = float(v)
        kind = PARAMS[knob.key].kind
        if knob.part is None:
            raw[knob.key] = round(v) if kind == "int" else v
        elif kind == "dist":
            table = raw[knob.key]
            if table.get("dist") == "lognormal" and knob.part == "median":
                table["p90"] = v * table["p90"] / table["median"]
            table[knob.part] = v
        elif kind == "probs":
            fixed.setdefault(knob.key, {})[knob.part] = v
        elif knob.part == "*":
            raw[knob.key] = {band: min(1.0, p * v) for band, p in raw[knob.key].items()}
    for key, parts in fixed.items():
        raw[key] = _rescale(raw[key], parts)
    return scenario.with_values({key: raw[key] for key in {k.key for k in knobs}})


def _rescale(table: dict[str, float], fixed: dict[str, float]) -> dict[str, float]:
    """Set the ``fixed`` outcomes and share what is left among the others in their old proportions."""
    total_fixed = sum(fixed.values())
    if total_fixed > 0.98:  # keep room for the other outcomes
        fixed = {k: v * 0.98 / total_fixed for k, v in fixed.items()}
        total_fixed = 0.98
    others = {k: v for k, v in table.items() if k not in fixed}
    rest = sum(others.values())
    out = {}
    for k in table:
        out[k] = fixed[k] if k in fixed else (others[k] * (1.0 - total_fixed) / rest if rest > 0 else 0.0)
    return out


def knob_named(name: str) -> Knob:
    for k in KNOBS:
        if k.name == name:
            return k
    raise CalibrationError(f"no calibration parameter '{name}'; known: {', '.join(k.name for k in KNOBS)}")


@dataclass
class Settings:
    """How hard to try: design size, waves, scale of the design runs, replications at the end.

    ``reps`` replications of the chosen point (and as many of the plausible ensemble) make the
    report: at 12, the means of the smaller measures (adoptions, about 70 a year) still moved the
    error by one or two points between seeds.  Choosing between the emulator's best point and the
    waves' centres, and the trials of year-to-year variation, compare runs on the same seeds, so
    they use the first ``trial_reps`` of them."""

    waves: int = 4
    runs_per_wave: int = 56
    replicates: int = 3
    scale: float = 0.25
    reps: int = 24
    knobs: tuple[str, ...] = tuple(k.name for k in KNOBS)
    trial_reps: int = 12

    @classmethod
    def quick(cls) -> "Settings":
        return cls(waves=3, runs_per_wave=20, replicates=3, scale=0.25, reps=4, knobs=tuple(QUICK_KNOBS), trial_reps=4)

    @property
    def budget(self) -> int:
        return self.waves * (self.runs_per_wave + self.replicates)

    def with_budget(self, budget: int) -> "Settings":
        """The same settings with the runs per wave set so that the waves use about ``budget`` runs."""
        per_wave = max(8, budget // self.waves - self.replicates)
        return Settings(self.waves, per_wave, self.replicates, self.scale, self.reps, self.knobs, self.trial_reps)


@dataclass(frozen=True)
class Variation:
    """One channel's estimate: its size, and the spreads it was estimated from."""

    channel: str
    measure: str
    sd: float
    observed: float  # the published series' year-to-year spread
    without: float  # the simulated spread with no year-to-year variation (the simulator's own noise)
    trial: float  # the simulated spread with this channel alone at its trial size
    achieved: float = math.nan  # the simulated spread with every channel at its estimated size


@dataclass
class Fit:
    """What a calibration found: the chosen point, the history matching behind it, and the full-scale
    replications that judge it."""

    knobs: list[Knob]
    result: hm.Result
    scenario: Scenario  # the base scenario with the chosen values
    targets: pd.DataFrame  # the fitting rows used
    per_rep: pd.DataFrame  # full-scale replications at the chosen point: rep, measure, year, value
    ensemble: pd.DataFrame  # full-scale replications, each at a point drawn from the plausible (NROY) space
    settings: Settings
    seconds: float
    seed: int
    workers: int = 1
    chosen: np.ndarray | None = None  # the shipped point (unit cube)
    chosen_from: str = ""
    losses: list[float] | None = None  # simulated loss: the emulator's best, then each wave's centre
    variation: dict[str, Variation] | None = None  # year-to-year variation, by channel
    jump_off: dict[str, float] | None = None  # the last fitted year's realised shifts (calibrate.jump_off_factors)
