"""Shared fixtures: small, fast replications of the shipped scenarios."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from journeysim import compiled
from journeysim import scenario as sc
from journeysim.model import simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

#: A small county (5% of Hampshire) over a short horizon: about a second a run.
SMALL = ["run.scale=0.05", "run.warmup_days=365", "run.start=2016-04-01", "run.end=2020-04-01"]


def compiled_module(name: str):
    """The compiled module journeysim.<name>; the test is skipped if the package was installed
    without it, unless JOURNEYSIM_REQUIRE_COMPILED is set (as in CI), when it fails."""
    module = compiled.built(name)
    if module is None:
        if os.environ.get("JOURNEYSIM_REQUIRE_COMPILED"):
            pytest.fail(f"journeysim.{name} is not built, and JOURNEYSIM_REQUIRE_COMPILED is set")
        pytest.skip(f"journeysim.{name} is not built (installed without a C compiler)")
    return module


def one_error(result) -> str:
    """The one line a refused command prints: exit code 2, no traceback, a single ``error:`` line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def small(name: str, *extra: str) -> sc.Scenario:
    return sc.load(SCENARIOS / name, [*SMALL, *extra])


def log_frame(scenario: sc.Scenario, seed: int = 11) -> pd.DataFrame:
    df = simulate(scenario, seed).to_table().to_pandas()
    for col in ("event", "team", "outcome", "reason", "legal_status"):
        df[col] = df[col].astype(object)
    return df


@pytest.fixture(scope="session")
def hampshire_log() -> pd.DataFrame:
    return log_frame(small("hampshire.toml"))


@pytest.fixture(scope="session")
def model_a_log() -> pd.DataFrame:
    return log_frame(small("counterfactual.toml"))


@pytest.fixture(scope="session")
def model_b_log() -> pd.DataFrame:
    """CAST from before the start: operating model B throughout."""
    return log_frame(small("hampshire.toml", "teams.cast_start=2000-01-01", "teams.cast_start_by_district={}"))


@pytest.fixture(scope="session")
def small_results(tmp_path_factory) -> Path:
    """A results folder of two small replications of the Hampshire scenario (for the report,
    the exports and the pictures)."""
    from journeysim.runner import run

    out = tmp_path_factory.mktemp("results") / "hampshire-small"
    run(small("hampshire.toml"), out, reps=2, seed=7, workers=1)
    return out


@pytest.fixture(scope="session")
def small_report(small_results):
    """The report of :func:`small_results`: its results, projections, page, figures (by key) and file."""
    from types import SimpleNamespace

    from journeysim.report.build import build_html
    from journeysim.report.collect import project
    from journeysim.results.reader import open_results
    from journeysim.targets import observed

    results = open_results(small_results)
    proj = project(results)
    page, figs = build_html(results, proj, observed())
    path = small_results.parent / "report.html"
    path.write_text(page, encoding="utf-8")
    return SimpleNamespace(results=results, proj=proj, page=page, figs={f.key: f for f in figs}, path=path)
