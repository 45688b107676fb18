"""The service as a graph: which event may follow which in a child's journey.

Nodes are the *stage* events of a journey (plus ``START`` and ``END``); an edge
says the second may directly follow the first.  Events that can happen at any
point of a journey (a change of worker, a placement move, hub support) are not
stages; :data:`BACKGROUND` lists them and :func:`journey_is_valid` checks them
separately.  The graph is built from the scenario: a scenario without hubs has no
hub nodes.
"""

from __future__ import annotations

import networkx as nx

from .events import Event as E

#: Events that can occur between stage events without changing the stage.
BACKGROUND = frozenset({E.WORKER_ALLOCATED, E.PLACEMENT_STARTED, E.HUB_REFERRED, E.HUB_SUPPORT_STARTED,
                        E.HUB_SUPPORT_ENDED})

_EDGES: list[tuple[str, list[str]]] = [
    ("START", [E.REFERRAL_RECEIVED, E.CASE_LOADED, E.UASC_ARRIVED]),
    (E.REFERRAL_RECEIVED, [E.ASSESSMENT_STARTED, E.CASE_CLOSED]),
    (E.ASSESSMENT_STARTED, [E.ASSESSMENT_COMPLETED]),
    (E.ASSESSMENT_COMPLETED, [E.CASE_CLOSED, E.CIN_PLAN_STARTED, E.STRATEGY_DISCUSSION_HELD]),
    (E.STRATEGY_DISCUSSION_HELD, [E.S47_ENQUIRY_COMPLETED, E.CIN_PLAN_STARTED]),
    (E.S47_ENQUIRY_COMPLETED, [E.ICPC_HELD, E.CIN_PLAN_STARTED, E.CASE_CLOSED, E.CARE_ENTERED]),
    (E.ICPC_HELD, [E.CP_PLAN_STARTED, E.CIN_PLAN_STARTED, E.CASE_CLOSED]),
    (E.CIN_PLAN_STARTED, [E.CIN_PLAN_ENDED]),
    (E.CIN_PLAN_ENDED, [E.CASE_CLOSED, E.STRATEGY_DISCUSSION_HELD, E.CARE_ENTERED, E.RETURN_HOME_BROKE_DOWN]),
    (E.RETURN_HOME_BROKE_DOWN, [E.CARE_ENTERED]),
    (E.CP_PLAN_STARTED, [E.CP_REVIEW_HELD]),
    (E.CP_REVIEW_HELD, [E.CP_REVIEW_HELD, E.CP_PLAN_ENDED, E.PLO_STARTED]),
    (E.PLO_STARTED, [E.CARE_PROCEEDINGS_ISSUED, E.CP_PLAN_ENDED]),
    (E.CARE_PROCEEDINGS_ISSUED, [E.CP_PLAN_ENDED]),
    (E.CP_PLAN_ENDED, [E.CIN_PLAN_STARTED, E.CASE_CLOSED, E.CARE_ENTERED]),
    (E.CARE_ENTERED, [E.CARE_LEFT]),
    (E.CARE_LEFT, [E.CASE_CLOSED, E.CIN_PLAN_STARTED]),
    # a child loaded into care who reaches the leaving age while waiting for a worker (a hard cap) just closes
    (E.CASE_LOADED, [E.CIN_PLAN_STARTED, E.CP_PLAN_STARTED, E.CARE_ENTERED, E.CASE_CLOSED]),
    (E.UASC_ARRIVED, [E.CARE_ENTERED]),
    (E.CASE_CLOSED, ["END"]),
]

_HUB_EDGES = [("START", E.HUB_REFERRED), (E.HUB_REFERRED, E.HUB_SUPPORT_STARTED),
              (E.HUB_SUPPORT_STARTED, E.HUB_SUPPORT_ENDED)]


def _name(x) -> str:
    return x.value if isinstance(x, E) else x


def build(scenario=None) -> nx.DiGraph:
    """The pathway graph of stage events (with the hub sub-path when the scenario has hubs)."""
    g = nx.DiGraph()
    for src, dsts in _EDGES:
        for dst in dsts:
            g.add_edge(_name(src), _name(dst), kind="stage")
    has_hubs = scenario is None or (scenario["hubs.count"] > 0 and scenario["hubs.start"] is not None)
    if has_hubs:
        for src, dst in _HUB_EDGES:
            g.add_edge(_name(src), _name(dst), kind="hub")
    return g


def journey_is_valid(g: nx.DiGraph, events: list[str], complete: bool) -> tuple[bool, str]:
    """Check one child-journey's events (in log order) against the graph.

    Stage events must form a path from START (to END when ``complete``); hub events
    must follow their own sub-path; placement moves only while in care.
    """
    prev = "START"
    in_care = False
    hub_prev = "START"
    for ev in events:
        if ev in (E.HUB_REFERRED.value, E.HUB_SUPPORT_STARTED.value, E.HUB_SUPPORT_ENDED.value):
            if not g.has_edge(hub_prev, ev):
                return False, f"{hub_prev} -> {ev} (hub)"
            hub_prev = ev if ev != E.HUB_SUPPORT_ENDED.value else "START"
            continue
        if ev == E.PLACEMENT_STARTED.value:
            if not in_care:
                return False, "PlacementStarted while not in care"
            continue
        if ev == E.WORKER_ALLOCATED.value:
            continue
        if not g.has_edge(prev, ev):
            return False, f"{prev} -> {ev}"
        if ev == E.CARE_ENTERED.value:
            in_care = True
        elif ev == E.CARE_LEFT.value:
            in_care = False
        prev = ev
    if complete and not g.has_edge(prev, "END"):
        return False, f"{prev} -> END"
    return True, ""


def describe(g: nx.DiGraph) -> list[str]:
    """Readable lines 'A -> B, C' in a stable order."""
    dag = nx.DiGraph()
    dag.add_nodes_from(g.nodes)
    dag.add_edges_from((u, v) for u, v in g.edges if u != v and not _back(u, v))
    order = list(nx.lexicographical_topological_sort(dag))
    lines = []
    for node in order:
        succ = sorted(g.successors(node), key=order.index)
        if succ:
            lines.append(f"{node} -> {', '.join(succ)}")
    return lines


def _back(u: str, v: str) -> bool:
    """Edges that loop back (step up, breakdown), left out of the ordering."""
    return (u, v) in {(E.CIN_PLAN_ENDED.value, E.STRATEGY_DISCUSSION_HELD.value),
                      (E.CIN_PLAN_ENDED.value, E.CARE_ENTERED.value),
                      (E.CIN_PLAN_ENDED.value, E.RETURN_HOME_BROKE_DOWN.value),
                      (E.RETURN_HOME_BROKE_DOWN.value, E.CARE_ENTERED.value),
                      (E.CARE_LEFT.value, E.CIN_PLAN_STARTED.value)}
