"""Scenario loading: inheritance, overrides and the messages a user sees."""

from __future__ import annotations

import datetime as dt

import pytest

from journeysim import scenario as sc
from journeysim.scenario.files import _line_of
from journeysim.distributions import Lognormal

from conftest import SCENARIOS


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_every_parameter_is_documented_with_a_valid_default():
    for key, p in sc.PARAMS.items():
        assert len(p.doc) > 15, key
    sc.from_values({})  # the defaults validate


def test_extends_inherits_and_overrides(tmp_path):
    write(tmp_path, "base.toml", 'name = "base"\n[referral]\np_nfa = 0.2\n[cp]\nfirst_review_days = 80.0\n')
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\nname = "child"\n[referral]\np_nfa = 0.3\n')
    s = sc.load(child, ["cp.first_review_days=70"])
    assert s.name == "child"
    assert s["referral.p_nfa"] == 0.3
    assert s["cp.first_review_days"] == 70.0
    assert s.sources["referral.p_nfa"].endswith("child.toml")
    assert s.sources["cp.first_review_days"].startswith("--set")
    assert [f.split("/")[-1] for f in s.files] == ["base.toml", "child.toml"]


def test_counterfactual_switches_every_component_off():
    s = sc.load(SCENARIOS / "counterfactual.toml")
    assert s["teams.cast_start"] is None and s["teams.cast_start_by_district"] == {}
    assert s["hubs.start"] is None and s["practice.model_start"] is None
    assert s["workforce.drives"] == []
    assert s["run.start"] == dt.date(2014, 4, 1)


def test_distribution_tables_are_parsed():
    s = sc.load(None, ['assessment.duration={ dist = "lognormal", median = 20, p90 = 40 }'])
    d = s["assessment.duration"]
    assert isinstance(d, Lognormal) and d.median == 20 and d.p90 == 40


@pytest.mark.parametrize("text,message", [
    ("[referral]\np_nfa = 1.3\n", "referral.p_nfa is a probability and must be between 0 and 1; got 1.3"),
    ("[refferal]\np_nfa = 0.1\n", "unknown key 'refferal.p_nfa'; did you mean 'referral.p_nfa'?"),
    ("[frontdoor]\ntriage = { advice = 0.5, early_help = 0.2, mash = 0.2 }\n", "must sum to 1; they sum to 0.9"),
    ("[frontdoor]\ntriage = { advice = 0.6, mash = 0.4 }\n", "missing early_help"),
    ('[cin]\nduration = { dist = "lognormal", median = 50, p90 = 10 }\n', "need 0 < median < p90"),
    ('[cin]\nduration = { dist = "gamma", mean = 5 }\n', "cin.duration.dist must be one of"),
    ("[run]\nstart = 2020-04-01\nend = 2019-04-01\n", "run.end (2019-04-01) must be after run.start (2020-04-01)"),
    ('[teams]\ncast_start = "2018-05-01"\n', "must be a date like 2018-04-01 (no quotes)"),
    ('[teams]\ncast_start_by_district = { D9 = 2018-01-01 }\n', "unknown district 'D9'"),
    ("[workforce]\nsoft_cap = 0\n", "workforce.soft_cap must be between 1 and 500 children"),
    ("[teams]\nintake_rota = [[1, 2], []]\n", "week 2 of the rota has no team"),
    ("[teams]\nintake_rota = [[1, 2], [3, 5]]\n", "names team 5 but there are only teams.cast_teams = 4"),
    ("[teams]\nintake_rota = [[1], [2], [3]]\n", "never puts team 4 on intake"),
    ("name = \n", "not valid TOML"),
    ('extends = "missing.toml"\n', "extends: no such scenario file 'missing.toml'"),
])
def test_bad_scenarios_are_rejected_naming_file_and_key(tmp_path, text, message):
    p = write(tmp_path, "bad.toml", text)
    with pytest.raises(sc.ScenarioError) as err:
        sc.load(p)
    assert message in str(err.value)
    assert "bad.toml" in str(err.value)


def test_circular_extends_is_reported(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(sc.ScenarioError, match="circular inheritance"):
        sc.load(tmp_path / "a.toml")


def test_every_parameter_appears_in_the_model_description():
    text = (SCENARIOS.parent / "docs" / "model.md").read_text(encoding="utf-8")
    missing = [key for key in sc.PARAMS if "." in key and f"`{key}`" not in text]
    assert not missing, f"docs/model.md does not document {missing}"


def test_key_lines_finds_keys_in_sections_dotted_quoted_and_inline():
    text = ('# comment\nname = "x"\n\n[run]\nstart = 2014-04-01\n  "end" = 2019-04-01\n[ frontdoor ]\n'
            'triage = { advice = 0.6, early_help = 0.2, mash = 0.2 }\nreferral.p_nfa = 0.1\n[[workforce.drives]]\ndate = 2019-01-01\n')
    lines = sc.key_lines(text)
    assert lines["name"] == 2 and lines["run"] == 4 and lines["run.start"] == 5 and lines["run.end"] == 6
    assert lines["frontdoor.triage"] == 8 and lines["frontdoor.referral.p_nfa"] == 9
    assert lines["workforce.drives"] == 10 and lines["workforce.drives.date"] == 11
    assert _line_of("frontdoor.triage.mash", lines) == 8, "a key inside an inline table points at its table"


def test_a_bad_value_in_a_parent_file_names_the_parent_and_its_line(tmp_path):
    write(tmp_path, "base.toml", 'name = "base"\n\n[cp]\nfirst_review_days = 0\n')
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\nname = "child"\n')
    with pytest.raises(sc.ScenarioError) as err:
        sc.load(child)
    assert str(err.value) == f"{tmp_path / 'base.toml'}, line 4: cp.first_review_days must be between 1 and 365 days; got 0"


def test_the_age_bands_scenarios_name_are_the_models():
    """Tables keyed by age band (care.p_return_home, ...) name the bands the model draws ages in."""
    from journeysim.model.population import AGE_BANDS

    assert tuple(AGE_BANDS) == sc.BAND_NAMES
    lows, highs = zip(*AGE_BANDS.values())
    assert lows[0] == 0.0 and highs[-1] == 18.0 and list(lows[1:]) == list(highs[:-1])
    for key, p in sc.PARAMS.items():
        if p.kind == "probs" and "under_1" in p.keys:
            assert p.keys == sc.BAND_NAMES, key
