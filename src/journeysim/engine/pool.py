"""A pool of servers that share out work: each new piece goes to the least loaded for their capacity.

A member of a pool is any object with these attributes (the model's social worker is one):

- ``id``: an int, unique in the pool, that breaks ties (the lowest first);
- ``cap``: the load at which the member counts as full (a ratio of 1);
- ``held``: a set of what the member holds now, whose size is their load;
- ``slot`` and ``filed``: ints the pool keeps (start them at -1 and 0).

Work moves to and from a member only through :meth:`Pool.add` and :meth:`Pool.discard`, and
members join and leave through :meth:`Pool.join` and :meth:`Pool.leave`, so that the pool's
allocation order is always up to date.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from heapq import heapify, heappop, heappush

#: Pools with more members than this keep their allocation order as a heap (:meth:`Pool.first`)
#: rather than being scanned.  A pick with the refiling of two members after it cost 1.2 / 1.5 /
#: 1.9 / 2.8 / 4.7 microseconds by a scan of the ratios at 10 / 24 / 40 / 80 / 160 members, and
#: 1.7 / 1.7 / 1.8 / 1.9 / 2.0 with the heap.
LARGE_POOL = 40


class Pool:
    """Members in order of id, and beside them, in one array of doubles, each one's load relative
    to their cap (``ratios``).  A pick takes the member with the lowest ratio, the lowest id on a
    tie, and finds them by reading that array rather than visiting each member wherever in memory
    they are.  A pool of more than :data:`LARGE_POOL` members also keeps its allocation order in a
    heap (``order``), so that a pick costs O(log n) rather than a pass over the pool."""

    __slots__ = ("members", "ratios", "load", "order")

    def __init__(self) -> None:
        self.members: list = []  # in order of id: see join()
        self.ratios = array("d")  # load / cap of each member, kept by file()
        self.load = 0  # what the members hold, together
        self.order: list | None = None  # the heap of a large pool: see file() and first()

    # ------------------------------------------------------------------ membership
    def join(self, member) -> None:
        """``member`` joins with what they hold, in their place by id (a new member's is last)."""
        members = self.members
        at = len(members)
        if at and members[-1].id > member.id:
            at = bisect_left([x.id for x in members], member.id)
        members.insert(at, member)
        self.ratios.insert(at, 0.0)
        self._number(at)
        self.load += len(member.held)
        self.file(member)

    def leave(self, member) -> None:
        """``member`` leaves with what they hold."""
        at = member.slot
        del self.members[at]
        del self.ratios[at]
        self._number(at)
        self.load -= len(member.held)
        member.slot = -1

    def empty(self) -> None:
        """The pool is disbanded, once its members have joined other pools (their ``slot`` is
        their new pool's, and left as it is)."""
        self.members.clear()
        del self.ratios[:]
        self.order = None
        self.load = 0

    def _number(self, start: int) -> None:
        members = self.members
        for i in range(start, len(members)):
            members[i].slot = i

    def has(self, member) -> bool:
        """Whether ``member`` is in this pool now."""
        at = member.slot
        return 0 <= at < len(self.members) and self.members[at] is member

    # ------------------------------------------------------------------ load
    def add(self, member, item) -> None:
        """``member`` takes on ``item`` (one away from the pool takes it on without the pool's load
        changing)."""
        member.held.add(item)
        if self.has(member):
            self.load += 1
            self.file(member)

    def discard(self, member, item) -> None:
        """``member`` gives up ``item`` (a member away from the pool may still hold items: they give
        them up without the pool's load changing)."""
        member.held.discard(item)
        if self.has(member):
            self.load -= 1
            self.file(member)

    # A large pool also keeps its allocation order as a heap of (load / cap, id, filed, member): the
    # least loaded member relative to their cap first, the lowest id on a tie (the order of pick();
    # a member at or over their cap has load / cap >= 1, so comes after all below it).  A member is
    # filed again whenever their load, cap or pool changes; older entries are skipped when they come
    # to the top (lazy deletion).  A small pool is quicker to scan and keeps no order (None).
    def file(self, member) -> None:
        """(Re)file ``member`` in the allocation order after a change of load, cap or pool: their
        ratio always, and the heap of a large pool."""
        ratio = self.ratios[member.slot] = len(member.held) / member.cap
        if self.order is None:
            return
        member.filed += 1
        heappush(self.order, (ratio, member.id, member.filed, member))
        if len(self.order) > 4 * len(self.members) + 64:  # drop the stale entries now and then
            self.order = [e for e in self.order if self._current(e)]
            heapify(self.order)

    # ------------------------------------------------------------------ picking
    def pick(self, n: int, exclude=None, hard_cap: int = 0):
        """The first member in allocation order (load / cap, then id) other than ``exclude`` with
        room for ``n`` more under ``hard_cap`` (0: none), or None."""
        members = self.members
        if len(members) > LARGE_POOL:  # the allocation order gives the same member
            if exclude is None and not hard_cap:
                return self.first(_anyone)
            return self.first(lambda x: x is not exclude and not (hard_cap and len(x.held) + n > hard_cap))
        self.order = None
        ratios = self.ratios
        if hard_cap:
            room = hard_cap - n
            able = [i for i, x in enumerate(members) if len(x.held) <= room and x is not exclude]
            return members[min(able, key=ratios.__getitem__)] if able else None  # min: the first lowest
        if exclude is None or not self.has(exclude):  # nobody of this pool excluded
            return members[ratios.index(min(ratios))] if members else None
        if len(members) == 1:
            return None
        at = exclude.slot  # the excluded member out of the running for this pick
        ratio, ratios[at] = ratios[at], math.inf
        best = ratios.index(min(ratios))
        ratios[at] = ratio
        return members[best]

    def _current(self, entry: tuple) -> bool:
        member = entry[3]
        return entry[2] == member.filed and self.has(member)

    def first(self, ok):
        """The first member in allocation order for whom ``ok(member)`` holds, or None."""
        if self.order is None:
            self.order = []
            for member in self.members:
                self.file(member)
        order = self.order
        while order and not self._current(order[0]):
            heappop(order)
        if not order or ok(order[0][3]):
            return order[0][3] if order else None
        passed = []  # current entries set aside while looking further down the order
        found = None
        while order:
            entry = heappop(order)
            if not self._current(entry):
                continue
            passed.append(entry)
            if ok(entry[3]):
                found = entry[3]
                break
        for entry in passed:
            heappush(order, entry)
        return found


def _anyone(member) -> bool:
    return True
