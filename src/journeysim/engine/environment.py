"""The environment, its light processes and scheduled calls, and the loop that runs them.

See :mod:`journeysim.engine` for what this keeps of SimPy and why.
"""

from __future__ import annotations

import contextlib
import gc
import math
from heapq import heappop, heappush

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT

from .. import compiled


class _Entry:
    """What SimPy's own loop (``Environment.step``, used for ``run(until=event)``) needs of a queue
    entry that is not a SimPy event: that it succeeded, and its callbacks, which the loop calls
    with it and then sets to None.  Here they are the same for every entry of a class
    (``_CALLBACKS``), and setting them changes nothing: a call is in the queue once, and a
    process is put in again each time it waits."""

    __slots__ = ()
    _ok = True
    _CALLBACKS: tuple = ()

    @property
    def callbacks(self) -> tuple:
        return self._CALLBACKS

    @callbacks.setter
    def callbacks(self, value) -> None:
        pass


class _Call(_Entry):
    """A call of ``fn(*args)`` that :meth:`Environment.at` puts in the event queue.  Of an event,
    SimPy's loop (``Environment.step``) needs only its callbacks, which it takes and calls with
    the event, and whether it succeeded; a ``Timeout`` with a closure appended to its callbacks
    costs two more objects and two more calls, and this is one of the model's commonest events
    (with a waiting :class:`Process`, which is its own entry).  The function and its arguments
    are kept apart, not in a closure, since a closure is three to six more objects, to be fetched
    from wherever they lie in memory when the call comes due, days or months later."""

    __slots__ = ("fn", "args")

    def __init__(self, fn, args: tuple) -> None:
        self.fn = fn
        self.args = args


def _fire(call: _Call) -> None:
    call.fn(*call.args)


_Call._CALLBACKS = (_fire,)


class Process(_Entry):
    """A model process: a generator that yields the days it waits (a number), or a :class:`Signal`
    to wait until something else wakes it.  It runs exactly as the same generator run as a SimPy
    process yielding ``env.timeout(days)`` or ``env.event()`` would (same times, same order of
    everything: started as SimPy starts a process, by an urgent entry in the event queue; each
    wait scheduled as SimPy schedules a timeout), but a wait is one entry in the event queue, the
    process itself (the run loop resumes it), rather than a ``Timeout`` event with a list of
    callbacks that resumes a ``simpy.Process``.  The end of a process is not an event: SimPy
    schedules one, but nothing in the model waits for a process, and an event nobody waits for
    changes nothing.  An exception in the generator ends the run with its own traceback."""

    __slots__ = ("_generator", "_env")

    def __init__(self, env: "Environment", generator) -> None:
        self._generator = generator
        self._env = env
        env.put((env.now, URGENT, next(env._eid), self))

    def _resume(self) -> None:
        try:
            wait = self._generator.send(None)
        except StopIteration:
            return
        if wait.__class__ is not float or wait < 0.0:  # not the usual days to wait
            wait = self._days_or_signal(wait)
            if wait is None:
                return
        env = self._env
        env.put((env.now + wait, NORMAL, next(env._eid), self))

    def _days_or_signal(self, wait) -> float | None:
        """What the generator yielded, other than a float: days to wait as a float, or None for a
        :class:`Signal` (which now holds this process)."""
        if isinstance(wait, Signal):
            wait._waiting = self
            return None
        if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait >= 0:
            return float(wait)
        raise ValueError(f"a model process yielded {wait!r}: it must yield the days it waits (a number, "
                         "at least 0) or a Signal")


def _resume_process(process: Process) -> None:
    process._resume()


Process._CALLBACKS = (_resume_process,)


class Signal:
    """What a :class:`Process` yields to wait until :meth:`succeed` is called: it then resumes as a
    SimPy process waiting for ``env.event()`` resumes after ``succeed()`` (an entry in the event
    queue, at the time of ``succeed``)."""

    __slots__ = ("_env", "_waiting")

    def __init__(self, env: "Environment") -> None:
        self._env = env
        self._waiting: Process | None = None

    def succeed(self) -> None:
        env = self._env
        env.put((env.now, NORMAL, next(env._eid), _Call(self._wake, ())))

    def _wake(self) -> None:
        if self._waiting is not None:
            self._waiting._resume()


class Environment(simpy.Environment):
    """SimPy's environment with two changes of speed, none of behaviour: events are processed in
    exactly SimPy's order (by time, priority and the order they were scheduled in), so logs are
    the same as with :class:`simpy.Environment`.

    - **Later days wait apart.**  An event due on a later day than the queue is open to waits in
      a bucket for its day, not in SimPy's queue (a heap); when the queue has nothing left before
      the end of its open days, the next day's bucket goes in.  Each event keeps the place in the
      tie order it was given when scheduled, so nothing moves.  The queue then holds about a
      day's events, not every pending one (at run.scale 1, some 6,500, most of them months
      ahead), and taking the next event off it goes down a few levels in the processor's cache
      rather than a deep heap spread over memory: that had been a tenth of a county run.
    - **One loop.**  :meth:`run` has ``step`` written into it (:func:`run_events`), so that taking
      an event costs no method call, and calls a :class:`_Call` (:meth:`at`) directly.  The
      loop has a compiled twin, used when it is built (:mod:`journeysim.compiled`).

    Besides SimPy's own ``process``, ``timeout`` and ``event``, it offers the engine's lighter
    three: :meth:`at` (call a function later), :meth:`start` (start a :class:`Process`) and
    :meth:`signal` (something for a process to wait on).
    """

    #: The clock is a plain attribute: SimPy's ``now`` is a read-only property over ``_now``, and
    #: the model reads the clock some 2.4 million times in a county run.  Here ``_now``, which
    #: SimPy's own code reads and writes, is the property, over ``now``.
    now = 0.0
    _now = property(lambda self: self.now, lambda self, t: setattr(self, "now", t))

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self._open = math.floor(initial_time) + 1.0  # events due before this time are in the queue
        self._later: dict[int, list] = {}  # the other events (entries as in the queue), by day due
        self._later_days: list[int] = []  # the days in _later (a heap)

    def at(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` after ``delay`` days (a negative delay counts as none): a scheduled
        call, lighter than a process.  It is scheduled exactly as ``timeout(delay)`` would be
        (same time, priority and place in the tie order), as a :class:`_Call`."""
        self.put((self.now + (delay if delay > 0.0 else 0.0), NORMAL, next(self._eid), _Call(fn, args)))

    def start(self, generator) -> "Process":
        """Start a :class:`Process` now: ``generator`` yields the days it waits, or a :class:`Signal`."""
        return Process(self, generator)

    def signal(self) -> "Signal":
        """A :class:`Signal` for a process to wait on."""
        return Signal(self)

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        self.put((self.now + delay, priority, next(self._eid), event))

    def put(self, entry: tuple) -> None:
        """Put a queue entry (time, priority, eid, event) in the queue, or in its day's bucket."""
        t = entry[0]
        if t < self._open or t == math.inf:
            heappush(self._queue, entry)
            return
        day = int(t)
        bucket = self._later.get(day)
        if bucket is None:
            bucket = self._later[day] = []
            heappush(self._later_days, day)
        bucket.append(entry)

    def _open_next_day(self) -> float:
        """Move the next day's bucket into the queue; the queue is then open to the end of that day."""
        day = heappop(self._later_days)
        queue = self._queue
        for entry in self._later.pop(day):
            heappush(queue, entry)
        self._open = day + 1.0
        return self._open

    def _ready(self) -> bool:
        """Bring the next event into the queue if it is waiting in a bucket; False if there is none."""
        queue = self._queue
        while not (queue and queue[0][0] < self._open):
            if not self._later_days:
                return bool(queue)
            self._open_next_day()
        return True

    def peek(self) -> float:
        return self._queue[0][0] if self._ready() else math.inf

    def step(self) -> None:
        self._ready()
        super().step()

    def clear(self) -> None:
        """Drop every pending event."""
        self._queue.clear()
        self._later.clear()
        self._later_days.clear()

    def run(self, until=None):
        """As :meth:`simpy.Environment.run`: until no event is left (``until`` None), until the
        clock reaches the number ``until`` (events at that time are left, as SimPy's urgent stop
        event leaves them), or, for an ``until`` event, by SimPy's own loop (through :meth:`step`)."""
        if isinstance(until, simpy.Event):
            return super().run(until)
        stop = math.inf if until is None else float(until)
        if until is not None and stop <= self.now:
            raise ValueError(f"until ({stop}) must be greater than the current simulation time")
        try:
            _run_events(self, stop, until is not None, _Call, Process)
        except StopSimulation as stop_event:
            return stop_event.args[0]
        if until is not None:
            self.now = stop
        return None


def run_events(env: Environment, stop: float, bounded: bool, call: type, process: type) -> None:
    """The loop of :meth:`Environment.run`: run ``env``'s events in order until none is left or,
    when ``bounded``, until the next is due at ``stop`` or later.  ``call`` is :class:`_Call`,
    ``process`` :class:`Process`.
    This is the reference for its compiled twin, ``journeysim.engine._loop.run_events``, which
    :meth:`Environment.run` uses when it is built (:mod:`journeysim.compiled`)."""
    queue, later_days = env._queue, env._later_days
    open_ = env._open
    while True:
        if not (queue and queue[0][0] < open_):
            if later_days:
                open_ = env._open_next_day()
                continue
            if not queue:
                return
        if bounded and queue[0][0] >= stop:
            return
        env.now, _, _, event = heappop(queue)
        if type(event) is call:
            event.fn(*event.args)
            continue
        if type(event) is process:
            event._resume()
            continue
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):  # a failed event crashes the run, as in SimPy
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


_run_events = getattr(compiled.in_use("engine._loop"), "run_events", run_events)


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector in the block (a run), restoring its state after.

    A run allocates millions of short-lived events and callbacks, and with the collector on,
    its passes over the model's ever larger heap took over a third of a run.  Nothing is lost
    as long as the objects a run makes form no reference cycles: reference counting then frees
    every one as soon as it is no longer needed (the model keeps to this, and
    ``tests/test_model.py`` checks that a run leaves no cyclic garbage)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
