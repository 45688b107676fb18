"""The practice-quality mechanism: engagement, and the chance of positive change.

A family's engagement is a logistic function of what the service does::

    logit(engagement) = logit(base_engagement)
                        + model_effect        (after the practice model is adopted)
                        - handoff_penalty  x  changes of worker in this journey
                        - caseload_penalty x  max(0, caseload x PA weight / caseload_reference - 1)
                        + hub_effect          (intensive hub support received)
                        + specialist_effect   (a toxic-trio family seen by a specialist: a hub's or a FIT's)

and the chance of positive change is ``p_change_disengaged + (p_change_engaged -
p_change_disengaged) x engagement``.  Positive change decides how plans end and
whether a closed family comes back.  The PA weight (1 without personal assistants) is
:func:`pa_time_weight`.  Defaults and their evidence: docs/model.md.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..scenario import section_type
from .years import odds_shift

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("practice", "workforce.pa_pilot_start", "workforce.pa_pilot_ratio", "workforce.pa_start",
                      "workforce.pa_ratio", "responses.full_caseload")


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


#: The PA ratio at which 003 measured the time freed (one PA per three social workers).
PA_PILOT_RATIO = 1 / 3


def pa_ratio(w: "World") -> float:
    """PAs per social worker now: ``workforce.pa_ratio`` once PA support is extended, the pilot's
    ``workforce.pa_pilot_ratio`` from its start, else none."""
    p = w.params.practice
    if w.active(p.workforce_pa_start):
        return p.workforce_pa_ratio
    return p.workforce_pa_pilot_ratio if w.active(p.workforce_pa_pilot_start) else 0.0


def pa_time_weight(w: "World") -> float:
    """Weight on a caseload for the time PAs free: family time without PAs / family time now.

    ``family_time / share``, where the share rises from ``family_time`` towards
    ``family_time_with_pa`` in proportion to the PA ratio (:func:`pa_ratio`), up to one PA per
    three workers (003: 34% -> 58%, so a weight of 0.59); 1 without PAs.
    """
    p = w.params.practice
    reach = min(1.0, pa_ratio(w) / PA_PILOT_RATIO)
    if reach <= 0.0:
        return 1.0
    share = p.family_time + (p.family_time_with_pa - p.family_time) * reach
    return p.family_time / share if share > 0 else 1.0


def excess(w: "World") -> float:
    """How far over full the service is: max(0, pressure / ``responses.full_caseload`` - 1), where
    pressure is the county's children held or waiting per social worker in post, weighted for PA
    time.  The responses of a full service act in proportion to it."""
    pressure = w.workforce.pressure() * pa_time_weight(w)
    return max(0.0, pressure / w.params.practice.responses_full_caseload - 1.0)


def specialist_odds(w: "World", case: "Case", decision: str) -> float:
    """The odds ratio that specialists working with the family now put on a risk ``decision``:
    ``cp`` (a section 47 enquiry leading to a conference, a conference making a CP plan) or
    ``care`` (the decisions that take a child into care); 1 without specialists."""
    if not case.with_specialist:
        return 1.0
    p = w.params.practice
    return p.specialist_cp_odds if decision == "cp" else p.specialist_care_odds


def with_odds(probs: dict[str, float], chosen: tuple[str, ...], ratio: float) -> dict[str, float]:
    """``probs`` with the odds of the ``chosen`` outcomes together multiplied by ``ratio``, each of
    them and each of the others keeping its share of its side."""
    if ratio == 1.0:
        return probs
    q = sum(probs[k] for k in chosen)
    q2 = odds_shift(q, ratio) if q < 1 else 1.0
    return {k: (v * q2 / q if q > 0 else 0.0) if k in chosen else (v * (1 - q2) / (1 - q) if q < 1 else 0.0)
            for k, v in probs.items()}


def between(probs: dict[str, float], lower: str, higher: str, ratio: float) -> dict[str, float]:
    """``probs`` with the odds of ``higher`` against ``lower`` multiplied by ``ratio``, the two
    together keeping their total and every other outcome its probability: a threshold between two
    responses moving, with the children it concerns still found in need."""
    if ratio == 1.0:
        return probs
    total = probs[lower] + probs[higher]
    if total <= 0.0:
        return probs
    up = total * odds_shift(probs[higher] / total, ratio)
    return {**probs, lower: total - up, higher: up}


def engagement(w: "World", case: "Case") -> float:
    """The family's engagement now (the formula above)."""
    p = w.params.practice
    x = logit(p.base_engagement)
    if w.active(p.model_start):
        x += p.model_effect
    x -= p.handoff_penalty * case.handoffs
    worker = next((c.worker for c in case.children if c.worker is not None), None)
    if worker is not None:
        x -= p.caseload_penalty * max(0.0, worker.load * pa_time_weight(w) / p.caseload_reference - 1.0)
    if case.hub_support:
        x += p.hub_effect
    if case.specialist:
        x += p.specialist_effect
    return 1.0 / (1.0 + math.exp(-x))


def assess_change(w: "World", case: "Case") -> float:
    """Draw whether the family made positive change; record it on the case; return engagement."""
    p = w.params.practice
    e = engagement(w, case)
    chance = p.p_change_disengaged + (p.p_change_engaged - p.p_change_disengaged) * e
    case.positive_change = w.streams["practice"].uniform() < chance
    return e
