"""Scenarios: the schema of every parameter, loading, inheritance, overrides, validation.

A scenario is a TOML file.  Every key it may set is declared once, in
:data:`PARAMS` with its default, type, allowed range, units and meaning; that
declaration is the parameter's documentation (``journeysim describe`` prints it).
A file may inherit another with ``extends = "other.toml"`` (a path relative to
the file) and override any key; the command line may override again with
``--set section.key=value``.

Anything a user can get wrong is reported as one :class:`ScenarioError` naming
the file, the key and what is allowed.

The modules: :mod:`.params` declares the parameters, one table per section;
:mod:`.checks` checks values, one checker per kind of parameter; :mod:`.files` reads
scenario files and ``--set`` overrides; :mod:`.loading` makes a checked
:class:`Scenario` of them; :mod:`.writing` writes one back out; :mod:`.sections` gives each
part of the model its parameters as a frozen, typed object.
"""

from .checks import FIRST_DATE, LAST_DATE, ScenarioError
from .files import key_lines, parse_override
from .loading import Scenario, from_values, load, notes, reported_years
from .params import BAND_NAMES, NEVER, PARAMS, SECTIONS, Param, describe_params
from .sections import section, section_type
from .writing import resolved_toml, scenario_digest

__all__ = [
    "BAND_NAMES", "FIRST_DATE", "LAST_DATE", "NEVER", "PARAMS", "SECTIONS", "Param", "Scenario", "ScenarioError",
    "describe_params", "from_values", "key_lines", "load", "notes", "parse_override", "reported_years", "resolved_toml",
    "scenario_digest", "section", "section_type",
]
