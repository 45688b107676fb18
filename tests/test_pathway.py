"""The pathway table is the one statement of routing: the event graph that checks logs is derived
from it (here against the graph written out by hand), and the model's journeys may take only the
steps it lists."""

from __future__ import annotations

import pytest

from journeysim import pathway
from journeysim.events import Event as E
from journeysim.model import run
from journeysim.model.journey import Journeys

from conftest import small

#: The graph of stage events, written out by hand: what the table must give.
BY_HAND = {
    "START": {E.REFERRAL_RECEIVED, E.CASE_LOADED, E.UASC_ARRIVED},
    E.REFERRAL_RECEIVED: {E.ASSESSMENT_STARTED, E.CASE_CLOSED},
    E.ASSESSMENT_STARTED: {E.ASSESSMENT_COMPLETED},
    E.ASSESSMENT_COMPLETED: {E.CASE_CLOSED, E.CIN_PLAN_STARTED, E.STRATEGY_DISCUSSION_HELD},
    E.STRATEGY_DISCUSSION_HELD: {E.S47_ENQUIRY_COMPLETED, E.CIN_PLAN_STARTED},
    E.S47_ENQUIRY_COMPLETED: {E.ICPC_HELD, E.CIN_PLAN_STARTED, E.CASE_CLOSED, E.CARE_ENTERED},
    E.ICPC_HELD: {E.CP_PLAN_STARTED, E.CIN_PLAN_STARTED, E.CASE_CLOSED},
    E.CIN_PLAN_STARTED: {E.CIN_PLAN_ENDED},
    E.CIN_PLAN_ENDED: {E.CASE_CLOSED, E.STRATEGY_DISCUSSION_HELD, E.CARE_ENTERED, E.RETURN_HOME_BROKE_DOWN},
    E.RETURN_HOME_BROKE_DOWN: {E.CARE_ENTERED},
    E.CP_PLAN_STARTED: {E.CP_REVIEW_HELD, E.CP_PLAN_ENDED},
    E.CP_REVIEW_HELD: {E.CP_REVIEW_HELD, E.CP_PLAN_ENDED, E.PLO_STARTED},
    E.PLO_STARTED: {E.CARE_PROCEEDINGS_ISSUED, E.CP_PLAN_ENDED},
    E.CARE_PROCEEDINGS_ISSUED: {E.CP_PLAN_ENDED},
    E.CP_PLAN_ENDED: {E.CIN_PLAN_STARTED, E.CASE_CLOSED, E.CARE_ENTERED},
    E.CARE_ENTERED: {E.CARE_LEFT},
    E.CARE_LEFT: {E.CASE_CLOSED, E.CIN_PLAN_STARTED},
    E.CASE_LOADED: {E.CIN_PLAN_STARTED, E.CP_PLAN_STARTED, E.CARE_ENTERED, E.CASE_CLOSED, E.ASSESSMENT_STARTED},
    E.UASC_ARRIVED: {E.CARE_ENTERED},
    E.CASE_CLOSED: {"END"},
}


def _name(x) -> str:
    return x.value if isinstance(x, E) else x


def test_the_event_graph_derived_from_the_table_is_the_one_written_by_hand():
    g = pathway.build(small("whatif_no_hubs.toml"))
    stage = {(u, v) for u, v, kind in g.edges(data="kind") if kind == "stage"}
    assert stage == {(_name(u), _name(v)) for u, vs in BY_HAND.items() for v in vs}
    with_hubs = pathway.build(small("hampshire.toml"))
    assert set(with_hubs.edges) - set(g.edges) == {("START", "HubReferred"), ("HubReferred", "HubSupportStarted"),
                                                   ("HubSupportStarted", "HubSupportEnded")}
    side = {kind for _, _, kind in with_hubs.edges(data="kind")} - {"stage"}
    assert side == {"hub", "fit", "edge_of_care"}
    bare = pathway.build(small("whatif_no_hubs.toml", "fit.start=never", "edge_of_care.workers=0"))
    assert {kind for _, _, kind in bare.edges(data="kind")} == {"stage"}


def test_every_stage_of_the_table_has_a_process_and_leads_only_to_stages():
    assert set(run.STAGE_PROCESSES) == set(pathway.STAGES)
    for name, stage in pathway.STAGES.items():
        assert stage.routes() <= set(pathway.STAGES), name
        assert stage.first and all(isinstance(e, E) for e in stage.first), name
    with pytest.raises(ValueError, match="a process for each stage"):
        Journeys(None, {**run.STAGE_PROCESSES, "triage": None})


def test_a_step_the_table_does_not_list_is_refused(monkeypatch):
    """An assessment may lead to a CIN plan or a strategy discussion, never straight to a CP plan."""

    def assessment_that_skips_ahead(w, case, reason):
        yield 1.0
        return ("cp", "assessment")

    monkeypatch.setitem(run.STAGE_PROCESSES, "assessment", assessment_that_skips_ahead)
    with pytest.raises(RuntimeError, match="the assessment stage handed a journey on to 'cp', which the pathway"):
        run.simulate(small("hampshire.toml", "run.warmup_days=0", "run.end=2016-06-01"), 1)
