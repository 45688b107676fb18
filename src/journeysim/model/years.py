"""Year-to-year variation: one random shift per financial year in demand and in a few thresholds.

Published series move from one year to the next by more than chance alone: Hampshire's
children looked after starts were 600, 507 and 647 in three successive years.  The trends
and seasonality of the scenario do not hold such movements, so a model without them gives
intervals that are too narrow for a year the county actually saw.  Each *channel* here
draws one standard normal ``z`` per financial year and turns it into a factor that holds
for that whole year:

- ``front_door``: a multiplier on the contacts from new families;
- ``care_entry``: a multiplier on the odds of the three decisions that take a child into care
  (an emergency at the section 47 enquiry, a CIN plan ending in care, PLO going to
  proceedings; not a return home breaking down, nor UASC);
- ``returns``: a multiplier on the odds of a closed family coming back to the front door;
- ``repeat_cp``: a multiplier on the raised odds of a strategy discussion for a child with
  an earlier CP plan.

Each factor is ``exp(sd z - sd^2 / 2)``, whose mean is 1: the expected volume is the
trend's, and a small probability's expected value is unchanged (for a larger one, an odds
multiplier with mean 1 lowers it a little).

The sizes are the ``variation.*_sd`` keys of the scenario (0, the default, draws nothing and
leaves the model exactly as without this module).  Each year's draw comes from its own named
stream (``year.<channel>.<start year>``), so a year's shift is the same whatever the run's
start, horizon or other settings: two scenarios compared on the same seed see the same years.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from typing import TYPE_CHECKING

from ..rng import Stream
from ..scenario import section_type

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

#: The channels, in the order of their ``variation.<channel>_sd`` keys.
CHANNELS = ("front_door", "care_entry", "returns", "repeat_cp")


def odds_shift(p: float, factor: float) -> float:
    """``p`` with its odds multiplied by ``factor`` (``p`` itself, to the last bit, for a factor of 1)."""
    if factor == 1.0:
        return p
    return factor * p / (1.0 - p + factor * p)


#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("variation")


class YearEffects:
    """The factors of one replication, by channel and financial year."""

    __slots__ = ("_bounds", "_factors")

    def __init__(self, w: "World", seed: int) -> None:
        years = w.cal.financial_years()
        self._bounds = [w.cal.day(dt.date(y, 4, 1)) for y in years[1:]]  # day each later year starts
        # every channel has an entry (None when off), so that a misspelt channel is a KeyError, not 1.0
        self._factors: dict[str, tuple[float, ...] | None] = dict.fromkeys(CHANNELS)
        for channel in CHANNELS:
            sd = getattr(w.params.years, f"{channel}_sd")
            if sd > 0:
                z = [Stream(seed, f"year.{channel}.{y}").normal() for y in years]
                self._factors[channel] = tuple(math.exp(sd * x - 0.5 * sd * sd) for x in z)

    def factor(self, channel: str, day: float) -> float:
        """The channel's factor in the financial year containing simulation day ``day`` (1.0 when
        the channel is off)."""
        f = self._factors[channel]
        if f is None:
            return 1.0
        return f[bisect_right(self._bounds, day)]

    def prob(self, channel: str, p: float, day: float) -> float:
        """Probability ``p`` with the channel's odds multiplier for the year of ``day`` applied
        (``p`` itself, unchanged to the last bit, when the channel is off)."""
        f = self._factors[channel]
        if f is None:
            return p
        return odds_shift(p, f[bisect_right(self._bounds, day)])

    def by_year(self) -> dict[str, tuple[float, ...]]:
        """The factors drawn, by channel (for tests and reports)."""
        return {c: f for c, f in self._factors.items() if f is not None}
