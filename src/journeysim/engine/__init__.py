"""journeysim's discrete-event engine.  It knows nothing of social care.

The model runs on an engine of its own, not on SimPy's processes and events: SimPy's way of
waiting (a ``Timeout`` event with a list of callbacks that resumes a ``simpy.Process``) costs
three objects and four calls per wait, and a county replication waits some two million
times.  Here a wait is one entry in the event queue, and the loop that takes entries off
the queue is compiled.

What it keeps of SimPy, and why:

- **The order of events, exactly.**  An entry in the queue is SimPy's ``(time, priority,
  eid, event)``, a process starts with an urgent entry as a SimPy process does, a wait is
  scheduled as SimPy schedules a timeout, and ties are broken by the order entries were
  scheduled in.  So a model written here does what the same generators run as SimPy
  processes would do, event for event (``tests/test_engine.py`` runs both and compares the
  traces).  Equal logs for equal seeds rest on this order.
- **SimPy's ``Environment`` as the base class**, so that SimPy's own events, processes and
  ``run(until=event)`` still work in it, for tests and for anyone extending the model with
  SimPy's vocabulary.  The model itself never yields a SimPy event.

What it adds:

- :class:`Environment`: SimPy's environment with a clock in a plain attribute, later days'
  events kept in buckets by day (the queue holds about a day's events), and one loop
  (:func:`run_events`, with a compiled twin ``journeysim.engine._loop``);
- :class:`Process`, :class:`Signal` and :meth:`Environment.at`: light processes (generators
  that yield the days they wait, or a signal) and scheduled calls;
- :class:`Timers`: timers most of which will be void by the time they fall due, kept out of
  the event queue until their day;
- :class:`Pool`: a pool of servers with capacities, from which work is given to the least
  loaded (a team of workers, in the model);
- :func:`collector_paused`: Python's cyclic garbage collector paused while a run is played.
"""

from .environment import Environment, Process, Signal, collector_paused, run_events
from .pool import Pool
from .timers import Timers

__all__ = ["Environment", "Pool", "Process", "Signal", "Timers", "collector_paused", "run_events"]
