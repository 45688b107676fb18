"""The practice-quality mechanism: engagement, and the chance of positive change.

A family's engagement is a logistic function of what the service does::

    logit(engagement) = logit(base_engagement)
                        + model_effect        (after the practice model is adopted)
                        - handoff_penalty  x  changes of worker in this journey
                        - caseload_penalty x  max(0, caseload / caseload_reference - 1)
                        + hub_effect          (intensive hub support received)
                        + specialist_effect   (a toxic-trio family seen by a hub specialist)

and the chance of positive change is ``p_change_disengaged + (p_change_engaged -
p_change_disengaged) x engagement``.  Positive change decides how plans end and
whether a closed family comes back.  Defaults and their evidence: docs/model.md.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def engagement(w: "World", case: "Case") -> float:
    p = w.p.practice
    x = logit(p.base_engagement)
    if w.active(p.model_start):
        x += p.model_effect
    x -= p.handoff_penalty * case.handoffs
    worker = next((c.worker for c in case.children if c.worker is not None), None)
    if worker is not None:
        x -= p.caseload_penalty * max(0.0, worker.load / p.caseload_reference - 1.0)
    if case.hub_support:
        x += p.hub_effect
        if case.specialist:
            x += p.specialist_effect
    return 1.0 / (1.0 + math.exp(-x))


def assess_change(w: "World", case: "Case") -> float:
    """Draw whether the family made positive change; record it on the case; return engagement."""
    p = w.p.practice
    e = engagement(w, case)
    chance = p.p_change_disengaged + (p.p_change_engaged - p.p_change_disengaged) * e
    case.positive_change = w.streams["practice"].uniform() < chance
    return e
