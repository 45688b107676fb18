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

A **forecast** adds trend uncertainty that grows with the horizon: from the financial year that
starts on or after ``variation.walk_start`` (the forecast origin), the ``front_door`` and
``care_entry`` factors are also multiplied by a random walk on the log scale, one step of
standard deviation ``variation.<channel>_walk_sd`` a year (streams ``walk.<channel>.<year>``).
The past is left alone: before the origin nothing changes.

The **jump-off** (``variation.jump_off_year``) is a year already seen: a forecast starts from it,
and its shifts are not random but the county's realised ones, ``variation.<channel>_jump_off``,
estimated by calibration so that the year's referrals, CLA starts, re-referrals and second CP
plans sit on the published figures (a population projection starts from the population counted,
not from a model of it).  A fifth factor belongs to the jump-off only: the **court's pace**
(``variation.court_pace_jump_off``), at which the waits for adoption and special guardianship
orders run in that year (:meth:`YearEffects.court_wait`); the year's adoptions sit on the
published figure through it.  Every other year draws as before, from the same streams.
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


#: The channels that also take a random walk after a forecast origin (``variation.walk_start``).
WALKS = ("front_door", "care_entry")


def walk(z: list[float], sd: float, steps: list[int]) -> list[float]:
    """The multipliers of a random walk on the log scale: in a year ``steps[i]`` years after the
    origin (0 or fewer: none yet), exp(sd x (z_1 + ... + z_k) - k sd^2 / 2), whose mean is 1 and
    whose spread grows with the horizon (a sd of sd x sqrt(k) on the log scale)."""
    out, total = [], 0.0
    for x, k in zip(z, steps):
        if k > 0:
            total += sd * x
        out.append(math.exp(total - 0.5 * max(0, k) * sd * sd) if k > 0 else 1.0)
    return out


class YearEffects:
    """The factors of one replication, by channel and financial year."""

    __slots__ = ("_bounds", "_factors", "_court")

    def __init__(self, w: "World", seed: int) -> None:
        p = w.params.years
        years = w.cal.financial_years()
        self._bounds = [w.cal.day(dt.date(y, 4, 1)) for y in years[1:]]  # day each later year starts
        # every channel has an entry (None when off), so that a misspelt channel is a KeyError, not 1.0
        self._factors: dict[str, tuple[float, ...] | None] = dict.fromkeys(CHANNELS)
        for channel in CHANNELS:
            sd = getattr(p, f"{channel}_sd")
            if sd > 0:
                z = [Stream(seed, f"year.{channel}.{y}").normal() for y in years]
                self._factors[channel] = tuple(math.exp(sd * x - 0.5 * sd * sd) for x in z)
        self._court: tuple[float, float, float] | None = None  # the jump-off year's first and last day, its pace
        if p.jump_off_year in years:  # the year seen: its realised shifts, not draws
            i = years.index(p.jump_off_year)
            for channel in CHANNELS:
                realised = float(getattr(p, f"{channel}_jump_off"))
                f = self._factors[channel]
                if f is not None or realised != 1.0:
                    f = list(f or (1.0,) * len(years))
                    f[i] = realised
                    self._factors[channel] = tuple(f)
            if p.court_pace_jump_off != 1.0:
                start = w.cal.day(dt.date(p.jump_off_year, 4, 1))
                self._court = (start, w.cal.day(dt.date(p.jump_off_year + 1, 4, 1)), float(p.court_pace_jump_off))
        if p.walk_start is not None:  # a forecast: the walk starts in the first financial year after the origin
            origin = p.walk_start.year if p.walk_start.month >= 4 else p.walk_start.year - 1
            origin += 0 if (p.walk_start.month, p.walk_start.day) == (4, 1) else 1
            steps = [y - origin + 1 for y in years]
            for channel in WALKS:
                sd = getattr(p, f"{channel}_walk_sd")
                if sd > 0:
                    z = [Stream(seed, f"walk.{channel}.{y}").normal() for y in years]
                    steps_taken = walk(z, sd, steps)
                    base = self._factors[channel] or (1.0,) * len(years)
                    self._factors[channel] = tuple(b * m for b, m in zip(base, steps_taken))

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

    def court_wait(self, now: float, wait: float) -> float:
        """The days from ``now`` to an order that takes ``wait`` days at the court's usual pace: in the
        jump-off year the wait runs ``variation.court_pace_jump_off`` times as fast (``wait`` itself,
        to the last bit, at a pace of 1 or outside that year's reach)."""
        if self._court is None or not math.isfinite(wait):
            return wait
        start, end, pace = self._court
        if now + wait <= start or now >= end:
            return wait
        before = max(0.0, start - now)  # at the usual pace, up to the year
        inside = (end - max(now, start)) * pace  # the wait the year can take
        left = wait - before
        if left <= inside:
            return before + left / pace
        return (end - now) + (left - inside)

    def by_year(self) -> dict[str, tuple[float, ...]]:
        """The factors drawn, by channel (for tests and reports)."""
        return {c: f for c, f in self._factors.items() if f is not None}
