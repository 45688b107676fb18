"""Teams, workers, the intake rota, allocation, caseloads, turnover and recruitment.

Operating model A gives each district a Referral & Assessment team, long-term CIN
teams and a Children in Care team, with a handoff between them.  Operating model
B gives each district ``teams.cast_teams`` CAST teams; a district's new referrals
go to one of them for a whole week, in rotation, and the allocated worker keeps
the child to the end of the journey.  A district switches from A to B on its
``cast_start`` date: its workers move into the CAST teams and keep their children.
"""

from __future__ import annotations

import math
import weakref
from heapq import heappop, heappush
from typing import TYPE_CHECKING

from ..events import Event
from .entities import Case, Child, Team, Worker

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


class Workforce:
    def __init__(self, w: "World") -> None:
        self.w = w
        p = w.p
        self.n_districts = w.districts
        self.model: list[str] = ["A"] * self.n_districts
        self.teams: list[dict[str, list[Team]]] = []
        self._next_worker = 1
        self.rs = w.streams["workforce"]
        self.hard_cap = p.workforce.hard_cap
        self._pressure = (-1, 0.0)  # (day, value): the county's pressure, computed once a day
        self._timers: dict[int, list] = {}  # reallocation timers by the day they fall due
        self._timer_days: list[int] = []  # the days with timers (a heap)
        self._wake_day = math.inf  # the next day whose timers go into the event queue
        scale = w.team_scale
        for d in range(self.n_districts):
            name = f"D{d + 1}"
            ra = [Team(f"{name}-RA", d, "RA", _posts(p.teams.ra_posts, scale))]
            cin = [Team(f"{name}-CIN{i + 1}", d, "CIN", _posts(p.teams.cin_posts, scale)) for i in range(p.teams.cin_teams)]
            cic = [Team(f"{name}-CIC", d, "CIC", _posts(p.teams.cic_posts, scale))]
            self.teams.append({"RA": ra, "CIN": cin, "CIC": cic, "CAST": []})

    # ---------------------------------------------------------------- staffing
    def staff_initially(self) -> None:
        """Fill posts at time 0: vacancies, agency cover and newly qualified workers as the scenario says."""
        p = self.w.p.workforce
        for team in self.all_teams():
            for _ in range(team.posts):
                if self.rs.uniform() < p.vacancy_share:
                    self._start_recruitment(team.district, nq_share=p.p_newly_qualified_recruit, cover=True)
                    continue
                if self.rs.uniform() < p.agency_share:
                    self.hire(team, "agency", covering=False)
                else:
                    nq = self.rs.uniform() < p.nq_share
                    self.hire(team, "newly_qualified" if nq else "permanent", nq_left=self.rs.uniform() if nq else 0)

    def hire(self, team: Team, kind: str, covering: bool = False, nq_left: float = 1.0) -> Worker:
        p = self.w.p.workforce
        now = self.w.env.now
        cap = p.nq_cap if kind == "newly_qualified" else p.soft_cap
        worker = Worker(self._next_worker, team, kind, cap, covering=covering)
        self._next_worker += 1
        if kind == "newly_qualified":
            worker.nq_until = now + p.nq_days * nq_left
            self.w.at(worker.nq_until - now, self._end_nq_year, worker)
        team.join(worker)
        self.w.log.emit(now, Event.WORKER_JOINED, team=team.name, worker=worker.id, outcome=kind, count=cap)
        rate = p.turnover_agency if kind == "agency" else p.turnover_permanent
        if rate > 0:
            self.w.at(self.rs.exponential(365.25 / rate), self.leave, worker, "turnover")
        self._serve_waiting(team)
        return worker

    def _end_nq_year(self, worker: Worker) -> None:
        if worker.active:
            worker.cap = self.w.p.workforce.soft_cap
            worker.team.file(worker)
            self._serve_waiting(worker.team)

    def leave(self, worker: Worker, reason: str) -> None:
        """A worker leaves: their children are reallocated within the team and the post is refilled."""
        if not worker.active:
            return
        w = self.w
        worker.active = False
        team = worker.team
        team.leave(worker)
        w.log.emit(w.env.now, Event.WORKER_LEFT, team=team.name, worker=worker.id, outcome=worker.kind,
                   reason=reason, count=worker.load)
        held = sorted(worker.children, key=lambda c: c.id)
        worker.children.clear()
        by_case: dict[int, tuple[Case, list[Child]]] = {}
        for child in held:
            child.worker = None
            case = child.family.case
            by_case.setdefault(case.id, (case, []))[1].append(child)
        for case, children in by_case.values():
            w.start(self.allocate(case, children, team, "worker_left"))
        if reason == "turnover" and not worker.covering:
            w.log.emit(w.env.now, Event.POST_VACATED, team=team.name)
            p = w.p.workforce
            self._start_recruitment(team.district, p.p_newly_qualified_recruit, cover=True)

    def _start_recruitment(self, district: int, nq_share: float, cover: bool) -> None:
        p = self.w.p.workforce
        if cover and self.rs.uniform() < p.p_agency_cover:
            self.w.at(p.agency_delay.sample(self.rs), self._agency_cover, district)
        nq = self.rs.uniform() < nq_share
        self.w.at(p.recruitment_delay.sample(self.rs), self._recruit, district, nq, cover)

    def _team_with_vacancy(self, district: int) -> Team:
        teams = self.district_teams(district)
        return max(teams, key=lambda t: (t.vacancies, -t.children / max(1, len(t.workers)), t.name))

    def _agency_cover(self, district: int) -> None:
        team = self._team_with_vacancy(district)
        if team.vacancies > 0:
            self.hire(team, "agency", covering=True)

    def _recruit(self, district: int, nq: bool, ends_cover: bool) -> None:
        """A permanent recruit arrives; for a vacated post, the district's longest-serving agency cover ends.
        During a recruitment freeze nobody arrives: the post is recruited again after the freeze."""
        if self._frozen():
            self._after_freeze(lambda: self._recruit(district, nq, ends_cover))
            return
        team = self._team_with_vacancy(district)
        self.hire(team, "newly_qualified" if nq else "permanent")
        if ends_cover:
            cover = min((x for x in self.district_workers(district) if x.covering), key=lambda x: x.id, default=None)
            if cover is not None:
                self.leave(cover, "cover_ended")

    def _frozen(self) -> bool:
        p = self.w.p.workforce
        return self.w.active(p.freeze_start) and not self.w.active(p.freeze_end)

    def _after_freeze(self, fn) -> None:
        """Call ``fn`` a recruitment delay after the freeze ends (never, if it lasts to the end of the run)."""
        w = self.w
        end = w.day_of(w.p.workforce.freeze_end)
        if end < w.cal.horizon:
            w.at(end - w.env.now + w.p.workforce.recruitment_delay.sample(self.rs), fn)

    def pressure(self) -> float:
        """Children held or waiting for allocation per social worker in post, county-wide (once a day)."""
        day = int(self.w.env.now)
        if self._pressure[0] != day:
            teams = self.all_teams()
            workers = sum(len(t.workers) for t in teams)
            children = sum(t.children + sum(len(entry[1]) for entry in t.waiting) for t in teams)
            self._pressure = (day, children / max(1, workers))
        return self._pressure[1]

    def add_posts(self, posts: int, nq_share: float) -> None:
        """A recruitment drive: new posts spread over districts, recruited after the usual delay."""
        for i in range(posts):
            d = i % self.n_districts
            team = min(self.district_teams(d), key=lambda t: (t.posts, t.name))
            team.posts += 1
            self._start_recruitment(d, nq_share, cover=False)

    # ---------------------------------------------------------------- structure
    def all_teams(self) -> list[Team]:
        return [t for d in self.teams for kind in ("RA", "CIN", "CIC", "CAST") for t in d[kind]]

    def district_teams(self, d: int) -> list[Team]:
        return [t for kind in ("RA", "CIN", "CIC", "CAST") for t in self.teams[d][kind]]

    def district_workers(self, d: int) -> list[Worker]:
        return [x for t in self.district_teams(d) for x in t.workers]

    def switch_to_cast(self, d: int) -> None:
        """District ``d`` adopts operating model B: its workers move into CAST teams with their children."""
        w = self.w
        if self.model[d] == "B":
            return
        name = f"D{d + 1}"
        old = self.district_teams(d)
        n = w.p.teams.cast_teams
        total_posts = sum(t.posts for t in old)
        cast = [Team(f"{name}-CAST{i + 1}", d, "CAST", total_posts // n + (1 if i < total_posts % n else 0)) for i in range(n)]
        waiting = [entry for t in old for entry in t.waiting]
        workers = sorted((x for t in old for x in t.workers), key=lambda x: (-x.load, x.id))
        for i, worker in enumerate(workers):  # deal workers out, heaviest first, to balance caseloads
            team = cast[i % n] if (i // n) % 2 == 0 else cast[n - 1 - i % n]
            team.join(worker)
            w.log.emit(w.env.now, Event.WORKER_MOVED, team=team.name, worker=worker.id, reason="operating_model_change")
        for team in old:  # emptied, so that nothing can pick from them or serve them by mistake
            team.workers.clear()
            del team.ratios[:]
            team.waiting.clear()
            team.order = None
            team.children = 0
        self.teams[d] = {"RA": [], "CIN": [], "CIC": [], "CAST": cast}
        self.model[d] = "B"
        for i, entry in enumerate(waiting):
            cast[i % n].waiting.append(entry)
        w.log.emit(w.env.now, Event.OPERATING_MODEL_SWITCHED, team=name, outcome="B")
        for team in cast:
            self._serve_waiting(team)

    def intake_teams(self, d: int) -> list[Team]:
        """The teams on intake for district ``d`` this week (model B: the rota's week)."""
        if self.model[d] == "A":
            return self.teams[d]["RA"]
        cast = self.teams[d]["CAST"]
        week = self.w.cal.week_index(self.w.env.now)
        rota = self.w.p.teams.intake_rota
        if not rota:
            return [cast[week % len(cast)]]
        return [cast[t - 1] for t in rota[week % len(rota)]]

    def intake_team(self, d: int) -> Team:
        """The team that takes district ``d``'s next new referral: of this week's intake teams, the one
        with the fewest children per worker."""
        teams = self.intake_teams(d)
        if len(teams) == 1:
            return teams[0]
        return min(teams, key=lambda t: (t.children / max(1, len(t.workers)), t.name))

    def plan_team(self, d: int) -> Team:
        """Model A: the long-term CIN team with the most room."""
        return min(self.teams[d]["CIN"], key=lambda t: (t.children / max(1, len(t.workers)), t.name))

    def care_team(self, d: int) -> Team:
        return self.teams[d]["CIC"][0]

    # ---------------------------------------------------------------- allocation
    def allocate(self, case: Case, children: list[Child], team: Team, reason: str):
        """Process: give ``children`` (of one case) a worker in ``team``, waiting for a place under a hard cap."""
        worker = team.pick(len(children), None, self.hard_cap)
        if worker is None:
            ev = self.w.signal()
            team.waiting.append((case, children, reason, ev))
            yield ev
            return
        self._assign(case, children, worker, reason)

    def _assign(self, case: Case, children: list[Child], worker: Worker, reason: str) -> None:
        w = self.w
        now = w.env.now
        moving = [c for c in children if c.worker is not worker]
        if not moving:
            return
        if reason != "new_case":
            case.handoffs += 1
        case.allocations += 1
        rate = w.p.teams.reallocation_rate
        if rate > 0:
            self._reallocation_after(case, self.rs.exponential(365.25 / rate))
        freed = []
        for child in moving:
            old = child.worker
            if old is not None:
                old.children.discard(child)
                old.team.children -= 1
                old.team.file(old)
                freed.append(old)
            child.worker = worker
            worker.children.add(child)
            worker.team.children += 1
            worker.team.file(worker)
            w.log.emit(now, Event.WORKER_ALLOCATED, case.id, child.id, case.family.id, worker.team.name, worker.id,
                       None, reason, None, child.age(now), None, float(worker.load))  # the log's columns in order
        if self.hard_cap:  # places freed by children moving away may let waiting work in
            for team in {id(t): t for t in (c.team for c in freed)}.values():
                self._serve_waiting(team)

    # Reallocation timers.  Every allocation draws the time to the journey's next change of
    # worker, but most journeys change worker (or close) before it falls due, so most of those
    # timers are void when they go off.  Put in SimPy's event queue they made up most of it
    # (and the larger the county, the dearer each step).  Instead a timer waits in a bucket for
    # the day it falls due; at the start of that day the timers still in force go into the
    # event queue, to go off at exactly the time drawn, and the void ones are dropped.  (The
    # environment's own day buckets, world.Environment, would hold them as well, but would let
    # the void ones into the heap on their day: scheduling the timers with World.at instead was
    # tried, gave the same logs, and was about 2% slower over four side-by-side pairs.)  A bucket
    # refers to its cases weakly: a closed journey's timer is void, and the journey (its family
    # and children with it) is freed at once rather than kept until the day, which at run.scale 16
    # held some 150,000 closed journeys in memory.  An open journey never goes: its family holds it.
    def _reallocation_after(self, case: Case, delay: float) -> None:
        w = self.w
        now = w.env.now
        token = case.allocations
        due = now + max(0.0, delay)  # the time SimPy gives a timeout of this delay
        day = int(due)
        if day <= int(now):  # falls due today: straight into the event queue
            w.at(delay, self._reallocation_due, case, token)
            return
        bucket = self._timers.get(day)
        if bucket is None:
            bucket = self._timers[day] = []
            heappush(self._timer_days, day)
            if day < self._wake_day:
                self._wake_day = day
                w.at(_delay_to(now, float(day)), self._start_timers_day)
        bucket.append((due, weakref.ref(case), token))

    def _start_timers_day(self) -> None:
        w = self.w
        now = w.env.now
        if now != self._wake_day:  # an earlier day's bucket was made after this wake-up was set
            return
        day = heappop(self._timer_days)
        for due, ref, token in self._timers.pop(day):
            case = ref()
            if case is not None and not case.closed and case.allocations == token:
                w.at(_delay_to(now, due), self._reallocation_due, case, token)
        self._wake_day = self._timer_days[0] if self._timer_days else math.inf
        if self._timer_days:
            w.at(_delay_to(now, float(self._wake_day)), self._start_timers_day)

    def _reallocation_due(self, case: Case, token: int) -> None:
        """The journey's worker changes within the team (leave, sickness, workload balancing), unless
        the case has closed or changed worker since this was scheduled."""
        if case.closed or case.allocations != token:
            return
        children = [c for c in case.children if c.worker is not None]
        if not children:
            return
        worker = children[0].worker
        target = worker.team.pick(len(children), worker, self.hard_cap)
        if target is not None:
            self._assign(case, [c for c in children if c.worker is worker], target, "reallocation")

    def _serve_waiting(self, team: Team) -> None:
        while team.waiting:
            case, children, reason, ev = team.waiting[0]
            live = [c for c in children if c in case.children]
            if not live:
                team.waiting.pop(0)
                ev.succeed()
                continue
            worker = team.pick(len(live), None, self.hard_cap)
            if worker is None:
                return
            team.waiting.pop(0)
            self._assign(case, live, worker, reason)
            ev.succeed()

    def release(self, child: Child) -> None:
        worker = child.worker
        if worker is not None:
            worker.children.discard(child)
            worker.team.children -= 1
            worker.team.file(worker)
            child.worker = None
            self._serve_waiting(worker.team)

    def move_to(self, case: Case, children: list[Child], team: Team, reason: str):
        """Process: hand children to ``team`` unless their worker is already in it."""
        if all(c.worker is not None and c.worker.team is team for c in children):
            return
        yield from self.allocate(case, children, team, reason)

    def stage_change(self, case: Case, children: list[Child], stage: str):
        """Process: what happens to the allocation when a journey moves on to ``stage``."""
        d = case.district
        if not children:
            return
        if self.model[d] == "A":
            if stage in ("cin", "cp"):
                kind = children[0].worker.team.kind if children[0].worker else None
                stays = kind == "CIN" or (kind == "RA" and stage == "cin"
                                          and self.rs.uniform() < self.w.p.teams.ra_keeps_cin_p)
                if not stays:
                    yield from self.allocate(case, children, self.plan_team(d), "team_transfer")
                    return
            elif stage == "care":
                yield from self.move_to(case, children, self.care_team(d), "team_transfer")
                return
        worker = children[0].worker
        if worker is not None and self.rs.uniform() < self.w.p.teams.reallocation_p:
            target = worker.team.pick(len(children), worker, self.hard_cap)
            if target is not None:
                self._assign(case, children, target, "reallocation")


def _delay_to(now: float, when: float) -> float:
    """The delay that takes ``now`` to exactly ``when`` in floating point (SimPy computes
    ``now + delay``), so that a timer moved into the event queue goes off at the time drawn."""
    delay = when - now
    while now + delay < when:
        delay = math.nextafter(delay, math.inf)
    while now + delay > when:
        delay = math.nextafter(delay, -math.inf)
    return delay


def _posts(n: int, scale: float) -> int:
    """Posts in a team at this scale; a team has at least two workers' posts."""
    return max(2, round(n * scale))
