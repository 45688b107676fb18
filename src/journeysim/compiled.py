"""The optional compiled modules, and the switches that turn them off.

Three parts of the hot path have a compiled twin, built from a ``.pyx`` file by ``setup.py``
when the package is installed: ``journeysim._columns`` (the event log's column buffers, twin of
``eventlog.ListColumns``), ``journeysim._loop`` (the event loop, twin of
``model.world.run_events``) and ``journeysim._rng`` (random streams, twin of ``rng.Stream``).
Each twin does exactly what its Python original does, and the event logs are byte-identical
either way (``tests/test_compiled.py``, ``tests/test_columns.py``, ``tests/test_engine.py``);
the Python originals are the reference, and what runs when the package was installed without
a C compiler.  Set the environment variable ``JOURNEYSIM_PURE_PYTHON=1`` to run them anyway.

A fourth, ``journeysim._arenas``, has no twin: it puts Python's small objects on huge pages
(see its docstring), which changes how fast a run is and nothing else.  A replication turns it
on (:func:`use_huge_pages`) unless ``JOURNEYSIM_PURE_PYTHON`` is set or
``JOURNEYSIM_HUGE_PAGES=0``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: The compiled modules, by name (``journeysim.<name>``, source ``src/journeysim/<name>.pyx``).
MODULES = ("_arenas", "_columns", "_loop", "_rng")

#: True when JOURNEYSIM_PURE_PYTHON is set (to anything but 0): the compiled modules are not used.
PURE_PYTHON = os.environ.get("JOURNEYSIM_PURE_PYTHON", "") not in ("", "0")

#: False when JOURNEYSIM_HUGE_PAGES=0: Python's small objects stay on the system's usual pages.
HUGE_PAGES = os.environ.get("JOURNEYSIM_HUGE_PAGES", "1") != "0"


def built(name: str) -> ModuleType | None:
    """The compiled module ``journeysim.<name>``, or None if the package was installed without it."""
    try:
        return importlib.import_module(f"journeysim.{name}")
    except ImportError:
        return None


def in_use(name: str) -> ModuleType | None:
    """The compiled module ``journeysim.<name>`` if it is built and not switched off, else None."""
    return None if PURE_PYTHON else built(name)


def _huge_pages() -> ModuleType | None:
    """``journeysim._arenas`` if it is built, not switched off, and can work here, else None."""
    arenas = in_use("_arenas") if HUGE_PAGES else None
    return arenas if arenas is not None and arenas.available() else None


def use_huge_pages() -> bool:
    """From now on, give this process's small Python objects huge pages where the system has them
    (``journeysim._arenas``; once is enough).  True if they are in use."""
    arenas = _huge_pages()
    return arenas is not None and arenas.install()


def describe() -> str:
    """One line for benchmarks and run metadata: which compiled modules are in use."""
    used = [name for name in MODULES if (_huge_pages() if name == "_arenas" else in_use(name)) is not None]
    if used:
        return "compiled " + ", ".join(f"journeysim.{n}" for n in used)
    return "pure Python" + (" (JOURNEYSIM_PURE_PYTHON)" if PURE_PYTHON else " (compiled modules not built)")
