"""The line every benchmark prints first: what it ran on, and which compiled modules were in use
(journeysim.compiled), since they change the figures."""

from __future__ import annotations

import os
import platform

from journeysim import compiled


def describe(extra: str = "") -> str:
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}{extra}; {compiled.describe()}")
