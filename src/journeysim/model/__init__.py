"""The simulation: processes (generators that yield the days they wait, run in SimPy's event
queue by ``world.Process``) that play families through the service.

``world.simulate(scenario, seed, ...)`` runs one replication and writes its event log.
Each module holds one part of the service; none of them computes a statistic.
"""

from .world import simulate

__all__ = ["simulate"]
