"""Multi-disciplinary hubs: intensive family support with finite places, and a queue when full.

One hub per two districts (``hubs.count``), opened one after another from ``hubs.start``.  A
priority family (with the toxic trio of needs) starting a CIN or CP plan may be referred to its
district's hub; it is supported for ``hubs.support_duration`` once a place is free, and with
specialists on the hub's staff it also gets their help (the engagement effects:
:mod:`journeysim.model.practice`).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Case
    from .world import World


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("hubs")


class Hub:
    """One hub: its places, the families in them, and the queue for a place."""

    def __init__(self, name: str, places: int, first_worker: int, workers: int, specialists: int) -> None:
        self.name = name
        self.places = places
        self.busy = 0
        self.open = False
        self.queue: deque = deque()
        self.worker_ids = list(range(first_worker, first_worker + max(1, workers)))
        self.specialists = specialists
        self._next = 0

    def next_worker(self) -> int:
        wid = self.worker_ids[self._next % len(self.worker_ids)]
        self._next += 1
        return wid


class Hubs:
    """The county's hubs; district ``d`` is served by hub ``d * count // districts`` (both counts
    including the copies of a county larger than twice Hampshire's, see ``run.scale``)."""

    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = p = w.params.hubs
        n = p.count * w.copies
        places = max(1, round(p.family_workers * p.families_per_worker * w.team_scale)) if p.family_workers else 0
        # hub workers get ids far above social workers' so the two never collide
        self.hubs = [Hub(f"HUB{i + 1}", places, 1_000_000 + 1000 * i, round(p.family_workers * w.team_scale), p.specialists)
                     for i in range(n)]

    def schedule_openings(self) -> None:
        w = self.w
        p = self.p
        first = w.day_of(p.start)
        for i, hub in enumerate(self.hubs):
            when = first + i * p.stagger_days
            if when < w.cal.horizon:
                w.at(when, self._open, hub)

    def _open(self, hub: Hub) -> None:
        hub.open = True
        self.w.event(Event.HUB_OPENED, team=hub.name, count=hub.places)

    def hub_for(self, district: int) -> Hub | None:
        if not self.hubs:
            return None
        hub = self.hubs[district * len(self.hubs) // self.w.districts]
        return hub if hub.open and hub.places > 0 else None

    def maybe_refer(self, case: "Case", plan: str) -> None:
        """A priority (toxic-trio) family starting a ``plan`` (cin or cp) may be referred to its hub."""
        w = self.w
        chance = self.p.p_refer_cp if plan == "cp" else self.p.p_refer_cin
        hub = self.hub_for(case.district)
        if hub is None or case.hub_support or case.hub_waiting or not case.family.toxic_trio:
            return
        if w.streams["hubs"].uniform() >= chance:
            return
        case.hub_waiting = True
        for child in case.children:
            w.child_event(Event.HUB_REFERRED, case, child, team=hub.name, worker=None)
        hub.queue.append((case, w.env.now))
        self._serve(hub)

    def _serve(self, hub: Hub) -> None:
        w = self.w
        while hub.queue and hub.busy < hub.places:
            case, referred = hub.queue.popleft()
            case.hub_waiting = False
            if case.closed or not case.children:
                continue
            hub.busy += 1
            case.hub_support = True
            case.hub = hub
            case.hub_started = w.env.now
            case.specialist = hub.specialists > 0 and case.family.toxic_trio
            worker = hub.next_worker()
            for child in case.children:
                w.child_event(Event.HUB_SUPPORT_STARTED, case, child, team=hub.name, worker=worker,
                              value=w.env.now - referred)
            duration = self.p.support_duration.sample(w.streams["hubs"])
            w.at(duration, self._end, hub, case)

    def _end(self, hub: Hub, case: "Case") -> None:
        """Support runs its planned length (unless the case closed first: see ``child_closing``)."""
        if case.hub is not hub:
            return
        for child in case.children:
            self.w.child_event(Event.HUB_SUPPORT_ENDED, case, child, team=hub.name, worker=None,
                               value=self.w.env.now - case.hub_started, reason="completed")
        self._release(case)

    def child_closing(self, case: "Case", child) -> None:
        """A child's journey is closing while the family is supported: their support ends with it."""
        if case.hub is None:
            return
        self.w.child_event(Event.HUB_SUPPORT_ENDED, case, child, team=case.hub.name, worker=None,
                           value=self.w.env.now - case.hub_started, reason="case_closed")
        if len(case.children) == 1:
            self._release(case)

    def _release(self, case: "Case") -> None:
        hub = case.hub
        case.hub = None
        hub.busy -= 1
        self._serve(hub)
