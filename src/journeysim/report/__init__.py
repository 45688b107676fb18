"""The HTML report, its figures and the training views (``journeysim report / animate / trace --figure``).

* :mod:`~journeysim.report.collect` -- one pass over a run's logs, keeping the projections needed
* :mod:`~journeysim.report.data` -- the table behind every figure (what tests check)
* :mod:`~journeysim.report.figures` -- drawing those tables with matplotlib
* :mod:`~journeysim.report.build` -- figures and words assembled into one self-contained page
  (:mod:`~journeysim.report.page` writes the HTML, :mod:`~journeysim.report.words` the prose)
* :mod:`~journeysim.report.timeline` -- one child's journey as a timeline (``trace --figure``)
* :mod:`~journeysim.report.animate` -- stocks and queues over time (``animate``)
"""

from .build import write_report

__all__ = ["write_report"]
