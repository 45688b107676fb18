"""The projections as they were first written, on pandas: one converted DataFrame per log.

Replaced by :mod:`journeysim.projections` (Polars, reading the Parquet logs directly, many
replications in one query), which gives the same numbers; kept only as the reference that
``tests/test_projections_equal_legacy.py`` checks the new ones against, until it is removed.
"""

from .caseload import caseload_series, caseloads_at
from .flows import intake_by_week, transition_counts, transitions
from .journeys import child_events, handoffs_by_reason, journeys, social_workers_distribution
from .measures import measures
from .stocks import stock_series, stocks_at
from .waits import allocation_waits, hub_waits, queue_lengths
