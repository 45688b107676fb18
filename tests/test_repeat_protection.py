"""The assessment's conclusion: the child protection threshold's drift between a CIN plan and a
strategy discussion (assessment.strategy_trend_per_year), and for a child with an earlier CP plan
the odds ratio on a strategy discussion (assessment.prior_cp_strategy_odds) and its drift over the
years (assessment.prior_cp_trend_per_year), worked by hand on the default outcome probabilities."""

from __future__ import annotations

import datetime as dt
import math
import types
from types import SimpleNamespace

import pytest

from journeysim.model.assessment import assessment_outcome
from journeysim.model.world import World

OUTCOME = {"not_in_need": 0.29, "early_help": 0.13, "cin_plan": 0.34, "strategy_discussion": 0.24}
START = dt.date(2014, 4, 1)


class _Recorder:
    """A stream that records the probabilities it is asked to draw from."""

    def __init__(self) -> None:
        self.probs: dict[str, float] = {}

    def outcome(self, probs: dict[str, float]) -> str:
        self.probs = dict(probs)
        return "cin_plan"


def _probs(years: float, prior_cp: bool, trend: float, odds: float = 2.0, threshold: float = 0.0) -> dict[str, float]:
    """The outcome probabilities an assessment draws from ``years`` after run.start."""
    stream = _Recorder()
    params = SimpleNamespace(
        run=SimpleNamespace(start=START),
        assessment=SimpleNamespace(outcome=OUTCOME, strategy_trend_per_year=threshold, prior_cp_strategy_odds=odds,
                                   responses_threshold_elasticity=0.0,
                                   prior_cp_trend_per_year=trend))
    w = SimpleNamespace(params=params, env=SimpleNamespace(now=years * 365.25), streams={"assessment": stream},
                        years=SimpleNamespace(factor=lambda channel, now: 1.0), day_of=lambda date: 0.0)
    w.trend = types.MethodType(World.trend, w)  # the model's own drift: exp(rate x years since run.start)
    case = SimpleNamespace(children=[SimpleNamespace(cp_plans=1 if prior_cp else 0)])
    assessment_outcome(w, case)
    return stream.probs


def test_an_earlier_cp_plan_raises_the_odds_of_a_strategy_discussion():
    # OR 2 on s = 0.24: s' = 0.48 / (0.76 + 0.48) = 0.38710; the rest share 1 - s' as before
    probs = _probs(0.0, prior_cp=True, trend=0.0)
    assert probs["strategy_discussion"] == pytest.approx(0.48 / 1.24)
    assert probs["cin_plan"] == pytest.approx(0.34 * (1 - 0.48 / 1.24) / 0.76)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert _probs(3.0, prior_cp=False, trend=0.2) == pytest.approx(OUTCOME)  # no earlier plan: no change


def test_repeat_protection_drifts_by_its_trend_per_year():
    # two years on at 0.1 a year: OR = 2 e^0.2 = 2.44281, s' = 0.58627 / (0.76 + 0.58627) = 0.43548
    probs = _probs(2.0, prior_cp=True, trend=0.1)
    assert probs["strategy_discussion"] == pytest.approx(0.435478, abs=1e-6)
    assert sum(probs.values()) == pytest.approx(1.0)
    # the drift counts from run.start: none at the start, below the plain odds ratio before it (warm-up)
    assert _probs(0.0, prior_cp=True, trend=0.1) == pytest.approx(_probs(0.0, prior_cp=True, trend=0.0))
    assert _probs(-1.0, prior_cp=True, trend=0.1)["strategy_discussion"] < 0.48 / 1.24
    # with the threshold's drift as well, the repeat odds act on the probabilities the threshold left
    both = _probs(2.0, prior_cp=True, trend=0.1, threshold=-0.1)
    alone = _probs(2.0, prior_cp=False, trend=0.1, threshold=-0.1)
    s = alone["strategy_discussion"]
    odds = 2.0 * math.exp(0.2)
    assert both["strategy_discussion"] == pytest.approx(odds * s / (1 - s + odds * s))
    assert sum(both.values()) == pytest.approx(1.0)


def test_the_threshold_moves_children_between_a_cin_plan_and_child_protection():
    # two years on at -0.1 a year: the pair (CIN plan 0.34, strategy 0.24) keeps its 0.58; within it the
    # strategy share 0.24/0.58 = 0.413793 has its odds times e^-0.2: 0.338783 / 0.924990 = 0.366256
    probs = _probs(2.0, prior_cp=False, trend=0.0, threshold=-0.1)
    assert probs["strategy_discussion"] == pytest.approx(0.58 * 0.366256, abs=1e-6)
    assert probs["cin_plan"] == pytest.approx(0.58 * (1 - 0.366256), abs=1e-6)
    # the children the threshold no longer reaches stay in need: not-in-need and early help unchanged
    assert probs["not_in_need"] == pytest.approx(0.29) and probs["early_help"] == pytest.approx(0.13)
    assert sum(probs.values()) == pytest.approx(1.0)
    # no drift at run.start; a rising threshold (positive drift) the other way
    assert _probs(0.0, prior_cp=False, trend=0.0, threshold=-0.1) == pytest.approx(OUTCOME)
    assert _probs(2.0, prior_cp=False, trend=0.0, threshold=0.1)["strategy_discussion"] > 0.24
