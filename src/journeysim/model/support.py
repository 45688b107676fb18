"""Intensive family support: the multi-disciplinary hubs, and the Family Intervention Teams before them.

A **unit** of support has finite places and a queue for them.  A priority family (with the
toxic trio of needs: domestic abuse, substance misuse, parental mental health) starting a CIN
or CP plan may be referred to its district's unit; it is supported for the unit's length of
support once a place is free, or until its case closes.  The effects on the family's
engagement, and on the risk decisions taken while specialists work with it, are
:mod:`journeysim.model.practice`'s and the stages'.

- **Family Intervention Teams** (FIT, the old offer: 003): from ``fit.start``, one per district, of
  ``fit.workers`` specialists beside the district's CIN teams.  A district's FIT takes no new
  families once the district's hub opens (the hubs replace it); without hubs it carries on.
- **Hubs** (the Hampshire Approach): ``hubs.count`` hubs, one per two districts, opened one after
  another from ``hubs.start``, each with ``hubs.family_workers`` intensive family support workers
  and ``hubs.specialists`` specialists.
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
Params = section_type(None, "hubs", "fit")


class Unit:
    """One unit of support (a hub, or a district's FIT): its places, the families in them, and the
    queue for a place."""

    def __init__(self, service: "Service", name: str, places: int, first_worker: int, workers: int,
                 specialists: int) -> None:
        self.service = service
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


class Service:
    """A kind of support: its units, who is referred, and its events."""

    def __init__(self, w: "World", kind: str, units: list[Unit], p_refer: dict[str, float], duration, stream: str,
                 events: tuple[Event, Event, Event]) -> None:
        self.w = w
        self.kind = kind  # "hub" or "fit"
        self.units = units
        self.p_refer = p_refer  # by plan (cin, cp)
        self.duration = duration
        self.rs = w.streams[stream]
        self.referred, self.started, self.ended = events

    def unit_for(self, district: int) -> Unit | None:
        """The open unit serving ``district``, if any."""
        if not self.units:
            return None
        unit = self.units[district * len(self.units) // self.w.districts]
        return unit if unit.open and unit.places > 0 else None

    def refer(self, case: "Case", plan: str, unit: Unit) -> None:
        """Refer the family to ``unit`` with the service's chance for a ``plan`` (cin or cp)."""
        w = self.w
        if self.rs.uniform() >= self.p_refer[plan]:
            return
        case.support_waiting = True
        for child in case.children:
            w.child_event(self.referred, case, child, team=unit.name, worker=None)
        unit.queue.append((case, w.env.now))
        self.serve(unit)

    def serve(self, unit: Unit) -> None:
        w = self.w
        while unit.queue and unit.busy < unit.places:
            case, referred = unit.queue.popleft()
            case.support_waiting = False
            if case.closed or not case.children:
                continue
            unit.busy += 1
            case.support = unit
            case.support_started = w.env.now
            case.hub_support = case.hub_support or self.kind == "hub"
            case.specialist = case.specialist or (unit.specialists > 0 and case.family.toxic_trio)
            worker = unit.next_worker()
            for child in case.children:
                w.child_event(self.started, case, child, team=unit.name, worker=worker, value=w.env.now - referred)
            w.at(self.duration.sample(self.rs), self.end, unit, case)

    def end(self, unit: Unit, case: "Case") -> None:
        """Support runs its planned length (unless the case closed first: see ``child_closing``)."""
        if case.support is not unit:
            return
        for child in case.children:
            self.w.child_event(self.ended, case, child, team=unit.name, worker=None,
                               value=self.w.env.now - case.support_started, reason="completed")
        self.release(case)

    def release(self, case: "Case") -> None:
        unit = case.support
        case.support = None
        unit.busy -= 1
        self.serve(unit)


class Support:
    """The county's units of intensive family support: hubs, and the districts' FITs."""

    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = p = w.params.support
        scale = w.team_scale
        # support workers get ids far above social workers' so the two never collide
        places = max(1, round(p.hubs_family_workers * p.hubs_families_per_worker * scale)) if p.hubs_family_workers else 0
        self.hubs = Service(w, "hub", [], {"cp": p.hubs_p_refer_cp, "cin": p.hubs_p_refer_cin}, p.hubs_support_duration,
                            "hubs", (Event.HUB_REFERRED, Event.HUB_SUPPORT_STARTED, Event.HUB_SUPPORT_ENDED))
        self.hubs.units = [Unit(self.hubs, f"HUB{i + 1}", places, 1_000_000 + 1000 * i,
                                round(p.hubs_family_workers * scale), p.hubs_specialists)
                           for i in range(p.hubs_count * w.copies)]
        fit_workers = round(p.fit_workers * scale)
        fit_places = max(1, round(p.fit_workers * p.fit_families_per_worker * scale)) if p.fit_workers else 0
        self.fit = Service(w, "fit", [], {"cp": p.fit_p_refer_cp, "cin": p.fit_p_refer_cin}, p.fit_support_duration,
                           "fit", (Event.FIT_REFERRED, Event.FIT_SUPPORT_STARTED, Event.FIT_SUPPORT_ENDED))
        self.fit.units = [Unit(self.fit, f"FIT-D{d + 1}", fit_places, 2_000_000 + 1000 * d, fit_workers, fit_workers)
                          for d in range(w.districts)]

    def schedule_openings(self) -> None:
        w = self.w
        p = self.p
        first = w.day_of(p.hubs_start)
        for i, hub in enumerate(self.hubs.units):
            when = first + i * p.hubs_stagger_days
            if when < w.cal.horizon:
                w.at(when, self._open_hub, hub)
        when = w.day_of(p.fit_start)
        if when < w.cal.horizon and p.fit_workers > 0:
            for unit in self.fit.units:
                w.at(when, self._open_fit, unit)

    def _open_hub(self, hub: Unit) -> None:
        w = self.w
        hub.open = True
        w.event(Event.HUB_OPENED, team=hub.name, count=hub.places)
        for d in range(w.districts):  # the hub replaces the FIT of each district it serves
            fit = self.fit.units[d]
            if fit.open and self.hubs.unit_for(d) is hub:
                fit.open = False
                w.event(Event.FIT_CLOSED, team=fit.name)

    def _open_fit(self, unit: Unit) -> None:
        d = self.fit.units.index(unit)
        if self.hubs.unit_for(d) is None:  # a district whose hub is open already keeps it
            unit.open = True
            self.w.event(Event.FIT_OPENED, team=unit.name, count=unit.places)

    def refer(self, case: "Case", plan: str) -> None:
        """A priority (toxic-trio) family starting a ``plan`` (cin or cp) may be referred to its
        district's hub, or, where there is none yet, to its FIT."""
        if case.support is not None or case.support_waiting or not case.family.toxic_trio:
            return
        for service in (self.hubs, self.fit):
            unit = service.unit_for(case.district)
            if unit is not None:
                service.refer(case, plan, unit)
                return

    def child_closing(self, case: "Case", child) -> None:
        """A child's journey is closing while the family is supported: their support ends with it."""
        unit = case.support
        if unit is None:
            return
        service = unit.service
        self.w.child_event(service.ended, case, child, team=unit.name, worker=None,
                           value=self.w.env.now - case.support_started, reason="case_closed")
        if len(case.children) == 1:
            service.release(case)
