"""The pathway: the stages of a child's journey, what each logs, and where each may lead.

This is the one statement of the service's routing.  The model's journeys
(:mod:`journeysim.model.journey`) go from stage to stage as this table allows, and refuse a
step it does not list; the graph of events that checks a logged journey (:func:`build`) is
derived from it.

A **stage** (:class:`Stage`) opens with one of its ``first`` events; its ``path`` says, for
each event it logs, what may follow: another of its events, the name of another stage (that
stage's first events follow), or :data:`CLOSED` (the child's journey closes).  Journeys start
at one of :data:`STARTS`.

Events that can happen at any point of a journey (a change of worker, a placement move, a
family's intensive support) are not stages; :data:`BACKGROUND` lists them and
:func:`journey_is_valid` checks them separately, each kind of support on its own short path
(:data:`SIDE_PATHS`).  The graph is built from the scenario: a scenario without hubs has no hub
nodes, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from .events import Event as E

#: What may follow an event when the child's journey closes.
CLOSED = E.CASE_CLOSED


@dataclass(frozen=True)
class Stage:
    """A stage of the pathway: the events it opens with, and what may follow each event it logs."""

    first: tuple[E, ...]
    path: dict[E, tuple[E | str, ...]]

    def routes(self) -> frozenset[str]:
        """The stages this stage may hand the journey on to."""
        return frozenset(x for after in self.path.values() for x in after if isinstance(x, str) and not isinstance(x, E))


#: Every stage, by the name the model's journeys use for it.
STAGES: dict[str, Stage] = {
    # --- how a journey starts ------------------------------------------------------
    "referral": Stage(first=(E.REFERRAL_RECEIVED,),  # the MASH referred the family
                      path={E.REFERRAL_RECEIVED: ("assessment", CLOSED)}),
    "loaded": Stage(first=(E.CASE_LOADED,),  # open when the run starts (in assessment: from a snapshot)
                    path={E.CASE_LOADED: ("cin", "cp", "care", "assessment")}),
    "uasc": Stage(first=(E.UASC_ARRIVED,),  # an unaccompanied asylum-seeking child, straight into care
                  path={E.UASC_ARRIVED: (E.CARE_ENTERED,)}),
    # --- assessment and child protection enquiries ---------------------------------
    "assessment": Stage(first=(E.ASSESSMENT_STARTED,),
                        path={E.ASSESSMENT_STARTED: (E.ASSESSMENT_COMPLETED,),
                              E.ASSESSMENT_COMPLETED: (CLOSED, "cin", "strategy")}),
    "strategy": Stage(first=(E.STRATEGY_DISCUSSION_HELD,),
                      path={E.STRATEGY_DISCUSSION_HELD: ("s47", "cin")}),
    "s47": Stage(first=(E.S47_ENQUIRY_COMPLETED,),
                 path={E.S47_ENQUIRY_COMPLETED: ("icpc", "cin", CLOSED, "care")}),
    "icpc": Stage(first=(E.ICPC_HELD,),
                  path={E.ICPC_HELD: ("cp", "cin", CLOSED)}),
    # --- plans ---------------------------------------------------------------------
    "cin": Stage(first=(E.CIN_PLAN_STARTED,),
                 path={E.CIN_PLAN_STARTED: (E.CIN_PLAN_ENDED,),
                       E.CIN_PLAN_ENDED: (CLOSED, "strategy", "care")}),
    "cp": Stage(first=(E.CP_PLAN_STARTED,),
                path={E.CP_PLAN_STARTED: (E.CP_REVIEW_HELD, E.CP_PLAN_ENDED),  # ended: a child aged out before a review
                      E.CP_REVIEW_HELD: (E.CP_REVIEW_HELD, E.CP_PLAN_ENDED, E.PLO_STARTED),
                      E.PLO_STARTED: (E.CARE_PROCEEDINGS_ISSUED, E.CP_PLAN_ENDED),
                      E.CARE_PROCEEDINGS_ISSUED: (E.CP_PLAN_ENDED,),
                      E.CP_PLAN_ENDED: ("cin", CLOSED, "care")}),
    # --- care: each child on their own path, home on a CIN plan, perhaps back ----------
    # (a child who has reached the leaving age by the time of entry closes instead)
    "care": Stage(first=(E.CARE_ENTERED, CLOSED),
                  path={E.CARE_ENTERED: (E.CARE_LEFT,),
                        E.CARE_LEFT: (CLOSED, E.CIN_PLAN_STARTED),
                        E.CIN_PLAN_STARTED: (E.CIN_PLAN_ENDED,),
                        E.CIN_PLAN_ENDED: (CLOSED, E.RETURN_HOME_BROKE_DOWN),
                        E.RETURN_HOME_BROKE_DOWN: (E.CARE_ENTERED,)}),
}

#: The stages a journey may start at.
STARTS = ("referral", "loaded", "uasc")

#: The support a family may have during its journey, each a short path of its own that may be
#: repeated: a hub's, a Family Intervention Team's, edge of care's; and the scenario keys that say
#: whether the service exists (a count or a staff number, and a start date).
SIDE_PATHS = {
    "hub": ((E.HUB_REFERRED, E.HUB_SUPPORT_STARTED, E.HUB_SUPPORT_ENDED), ("hubs.count", "hubs.start")),
    "fit": ((E.FIT_REFERRED, E.FIT_SUPPORT_STARTED, E.FIT_SUPPORT_ENDED), ("fit.workers", "fit.start")),
    "edge_of_care": ((E.EDGE_OF_CARE_STARTED, E.EDGE_OF_CARE_ENDED), ("edge_of_care.workers", "edge_of_care.start")),
}

#: Events that can occur between stage events without changing the stage.
BACKGROUND = frozenset({E.WORKER_ALLOCATED, E.PLACEMENT_STARTED, *(e for path, _ in SIDE_PATHS.values() for e in path)})

_SIDE = {e.value: name for name, (path, _) in SIDE_PATHS.items() for e in path}


def _name(x) -> str:
    return x.value if isinstance(x, E) else x


def _after(target: E | str) -> tuple[E, ...]:
    """The events a path's target stands for: itself, or a stage's first events."""
    return STAGES[target].first if isinstance(target, str) and not isinstance(target, E) else (target,)


def stage_edges() -> list[tuple[str, str]]:
    """The edges (event, event that may follow it) of the journeys' stages, from :data:`STAGES`."""
    edges = [("START", _name(e)) for start in STARTS for e in STAGES[start].first]
    for stage in STAGES.values():
        for event, targets in stage.path.items():
            edges += [(_name(event), _name(e)) for target in targets for e in _after(target)]
    edges.append((_name(CLOSED), "END"))
    return edges


def build(scenario=None) -> nx.DiGraph:
    """The pathway graph of stage events (with the hub sub-path when the scenario has hubs)."""
    g = nx.DiGraph()
    for src, dst in stage_edges():
        g.add_edge(src, dst, kind="stage")
    for name, (path, (size, start)) in SIDE_PATHS.items():
        if scenario is None or (scenario[size] > 0 and scenario[start] is not None):
            for src, dst in zip(("START", *path), path):
                g.add_edge(_name(src), _name(dst), kind=name)
    return g


def journey_is_valid(g: nx.DiGraph, events: list[str], complete: bool) -> tuple[bool, str]:
    """Check one child-journey's events (in log order) against the graph.

    Stage events must form a path from START (to END when ``complete``); each kind of support's
    events must follow their own side path (:data:`SIDE_PATHS`); placement moves only while in care.
    """
    prev = "START"
    in_care = False
    side_prev = {name: "START" for name in SIDE_PATHS}
    for ev in events:
        side = _SIDE.get(ev)
        if side is not None:
            if not g.has_edge(side_prev[side], ev):
                return False, f"{side_prev[side]} -> {ev} ({side})"
            side_prev[side] = "START" if ev == SIDE_PATHS[side][0][-1].value else ev
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
