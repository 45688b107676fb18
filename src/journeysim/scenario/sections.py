"""Typed sections: each part of the model reads its parameters through a frozen, typed object
made by :func:`section_type` from the keys it names, and filled once per replication by
:func:`section`; the part's code then reads ``p.p_breakdown``, not an untyped namespace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from .. import distributions as dists
from ..rng import Outcomes
from .checks import ScenarioError
from .loading import Scenario
from .params import PARAMS

#: The Python type of a value of each kind, once validated.
KIND_TYPES = {"float": float, "int": int, "prob": float, "date": dt.date, "cdate": dt.date | None,
              "dist": dists.Distribution, "probs": Outcomes, "str": str, "bool": bool, "yearly": dict[str, float],
              "dates": dict[str, dt.date | None], "drives": list[dict], "rota": list[list[int]], "path": str,
              "draws": str}


def section_type(own: str | None, *more: str) -> type:
    """A frozen dataclass of the scenario keys a part of the model reads: every key of section
    ``own`` under its own name (``care.p_breakdown`` as ``p_breakdown``), and each of ``more`` (a
    whole section, or one key) under its section's name and its own (``uasc.age`` as ``uasc_age``).
    Each field has the type of its key's values; ``KEYS`` maps each field to its key."""
    keys: dict[str, str] = {}
    for name in (own, *more):
        if name is None:
            continue
        chosen = [k for k in PARAMS if k.startswith(name + ".")] if "." not in name else [name]
        if not chosen or any(k not in PARAMS for k in chosen):
            raise KeyError(f"no scenario section or key {name!r}")
        for k in chosen:
            section_name, leaf = k.split(".", 1)
            keys[leaf if section_name == own else f"{section_name}_{leaf}"] = k
    cls = dataclasses.make_dataclass("Params", [(f, KIND_TYPES[PARAMS[k].kind]) for f, k in keys.items()],
                                     frozen=True, slots=True)
    cls.KEYS = keys
    cls.__doc__ = ("The scenario keys a part of the model reads (meaning and source of each: "
                   "journeysim describe): " + ", ".join(keys.values()) + ".")
    return cls


def section(scenario: Scenario, cls: type) -> Any:
    """``cls`` (made by :func:`section_type`) filled with ``scenario``'s values; a table of outcome
    probabilities comes as an :class:`Outcomes` (a dict that draws fast)."""
    values = {}
    for name, k in cls.KEYS.items():
        value = scenario.values[k]
        if PARAMS[k].kind == "probs":
            value = Outcomes(value)
        elif PARAMS[k].kind == "path" and value:
            base = path_base(scenario, k)
            if base not in (base / value).resolve().parents:  # a link that leads out of the folder
                raise ScenarioError(f"{scenario.sources.get(k, k)}: {k} = {value!r} leads outside {base} (through a "
                                    f"link); put the file itself in that folder")
            value = str(base / value)
        values[name] = value
    return cls(**values)


def path_base(scenario: Scenario, key: str) -> Path:
    """The folder a file named by ``key`` is relative to (and must stay inside): the folder of the
    scenario file that set it, or the current folder for --set."""
    source = scenario.sources.get(key, "")
    return Path(source).resolve().parent if source and not source.startswith("--set") else Path.cwd().resolve()
