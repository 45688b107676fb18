"""Social workers, their teams, and the two operating models that arrange them.

**Operating model A** (to 2017-18) gives each district a Referral & Assessment (R&A) team and
``teams.cin_teams`` long-term Child in Need teams: a journey is handed from one to the next as
it moves on (see :mod:`journeysim.model.allocation`).

**Operating model B**, the Hampshire Approach, gives each district ``teams.cast_teams`` CAST
teams in their place.  The MASH sends a district's new referrals to one CAST team for a whole
week, one week in four (``teams.intake_rota``), and the allocated worker keeps the child to the
end of the journey, or, for a looked-after child, until a permanence plan takes them to the
Children in Care team.  A district switches from A to B on its ``cast_start`` date: the R&A and
CIN teams' workers move into the CAST teams with their children.

Under both, each district has a **Children in Care team** (looked-after children: under model A
from entry to care, under model B once their plan is permanence away from home) and a **Care
Leavers team** (looked-after children from ``teams.care_leavers_age``): 001 s3.2.4.

Who is in post (recruitment, turnover, absence, agency cover) is :mod:`journeysim.model.workforce`;
who takes which child is :mod:`journeysim.model.allocation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine import Pool
from ..events import Event
from ..scenario import section_type

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("teams", "population.districts")


@dataclass(eq=False, slots=True)
class Worker:
    """A social worker in post: a member of their team's :class:`~journeysim.engine.Pool`."""

    id: int
    team: "Team"
    kind: str  # permanent, newly_qualified, agency, manager
    cap: int  # the caseload at which allocation prefers others
    nq_until: float = -1.0  # a newly qualified worker's protected year ends then
    covering: bool = False  # an agency worker covering a vacancy until it is filled
    extra: bool = False  # an agency worker brought in for a queue, beyond the team's posts
    active: bool = True  # False once they have left
    absent: bool = False  # on a long absence (out of their team's pool meanwhile)
    held: set = field(default_factory=set)  # the children they hold
    filed: int = 0  # kept by the team (Pool)
    slot: int = -1  # kept by the team (Pool)

    @property
    def load(self) -> int:
        """Their caseload: the children they hold."""
        return len(self.held)


@dataclass(eq=False, slots=True)
class Team(Pool):
    """A team of social workers; a new child goes to the worker with most room for their cap
    (:meth:`~journeysim.engine.Pool.pick`), and ``load`` is the children the team holds."""

    name: str
    district: int
    kind: str  # RA, CIN, CIC, CL (care leavers), CAST
    posts: int
    waiting: list = field(default_factory=list)  # allocations waiting for a place under a hard cap
    away: list = field(default_factory=list)  # its workers on a long absence, who keep their posts
    manager: "Worker | None" = None  # the team manager, once they hold cases (responses.manager_holds)
    extra: int = 0  # agency workers brought in for the team's queue, beyond its posts
    extra_due: int = 0  # ... and those on their way

    def __post_init__(self) -> None:
        Pool.__init__(self)

    @property
    def workers(self) -> list[Worker]:
        """The team's workers, in order of id."""
        return self.members

    @property
    def vacancies(self) -> int:
        """Posts with no permanent worker in them (an absent worker keeps their post)."""
        in_posts = sum(1 for w in self.members if not (w.covering or w.extra))
        return self.posts - in_posts - sum(1 for w in self.away if not (w.covering or w.extra))

    def join(self, worker: Worker) -> None:
        """``worker`` joins the team with their children."""
        worker.team = self
        Pool.join(self, worker)

    def per_worker(self) -> float:
        """Children held per worker (per one, in a team with none)."""
        return self.load / max(1, len(self.members))


KINDS = ("RA", "CIN", "CIC", "CL", "CAST")

#: The teams a district's new referrals and plans go to, under each operating model.
FRONTLINE = {"A": ("RA", "CIN"), "B": ("CAST",)}


class Teams:
    """Every district's teams, under the operating model each district has now."""

    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = p = w.params.teams
        self.n_districts = w.districts
        self.model: list[str] = ["A"] * self.n_districts  # each district's operating model now
        self.by_district: list[dict[str, list[Team]]] = []
        scale = w.team_scale
        for d in range(self.n_districts):
            name = f"D{d + 1}"
            ra = [Team(f"{name}-RA", d, "RA", _posts(p.ra_posts, scale))]
            cin = [Team(f"{name}-CIN{i + 1}", d, "CIN", _posts(p.cin_posts, scale)) for i in range(p.cin_teams)]
            cic = [Team(f"{name}-CIC", d, "CIC", _posts(p.cic_posts, scale))]
            cl = [Team(f"{name}-CL", d, "CL", _posts(p.care_leavers_posts, scale))]
            self.by_district.append({"RA": ra, "CIN": cin, "CIC": cic, "CL": cl, "CAST": []})

    def all(self) -> list[Team]:
        return [t for d in self.by_district for kind in KINDS for t in d[kind]]

    def district(self, d: int) -> list[Team]:
        return [t for kind in KINDS for t in self.by_district[d][kind]]

    def district_workers(self, d: int) -> list[Worker]:
        return [x for t in self.district(d) for x in t.workers]

    def frontline(self, d: int) -> list[Team]:
        """District ``d``'s teams for new referrals and plans: R&A and CIN (model A), CAST (B)."""
        return [t for kind in FRONTLINE[self.model[d]] for t in self.by_district[d][kind]]

    # ---------------------------------------------------------------- the switch to CAST
    def cast_date(self, d: int) -> dt.date | None:
        """The date district ``d`` switches to CAST (None: never); a copy of a district (see
        ``run.scale``) switches with it."""
        return self.p.cast_start_by_district.get(f"D{d % self.p.population_districts + 1}", self.p.cast_start)

    def switch_to_cast(self, d: int) -> None:
        """District ``d`` adopts operating model B: the R&A and CIN teams' workers move into CAST
        teams with their children (absent workers too, to join when back), and the work waiting
        for a place is shared between them.  The Children in Care and Care Leavers teams stay."""
        w = self.w
        if self.model[d] == "B":
            return
        name = f"D{d + 1}"
        old = self.frontline(d)
        n = self.p.cast_teams
        total_posts = sum(t.posts for t in old)
        cast = [Team(f"{name}-CAST{i + 1}", d, "CAST", total_posts // n + (1 if i < total_posts % n else 0)) for i in range(n)]
        waiting = [entry for t in old for entry in t.waiting]
        workers = sorted((x for t in old for x in t.workers), key=lambda x: (-x.load, x.id))
        for i, worker in enumerate(workers):  # deal workers out, heaviest first, to balance caseloads
            team = cast[i % n] if (i // n) % 2 == 0 else cast[n - 1 - i % n]
            team.join(worker)
            w.event(Event.WORKER_MOVED, team=team.name, worker=worker.id, reason="operating_model_change")
        for i, worker in enumerate(sorted((x for t in old for x in t.away), key=lambda x: x.id)):
            worker.team = cast[i % n]
            cast[i % n].away.append(worker)
        for team in cast:  # agency workers brought in for a queue stay beyond the posts
            team.extra = sum(1 for x in team.workers if x.extra) + sum(1 for x in team.away if x.extra)
        for i, manager in enumerate(t.manager for t in old if t.manager is not None):  # with the cases they hold
            if i < n and cast[i].manager is None:
                manager.team = cast[i]
                cast[i].manager = manager
        for team in old:  # emptied, so that nothing can pick from them or serve them by mistake
            team.empty()
            team.waiting.clear()
            team.away.clear()
        self.by_district[d].update({"RA": [], "CIN": [], "CAST": cast})
        self.model[d] = "B"
        for i, entry in enumerate(waiting):
            cast[i % n].waiting.append(entry)
        w.event(Event.OPERATING_MODEL_SWITCHED, team=name, outcome="B")
        for team in cast:
            w.allocation.serve_waiting(team)

    # ---------------------------------------------------------------- who takes what
    def intake_teams(self, d: int) -> list[Team]:
        """The teams on intake for district ``d`` this week: model A's R&A team, or the CAST
        teams the rota names for this week."""
        if self.model[d] == "A":
            return self.by_district[d]["RA"]
        cast = self.by_district[d]["CAST"]
        week = self.w.cal.week_index(self.w.env.now)
        rota = self.p.intake_rota
        if not rota:
            return [cast[week % len(cast)]]
        return [cast[t - 1] for t in rota[week % len(rota)]]

    def intake_team(self, d: int) -> Team:
        """The team that takes district ``d``'s next new referral: of this week's intake teams, the one
        with the fewest children per worker."""
        teams = self.intake_teams(d)
        if len(teams) == 1:
            return teams[0]
        return min(teams, key=lambda t: (t.per_worker(), t.name))

    def plan_team(self, d: int) -> Team:
        """Model A: the long-term CIN team with the most room."""
        return min(self.by_district[d]["CIN"], key=lambda t: (t.per_worker(), t.name))

    def care_team(self, d: int, age: float) -> Team:
        """The team for a looked-after child of ``age`` in district ``d``: the Children in Care
        team, or the Care Leavers team from ``teams.care_leavers_age``."""
        return self.by_district[d]["CL" if age >= self.p.care_leavers_age else "CIC"][0]

    def rota(self):
        """Process: each Monday, name the CAST team taking each model-B district's new referrals."""
        w = self.w
        yield w.cal.next_monday(0.0) if w.cal.start.weekday() else 0.0
        while True:
            for d in range(self.n_districts):
                if self.model[d] == "B":
                    for team in self.intake_teams(d):
                        w.event(Event.INTAKE_WEEK_STARTED, team=team.name)
            yield 7.0


def _posts(n: int, scale: float) -> int:
    """Posts in a team at this scale; a team has at least two workers' posts."""
    return max(2, round(n * scale))
