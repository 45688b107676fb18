"""The simulation: the parts of the service, each in its own module, wired together in
:mod:`journeysim.model.run`, that play families through the service and log what happens.

``simulate(scenario, seed, ...)`` runs one replication and writes its event log.  None of
the modules computes a statistic.  The processes run on journeysim's own engine
(:mod:`journeysim.engine`).
"""

from .run import simulate

__all__ = ["simulate"]
