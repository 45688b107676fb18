"""The engine runs events in SimPy's own order: its Environment keeps events due on later days in
buckets and runs SimPy's run and step as one loop, its light processes and scheduled calls are
one queue entry each, and none of that may change what happens."""

from __future__ import annotations

from heapq import heappush

import pytest
import simpy

from journeysim.engine import environment
from journeysim.engine.environment import Environment, Process, Signal
from journeysim.eventlog import file_digest
from journeysim.model import simulate, world

from conftest import compiled_module, small


@pytest.fixture(autouse=True, params=["python", "compiled"])
def loop(request, monkeypatch):
    """Every test here runs with each of the two loops: environment.run_events and its compiled twin."""
    fn = environment.run_events if request.param == "python" else compiled_module("engine._loop").run_events
    monkeypatch.setattr(environment, "_run_events", fn)
    return request.param


class PlainSimPy(simpy.Environment):
    """SimPy's own environment and loop, with everything in its one queue, and the engine's way of
    putting calls and processes in it (at, start, signal, which the model uses)."""

    at = Environment.at
    start = Environment.start
    signal = Environment.signal

    def put(self, entry: tuple) -> None:
        heappush(self._queue, entry)

    def clear(self) -> None:
        self._queue.clear()


def _trace(env: simpy.Environment, until=None) -> tuple[list, float, object]:
    """What a little model does in ``env``: processes, plain timeouts at equal times, calls put in
    the queue as Environment.at puts them, an event succeeded from a call, and an urgent
    interrupt."""
    seen: list = []

    def proc(name: str, delays: list[float]):
        for d in delays:
            try:
                yield env.timeout(d)
                seen.append((env.now, name))
            except simpy.Interrupt:
                seen.append((env.now, name, "interrupted"))

    gate = env.event()

    def waiter():
        value = yield gate
        seen.append((env.now, "gate", value))

    p = env.process(proc("a", [1.0, 1.0, 2.0, 0.0]))
    env.process(proc("b", [2.0, 2.0, 3.0]))
    env.process(waiter())

    def note(label: str, *more) -> None:
        seen.append((env.now, label, *more))

    env.at(2.0, lambda: seen.append((env.now, "call")))
    env.at(3.0, gate.succeed, "open")  # a call with its arguments
    env.at(4.0, lambda: p.interrupt() if p.is_alive else None)
    env.at(4.0, note, "call at 4", 2, None)
    env.at(-1.0, note, "a negative delay is none")
    out = env.run(until)
    return seen, env.now, out


@pytest.mark.parametrize("until", [None, 4.0, 2.5, 7.0])
def test_the_loop_processes_events_in_simpys_order(until):
    assert _trace(Environment(), until) == _trace(PlainSimPy(), until)


def test_the_loop_stops_before_events_at_the_until_time_and_rejects_the_past():
    env = Environment()
    seen = []
    env.process((lambda: (yield env.timeout(5.0)) or seen.append(env.now))())
    env.run(5.0)
    assert seen == [] and env.now == 5.0  # the event at exactly 5 is left, as SimPy leaves it
    env.run(6.0)
    assert seen == [5.0]
    with pytest.raises(ValueError, match="must be greater"):
        env.run(6.0)


def test_a_failed_event_crashes_the_run_as_in_simpy():
    for env in (Environment(), simpy.Environment()):
        ev = env.event()
        env.process((lambda: (yield env.timeout(1.0)) or ev.fail(KeyError("lost")))())
        with pytest.raises(KeyError, match="lost"):
            env.run()


def test_a_run_on_the_loop_writes_the_log_simpys_loop_writes(tmp_path, monkeypatch):
    s = small("hampshire.toml")
    simulate(s, 4, tmp_path / "loop.parquet")
    monkeypatch.setattr(world, "Environment", PlainSimPy)
    simulate(s, 4, tmp_path / "simpy.parquet")
    assert file_digest(tmp_path / "loop.parquet") == file_digest(tmp_path / "simpy.parquet")


def _process_trace(env: simpy.Environment, light: bool) -> list:
    """A little model of processes that wait for times (equal ones, zero, fractions), for a signal
    succeeded by a callback and by another process, and start one another: run as the model's
    light processes (Process, Signal) or, from the same generators, as SimPy's."""
    seen: list = []

    def start(gen) -> None:
        if light:
            Process(env, gen)
        else:
            env.process(_as_simpy(env, gen))

    gate = Signal(env) if light else env.event()
    second = Signal(env) if light else env.event()

    def walker(name: str, waits: list):
        seen.append((env.now, name, "start"))
        for wait in waits:
            yield wait
            seen.append((env.now, name))
        if name == "b":
            second.succeed()
            start(walker("c", [0.0, 1.5]))

    def waiter(name: str, signal):
        yield 0.5
        yield signal
        seen.append((env.now, name, "woken"))
        yield 0.0
        seen.append((env.now, name))

    start(walker("a", [1.0, 1.0, 0.0, 2.0, 1]))
    start(walker("b", [2.0, 0.25, 0.75]))
    start(waiter("w", gate))
    start(waiter("v", second))
    Environment.at(env, 2.0, lambda: seen.append((env.now, "call")))
    Environment.at(env, 2.0, lambda: start(walker("d", [0.0, 1.0])))
    Environment.at(env, 3.0, gate.succeed)
    env.run()
    return seen + [env.now]


def _as_simpy(env: simpy.Environment, gen):
    """Run a model process's generator as a SimPy process: a number is a timeout, a signal an event."""
    while True:
        try:
            wait = gen.send(None)
        except StopIteration:
            return
        yield wait if isinstance(wait, simpy.Event) else env.timeout(wait)


def test_the_models_light_processes_run_as_simpy_processes_would():
    light = _process_trace(Environment(), light=True)
    assert light == _process_trace(PlainSimPy(), light=False)
    assert light == _process_trace(Environment(), light=False)
    assert (2.0, "call") in light and (3.0, "w", "woken") in light and light[-1] == 5.0


def test_a_process_that_yields_something_else_is_refused_by_name():
    env = Environment()

    def wrong():
        yield "tomorrow"

    Process(env, wrong())
    with pytest.raises(ValueError, match="yielded 'tomorrow'"):
        env.run()


def test_timers_go_off_at_the_time_drawn_unless_void_and_never_keep_a_subject_alive():
    """Timers wait in day buckets and enter the event queue on their day: each valid one goes off at
    exactly the time it was set for (floating point included), a void one never does, and a timer
    does not keep its subject alive."""
    import gc
    import random
    import weakref

    from journeysim.engine import Timers

    class Subject:
        def __init__(self, name: str) -> None:
            self.name, self.token = name, 0

    env = Environment()
    fired: list = []
    timers = Timers(env, lambda s, token: fired.append((env.now, s.name, token)),
                    lambda s, token: s.token == token)
    rnd = random.Random(3)
    kept = [Subject(f"s{i}") for i in range(40)]
    expected = []
    for s in kept:  # from time 0: some today, some negative, most on later days
        delay = rnd.choice([-1.0, 0.0, 0.3, rnd.uniform(0, 40), rnd.uniform(0, 40) + 1e-9])
        timers.set(delay, s, 0)
        if s.name[-1] in "02468":
            expected.append((0.0 + max(0.0, delay), s.name, 0))
    gone = Subject("gone")
    timers.set(5.5, gone, 0)
    freed = weakref.ref(gone)
    del gone
    gc.collect()

    for s in kept:  # void the odd ones, before any falls due
        if s.name[-1] in "13579":
            s.token += 1
    late = Subject("voided on its day, after its bucket went into the queue")
    timers.set(10.7, late, 0)
    env.at(10.2, setattr, late, "token", 1)
    env.run()
    assert freed() is None, "a timer keeps no subject alive"
    assert sorted(fired) == sorted(expected)
    assert [t for t, *_ in fired] == sorted(t for t, *_ in fired)
