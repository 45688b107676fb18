"""One replication: the parts of the service wired together, the dated changes scheduled, and the run played.

:func:`simulate` is the model's one entry point: a scenario and a seed in, an event log out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..engine import collector_paused
from ..eventlog import EventLog
from ..events import Event
from ..scenario import Scenario, section
from . import (allocation, arrivals, assessment, care, closure, early_help, edge_of_care, frontdoor, journey, plans,
               population, practice, referral, stock, support, teams, workforce, world, years)


@dataclass(frozen=True, slots=True)
class Parameters:
    """Every part's parameters, each a frozen section of the scenario that the part declares."""

    run: world.Params
    population: population.Params
    arrivals: arrivals.Params
    frontdoor: frontdoor.Params
    referral: referral.Params
    journey: journey.Params
    assessment: assessment.Params
    plans: plans.Params
    care: care.Params
    closure: closure.Params
    stock: stock.Params
    practice: practice.Params
    support: support.Params
    early_help: early_help.Params
    edge_of_care: edge_of_care.Params
    teams: teams.Params
    workforce: workforce.Params
    allocation: allocation.Params
    years: years.Params

    @classmethod
    def of(cls, scenario: Scenario) -> "Parameters":
        return cls(run=section(scenario, world.Params), population=section(scenario, population.Params),
                   arrivals=section(scenario, arrivals.Params), frontdoor=section(scenario, frontdoor.Params),
                   referral=section(scenario, referral.Params), journey=section(scenario, journey.Params),
                   assessment=section(scenario, assessment.Params), plans=section(scenario, plans.Params),
                   care=section(scenario, care.Params), closure=section(scenario, closure.Params),
                   stock=section(scenario, stock.Params), practice=section(scenario, practice.Params),
                   support=section(scenario, support.Params), early_help=section(scenario, early_help.Params),
                   edge_of_care=section(scenario, edge_of_care.Params), teams=section(scenario, teams.Params),
                   workforce=section(scenario, workforce.Params), allocation=section(scenario, allocation.Params),
                   years=section(scenario, years.Params))


#: The process that plays each stage of the pathway (:data:`journeysim.pathway.STAGES`).
STAGE_PROCESSES = {
    "referral": referral.referral,
    "loaded": stock.loaded,
    "uasc": care.uasc,
    "assessment": assessment.assessment,
    "strategy": assessment.strategy,
    "s47": assessment.s47,
    "icpc": assessment.icpc,
    "cin": plans.cin,
    "cp": plans.cp,
    "care": care.enter_care,
}


def build(params: Parameters, seed: int, log: EventLog) -> world.World:
    """A world with every part of the service in it, nothing yet started."""
    w = world.World(params, seed, log)
    w.teams = teams.Teams(w)
    w.workforce = workforce.Workforce(w)
    w.allocation = allocation.Allocation(w)
    w.support = support.Support(w)
    w.early_help = early_help.EarlyHelp(w)
    w.edge_of_care = edge_of_care.EdgeOfCare(w)
    w.years = years.YearEffects(w, seed)
    w.frontdoor = frontdoor.FrontDoor(w)
    w.journeys = journey.Journeys(w, STAGE_PROCESSES)
    return w


def simulate(scenario: Scenario, seed: int, path: str | Path | None = None, metadata: dict[str, str] | None = None,
             until: float | None = None, log_thread: bool | None = None) -> EventLog:
    """Run one replication; return its (closed) event log, streamed to ``path`` when given (by a thread
    of its own when ``log_thread``; None: when this process may use more than one core)."""
    params = Parameters.of(scenario)
    start = params.run.start - dt.timedelta(days=params.run.warmup_days)
    meta = {"journeysim.start_date": start.isoformat(), "journeysim.report_start": params.run.start.isoformat(),
            "journeysim.end_date": params.run.end.isoformat()}
    meta.update(metadata or {})
    log = EventLog(start, path, meta, thread=log_thread)
    with collector_paused():  # the model's objects form no cycles: see journeysim.engine.collector_paused
        play(build(params, seed, log), until)
    return log


def play(w: world.World, until: float | None = None) -> None:
    """Start everything, run to the end (or to day ``until``), and close the log."""
    first = "B" if all(w.active(w.teams.cast_date(d)) for d in range(w.districts)) else "A"
    w.event(Event.RUN_STARTED, outcome=first)
    w.workforce.staff_initially()
    schedule_changes(w)
    stock.load(w)
    w.start(arrivals.contacts(w))
    w.start(arrivals.uasc(w))
    w.start(w.teams.rota())
    a = w.params.allocation
    if a.teams_rebalance_over > 0 or a.responses_queue_agency > 0:
        w.start(w.allocation.reviews())
    w.env.run(until=until if until is not None else w.cal.horizon)
    w.log.close()
    w.dispose()


def schedule_changes(w: world.World) -> None:
    """The dated parts of the Hampshire Approach, each switched on at its date (never, if 'never')."""
    for d in range(w.districts):
        when = w.day_of(w.teams.cast_date(d))
        if when < w.cal.horizon:
            w.at(when, w.teams.switch_to_cast, d)
    when = w.day_of(w.params.practice.model_start)
    if when < w.cal.horizon:
        w.at(when, w.event, Event.PRACTICE_MODEL_ADOPTED)
    for drive in w.params.workforce.drives:
        when = w.day_of(drive["date"])
        if when < w.cal.horizon:
            w.at(when, w.workforce.add_posts, round(drive["posts"] * w.params.run.scale), drive["nq_share"])
    w.support.schedule_openings()
