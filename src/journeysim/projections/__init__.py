"""Projections: pure functions of the event log giving the official measures.

Every function takes one log -- a Parquet log file, an Arrow table (as
:func:`journeysim.eventlog.read_log` returns) or a pandas DataFrame -- or :class:`Logs`, the
logs of many replications at once (:meth:`Logs.files`), whose answers carry the replication
as a column ``rep``; and never looks at the model.  They are queries on Polars frames,
reading from the Parquet files only the events and columns they need.  Financial years
run 1 April - 31 March and are labelled ``"2014-15"``; stocks are taken at the end of a day.

* :func:`measures` -- every official measure by financial year (long format)
* :func:`stocks_at` -- children in need, on CP plans, looked after at a date
* :func:`caseload_series` -- each worker's caseload at the start of each period
* :func:`journeys` -- one row per child journey
* :func:`child_events` -- one child's events (``journeysim trace``)
* :func:`social_workers_distribution` -- workers per journey closed in a window, for 000 Table 9
* :func:`handoffs_by_reason` -- changes of worker by reason and year
* :func:`stock_series` -- the stocks at each of many dates
* :func:`transitions`, :func:`transition_counts` -- steps along the pathway graph's edges;
  :func:`front_door_counts` -- families' steps through the front door
* :func:`intake_by_week` -- referrals received by each team each week
* :func:`allocation_waits`, :func:`hub_waits`, :func:`queue_lengths` -- waiting and queues

:mod:`journeysim.projections.legacy` keeps the pandas implementation they replaced, which
the tests check them against until it is removed.
"""

from ._frame import as_frame
from .caseload import caseload_series, caseloads_at
from .flows import front_door_counts, intake_by_week, transition_counts, transitions
from .journeys import child_events, handoffs_by_reason, journeys, social_workers_distribution
from .logs import Logs
from .measures import MEASURES, measures
from .stocks import stock_series, stocks_at
from .waits import allocation_waits, hub_waits, queue_lengths

__all__ = [
    "MEASURES",
    "Logs",
    "allocation_waits",
    "as_frame",
    "caseload_series",
    "caseloads_at",
    "child_events",
    "handoffs_by_reason",
    "hub_waits",
    "intake_by_week",
    "journeys",
    "measures",
    "queue_lengths",
    "social_workers_distribution",
    "stock_series",
    "stocks_at",
    "transition_counts",
    "front_door_counts",
    "transitions",
]
