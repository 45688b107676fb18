"""The simulation: SimPy processes that play families through the service.

``world.simulate(scenario, seed, ...)`` runs one replication and writes its event log.
Each module holds one part of the service; none of them computes a statistic.
"""

from .world import simulate

__all__ = ["simulate"]
