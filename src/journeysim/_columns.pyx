# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The event log's column buffers, compiled: the same rows as :class:`journeysim.eventlog.ListColumns`,
held in typed arrays instead of Python lists.

Each row is written into preallocated typed arrays (numbers as C numbers, a missing one marked
in a byte of its own; strings as codes into a dictionary of the chunk's strings, in the order
they first appear), so appending an event costs a few stores rather than thirteen list appends,
and turning a chunk into Arrow arrays reads memory in order instead of visiting 65,536 Python
objects per column scattered over the heap.  The arrays made from a chunk are those that
``ListColumns`` makes from its lists (same values, same nulls, same dictionaries), and the Parquet
files written from them are byte-identical (``tests/test_columns.py``).

Built when the package is installed (``setup.py``); without a C compiler the package installs
without it and the event log uses ``ListColumns``.
"""

import numpy as np
import pyarrow as pa

from .eventlog import age_array

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t

cdef double NAN = float("nan")


cdef class Columns:
    """A chunk's rows in typed arrays.  ``emit`` appends one row and calls ``full(self)`` once the
    chunk holds ``capacity`` rows; ``take`` hands the chunk over as Arrow arrays and empties it."""

    cdef readonly Py_ssize_t size, capacity
    cdef object full
    cdef double[::1] time, age, value
    cdef int16_t[::1] event, team, outcome, reason, legal_status
    cdef int64_t[::1] case_id, child_id, family_id
    cdef int32_t[::1] worker, count
    cdef uint8_t[::1] has_case, has_child, has_family, has_worker, has_count, has_value
    cdef dict events, teams, outcomes, reasons, legal_statuses
    cdef dict _arrays

    def __init__(self, Py_ssize_t capacity, full):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.full = full
        a = self._arrays = {}
        for name, dtype in (("time", np.float64), ("age", np.float64), ("value", np.float64),
                            ("event", np.int16), ("team", np.int16), ("outcome", np.int16), ("reason", np.int16),
                            ("legal_status", np.int16), ("case_id", np.int64), ("child_id", np.int64),
                            ("family_id", np.int64), ("worker", np.int32), ("count", np.int32),
                            ("has_case", np.uint8), ("has_child", np.uint8), ("has_family", np.uint8),
                            ("has_worker", np.uint8), ("has_count", np.uint8), ("has_value", np.uint8)):
            a[name] = np.zeros(capacity, dtype=dtype)
        self.time, self.age, self.value = a["time"], a["age"], a["value"]
        self.event, self.team, self.outcome = a["event"], a["team"], a["outcome"]
        self.reason, self.legal_status = a["reason"], a["legal_status"]
        self.case_id, self.child_id, self.family_id = a["case_id"], a["child_id"], a["family_id"]
        self.worker, self.count = a["worker"], a["count"]
        self.has_case, self.has_child, self.has_family = a["has_case"], a["has_child"], a["has_family"]
        self.has_worker, self.has_count, self.has_value = a["has_worker"], a["has_count"], a["has_value"]
        self._new_dictionaries()

    cdef void _new_dictionaries(self):
        self.events, self.teams, self.outcomes, self.reasons, self.legal_statuses = {}, {}, {}, {}, {}

    def __len__(self):
        return self.size

    def emit(self, double time, event, case_id=None, child_id=None, family_id=None, team=None, worker=None,
             outcome=None, reason=None, legal_status=None, age=None, count=None, value=None):
        """Append one row (the arguments of :meth:`journeysim.eventlog.EventLog.emit`).  A row whose
        values cannot be stored (a number out of its column's range, say) raises and is not kept."""
        cdef Py_ssize_t i = self.size
        self.time[i] = time
        if case_id is None:
            self.has_case[i] = 0
        else:
            self.case_id[i] = case_id
            self.has_case[i] = 1
        if child_id is None:
            self.has_child[i] = 0
        else:
            self.child_id[i] = child_id
            self.has_child[i] = 1
        if family_id is None:
            self.has_family[i] = 0
        else:
            self.family_id[i] = family_id
            self.has_family[i] = 1
        if worker is None:
            self.has_worker[i] = 0
        else:
            self.worker[i] = worker
            self.has_worker[i] = 1
        self.age[i] = NAN if age is None else <double>age
        if count is None:
            self.has_count[i] = 0
        else:
            self.count[i] = count
            self.has_count[i] = 1
        if value is None:
            self.has_value[i] = 0
        else:
            self.value[i] = value
            self.has_value[i] = 1
        # the strings last: a row refused for a number leaves nothing in the chunk's dictionaries
        self.event[i] = _code(self.events, event)
        self.team[i] = _code(self.teams, team)
        self.outcome[i] = _code(self.outcomes, outcome)
        self.reason[i] = _code(self.reasons, reason)
        self.legal_status[i] = _code(self.legal_statuses, legal_status)
        self.size = i + 1
        if self.size == self.capacity:
            self.full(self)

    def take(self, fields):
        """The chunk's columns as Arrow arrays, for the schema ``fields`` (the log's columns but seq
        and date: time, event, case_id, ..., value); the buffers are then empty."""
        n = self.size
        a = self._arrays
        out = []
        for field in fields:
            name = field.name
            if name == "time":
                out.append(pa.array(a["time"][:n].copy()))  # copies: the buffers are written over next
            elif name == "age":
                out.append(age_array(a["age"][:n]))  # a new float32 array
            elif pa.types.is_dictionary(field.type):
                codes = a[name][:n].copy()
                strings = {"event": self.events, "team": self.teams, "outcome": self.outcomes,
                           "reason": self.reasons, "legal_status": self.legal_statuses}[name]
                indices = pa.array(codes, type=field.type.index_type, mask=codes < 0)
                out.append(pa.DictionaryArray.from_arrays(indices, pa.array(list(strings), type=field.type.value_type)))
            else:
                has = a[_PRESENT[name]][:n]
                out.append(pa.array(a[name][:n].copy(), type=field.type, mask=has == 0))
        self.size = 0
        self._new_dictionaries()
        return out


_PRESENT = {"case_id": "has_case", "child_id": "has_child", "family_id": "has_family", "worker": "has_worker",
            "count": "has_count", "value": "has_value"}


cdef inline int16_t _code(dict strings, s) except -2:
    """The code of string ``s`` in the chunk's dictionary ``strings`` (a new one if it is new); -1 for None."""
    if s is None:
        return -1
    code = strings.get(s)
    if code is None:
        code = len(strings)
        if code > 32767:
            raise OverflowError("more than 32,768 distinct strings in one column of a chunk")
        strings[s] = code
    return code
