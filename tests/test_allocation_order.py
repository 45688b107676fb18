"""A large team's allocation order (a heap, Team.first) picks the same worker as a scan of the team.

The model relies on this for identical event logs whatever a team's size: Workforce._pick scans a
small team and asks a large team's order.  Hypothesis drives random sequences of allocations,
releases, cap changes, departures and arrivals, and after each step compares the two for every kind
of filter the model uses (anyone; anyone but one worker; room under a hard cap)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from journeysim.model.entities import Team, Worker
from journeysim.model.teams import _allocation_key

steps = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "cap", "leave", "join"]), st.integers(0, 10_000)),
    min_size=1, max_size=300)


def scan(team: Team, ok) -> Worker | None:
    return min((x for x in team.workers if ok(x)), key=_allocation_key, default=None)


@settings(max_examples=150, deadline=None)
@given(steps=steps, size=st.integers(1, 40), hard_cap=st.integers(0, 4))
def test_the_order_picks_the_worker_a_scan_picks(steps, size, hard_cap):
    team = Team("T", 0, "CAST", size)
    next_id = 1
    for _ in range(size):
        w = Worker(next_id, team, "permanent", 3)
        next_id += 1
        team.workers.append(w)
        team.file(w)
    team.first(lambda x: True)  # start keeping the order
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
            w = workers.pop(k % len(workers))
            w.active = False
        elif action == "join":
            w = Worker(next_id, team, "newly_qualified", 1 + k % 4)
            next_id += 1
            team.workers.append(w)
            team.file(w)
        excluded = team.workers[k % len(team.workers)] if team.workers else None
        filters = [lambda x: True, lambda x: x is not excluded,
                   lambda x: not (hard_cap and len(x.children) + 1 > hard_cap)]
        for ok in filters:
            assert team.first(ok) is scan(team, ok)
