"""Timers most of which are void by the time they fall due, kept out of the event queue until their day.

A timer here is set for a *subject* with a *token*: when it falls due it calls
``fire(subject, token)``, but only if ``valid(subject, token)`` still holds then.  The model
uses it for the time to a journey's next change of worker: every allocation draws one, and
most journeys change worker or close before it falls due.  Put in the event queue, such
timers made up most of it (and the larger the county, the dearer each step).  Here a timer
waits in a bucket for the day it falls due; at the start of that day the timers still valid go
into the event queue, to go off at exactly the time drawn, and the void ones are dropped.  (The
environment's own day buckets would hold them as well, but would let the void ones into the
heap on their day: that was tried, gave the same logs, and was about 2% slower.)

A bucket refers to its subjects weakly: a subject nobody else needs any more (a closed
journey, in the model) is freed at once rather than kept until its timer's day, and its timer
is void.  A county 16 times Hampshire's had held some 150,000 closed journeys in memory so.
"""

from __future__ import annotations

import math
import weakref
from heapq import heappop, heappush

from .environment import Environment


class Timers:
    """The timers of one kind: each calls ``fire(subject, token)`` when it falls due, if
    ``valid(subject, token)`` holds then (checked again at the start of its day)."""

    __slots__ = ("env", "fire", "valid", "_buckets", "_days", "_wake_day")

    def __init__(self, env: Environment, fire, valid) -> None:
        self.env = env
        self.fire = fire
        self.valid = valid
        self._buckets: dict[int, list] = {}  # timers by the day they fall due: (due, weak subject, token)
        self._days: list[int] = []  # the days with a bucket (a heap)
        self._wake_day = math.inf  # the next day whose timers go into the event queue

    def set(self, delay: float, subject, token) -> None:
        """A timer for ``subject`` that falls due after ``delay`` days (none, if negative)."""
        env = self.env
        now = env.now
        due = now + max(0.0, delay)  # the time the environment gives a call after this delay
        day = int(due)
        if day <= int(now):  # falls due today: straight into the event queue
            env.at(delay, self._due, subject, token)
            return
        bucket = self._buckets.get(day)
        if bucket is None:
            bucket = self._buckets[day] = []
            heappush(self._days, day)
            if day < self._wake_day:
                self._wake_day = day
                env.at(delay_to(now, float(day)), self._start_day)
        bucket.append((due, weakref.ref(subject), token))

    def _due(self, subject, token) -> None:
        if self.valid(subject, token):
            self.fire(subject, token)

    def _start_day(self) -> None:
        env = self.env
        now = env.now
        if now != self._wake_day:  # an earlier day's bucket was made after this wake-up was set
            return
        day = heappop(self._days)
        valid = self.valid
        for due, ref, token in self._buckets.pop(day):
            subject = ref()
            if subject is not None and valid(subject, token):
                env.at(delay_to(now, due), self._due, subject, token)
        self._wake_day = self._days[0] if self._days else math.inf
        if self._days:
            env.at(delay_to(now, float(self._wake_day)), self._start_day)


def delay_to(now: float, when: float) -> float:
    """The delay that takes ``now`` to exactly ``when`` in floating point (the environment computes
    ``now + delay``), so that a timer moved into the event queue goes off at the time drawn."""
    delay = when - now
    while now + delay < when:
        delay = math.nextafter(delay, math.inf)
    while now + delay > when:
        delay = math.nextafter(delay, -math.inf)
    return delay
