"""Shared fixtures: small, fast replications of the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from journeysim import scenario as sc
from journeysim.model import simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

#: A small county (5% of Hampshire) over a short horizon: about a second a run.
SMALL = ["run.scale=0.05", "run.warmup_days=365", "run.start=2016-04-01", "run.end=2020-04-01"]


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
