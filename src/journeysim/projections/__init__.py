"""Projections: pure functions of the event log giving the official measures.

Every function takes the log as an Arrow table (as :func:`journeysim.eventlog.read_log`
returns) or a pandas DataFrame, and never looks at the model.  Financial years run
1 April - 31 March and are labelled ``"2014-15"``; stocks are taken at the end of a day.

* :func:`measures` -- every official measure by financial year (long format)
* :func:`stocks_at` -- children in need, on CP plans, looked after at a date
* :func:`caseload_series` -- each worker's caseload at the start of each period
* :func:`journeys` -- one row per child journey
* :func:`child_events` -- one child's events (``journeysim trace``)
* :func:`social_workers_distribution` -- workers per closed journey, for 000 Table 9
"""

from ._frame import as_frame
from .caseload import caseload_series, caseloads_at
from .journeys import child_events, journeys, social_workers_distribution
from .measures import MEASURES, measures
from .stocks import stocks_at

__all__ = [
    "MEASURES",
    "as_frame",
    "caseload_series",
    "caseloads_at",
    "child_events",
    "journeys",
    "measures",
    "social_workers_distribution",
    "stocks_at",
]
