"""Who holds which child: allocation to a worker, waiting for a place, and every change of worker.

A journey's children are allocated to one worker of a team (the one with most room for their
cap, :meth:`~journeysim.engine.Pool.pick`).  Under a hard cap (``workforce.hard_cap``) a child
may have to wait for a place; the team serves its waiting list as places free up.

Every later change of worker has a cause, and the ``reason`` of its ``WorkerAllocated`` event
names it:

- ``team_transfer``: the structure of model A.  A journey moving on to a plan goes from the
  R&A team to a CIN team (unless the R&A team keeps short-term CIN work, with chance
  ``teams.ra_keeps_cin_p``), and a child entering care to the Children in Care team
  (:meth:`Allocation.stage_change`).  Under model B the CAST worker keeps the journey.
- ``permanence``: model B.  A looked-after child whose plan is permanence away from home goes
  from the CAST worker to the Children in Care team ``teams.permanence_days`` after entering
  care (:meth:`Allocation.entered_care`).
- ``leaving_care``: both models.  A looked-after child goes to the Care Leavers team at
  ``teams.care_leavers_age``.
- ``worker_left`` and ``cover_ended``: the worker left (turnover), or was an agency worker
  covering a vacancy whose permanent recruit has arrived (:mod:`journeysim.model.workforce`).
- ``absence``: the worker's long absence; ``absence_over``: back to them after a short one.
- ``rebalancing``: a decision with a trigger, under both models: at the team's caseload review
  (every ``teams.review_days``) a worker over ``teams.rebalance_over`` times their cap hands
  their newest cases to colleagues with room (:meth:`Allocation.review`), and a worker who
  joins a team is handed a share of its caseload (:meth:`Allocation.hand_over_to`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenario import section_type
from .entities import Case, Child
from .teams import Team, Worker

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type(None, "workforce.hard_cap", "workforce.hard_cap_start", "workforce.handover_on_joining",
                      "teams.ra_keeps_cin_p", "teams.permanence_days", "teams.care_leavers_age", "teams.rebalance_over",
                      "teams.review_days", "care.leaving_age", "responses.queue_agency", "responses.manager_holds")


class Allocation:
    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = w.params.allocation
        self.hard_cap = 0  # the caseload no worker may exceed, once workforce.hard_cap_start has come
        self.rs = w.streams["allocation"]
        if self.p.workforce_hard_cap:
            starts = w.day_of(self.p.workforce_hard_cap_start)
            if starts <= 0.0:  # from the start of the run
                self._cap_starts()
            elif starts < w.cal.horizon:
                w.at(starts, self._cap_starts)

    def _cap_starts(self) -> None:
        self.hard_cap = self.p.workforce_hard_cap

    # ---------------------------------------------------------------- allocation
    def allocate(self, case: Case, children: list[Child], team: Team, reason: str):
        """Process: give ``children`` (of one case) a worker in ``team``; under a hard cap, when no worker
        has room, the team manager holds them (``responses.manager_holds``) or they wait for a place."""
        worker = team.pick(len(children), None, self.hard_cap)
        if worker is None and self.p.responses_manager_holds:
            worker = self._manager_with_room(team, len(children))
        if worker is None:
            ready = self.w.signal()
            team.waiting.append((case, children, reason, ready))
            self._queue_grew(team)
            yield ready
            return
        self._assign(case, children, worker, reason)

    def _manager_with_room(self, team: Team, n: int) -> Worker | None:
        """The team's manager, if they may hold ``n`` more children (they join the log the first time)."""
        if team.manager is None:
            team.manager = self.w.workforce.manager(team, self.p.responses_manager_holds)
        manager = team.manager
        return manager if manager.load + n <= manager.cap else None

    def _queue_grew(self, team: Team) -> None:
        """A team with ``responses.queue_agency`` children waiting brings in an agency worker for the queue."""
        threshold = self.p.responses_queue_agency
        if threshold and sum(len(entry[1]) for entry in team.waiting) >= threshold:
            self.w.workforce.queue_cover(team)

    def _assign(self, case: Case, children: list[Child], worker: Worker, reason: str) -> None:
        w = self.w
        moving = [c for c in children if c.worker is not worker]
        if not moving:
            return
        if reason != "new_case":
            case.handoffs += 1
        case.allocations += 1
        freed = []
        for child in moving:
            old = child.worker
            if old is not None:
                old.team.discard(old, child)
                freed.append(old)
            child.worker = worker
            child.since = w.env.now
            worker.team.add(worker, child)
            w.worker_allocated(case, child, worker, reason)
        if self.hard_cap:  # places freed by children moving away may let waiting work in
            for team in {id(t): t for t in (c.team for c in freed)}.values():
                self.serve_waiting(team)

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
        if team.manager is not None and team.manager.held:
            self._from_manager(team)

    def _from_manager(self, team: Team) -> None:
        """The cases the team manager holds go to workers as they have room, the longest held first."""
        manager = team.manager
        while manager.held:
            first = min(manager.held, key=lambda c: (c.since, c.id))
            case = first.family.case
            children = [c for c in case.children if c.worker is manager]
            worker = team.pick(len(children), None, self.hard_cap)
            if worker is None:
                return
            self._assign(case, children, worker, "rebalancing")

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

    # ---------------------------------------------------------------- the structure of the service
    def stage_change(self, case: Case, children: list[Child], stage: str):
        """Process: what happens to the allocation when a journey moves on to ``stage`` (cin, cp, care).

        Under model A, a plan goes to a CIN team (unless the R&A team keeps a CIN case, with
        chance ``teams.ra_keeps_cin_p``) and care to the Children in Care team (the Care Leavers
        team for a child of ``teams.care_leavers_age``).  Under model B the worker stays."""
        d = case.district
        teams = self.w.teams
        if not children or teams.model[d] != "A":
            return
        if stage in ("cin", "cp"):
            kind = children[0].worker.team.kind if children[0].worker else None
            stays = kind == "CIN" or (kind == "RA" and stage == "cin" and self.rs.uniform() < self.p.teams_ra_keeps_cin_p)
            if not stays:
                yield from self.allocate(case, children, teams.plan_team(d), "team_transfer")
        elif stage == "care":
            now = self.w.env.now
            by_team: dict[int, tuple[Team, list[Child]]] = {}
            for child in children:
                team = teams.care_team(d, child.age(now))
                by_team.setdefault(id(team), (team, []))[1].append(child)
            for team, group in by_team.values():
                yield from self.move_to(case, group, team, "team_transfer")

    def entered_care(self, case: Case, child: Child, route: str) -> None:
        """``child`` has entered care on ``route``: under model B a plan of permanence away from home
        takes them to the Children in Care team after ``teams.permanence_days``; under both, the
        Care Leavers team takes them at ``teams.care_leavers_age``."""
        p = self.p
        w = self.w
        episode = child.episodes
        if p.teams_permanence_days > 0 and route != "returned_home" and w.teams.model[case.district] == "B":
            w.at(float(p.teams_permanence_days), self._to_care_team, case, child, episode, "CIC", "permanence")
        if p.teams_care_leavers_age < p.care_leaving_age:
            w.at((p.teams_care_leavers_age - child.age(w.env.now)) * 365.25, self._to_care_team, case, child, episode,
                 "CL", "leaving_care")

    def _to_care_team(self, case: Case, child: Child, episode: int, kind: str, reason: str) -> None:
        """``child`` moves to the district's ``kind`` team, if still in the same episode of care and
        held by a worker of another kind (permanence: of a CAST team)."""
        worker = child.worker
        if not child.in_care or child.episodes != episode or child not in case.children or worker is None:
            return
        if worker.team.kind == kind or (kind == "CIC" and worker.team.kind != "CAST"):
            return
        team = self.w.teams.by_district[case.district][kind][0]
        self.w.start(self.allocate(case, [child], team, reason))

    # ---------------------------------------------------------------- a worker gone or back
    def reallocate_all(self, worker: Worker, team: Team, reason: str) -> list[tuple[Case, Child]]:
        """``worker`` has left ``team``'s pool: each of their cases not already waiting for a place
        there is allocated again within the team.  A worker who left lets go of their children at
        once; an absent worker keeps each on their caseload until it is allocated.  Returns the
        (case, child) pairs allocated again."""
        held = sorted(worker.held, key=lambda c: c.id)
        if not worker.active:
            worker.held.clear()
            for child in held:
                child.worker = None
        queued = {id(c) for entry in team.waiting for c in entry[1]}
        by_case: dict[int, tuple[Case, list[Child]]] = {}
        for child in held:
            if id(child) not in queued:
                case = child.family.case
                by_case.setdefault(case.id, (case, []))[1].append(child)
        for case, children in by_case.values():
            self.w.start(self.allocate(case, children, team, reason))
        return [(case, child) for case, children in by_case.values() for child in children]

    def hand_back(self, worker: Worker, covered: list[tuple[Case, Child]]) -> None:
        """``worker`` is back from a short absence: the children of ``covered`` still open and still
        with a colleague in their team go back to them."""
        by_case: dict[int, tuple[Case, list[Child]]] = {}
        for case, child in covered:
            holder = child.worker
            if child in case.children and holder is not None and holder is not worker and holder.team is worker.team:
                by_case.setdefault(case.id, (case, []))[1].append(child)
        for case, children in by_case.values():
            if not (self.hard_cap and worker.load + len(children) > self.hard_cap):
                self._assign(case, children, worker, "absence_over")

    # ---------------------------------------------------------------- workload rebalancing
    def hand_over_to(self, worker: Worker) -> None:
        """``worker`` has joined their team: they are handed ``workforce.handover_on_joining`` of the
        team's mean caseload (within their cap), the newest cases of the most loaded colleagues first."""
        share = self.p.workforce_handover_on_joining
        others = [x for x in worker.team.workers if x is not worker]
        if share <= 0 or not others:
            return
        target = min(worker.cap, int(share * sum(x.load for x in others) / len(others)))
        while worker.load < target:
            donor = max(others, key=lambda x: (x.load / x.cap, -x.id))
            case, children = _newest_case(donor)
            if case is None or donor.load <= worker.load or worker.load + len(children) > target:
                return
            self._assign(case, children, worker, "rebalancing")

    def reviews(self):
        """Process: every ``teams.review_days``, each team's caseload review (:meth:`review`)."""
        while True:
            yield float(self.p.teams_review_days)
            for team in self.w.teams.all():
                self.review(team)

    def review(self, team: Team) -> None:
        """A worker over ``teams.rebalance_over`` times their cap hands their newest cases, one at a
        time, to the colleague with most room, while that colleague stays within their own cap.  An
        agency worker brought in for a queue leaves once the queue is gone."""
        if not team.waiting and team.extra:
            self.w.workforce.end_queue_cover(team)
        limit = self.p.teams_rebalance_over
        if limit <= 0:
            return
        for worker in sorted(team.workers, key=lambda x: (-x.load / x.cap, x.id)):
            while worker.load > limit * worker.cap:
                case, children = _newest_case(worker)
                target = team.pick(len(children), worker, self.hard_cap)
                if target is None or target.load + len(children) > target.cap:
                    break
                self._assign(case, children, target, "rebalancing")


def _newest_case(worker: Worker) -> tuple[Case | None, list[Child]]:
    """The case ``worker`` took on most recently, and its children they hold."""
    if not worker.held:
        return None, []
    newest = max(worker.held, key=lambda c: (c.since, c.id))
    case = newest.family.case
    return case, [c for c in case.children if c.worker is worker]
