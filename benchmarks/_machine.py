"""The line every benchmark prints first: what it ran on, how many of its cores the benchmark
may use (fewer when pinned, e.g. with ``taskset -c 0``: an event log is then written without its
writer thread, see journeysim.eventlog), and which compiled modules were in use
(journeysim.compiled), since all of these change the figures."""

from __future__ import annotations

import os
import platform

from journeysim import compiled
from journeysim.eventlog import cores_available


def describe(extra: str = "") -> str:
    usable = cores_available()
    pinned = f" ({usable} usable here)" if usable != os.cpu_count() else ""
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores{pinned}, {platform.python_implementation()} "
            f"{platform.python_version()}{extra}; {compiled.describe()}")
