"""The levers planners ask for, as plain controls: which scenario keys each one sets, in what words.

Units, ranges and meanings are not written here: each control reads them from the parameter
schema (:data:`journeysim.scenario.PARAMS`), so that the app, ``journeysim describe`` and
the checks of ``journeysim validate`` never disagree.  :func:`changes` turns the values a
planner chose into the keys a scenario file must set (only those that differ from the base);
recruitment drives are added as rows by :meth:`journeysim.app.draft.Draft.with_drives`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..scenario import NEVER, PARAMS, Scenario, ScenarioError


@dataclass(frozen=True)
class Lever:
    """One control: the scenario key it sets and its label; ``percent``: a multiplier shown as a % change."""

    key: str
    label: str
    percent: bool = False

    @property
    def kind(self) -> str:
        return PARAMS[self.key].kind

    @property
    def unit(self) -> str:
        return "%" if self.percent else PARAMS[self.key].unit

    def bounds(self) -> tuple[float | None, float | None]:
        """The documented range, in the control's units (None: unbounded)."""
        p = PARAMS[self.key]
        lo, hi = (0.0, 1.0) if p.kind == "prob" else (p.lo, p.hi)
        if self.percent:
            return tuple(None if b is None else round((b - 1) * 100, 6) for b in (lo, hi))
        return lo, hi

    def help(self) -> str:
        """The parameter's meaning and its range: the control's tooltip."""
        lo, hi = self.bounds()
        where = f" Allowed: {lo:g} to {hi:g}{' ' + self.unit if self.unit else ''}." if lo is not None else ""
        return f"{PARAMS[self.key].doc}{where} (scenario key {self.key})"

    def shown(self, value: Any) -> Any:
        """A scenario value as the control shows it ('never' dates as None, multipliers as % change)."""
        if self.kind == "cdate":
            return None if value in (None, NEVER) else value
        if self.percent:
            return round((value - 1) * 100, 6)
        return value

    def stored(self, value: Any) -> Any:
        """A control's value as the scenario file stores it."""
        if self.kind == "cdate":
            return NEVER if value is None else value
        if self.percent:
            return round(1 + value / 100, 10)
        if self.kind == "int":
            return int(value)
        return float(value) if self.kind in ("float", "prob") else value


#: The levers by group, in the order the page shows them.
GROUPS: dict[str, list[Lever]] = {
    "Caseload cap": [Lever("workforce.hard_cap", "Most children per social worker (0 = no cap)"),
                     Lever("workforce.hard_cap_start", "Cap applies from")],
    "Intake rota": [Lever("teams.cast_teams", "CAST teams per district")],
    "Hubs": [Lever("hubs.start", "First hub opens"),
             Lever("hubs.count", "Hubs"),
             Lever("hubs.family_workers", "Family support workers per hub"),
             Lever("hubs.families_per_worker", "Families per family support worker")],
    "MASH holding time": [Lever("mash.hold_longer_start", "MASH holds cases longer from")],
    "Referral surge": [Lever("arrivals.surge_start", "Surge starts"),
                       Lever("arrivals.surge_factor", "Size: more contacts about new families", percent=True)],
    "Recruitment freeze": [Lever("workforce.freeze_start", "Freeze starts"),
                           Lever("workforce.freeze_end", "Freeze ends")],
    "PA support": [Lever("workforce.pa_start", "PA support extended from"),
                   Lever("workforce.pa_ratio", "PAs per social worker")],
    "Reunification drive": [Lever("care.reunification_drive_start", "Drive starts"),
                            Lever("care.reunification_drive_factor", "Chance of a path home during the drive",
                                  percent=True)],
    "Unit costs": [Lever(key, PARAMS[key].doc.split(" (")[0].split(". ")[0].rstrip("."))
                   for key in PARAMS if key.startswith("costs.")],
}

#: Every lever by key.
LEVERS: dict[str, Lever] = {lever.key: lever for group in GROUPS.values() for lever in group}

#: The MASH's screening time once it holds cases longer: a lognormal given by its median and 90th percentile.
MASH_HOLD = "mash.screening_hold_longer"


def changes(base: Scenario, chosen: dict[str, Any]) -> dict[str, Any]:
    """The scenario keys to set for the control values ``chosen`` (lever key -> value as shown, and
    :data:`MASH_HOLD` -> (median, p90) in days, ``teams.intake_rota`` -> teams on intake each week):
    only those that differ from ``base``."""
    raw = base.raw()
    out: dict[str, Any] = {}
    for key, value in chosen.items():
        if key == MASH_HOLD:
            median, p90 = value
            stored = {"dist": "lognormal", "median": float(median), "p90": float(p90)}
        elif key == "teams.intake_rota":
            teams = int(chosen.get("teams.cast_teams", base["teams.cast_teams"]))
            stored = intake_rota(teams, int(value))
        else:
            stored = LEVERS[key].stored(value)
        if _differs(raw[key], stored):
            out[key] = stored
    return out


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        try:
            return abs(float(old) - float(new)) > 1e-9 * max(1.0, abs(float(old)))
        except (TypeError, ValueError):
            return True
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() != new.keys() or any(_differs(old[k], new[k]) for k in old)
    return old != new


def intake_rota(cast_teams: int, per_week: int) -> list[list[int]]:
    """The rota with ``per_week`` of ``cast_teams`` CAST teams on intake each week, in turn: [] (the schema's
    one team a week in turn) for one; [[1, 2], [3, 4]] for two of four.  ScenarioError unless ``per_week``
    divides ``cast_teams``."""
    if per_week < 1 or per_week > cast_teams or cast_teams % per_week:
        raise ScenarioError(f"teams.intake_rota: {per_week} teams on intake each week does not divide "
                            f"{cast_teams} CAST teams into whole weeks; choose a number that divides it")
    if per_week == 1:
        return []
    teams = list(range(1, cast_teams + 1))
    return [teams[i:i + per_week] for i in range(0, cast_teams, per_week)]


def teams_per_week(scenario: Scenario) -> int:
    """Teams on intake in the rota's first week (1 for the default rota)."""
    rota = scenario["teams.intake_rota"]
    return len(rota[0]) if rota else 1


def hub_places(values: dict[str, Any]) -> int:
    """Families that the hubs' family support workers can support at once, at Hampshire's size."""
    return int(values["hubs.count"]) * int(values["hubs.family_workers"]) * int(values["hubs.families_per_worker"])


def new_drive(posts: int, date: dt.date, nq_share: float) -> dict:
    """One recruitment drive row, as the scenario stores it."""
    return {"date": date, "posts": int(posts), "nq_share": float(nq_share)}
