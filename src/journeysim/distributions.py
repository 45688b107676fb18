"""Named probability distributions that scenarios use for durations and sizes.

A scenario writes a distribution as a TOML table, for example::

    duration = { dist = "lognormal", median = 30, p90 = 75 }
    delay    = { dist = "exponential", mean = 7 }
    size     = { dist = "empirical", values = [1, 2, 3], weights = [0.5, 0.3, 0.2] }
    wait     = { dist = "uniform", low = 1, high = 3 }
    fixed    = { dist = "fixed", value = 5 }

:func:`parse` turns the table into an object with ``sample(stream)`` and
``mean``; it raises :class:`DistributionError` naming what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .rng import Stream, cumulative

_Z90 = 1.2815515655446004  # standard normal 90th percentile
_MAX = 1e6  # largest number a distribution may use (a million days is 2,700 years)
_MAX_SPREAD = 1000.0  # largest p90 / median of a lognormal (beyond it, draws overflow)


class DistributionError(ValueError):
    """A distribution table that cannot be used."""


@dataclass(frozen=True)
class Fixed:
    value: float

    def sample(self, s: Stream) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


@dataclass(frozen=True)
class Exponential:
    mean: float

    def sample(self, s: Stream) -> float:
        return s.exponential(self.mean)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def sample(self, s: Stream) -> float:
        return self.low + (self.high - self.low) * s.uniform()

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Lognormal:
    """Lognormal given by its median and 90th percentile (both in the quantity's units)."""

    median: float
    p90: float
    mu: float = field(init=False, repr=False, compare=False)
    sigma: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", math.log(self.median))
        object.__setattr__(self, "sigma", math.log(self.p90 / self.median) / _Z90)

    def sample(self, s: Stream) -> float:
        return math.exp(self.mu + self.sigma * s.normal())

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)


@dataclass(frozen=True)
class Empirical:
    values: tuple[float, ...]
    weights: tuple[float, ...]
    cum: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cum", cumulative(self.weights))

    def sample(self, s: Stream) -> float:
        return self.values[s.index(self.cum)]

    @property
    def mean(self) -> float:
        return sum(v * w for v, w in zip(self.values, self.weights))


#: Any of the distributions a scenario may name.
Distribution = Fixed | Exponential | Uniform | Lognormal | Empirical

_SPEC = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "lognormal": ("median", "p90"),
    "empirical": ("values", "weights"),
}


def _num(table: dict, key: str, where: str) -> float:
    v = table[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DistributionError(f"{where}.{key} must be a number, got {v!r}")
    if not math.isfinite(v) or abs(v) > _MAX:
        raise DistributionError(f"{where}.{key} must be a finite number no larger than {_MAX:,.0f}, got {v!r}")
    return float(v)


def parse(table, where: str = "distribution", nonnegative: bool = True) -> Distribution:
    """Build a distribution from its scenario table; ``where`` names it in messages."""
    if not isinstance(table, dict):
        raise DistributionError(
            f"{where} must be a table like {{ dist = \"lognormal\", median = 30, p90 = 75 }}, got {table!r}"
        )
    kind = table.get("dist")
    if kind not in _SPEC:
        raise DistributionError(f"{where}.dist must be one of {', '.join(sorted(_SPEC))}; got {kind!r}")
    needed = _SPEC[kind]
    extra = sorted(set(table) - set(needed) - {"dist"})
    missing = [k for k in needed if k not in table]
    if missing or extra:
        raise DistributionError(
            f"{where}: {'an' if kind[0] in 'aeiou' else 'a'} {kind} distribution takes exactly {', '.join(needed)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    lo = 0.0 if nonnegative else -math.inf
    if kind == "fixed":
        v = _num(table, "value", where)
        if v < lo:
            raise DistributionError(f"{where}.value must be >= 0 (times and sizes cannot be negative), got {v:g}")
        return Fixed(v)
    if kind == "exponential":
        m = _num(table, "mean", where)
        if m <= 0:
            raise DistributionError(f"{where}.mean must be > 0 (times and sizes cannot be negative), got {m:g}")
        return Exponential(m)
    if kind == "uniform":
        a, b = _num(table, "low", where), _num(table, "high", where)
        if a < lo or b <= a:
            raise DistributionError(f"{where}: need 0 <= low < high (times and sizes cannot be negative), "
                                    f"got low={a:g}, high={b:g}")
        return Uniform(a, b)
    if kind == "lognormal":
        med, p90 = _num(table, "median", where), _num(table, "p90", where)
        if med <= 0 or p90 <= med:
            raise DistributionError(f"{where}: need 0 < median < p90, got median={med:g}, p90={p90:g}")
        if p90 > _MAX_SPREAD * med:
            raise DistributionError(f"{where}: p90 may be at most {_MAX_SPREAD:g} times the median, "
                                    f"got median={med:g}, p90={p90:g}")
        return Lognormal(med, p90)
    vals, wts = table["values"], table["weights"]
    if not isinstance(vals, list) or not isinstance(wts, list) or not vals or len(vals) != len(wts):
        raise DistributionError(f"{where}: values and weights must be non-empty lists of the same length")
    for i, v in enumerate(vals):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= _MAX:
            rule = (f"from 0 to {_MAX:,.0f} (times and sizes cannot be negative)" if nonnegative
                    else f"no larger than {_MAX:,.0f}")
            raise DistributionError(f"{where}.values[{i}] must be a number {rule}, got {v!r}")
    for i, w in enumerate(wts):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w <= 1:
            raise DistributionError(f"{where}.weights[{i}] must be a number from 0 to 1, got {w!r}")
    total = float(sum(wts))
    if abs(total - 1.0) > 1e-6:
        raise DistributionError(f"{where}.weights must sum to 1, they sum to {total:g}")
    return Empirical(tuple(float(v) for v in vals), tuple(float(w) for w in wts))


def to_table(d) -> dict:
    """The scenario table of a distribution (inverse of :func:`parse`)."""
    if isinstance(d, Fixed):
        return {"dist": "fixed", "value": d.value}
    if isinstance(d, Exponential):
        return {"dist": "exponential", "mean": d.mean}
    if isinstance(d, Uniform):
        return {"dist": "uniform", "low": d.low, "high": d.high}
    if isinstance(d, Lognormal):
        return {"dist": "lognormal", "median": d.median, "p90": d.p90}
    return {"dist": "empirical", "values": list(d.values), "weights": list(d.weights)}


def describe(d) -> str:
    t = to_table(d)
    kind = t.pop("dist")
    return f"{kind}(" + ", ".join(f"{k}={v}" for k, v in t.items()) + ")"
