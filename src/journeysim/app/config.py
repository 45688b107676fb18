"""The app's settings, handed from ``journeysim app`` to the page through the environment (the page is a
script that Streamlit runs in its own process)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import jobs

PREFIX = "JOURNEYSIM_APP_"


@dataclass(frozen=True)
class AppConfig:
    scenarios: Path  # the scenario folder: bases, uploads' extends, and the library saved scenarios go to
    results: Path  # where the app's runs and comparisons go
    preview_scale: float = jobs.PREVIEW_SCALE
    preview_reps: int = jobs.PREVIEW_REPS
    workers: int | None = None

    def environment(self) -> dict[str, str]:
        """The settings as environment variables for the page's process."""
        env = {"SCENARIOS": str(self.scenarios), "RESULTS": str(self.results),
               "PREVIEW_SCALE": repr(self.preview_scale), "PREVIEW_REPS": str(self.preview_reps)}
        if self.workers:
            env["WORKERS"] = str(self.workers)
        return {PREFIX + k: v for k, v in env.items()}

    @classmethod
    def from_environment(cls) -> "AppConfig":
        env = os.environ
        return cls(Path(env.get(PREFIX + "SCENARIOS", "scenarios")), Path(env.get(PREFIX + "RESULTS", "results/app")),
                   float(env.get(PREFIX + "PREVIEW_SCALE", jobs.PREVIEW_SCALE)),
                   int(env.get(PREFIX + "PREVIEW_REPS", jobs.PREVIEW_REPS)),
                   int(env[PREFIX + "WORKERS"]) if env.get(PREFIX + "WORKERS") else None)
