# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Random-number streams, compiled: :class:`Stream` is the twin of :class:`journeysim.rng.Stream`,
its Python original and reference (see :mod:`journeysim.compiled`).  It is seeded the same way,
draws the same blocks from numpy in the same order and hands out the same doubles, so every draw
is the same float; only the work of handing one out (a few interpreted steps and a method call
per draw, several million times a run) is compiled."""

import zlib

import numpy as np

from libc.math cimport log

from .rng import _BLOCK, Outcomes

cdef Py_ssize_t BLOCK = _BLOCK


cdef class Stream:
    """A named stream of random numbers with cheap scalar draws (see rng.Stream)."""

    cdef readonly str name
    cdef readonly object gen
    cdef double[::1] _u
    cdef double[::1] _z
    cdef Py_ssize_t _ui, _zi

    def __init__(self, seed, str name):
        self.name = name
        key = zlib.crc32(name.encode("utf-8"))
        self.gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))
        self._u = self.gen.random(BLOCK)
        self._ui = 0
        self._z = self.gen.standard_normal(BLOCK)
        self._zi = 0

    cdef inline double _next_u(self):
        cdef Py_ssize_t i = self._ui
        if i == BLOCK:
            self._u = self.gen.random(BLOCK)
            i = 0
        self._ui = i + 1
        return self._u[i]

    def uniform(self):
        """One draw from U[0, 1)."""
        return self._next_u()

    def normal(self):
        """One standard normal draw."""
        cdef Py_ssize_t i = self._zi
        if i == BLOCK:
            self._z = self.gen.standard_normal(BLOCK)
            i = 0
        self._zi = i + 1
        return self._z[i]

    def exponential(self, double mean):
        """One draw from the exponential distribution with this mean (by inversion of a uniform draw)."""
        return -mean * log(1.0 - self._next_u())

    def choice(self, weights):
        """Index drawn with the given (normalised) weights."""
        cdef double u = self._next_u()
        cdef double acc = 0.0
        cdef Py_ssize_t i = 0
        for w in weights:
            acc += <double>w
            if u < acc:
                return i
            i += 1
        return len(weights) - 1

    cdef inline Py_ssize_t _index(self, tuple cum):
        # bisect_right(cum, u): the first place whose running sum exceeds u
        cdef double u = self._next_u()
        cdef Py_ssize_t lo = 0, hi = len(cum), mid
        while lo < hi:
            mid = (lo + hi) // 2
            if u < <double>cum[mid]:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def index(self, tuple cum):
        """Index drawn with the weights whose running sums (from rng.cumulative) are ``cum``."""
        return self._index(cum)

    def outcome(self, probs):
        """An outcome (a key of ``probs``) drawn with its probability."""
        if type(probs) is Outcomes:
            return probs.names[self._index(probs.cum)]
        return list(probs)[self.choice(list(probs.values()))]

    def poisson(self, lam):
        return int(self.gen.poisson(lam))
