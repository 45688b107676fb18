"""Who is in post: staffing at the start, turnover, long absences, recruitment, agency cover, newly
qualified workers' protected year, recruitment drives and freezes.

A post left by a permanent worker is vacated: it may be covered by an agency worker after
``workforce.agency_delay`` until a permanent recruit arrives after
``workforce.recruitment_delay`` (the cover then ends).  A worker who leaves, or goes on a long
absence, hands their children back to their team, to be allocated again (a change of worker
for each child: :mod:`journeysim.model.allocation`); a worker who joins a team is handed a
share of its caseload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type
from .teams import Team, Worker

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("workforce", "responses.queue_agency_max")


class Workforce:
    """The county's social workers: hiring, leaving, recruiting."""

    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = w.params.workforce
        self.rs = w.streams["workforce"]
        self.absences = w.streams["absence"]  # its own stream: absence on or off leaves the other draws as they were
        self._next_id = 1
        self._pressure = (-1, 0.0)  # (day, value): the county's pressure, computed once a day

    def staff_initially(self) -> None:
        """Fill posts at time 0: vacancies, agency cover and newly qualified workers as the scenario says."""
        p = self.p
        for team in self.w.teams.all():
            for _ in range(team.posts):
                if self.rs.uniform() < p.vacancy_share:
                    self._start_recruitment(team.district, nq_share=p.p_newly_qualified_recruit, cover=True)
                    continue
                if self.rs.uniform() < p.agency_share:
                    self.hire(team, "agency", covering=False)
                else:
                    nq = self.rs.uniform() < p.nq_share
                    self.hire(team, "newly_qualified" if nq else "permanent", nq_left=self.rs.uniform() if nq else 0)

    def hire(self, team: Team, kind: str, covering: bool = False, nq_left: float = 1.0, extra: bool = False) -> Worker:
        """A worker of ``kind`` (permanent, newly_qualified, agency) joins ``team``; a newly
        qualified one has ``nq_left`` of their protected year to go; an ``extra`` one is beyond the
        team's posts (an agency worker for a queue)."""
        p = self.p
        w = self.w
        now = w.env.now
        cap = p.nq_cap if kind == "newly_qualified" else p.soft_cap
        worker = Worker(self._next_id, team, kind, cap, covering=covering, extra=extra)
        self._next_id += 1
        if kind == "newly_qualified":
            worker.nq_until = now + p.nq_days * nq_left
            w.at(worker.nq_until - now, self._end_nq_year, worker)
        team.join(worker)
        w.event(Event.WORKER_JOINED, team=team.name, worker=worker.id, outcome=kind, count=cap)
        rate = p.turnover_agency if kind == "agency" else p.turnover_permanent
        if rate > 0:
            w.at(self.rs.exponential(365.25 / rate), self.leave, worker, "turnover")
        self._next_absence(worker)
        w.allocation.serve_waiting(team)
        w.allocation.hand_over_to(worker)
        return worker

    def _end_nq_year(self, worker: Worker) -> None:
        if not worker.active:
            return
        worker.cap = self.p.soft_cap
        if not worker.absent:  # else filed with the new cap on their return
            worker.team.file(worker)
            self.w.allocation.serve_waiting(worker.team)

    def leave(self, worker: Worker, reason: str) -> None:
        """A worker leaves: their children are allocated again within the team, and a vacated post
        is recruited to."""
        if not worker.active:
            return
        w = self.w
        worker.active = False
        team = worker.team
        if worker.absent:  # out of the team's pool already, their children with colleagues
            team.away.remove(worker)
        else:
            team.leave(worker)
        w.event(Event.WORKER_LEFT, team=team.name, worker=worker.id, outcome=worker.kind, reason=reason, count=worker.load)
        w.allocation.reallocate_all(worker, team, "worker_left" if reason == "turnover" else "cover_ended")
        if worker.extra:
            team.extra -= 1
        elif reason == "turnover" and not worker.covering:
            w.event(Event.POST_VACATED, team=team.name)
            self._start_recruitment(team.district, self.p.p_newly_qualified_recruit, cover=True)

    # ---------------------------------------------------------------- long absence
    def _next_absence(self, worker: Worker) -> None:
        rate = self.p.absence_rate
        if rate > 0:
            self.w.at(self.absences.exponential(365.25 / rate), self._absent, worker)

    def _absent(self, worker: Worker) -> None:
        """A long absence starts: the worker leaves their team's pool for its length, and their
        children are allocated again within the team."""
        if not worker.active or worker.absent:
            return
        w = self.w
        length = self.p.absence_length.sample(self.absences)
        worker.absent = True
        team = worker.team
        team.leave(worker)
        team.away.append(worker)
        w.event(Event.WORKER_ABSENT, team=team.name, worker=worker.id, count=worker.load, value=length)
        covered = w.allocation.reallocate_all(worker, team, "absence")
        w.at(length, self._back, worker, covered if length <= self.p.absence_handback_days else [])

    def _back(self, worker: Worker, covered: list) -> None:
        """The worker is back from a long absence, perhaps in a new team (the switch to CAST), and takes
        back the children of ``covered`` that are still with the colleague who covered them."""
        if not worker.active:
            return
        w = self.w
        team = worker.team
        team.away.remove(worker)
        worker.absent = False
        team.join(worker)
        w.event(Event.WORKER_RETURNED, team=team.name, worker=worker.id)
        w.allocation.hand_back(worker, covered)
        w.allocation.serve_waiting(team)
        w.allocation.hand_over_to(worker)
        self._next_absence(worker)

    # ---------------------------------------------------------------- a full service
    def manager(self, team: Team, holds: int) -> Worker:
        """``team``'s manager, who holds up to ``holds`` children when no worker has room; they are not
        one of the team's workers, and are not picked for new work otherwise."""
        manager = Worker(self._next_id, team, "manager", holds)
        self._next_id += 1
        self.w.event(Event.WORKER_JOINED, team=team.name, worker=manager.id, outcome="manager", count=holds)
        return manager

    def queue_cover(self, team: Team) -> None:
        """An agency worker for ``team``'s queue, after the usual delay, while it has fewer than
        ``responses.queue_agency_max`` of them."""
        if team.extra + team.extra_due < self.p.responses_queue_agency_max:
            team.extra_due += 1
            self.w.at(self.p.agency_delay.sample(self.rs), self._queue_cover_arrives, team)

    def _queue_cover_arrives(self, team: Team) -> None:
        team.extra_due -= 1
        if team not in self.w.teams.district(team.district):  # the team was disbanded (the switch to CAST)
            return
        team.extra += 1
        self.hire(team, "agency", extra=True)

    def end_queue_cover(self, team: Team) -> None:
        """The queue is gone: the agency workers brought in for it leave (their children move on)."""
        for worker in [x for x in team.workers if x.extra]:
            self.leave(worker, "queue_cleared")

    # ---------------------------------------------------------------- recruitment
    def _start_recruitment(self, district: int, nq_share: float, cover: bool) -> None:
        p = self.p
        w = self.w
        if cover and self.rs.uniform() < p.p_agency_cover:
            w.at(p.agency_delay.sample(self.rs), self._agency_cover, district)
        nq = self.rs.uniform() < nq_share
        w.at(p.recruitment_delay.sample(self.rs), self._recruit, district, nq, cover)

    def _team_with_vacancy(self, district: int) -> Team:
        teams = self.w.teams.district(district)
        return max(teams, key=lambda t: (t.vacancies, -t.per_worker(), t.name))

    def _agency_cover(self, district: int) -> None:
        team = self._team_with_vacancy(district)
        if team.vacancies > 0:
            self.hire(team, "agency", covering=True)

    def _recruit(self, district: int, nq: bool, ends_cover: bool) -> None:
        """A permanent recruit arrives; for a vacated post, the district's longest-serving agency cover ends.
        During a recruitment freeze nobody arrives: the post is recruited again after the freeze."""
        if self._frozen():
            self._after_freeze(district, nq, ends_cover)
            return
        team = self._team_with_vacancy(district)
        self.hire(team, "newly_qualified" if nq else "permanent")
        if ends_cover:
            covers = (x for x in self.w.teams.district_workers(district) if x.covering)
            cover = min(covers, key=lambda x: x.id, default=None)
            if cover is not None:
                self.leave(cover, "cover_ended")

    def _frozen(self) -> bool:
        w = self.w
        return w.active(self.p.freeze_start) and not w.active(self.p.freeze_end)

    def _after_freeze(self, district: int, nq: bool, ends_cover: bool) -> None:
        """Recruit again a recruitment delay after the freeze ends (never, if it lasts to the end of the run)."""
        w = self.w
        end = w.day_of(self.p.freeze_end)
        if end < w.cal.horizon:
            w.at(end - w.env.now + self.p.recruitment_delay.sample(self.rs), self._recruit, district, nq, ends_cover)

    def add_posts(self, posts: int, nq_share: float) -> None:
        """A recruitment drive: new posts spread over districts' frontline teams (R&A and CIN, or
        CAST), recruited after the usual delay."""
        for i in range(posts):
            d = i % self.w.districts
            team = min(self.w.teams.frontline(d), key=lambda t: (t.posts, t.name))
            team.posts += 1
            self._start_recruitment(d, nq_share, cover=False)

    # ---------------------------------------------------------------- pressure
    def pressure(self) -> float:
        """Children held or waiting for allocation per social worker in post, county-wide (once a day)."""
        day = int(self.w.env.now)
        if self._pressure[0] != day:
            teams = self.w.teams.all()
            workers = sum(len(t.workers) for t in teams)
            children = sum(t.load + sum(len(entry[1]) for entry in t.waiting) for t in teams)
            self._pressure = (day, children / max(1, workers))
        return self._pressure[1]
