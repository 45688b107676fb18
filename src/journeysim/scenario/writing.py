"""Writing a scenario back out: the resolved ``scenario.toml`` (every parameter's value,
loadable again) and the digest that says whether two scenarios hold the same values.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import tomli_w

from .. import __version__
from .checks import printable
from .loading import Scenario


def _toml_ready(value):
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_toml_ready(v) for v in value]
    return value


def _nested(scenario: Scenario) -> dict:
    nested: dict = {}
    for key, value in scenario.raw().items():
        node = nested
        *parts, last = key.split(".")
        for part in parts:
            node = node.setdefault(part, {})
        node[last] = _toml_ready(value)
    return nested


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of every parameter's value: equal digests mean the same model inputs."""
    return hashlib.sha256(tomli_w.dumps(_nested(scenario)).encode("utf-8")).hexdigest()


def resolved_toml(scenario: Scenario) -> str:
    """The scenario with every parameter written out, loadable by ``journeysim run``."""
    nested = _nested(scenario)
    header = (f"# Resolved scenario '{scenario.name}' written by journeysim {__version__}.\n"
              + _comment(f"# Loaded from: {', '.join(Path(f).name for f in scenario.files) or 'defaults'}"
                         + (f"; overrides: {' '.join(scenario.overrides)}" if scenario.overrides else "")) + "\n")
    return header + tomli_w.dumps(nested)


def _comment(text: str) -> str:
    """A TOML comment line: characters a comment may not hold (a newline in an override) escaped."""
    return printable(text)
