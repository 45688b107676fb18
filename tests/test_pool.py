"""The engine's Pool picks the member the definition of allocation order gives, whatever its size.

The order is the least loaded member relative to their cap first, the lowest id on a tie.  A small
pool finds them in its array of ratios, a large one (more than LARGE_POOL members) in a heap kept
as loads change; the model (whose teams are pools of social workers) relies on both giving that
member for identical event logs.  Hypothesis drives random sequences of allocations, releases, cap
changes, departures and arrivals (in any order of id), and after each step compares Pool.pick, and
the heap directly, with the definition for every kind of pick the model makes (anyone; anyone but
one member; room under a hard cap), and the pool's load with its members'."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from journeysim.engine.pool import LARGE_POOL, Pool
from journeysim.model.teams import Team, Worker


@dataclass(eq=False)
class Member:
    """A pool member as the engine defines one (nothing of a social worker)."""

    id: int
    cap: int
    held: set = field(default_factory=set)
    slot: int = -1
    filed: int = 0


steps = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "cap", "leave", "join", "join_old"]), st.integers(0, 10_000)),
    min_size=1, max_size=300)


def by_definition(pool: Pool, n: int, exclude, hard_cap: int):
    able = [x for x in pool.members if x is not exclude and not (hard_cap and len(x.held) + n > hard_cap)]
    return min(able, key=lambda x: (len(x.held) / x.cap, x.id), default=None)


@settings(max_examples=150, deadline=None)
@given(steps=steps, size=st.integers(1, 50), hard_cap=st.integers(0, 4), n=st.integers(1, 2))
def test_a_pick_is_the_member_first_in_allocation_order(steps, size, hard_cap, n):
    pool = Pool()
    next_id = 100  # "join_old" brings in a member with a lower id, as the switch to CAST does
    for _ in range(size):
        pool.join(Member(next_id, 3))
        next_id += 1
    for action, k in steps:
        members = pool.members
        if action == "add" and members:
            pool.add(members[k % len(members)], object())
        elif action == "remove" and members:
            m = members[k % len(members)]
            if m.held:
                pool.discard(m, next(iter(m.held)))
        elif action == "cap" and members:
            m = members[k % len(members)]
            m.cap = 1 + k % 5
            pool.file(m)
        elif action == "leave" and len(members) > 1:
            m = members[k % len(members)]
            pool.leave(m)
            assert not pool.has(m)
        elif action in ("join", "join_old"):
            new_id = next_id if action == "join" else k % 100
            if all(x.id != new_id for x in members):
                m = Member(new_id, 1 + k % 4, {object() for _ in range(k % 3)})
                pool.join(m)
                assert pool.has(m)
            next_id += 1
        assert [x.id for x in pool.members] == sorted(x.id for x in pool.members)
        assert [x.slot for x in pool.members] == list(range(len(pool.members)))
        assert list(pool.ratios) == [len(x.held) / x.cap for x in pool.members]
        assert pool.load == sum(len(x.held) for x in pool.members)
        excluded = pool.members[k % len(pool.members)] if pool.members else None
        for exclude, cap in [(None, 0), (excluded, 0), (None, hard_cap), (excluded, hard_cap)]:
            expected = by_definition(pool, n, exclude, cap)
            assert pool.pick(n, exclude, cap) is expected
            ok = lambda x: x is not exclude and not (cap and len(x.held) + n > cap)  # noqa: E731
            assert pool.first(ok) is expected  # the heap, whatever the pool's size
            pool.order = None if len(pool.members) <= LARGE_POOL else pool.order


def test_a_team_is_a_pool_of_its_workers():
    """A worker joining a team is its member and names it as their team; the team's load is its
    workers' children; an emptied team holds nobody (its workers have joined other teams)."""
    a, b = Team("D1-RA", 0, "RA", 2), Team("D1-CAST1", 0, "CAST", 2)
    x, y = Worker(1, a, "permanent", 20), Worker(2, a, "agency", 20)
    a.join(x)
    a.join(y)
    a.add(x, "child 1")
    a.add(x, "child 2")
    assert (a.workers, a.load, x.load, a.pick(1)) == ([x, y], 2, 2, y)
    b.join(x)  # the switch to CAST: every worker joins a new team, then the old is emptied
    b.join(y)
    a.empty()
    assert x.team is b and b.has(x) and not a.has(x) and b.load == 2
    assert (a.workers, a.load, len(a.ratios)) == ([], 0, 0)
