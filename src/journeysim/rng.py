"""Random-number streams: one independent stream per stochastic element.

Each replication's seed is spawned from the run seed with numpy's
``SeedSequence``, and each named stream inside a replication from the
replication's seed and the stream's name.  Changing how often one part of the
model draws therefore never shifts the draws of another part, which is what
makes paired comparisons on common random numbers work.

Draws are taken from blocks generated in one vectorised call and handed out one
at a time, which is several times faster than one numpy call per draw.  A block is
kept as a typed array of doubles (``array.array``, the same float64 values): handing
one out is an index that makes a Python float, not a numpy scalar and its conversion.
Not a list of Python floats: making 4,096 of them at once put each in whatever free
slot memory had, scattered over a heap that the model keeps busy, and in a county run
that cost about 0.2 ms a block, where the array's one copy costs microseconds.
"""

from __future__ import annotations

import math
import zlib
from array import array
from bisect import bisect_right
from itertools import accumulate
from typing import Iterable

import numpy as np

from . import compiled

_BLOCK = 4096
_log = math.log


def _doubles(block: np.ndarray) -> array:
    """A block of draws as a typed array of the same doubles."""
    return array("d", block.tobytes())


def cumulative(weights: Iterable[float]) -> tuple[float, ...]:
    """Running sums of ``weights`` for :meth:`Stream.index`; the last is +inf, so that a draw
    past a total a shade under 1 takes the last entry, as :meth:`Stream.choice` does."""
    cum = list(accumulate(weights))
    cum[-1] = math.inf
    return tuple(cum)


class Outcomes(dict):
    """A scenario's table of outcome probabilities (a plain dict to read), with its running sums
    kept for fast draws by :meth:`Stream.outcome`."""

    __slots__ = ("names", "cum")

    def __init__(self, probs: dict[str, float]) -> None:
        super().__init__(probs)
        self.names = tuple(probs)
        self.cum = cumulative(probs.values())

    def __reduce__(self):
        return (Outcomes, (dict(self),))


def replication_seeds(seed: int, reps: int) -> list[int]:
    """One 63-bit seed per replication, spawned from the run seed."""
    children = np.random.SeedSequence(seed).spawn(reps)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


class Stream:
    """A named stream of random numbers with cheap scalar draws."""

    __slots__ = ("name", "gen", "_u", "_ui", "_z", "_zi")

    def __init__(self, seed: int, name: str) -> None:
        self.name = name
        key = zlib.crc32(name.encode("utf-8"))
        self.gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))
        self._ui = self._new_u_block()
        self._z = _doubles(self.gen.standard_normal(_BLOCK))
        self._zi = 0

    def _new_u_block(self) -> int:
        """The next block of uniform draws; the index of its first."""
        self._u = _doubles(self.gen.random(_BLOCK))
        return 0

    # uniform, exponential and index read the block in place (no call to uniform): they are the
    # model's commonest calls.
    def uniform(self) -> float:
        """One draw from U[0, 1)."""
        i = self._ui
        if i == _BLOCK:
            i = self._new_u_block()
        self._ui = i + 1
        return self._u[i]

    def normal(self) -> float:
        """One standard normal draw."""
        i = self._zi
        if i == _BLOCK:
            self._z = _doubles(self.gen.standard_normal(_BLOCK))
            i = 0
        self._zi = i + 1
        return self._z[i]

    def exponential(self, mean: float) -> float:
        """One draw from the exponential distribution with this mean (by inversion of a uniform draw)."""
        i = self._ui
        if i == _BLOCK:
            i = self._new_u_block()
        self._ui = i + 1
        return -mean * _log(1.0 - self._u[i])

    def choice(self, weights: list[float] | tuple[float, ...]) -> int:
        """Index drawn with the given (normalised) weights."""
        u = self.uniform()
        acc = 0.0
        for i, w in enumerate(weights):
            acc += w
            if u < acc:
                return i
        return len(weights) - 1

    def index(self, cum: tuple[float, ...]) -> int:
        """Index drawn with the weights whose running sums (from :func:`cumulative`) are ``cum``;
        the same draw as :meth:`choice` with those weights, in one bisection."""
        i = self._ui
        if i == _BLOCK:
            i = self._new_u_block()
        self._ui = i + 1
        return bisect_right(cum, self._u[i])

    def outcome(self, probs: dict[str, float]) -> str:
        """An outcome (a key of ``probs``) drawn with its probability: one bisection for a
        scenario's :class:`Outcomes`, a walk along the table for one built on the fly."""
        if type(probs) is Outcomes:
            return probs.names[self.index(probs.cum)]
        return list(probs)[self.choice(list(probs.values()))]

    def poisson(self, lam: float) -> int:
        return int(self.gen.poisson(lam))


class Streams(dict):
    """The set of named streams for one replication, created on first use: each a :class:`Stream`,
    or its compiled twin (``journeysim._rng.Stream``, the same draws) when that is built
    (:mod:`journeysim.compiled`).  A dict by name, so that looking a stream up (some 800,000
    times in a county run) is the dict's own lookup, not a call of a Python method."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed

    def __missing__(self, name: str) -> Stream:
        s = self[name] = _Stream(self.seed, name)
        return s


# Last: the compiled twin imports _BLOCK and Outcomes from this module.
_Stream = getattr(compiled.in_use("_rng"), "Stream", Stream)
