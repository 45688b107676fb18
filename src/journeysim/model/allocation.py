"""Who holds which child: allocation to a worker, waiting for a place, and every change of worker.

A journey's children are allocated to one worker of a team (the one with most room for their
cap, :meth:`~journeysim.engine.Pool.pick`).  Under a hard cap (``workforce.hard_cap``) a child
may have to wait for a place; the team serves its waiting list as places free up.

A journey changes worker when:

- it moves on to a plan or into care under operating model A, and is handed to the CIN or
  Children in Care team (``team_transfer``; :meth:`Allocation.stage_change`);
- its worker leaves (``worker_left``; :mod:`journeysim.model.workforce`);
- at a stage change, with chance ``teams.reallocation_p``, or at any time, at rate
  ``teams.reallocation_rate`` a year, within the team (``reallocation``: absence, workload
  balancing, reorganisation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine import Timers
from ..scenario import section_type
from .entities import Case, Child
from .teams import Team, Worker

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type(None, "workforce.hard_cap", "teams.ra_keeps_cin_p", "teams.reallocation_rate",
                      "teams.reallocation_p")


class Allocation:
    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = w.params.allocation
        self.hard_cap = self.p.workforce_hard_cap
        self.rs = w.streams["workforce"]
        # the time to each journey's next reallocation: void once it changes worker or closes
        self.reallocations = Timers(w.env, self._reallocation_due, _still_allocated)

    def allocate(self, case: Case, children: list[Child], team: Team, reason: str):
        """Process: give ``children`` (of one case) a worker in ``team``, waiting for a place under a hard cap."""
        worker = team.pick(len(children), None, self.hard_cap)
        if worker is None:
            ready = self.w.signal()
            team.waiting.append((case, children, reason, ready))
            yield ready
            return
        self._assign(case, children, worker, reason)

    def _assign(self, case: Case, children: list[Child], worker: Worker, reason: str) -> None:
        w = self.w
        moving = [c for c in children if c.worker is not worker]
        if not moving:
            return
        if reason != "new_case":
            case.handoffs += 1
        case.allocations += 1
        rate = self.p.teams_reallocation_rate
        if rate > 0:
            self.reallocations.set(self.rs.exponential(365.25 / rate), case, case.allocations)
        freed = []
        for child in moving:
            old = child.worker
            if old is not None:
                old.team.discard(old, child)
                freed.append(old)
            child.worker = worker
            worker.team.add(worker, child)
            w.worker_allocated(case, child, worker, reason)
        if self.hard_cap:  # places freed by children moving away may let waiting work in
            for team in {id(t): t for t in (c.team for c in freed)}.values():
                self.serve_waiting(team)

    def _reallocation_due(self, case: Case, allocation: int) -> None:
        """The journey's worker changes within the team (absence, workload balancing); the timer
        is void if the case has closed or changed worker since it was drawn."""
        children = [c for c in case.children if c.worker is not None]
        if not children:
            return
        worker = children[0].worker
        target = worker.team.pick(len(children), worker, self.hard_cap)
        if target is not None:
            self._assign(case, [c for c in children if c.worker is worker], target, "reallocation")

    def serve_waiting(self, team: Team) -> None:
        """Allocate the work waiting in ``team`` for a place, first come first served, while places last."""
        while team.waiting:
            case, children, reason, ready = team.waiting[0]
            live = [c for c in children if c in case.children]
            if not live:
                team.waiting.pop(0)
                ready.succeed()
                continue
            worker = team.pick(len(live), None, self.hard_cap)
            if worker is None:
                return
            team.waiting.pop(0)
            self._assign(case, live, worker, reason)
            ready.succeed()

    def release(self, child: Child) -> None:
        """``child``'s journey has closed: their worker lets go of them."""
        worker = child.worker
        if worker is not None:
            worker.team.discard(worker, child)
            child.worker = None
            self.serve_waiting(worker.team)

    def move_to(self, case: Case, children: list[Child], team: Team, reason: str):
        """Process: hand children to ``team`` unless their worker is already in it."""
        if all(c.worker is not None and c.worker.team is team for c in children):
            return
        yield from self.allocate(case, children, team, reason)

    def stage_change(self, case: Case, children: list[Child], stage: str):
        """Process: what happens to the allocation when a journey moves on to ``stage`` (cin, cp, care).

        Under model A, a plan goes to a CIN team (unless the R&A team keeps a CIN case, with
        chance ``teams.ra_keeps_cin_p``) and care to the Children in Care team.  Otherwise the
        worker may change within the team (``teams.reallocation_p``)."""
        d = case.district
        if not children:
            return
        teams = self.w.teams
        if teams.model[d] == "A":
            if stage in ("cin", "cp"):
                kind = children[0].worker.team.kind if children[0].worker else None
                stays = kind == "CIN" or (kind == "RA" and stage == "cin" and self.rs.uniform() < self.p.teams_ra_keeps_cin_p)
                if not stays:
                    yield from self.allocate(case, children, teams.plan_team(d), "team_transfer")
                    return
            elif stage == "care":
                yield from self.move_to(case, children, teams.care_team(d), "team_transfer")
                return
        worker = children[0].worker
        if worker is not None and self.rs.uniform() < self.p.teams_reallocation_p:
            target = worker.team.pick(len(children), worker, self.hard_cap)
            if target is not None:
                self._assign(case, children, target, "reallocation")


def _still_allocated(case: Case, allocation: int) -> bool:
    """Whether ``case`` is open and has not changed worker since its ``allocation``-th allocation."""
    return not case.closed and case.allocations == allocation
