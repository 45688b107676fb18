"""Team.pick gives the worker the definition of allocation order gives, whatever the team's size.

The order is the least loaded worker relative to their cap first, the lowest id on a tie.  A small
team finds them in its array of ratios, a large one (more than LARGE_TEAM workers) in a heap kept
as caseloads change; the model relies on both giving that worker for identical event logs.
Hypothesis drives random sequences of allocations, releases, cap changes, departures and arrivals
(in any order of id), and after each step compares Team.pick, and the heap directly, with the
definition for every kind of pick the model makes (anyone; anyone but one worker; room under a
hard cap)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from journeysim.model.entities import LARGE_TEAM, Team, Worker

steps = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "cap", "leave", "join", "join_old"]), st.integers(0, 10_000)),
    min_size=1, max_size=300)


def by_definition(team: Team, n: int, exclude: Worker | None, hard_cap: int) -> Worker | None:
    able = [x for x in team.workers if x is not exclude and not (hard_cap and len(x.children) + n > hard_cap)]
    return min(able, key=lambda x: (len(x.children) / x.cap, x.id), default=None)


@settings(max_examples=150, deadline=None)
@given(steps=steps, size=st.integers(1, 40), hard_cap=st.integers(0, 4), n=st.integers(1, 2))
def test_a_pick_is_the_worker_first_in_allocation_order(steps, size, hard_cap, n):
    team = Team("T", 0, "CAST", size)
    next_id = 100  # "join_old" brings in a worker with a lower id, as the switch to CAST does
    for _ in range(size):
        team.join(Worker(next_id, team, "permanent", 3))
        next_id += 1
    for action, k in steps:
        workers = team.workers
        if action == "add" and workers:
            w = workers[k % len(workers)]
            w.children.add(object())
            team.file(w)
        elif action == "remove" and workers:
            w = workers[k % len(workers)]
            if w.children:
                w.children.pop()
                team.file(w)
        elif action == "cap" and workers:
            w = workers[k % len(workers)]
            w.cap = 1 + k % 5
            team.file(w)
        elif action == "leave" and len(workers) > 1:
            w = workers[k % len(workers)]
            w.active = False
            team.leave(w)
        elif action in ("join", "join_old"):
            new_id = next_id if action == "join" else k % 100
            if all(x.id != new_id for x in workers):
                w = Worker(new_id, team, "newly_qualified", 1 + k % 4)
                for _ in range(k % 3):
                    w.children.add(object())
                team.join(w)
            next_id += 1
        assert [x.id for x in team.workers] == sorted(x.id for x in team.workers)
        assert [x.slot for x in team.workers] == list(range(len(team.workers)))
        assert list(team.ratios) == [len(x.children) / x.cap for x in team.workers]
        excluded = team.workers[k % len(team.workers)] if team.workers else None
        for exclude, cap in [(None, 0), (excluded, 0), (None, hard_cap), (excluded, hard_cap)]:
            expected = by_definition(team, n, exclude, cap)
            assert team.pick(n, exclude, cap) is expected
            ok = lambda x: x is not exclude and not (cap and len(x.children) + n > cap)  # noqa: E731
            assert team.first(ok) is expected  # the heap, whatever the team's size
            team.order = None if len(team.workers) <= LARGE_TEAM else team.order
