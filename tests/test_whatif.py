"""The shipped what-if scenarios and the mechanisms they need (surge, PAs, backfill, recruitment freeze)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.model.frontdoor import backfilled
from journeysim.model.practice import pa_time_weight
from journeysim.model.run import Parameters
from journeysim.projections import measures

from conftest import SCENARIOS, log_frame, small

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.toml"))


def test_the_what_ifs_are_shipped():
    names = {"whatif_caseload_cap_18.toml", "whatif_rota_1_in_2.toml", "whatif_rota_1_in_3.toml",
             "whatif_rota_1_in_4.toml", "whatif_no_hubs.toml", "whatif_hubs_doubled.toml",
             "whatif_recruitment_freeze.toml", "whatif_referral_surge.toml", "whatif_pa_support.toml",
             "whatif_mash_holds_longer.toml", "whatif_no_reunification_drive.toml", "whatif_no_cast.toml",
             "whatif_caseload_cap_20.toml", "whatif_caseload_cap_20_responding.toml"}
    assert names <= set(SHIPPED)


GUIDE = (SCENARIOS.parent / "docs" / "user-guide.md").read_text(encoding="utf-8")
#: Shipped scenarios that are Hampshire's own, written another way: their logs are Hampshire's, event for event.
SAME_AS_HAMPSHIRE = {"hampshire.toml", "whatif_rota_1_in_4.toml"}
WHATIF_WINDOW = ("run.start=2018-04-01", "run.warmup_days=180")


@pytest.fixture(scope="module")
def hampshire_2019():
    """The Hampshire scenario's log and 2019-20 measures on the small window every scenario runs in."""
    log = log_frame(small("hampshire.toml", *WHATIF_WINDOW), seed=3)
    return log, measures(log, [2019]).set_index("measure")["value"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_scenario_is_documented_and_runs(name, hampshire_2019):
    """A header says what it represents, the user guide lists it, and on the same seed it gives numbers
    of Hampshire's order (a what-if moves them, not by a factor of two) that are not Hampshire's own
    unless it is Hampshire written another way."""
    text = (SCENARIOS / name).read_text()
    header = [line for line in text.splitlines()[:12] if line.startswith("#")]
    assert len(header) >= 4, "a header comment says what the scenario represents"
    tail = name.removeprefix("whatif_rota").removesuffix(".toml")
    assert f"`{name}`" in GUIDE or f"`{tail}`" in GUIDE, f"the user guide's table of scenarios lists {name}"
    s = small(name, *WHATIF_WINDOW)
    assert s["description"] and s.name != "unnamed"
    log = log_frame(s, seed=3)
    m = measures(log, [2019]).set_index("measure")["value"]
    base_log, base = hampshire_2019
    for measure in ("contacts", "referrals", "assessments_completed", "cin_at_31_march", "cla_at_31_march"):
        assert 0.5 * base[measure] <= m[measure] <= 2 * base[measure], (measure, m[measure], base[measure])
    for pct in [k for k in m.index if k.endswith("_pct")]:
        assert pd.isna(m[pct]) or 0 <= m[pct] <= 100, pct
    assert m["cla_ceased"] <= m["cla_starts"] + base["cla_at_31_march"] * 2
    same = log.equals(base_log)  # every event, time and value
    if same and name not in SAME_AS_HAMPSHIRE:
        # a weak lever on a twentieth of the county can, by chance, change no draw in one seed's two years
        # (the reunification drive turns about one in twelve entries' route home: none of about 30 in
        # seed 3's); a lever that is never read gives Hampshire's log on every seed
        same = log_frame(s, seed=4).equals(log_frame(small("hampshire.toml", *WHATIF_WINDOW), seed=4))
    assert same == (name in SAME_AS_HAMPSHIRE), f"{name}: {'the same' if same else 'a different'} log from Hampshire's"


def test_scenarios_set_what_they_say():
    load = lambda n: sc.load(SCENARIOS / n)  # noqa: E731
    assert load("whatif_caseload_cap_18.toml")["workforce.hard_cap"] == 18
    assert load("whatif_rota_1_in_2.toml")["teams.intake_rota"] == [[1, 2], [3, 4]]
    assert load("whatif_rota_1_in_3.toml")["teams.cast_teams"] == 3
    assert load("whatif_no_hubs.toml")["hubs.start"] is None
    assert load("whatif_hubs_doubled.toml")["hubs.family_workers"] == 2 * load("hampshire.toml")["hubs.family_workers"]
    no_cast = load("whatif_no_cast.toml")
    assert no_cast["teams.cast_start"] is None and no_cast["hubs.start"] is not None
    assert no_cast["practice.model_start"] is not None
    assert no_cast["mash.hold_longer_start"] is None and no_cast["care.reunification_drive_start"] is None
    assert no_cast["workforce.drives"] == []
    cap20, responding = load("whatif_caseload_cap_20.toml"), load("whatif_caseload_cap_20_responding.toml")
    assert cap20["workforce.hard_cap"] == 20 and str(cap20["workforce.hard_cap_start"]) == "2019-04-01"
    assert all(cap20[k] == 0 for k in ("responses.threshold_elasticity", "responses.close_early_elasticity",
                                       "responses.queue_agency", "responses.manager_holds"))
    assert responding["workforce.hard_cap"] == 20 and responding["responses.queue_agency"] == 10


def test_a_service_that_responds_keeps_the_cap_s_queue_shorter():
    """The cap of 20 from April 2019 on the same random numbers, without and with the responses of a full
    service: children wait for a worker at 31 March 2020 either way, fewer when the service responds."""
    window = ("run.start=2018-04-01", "run.warmup_days=365", "run.scale=0.1")  # at 5% a team has too few workers
    queue = {name: years_of(log_frame(small(f"{name}.toml", *window), seed=5), 2019)["awaiting_allocation_at_31_march", "2019-20"]
             for name in ("whatif_caseload_cap_20", "whatif_caseload_cap_20_responding")}
    assert queue["whatif_caseload_cap_20"] > 50
    assert queue["whatif_caseload_cap_20_responding"] < 0.5 * queue["whatif_caseload_cap_20"]


def years_of(log: pd.DataFrame, *years: int) -> pd.Series:
    return measures(log, list(years)).set_index(["measure", "year"])["value"]


def test_surge_raises_contacts_from_its_date_only():
    base = years_of(log_frame(small("hampshire.toml"), 5), 2017, 2019)
    surge = years_of(log_frame(small("whatif_referral_surge.toml"), 5), 2017, 2019)
    assert surge["contacts", "2017-18"] == base["contacts", "2017-18"], "same arrivals before the surge"
    assert 1.12 < surge["contacts", "2019-20"] / base["contacts", "2019-20"] < 1.28
    assert surge["referrals", "2019-20"] > 1.08 * base["referrals", "2019-20"]


def fake_world(*overrides: str, active: bool = True):
    return SimpleNamespace(params=Parameters.of(sc.load(None, list(overrides))), active=lambda date: active and date is not None)


def test_pa_weight_follows_003_time_with_families():
    assert pa_time_weight(fake_world("workforce.pa_pilot_start=never")) == 1.0, "no PAs without the pilot"
    assert pa_time_weight(fake_world()) == pytest.approx(0.34 / (0.34 + 0.24 * 0.094 * 3)), "the pilot's PAs by default"
    assert pa_time_weight(fake_world("workforce.pa_start=2018-04-01")) == pytest.approx(0.34 / 0.58)
    assert pa_time_weight(fake_world("workforce.pa_start=2018-04-01", "workforce.pa_ratio=0.5")) == pytest.approx(0.34 / 0.58)
    half = pa_time_weight(fake_world("workforce.pa_start=2018-04-01", f"workforce.pa_ratio={1 / 6}"))
    assert half == pytest.approx(0.34 / 0.46)
    assert pa_time_weight(fake_world("workforce.pa_start=2018-04-01", active=False)) == 1.0, "not before the date"


def test_pas_raise_engagement():
    """Engagement at the end of plans from April 2019 is higher with PA support, by more than four
    standard errors of the difference (the two runs' plans taken as independent samples, which
    overstates the error of runs on the same seed)."""
    def engagement(log):
        after = pd.to_datetime(log["date"]) >= pd.Timestamp("2019-04-01")
        ends = log[log["event"].isin(["CinPlanEnded", "CpPlanEnded"]) & after]["value"].dropna()
        return ends.mean(), ends.var(ddof=1) / len(ends)

    short = ["run.scale=0.25", "run.start=2018-04-01"]
    base, pas = log_frame(small("hampshire.toml", *short), 2), log_frame(small("whatif_pa_support.toml", *short), 2)
    (m_pas, v_pas), (m_base, v_base) = engagement(pas), engagement(base)
    assert m_pas - m_base > 4 * (v_pas + v_base) ** 0.5, (m_pas, m_base)


def test_backfill_raises_the_chance_of_referral_in_proportion():
    probs = {"nfa": 0.38, "early_help": 0.30, "referral": 0.32}
    up = backfilled(probs, 0.5)
    assert up["referral"] == pytest.approx(0.48)
    assert up["nfa"] == pytest.approx(0.38 * 0.52 / 0.68) and sum(up.values()) == pytest.approx(1.0)
    assert backfilled(probs, 0.0) == pytest.approx(probs)
    assert backfilled(probs, 5.0)["referral"] == 1.0


def test_backfill_draws_in_referrals_when_there_is_spare_capacity():
    """The small test county has about 7 children per worker: set its usual caseload above that."""
    def referrals(*extra):
        return years_of(log_frame(small("hampshire.toml", *extra), 4), 2019)["referrals", "2019-20"]

    none = referrals()
    assert referrals("mash.backfill_elasticity=1", "mash.backfill_caseload=1") == none, "no spare capacity, no backfill"
    some = referrals("mash.backfill_elasticity=1", "mash.backfill_caseload=10")
    more = referrals("mash.backfill_elasticity=1", "mash.backfill_caseload=20")
    assert none * 1.1 < some < more


def test_recruitment_freeze_stops_permanent_recruits_until_it_ends():
    def joined(log, kinds):
        rows = log[(log["event"] == "WorkerJoined") & log["outcome"].isin(kinds)]
        return rows.assign(date=pd.to_datetime(rows["date"]))

    permanent = ["permanent", "newly_qualified"]
    start, end = pd.Timestamp("2018-04-01"), pd.Timestamp("2019-01-01")
    base = joined(log_frame(small("hampshire.toml"), 6), permanent)
    frozen = log_frame(small("whatif_recruitment_freeze.toml"), 6)
    assert (base["date"] >= start).sum() > 20
    assert (joined(frozen, permanent)["date"] >= start).sum() == 0
    assert (joined(frozen, ["agency"])["date"] >= start).sum() > 0, "agency cover carries on"
    thawed = joined(log_frame(small("whatif_recruitment_freeze.toml", "workforce.freeze_end=2019-01-01"), 6), permanent)
    assert ((thawed["date"] >= start) & (thawed["date"] < end)).sum() == 0
    assert (thawed["date"] >= end).sum() > 10


def test_freeze_end_needs_a_start():
    with pytest.raises(sc.ScenarioError, match="workforce.freeze_end .* needs a workforce.freeze_start before it"):
        sc.load(None, ["workforce.freeze_end=2019-01-01"])
