"""Fuzzing the scenario loader: whatever a file or ``--set`` holds, it is accepted or refused with a
ScenarioError, never any other exception.

Four sources of input: random TOML documents (mostly real sections and keys, random values),
arbitrary text, random mutations of a valid scenario (values replaced, keys misspelt or removed,
numbers scaled or negated, characters of the file inserted or deleted), and random ``--set``
options. An accepted scenario must also survive the round trip the results folder relies on:
its resolved ``scenario.toml`` loads back to the same values.

Each property runs 150 examples by default; the ``slow`` variants run 3,000.
"""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeysim import scenario as sc
from journeysim.scenario import resolved_toml
from journeysim.scenario.checks import _is_num

from conftest import SCENARIOS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def deep(fn):
    return pytest.mark.slow(settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))(fn))


SECTIONS = sorted(sc.SECTIONS)
LEAVES = sorted({k.split(".", 1)[1] for k in sc.PARAMS if "." in k})
BASE_TEXT = (SCENARIOS / "hampshire.toml").read_text(encoding="utf-8")
BASE = sc.load(SCENARIOS / "hampshire.toml")
BASE_DOC = tomllib.loads(resolved_toml(BASE))

# --- values of every TOML type, and the near-misses people type ---------------------------------------
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-5, max_value=60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2, max_value=2),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["never", "2018-05-01", "lognormal", ""]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.times(),
)
dist_tables = st.fixed_dictionaries(
    {"dist": st.sampled_from(["lognormal", "exponential", "uniform", "fixed", "empirical", "gamma"])},
    optional={k: st.one_of(scalars, st.lists(st.floats(-3, 10), max_size=4))
              for k in ("median", "p90", "mean", "low", "high", "value", "values", "weights")},
)
values = st.recursive(
    st.one_of(scalars, dist_tables),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from([*LEAVES[:30], "D1", "D9", "2016", "x"]), inner, max_size=4)),
    max_leaves=10,
)
keys = st.one_of(st.sampled_from(LEAVES), st.text(min_size=1, max_size=10))


@st.composite
def toml_documents(draw) -> dict:
    """A document of mostly real sections and keys with random values, sometimes an ``extends``."""
    doc = draw(st.dictionaries(st.sampled_from(["name", "description", "nonsense"]), scalars, max_size=2))
    for section in draw(st.lists(st.one_of(st.sampled_from(SECTIONS), st.text(min_size=1, max_size=8)), max_size=4)):
        doc[section] = draw(st.dictionaries(keys, values, max_size=4))
    if draw(st.booleans()):
        doc["extends"] = draw(st.one_of(st.sampled_from(["hampshire.toml", "../scenarios/hampshire.toml", ".", ""]),
                                        scalars))
    return doc


def load_text(text: str | bytes, name: str = "fuzz.toml") -> sc.Scenario | None:
    """Load a scenario from text in a scratch folder; None when refused with a ScenarioError."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            return sc.load(path)
        except sc.ScenarioError as exc:
            assert str(exc).startswith(str(path)), f"the message must name the file: {exc}"
            assert "\n" not in str(exc), "one line"
            return None


def check_round_trip(s: sc.Scenario | None) -> None:
    if s is None:
        return
    again = load_text(resolved_toml(s), "resolved.toml")
    assert again is not None and again.values == s.values


# --- the properties -----------------------------------------------------------------------------------
def check_document(doc: dict) -> None:
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # not expressible in TOML (e.g. a time with a zone); nothing to load
        return
    check_round_trip(load_text(text))


def check_text(data: bytes) -> None:
    check_round_trip(load_text(data))


def check_mutation(doc: dict, key: str, action: str, value, factor: float) -> None:
    section, leaf = key.split(".", 1) if "." in key else ("", key)
    table = doc.get(section, doc) if section else doc
    if leaf not in table:
        return
    if action == "replace":
        table[leaf] = value
    elif action == "delete":
        del table[leaf]
    elif action == "misspell":
        table[leaf[:-1] or "x"] = table.pop(leaf)
    elif action == "scale" and _is_num(table[leaf]):
        table[leaf] = table[leaf] * factor
    elif action == "negate_inside" and isinstance(table[leaf], dict):
        inner = next(iter(table[leaf]))
        if _is_num(table[leaf][inner]):
            table[leaf][inner] = -table[leaf][inner]
    check_document(doc)


def check_text_edit(position: int, cut: int, insert: str) -> None:
    i = position % (len(BASE_TEXT) + 1)
    check_round_trip(load_text(BASE_TEXT[:i] + insert + BASE_TEXT[i + cut:]))


def check_override(text: str) -> None:
    try:
        s = sc.load(None, [text])
    except sc.ScenarioError as exc:
        assert str(exc).startswith("--set ") and "\n" not in str(exc)
        return
    check_round_trip(s)


mutations = dict(
    key=st.sampled_from(sorted(sc.PARAMS)),
    action=st.sampled_from(["replace", "delete", "misspell", "scale", "negate_inside"]),
    value=values,
    factor=st.sampled_from([-1.0, 0.0, 0.5, 2.0, 1e9, float("nan")]),
)
edits = dict(position=st.integers(0, 10_000), cut=st.integers(0, 5), insert=st.text(max_size=5))
overrides = st.one_of(
    st.text(max_size=30),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(sorted(sc.PARAMS)),
              st.one_of(st.text(max_size=15), st.sampled_from(["never", "-1", "1e400", "[[1], [2]]", "{}", "2019-02-30"]))),
)


@FAST
@given(doc=toml_documents())
def test_random_toml_documents_are_accepted_or_refused_cleanly(doc):
    check_document(doc)


@FAST
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_arbitrary_bytes_are_accepted_or_refused_cleanly(data):
    check_text(data)


@FAST
@given(**mutations)
def test_mutated_valid_scenarios_are_accepted_or_refused_cleanly(key, action, value, factor):
    doc = copy.deepcopy(BASE_DOC)
    check_mutation(doc, key, action, value, factor)


@FAST
@given(**edits)
def test_edited_scenario_files_are_accepted_or_refused_cleanly(position, cut, insert):
    check_text_edit(position, cut, insert)


@FAST
@given(text=overrides)
def test_random_set_options_are_accepted_or_refused_cleanly(text):
    check_override(text)


@deep
@given(doc=toml_documents())
def test_random_toml_documents_deep(doc):
    check_document(doc)


@deep
@given(**mutations)
def test_mutated_valid_scenarios_deep(key, action, value, factor):
    doc = copy.deepcopy(BASE_DOC)
    check_mutation(doc, key, action, value, factor)


@deep
@given(**edits)
def test_edited_scenario_files_deep(position, cut, insert):
    check_text_edit(position, cut, insert)


@deep
@given(text=overrides)
def test_random_set_options_deep(text):
    check_override(text)


def test_a_mutation_of_every_kind_is_really_exercised():
    """The properties above would pass vacuously if every mutation were refused or skipped:
    check that some are accepted and some refused."""
    doc = copy.deepcopy(BASE_DOC)
    doc["referral"]["p_nfa"] = 0.2
    assert load_text(tomli_w.dumps(doc)) is not None
    doc["referral"]["p_nfa"] = 2.0
    assert load_text(tomli_w.dumps(doc)) is None
