# cython: language_level=3
"""The event loop of :class:`journeysim.engine.Environment`, compiled: the same steps as
:func:`journeysim.engine.environment.run_events`, its Python original and reference (see
:mod:`journeysim.compiled`).  The calls it makes (scheduled calls, process resumptions,
SimPy's callbacks, the queue's heap operations) are the same calls; what compiling removes
is the interpreter's own work between them, which was a tenth of a county run."""

from heapq import heappop


def run_events(env, double stop, bint bounded, call, process):
    """Run ``env``'s events in order until none is left or, when ``bounded``, until the next is
    due at ``stop`` or later.  ``call`` is the class of scheduled calls (environment._Call),
    ``process`` that of light processes (environment.Process)."""
    cdef list queue = env._queue
    cdef list later_days = env._later_days
    cdef double open_ = env._open
    cdef tuple entry
    cdef double due
    while True:
        due = (<tuple>queue[0])[0] if queue else 0.0  # the next event's time
        if not (queue and due < open_):
            if later_days:
                open_ = env._open_next_day()
                continue
            if not queue:
                return
        if bounded and due >= stop:
            return
        entry = <tuple>heappop(queue)
        env.now = entry[0]
        event = entry[3]
        if type(event) is call:
            event.fn(*event.args)
            continue
        if type(event) is process:
            event._resume()
            continue
        callbacks = event.callbacks
        event.callbacks = None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):  # a failed event crashes the run, as in SimPy
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
