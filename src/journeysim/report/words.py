"""The scenario in plain words, and the alt text that describes each figure's numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..scenario import Scenario


def _date(d: dt.date | None) -> str:
    return "never" if d is None else f"{d.day} {d:%B %Y}"


def scenario_events(s: Scenario) -> list[tuple[dt.date, str]]:
    """The scenario's dated changes to the service, in date order."""
    out: list[tuple[dt.date, str]] = []
    for district, when in sorted(s["teams.cast_start_by_district"].items()):
        if when is not None:
            out.append((when, f"district {district} switches to CAST teams (operating model B)"))
    if s["teams.cast_start"] is not None:
        out.append((s["teams.cast_start"], "the other districts switch to CAST teams"))
    if s["mash.hold_longer_start"] is not None:
        out.append((s["mash.hold_longer_start"], "the MASH starts holding cases longer before referral"))
    if s["care.reunification_drive_start"] is not None:
        out.append((s["care.reunification_drive_start"], "the reunification drive starts"))
    if s["practice.model_start"] is not None:
        out.append((s["practice.model_start"], "the strengths-based practice model takes effect"))
    for drive in s["workforce.drives"]:
        out.append((drive["date"], f"a recruitment drive adds {drive['posts']} social worker posts"))
    if s["hubs.count"] and s["hubs.start"] is not None:
        out.append((s["hubs.start"], f"the first of {s['hubs.count']} multi-disciplinary hubs opens "
                                     f"(one every {s['hubs.stagger_days']} days)"))
    return sorted(out, key=lambda e: e[0])


def scenario_paragraphs(s: Scenario, manifest: dict) -> list[str]:
    """A few sentences a planner can read: what was run, over what period, with what changes."""
    start, end = s["run.start"], s["run.end"] - dt.timedelta(days=1)
    reps = manifest.get("replications", len(manifest.get("event_logs", [])))
    paras = []
    if s["description"]:
        paras.append(s["description"])
    size = "Hampshire's size" if s["run.scale"] == 1 else f"{100 * s['run.scale']:g}% of Hampshire's size"
    paras.append(
        f"The scenario '{s.name}' plays the county's children's social care service from {_date(start)} to "
        f"{_date(end)} at {size}, after {s['run.warmup_days']} days of warm-up that are simulated but not reported. "
        f"It was run {reps} time{'s' if reps != 1 else ''} with different random numbers "
        f"(seed {manifest.get('seed', '?')}); the figures show the spread across those replications."
    )
    model = "CAST teams (operating model B)" if _all_cast_from_start(s) else (
        "Referral & Assessment, Child in Need and Children in Care teams (operating model A)")
    changes = scenario_events(s)
    text = f"The service starts with {model}."
    if changes:
        text += " Then, in order: " + "; ".join(f"on {_date(d)}, {what}" for d, what in changes) + "."
    else:
        text += " Nothing about the service changes during the run."
    paras.append(text)
    cap = s["workforce.hard_cap"]
    paras.append(
        f"Social workers prefer not to go above {s['workforce.soft_cap']} children each"
        + (f" and may never hold more than {cap}; new work waits for a place." if cap else
           "; there is no hard cap, so no new work waits for a worker with room.")
    )
    if s.overrides or manifest.get("overrides"):
        paras.append("Changed for this run only: " + ", ".join(manifest.get("overrides") or s.overrides) + ".")
    return paras


def _all_cast_from_start(s: Scenario) -> bool:
    start = s["run.start"] - dt.timedelta(days=s["run.warmup_days"])
    return s["teams.cast_start"] is not None and s["teams.cast_start"] <= start


def number(x: float, decimals: int = 0) -> str:
    """A number for prose: thousands separated, '-' when missing."""
    return "-" if pd.isna(x) else f"{x:,.{decimals}f}"


def fan_alt(title: str, data: pd.DataFrame, decimals: int) -> str:
    """Alt text of a fan chart: the simulated path and the observed points in words."""
    sim = data.dropna(subset=["mean"])
    if sim.empty:
        return f"{title}: no simulated values in the reported years."
    first, last = sim.iloc[0], sim.iloc[-1]
    text = (f"Line chart of {title.lower()} by financial year. Simulated mean {number(first['mean'], decimals)} in "
            f"{first['year']} and {number(last['mean'], decimals)} in {last['year']} (90% interval "
            f"{number(last['p5'], decimals)} to {number(last['p95'], decimals)}).")
    obs = data.dropna(subset=["observed"])
    if not obs.empty:
        text += " Observed Hampshire figures: " + ", ".join(
            f"{y} {number(v, decimals)}" for y, v in zip(obs["year"], obs["observed"])) + "."
    return text
