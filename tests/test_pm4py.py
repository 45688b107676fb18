"""pm4py, the process-mining library analysts already use, reads every export as it is and finds
the service's pathway in it (pm4py is the optional extra ``journeysim[mining]``, which the test
set-up installs)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from journeysim import pathway
from journeysim.cli import main
from journeysim.report import figures as draw

pm4py = pytest.importorskip("pm4py", reason="pm4py is not installed (pip install 'journeysim[mining]')")

#: The stage events of a journey and the front door's: the pathway without what may happen between any
#: two stages (a change of worker, a placement move, a family's support).
STAGES = sorted({n for edge in pathway.stage_edges() for n in edge} - {"START", "END"}
                | {"ContactReceived", "MashScreeningCompleted"})


@pytest.fixture(scope="module")
def exported(small_results, tmp_path_factory):
    """Each format's export of a sample of one replication's journeys (their stage events, and the front
    door's): the CSV, the XES and the OCEL 2.0 file."""
    folder = tmp_path_factory.mktemp("mining")
    out = {}
    for fmt, name in (("pm4py-csv", "log.csv"), ("xes", "log.xes"), ("ocel2-json", "log.json")):
        r = CliRunner().invoke(main, ["export", str(small_results), "--format", fmt, "--out", str(folder / name),
                                      "--events", ",".join(STAGES), "--sample", "1200"])
        assert r.exit_code == 0, r.output
        out[fmt] = folder / name
    return out


def test_pm4py_reads_the_csv_and_the_xes_alike(exported):
    csv = pm4py.format_dataframe(pd.read_csv(exported["pm4py-csv"], low_memory=False))
    xes = pm4py.read_xes(str(exported["xes"]))
    assert csv["case:concept:name"].nunique() == xes["case:concept:name"].nunique() > 1200
    assert len(csv) == len(xes)
    assert csv.groupby("case:concept:name")["concept:name"].apply(tuple).equals(
        xes.groupby("case:concept:name")["concept:name"].apply(tuple))
    kinds = xes.groupby("case:concept:name")["case:kind"].first().value_counts()
    assert kinds["journey"] > 100 and kinds["front door"] > 100


def test_the_directly_follows_graph_is_the_pathway(exported):
    """Every step pm4py finds between two events of a case is a step of the pathway (or of the front
    door), and the main route is there."""
    log = pm4py.read_xes(str(exported["xes"]))
    dfg, starts, ends = pm4py.discover_dfg(log)
    allowed = set(pathway.build().edges) | set(draw.FRONT_DOOR_EDGES)
    assert set(dfg) - allowed == set()
    for step in [("ContactReceived", "MashScreeningCompleted"), ("ReferralReceived", "AssessmentStarted"),
                 ("AssessmentStarted", "AssessmentCompleted"), ("AssessmentCompleted", "CinPlanStarted"),
                 ("IcpcHeld", "CpPlanStarted")]:
        assert dfg[step] > 0, step
    assert set(starts) <= {"ContactReceived", "ReferralReceived", "UascArrived"}


def test_the_inductive_miner_fits_the_journeys(exported):
    log = pm4py.read_xes(str(exported["xes"]))
    journeys = log[log["case:kind"] == "journey"]
    net, initial, final = pm4py.discover_petri_net_inductive(journeys, noise_threshold=0.2)
    fitness = pm4py.fitness_token_based_replay(journeys, net, initial, final)
    assert fitness["log_fitness"] > 0.9, fitness


def test_pm4py_reads_the_ocel2_export_with_its_objects(exported):
    ocel = pm4py.read_ocel2_json(str(exported["ocel2-json"]))
    types = set(ocel.objects["ocel:type"])
    assert {"child", "family", "contact", "referral"} <= types
    assert set(ocel.events["ocel:activity"]) <= set(STAGES)
    # a referral is related to the contact (front-door case) it came through
    o2o = ocel.o2o
    through = o2o[o2o["ocel:qualifier"] == "through the front door"]
    assert len(through) > 100
    flat = pm4py.ocel_flattening(ocel, "contact")
    assert set(flat["concept:name"]) == {"ContactReceived", "MashScreeningCompleted"}
