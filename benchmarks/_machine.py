"""The line every benchmark prints first: what it ran on, and whether the event log's compiled
buffers (journeysim._columns) were in use, since they change the figures."""

from __future__ import annotations

import os
import platform

from journeysim import eventlog


def describe(extra: str = "") -> str:
    buffers = "compiled (journeysim._columns)" if eventlog.COMPILED else "Python lists (journeysim._columns not in use)"
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}{extra}; event-log buffers: {buffers}")
