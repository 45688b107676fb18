"""The optional compiled modules, and the switch that turns them off.

Three parts of the hot path have a compiled twin, built from a ``.pyx`` file by ``setup.py``
when the package is installed: ``journeysim._columns`` (the event log's column buffers, twin of
``eventlog.ListColumns``), ``journeysim.engine._loop`` (the engine's event loop, twin of
``engine.environment.run_events``) and ``journeysim._rng`` (random streams, twin of
``rng.Stream``).  Each twin does exactly what its Python original does, and the event logs are
byte-identical either way (``tests/test_compiled.py``, ``tests/test_columns.py``,
``tests/test_engine.py``); the Python originals are the reference, and what runs when the
package was installed without a C compiler.  Set the environment variable
``JOURNEYSIM_PURE_PYTHON=1`` to run them anyway.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: The compiled modules, by name (``journeysim.<name>``, source ``src/journeysim/<name as a path>.pyx``).
MODULES = ("_columns", "_rng", "engine._loop")

#: True when JOURNEYSIM_PURE_PYTHON is set (to anything but 0): the compiled modules are not used.
PURE_PYTHON = os.environ.get("JOURNEYSIM_PURE_PYTHON", "") not in ("", "0")


def built(name: str) -> ModuleType | None:
    """The compiled module ``journeysim.<name>``, or None if the package was installed without it."""
    try:
        return importlib.import_module(f"journeysim.{name}")
    except ImportError:
        return None


def in_use(name: str) -> ModuleType | None:
    """The compiled module ``journeysim.<name>`` if it is built and not switched off, else None."""
    return None if PURE_PYTHON else built(name)


def describe() -> str:
    """One line for benchmarks and run metadata: which compiled modules are in use."""
    used = [name for name in MODULES if in_use(name) is not None]
    if used:
        return "compiled " + ", ".join(f"journeysim.{n}" for n in used)
    return "pure Python" + (" (JOURNEYSIM_PURE_PYTHON)" if PURE_PYTHON else " (compiled modules not built)")
