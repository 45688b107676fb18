"""What a batch of runs will take, checked against what the machine has before any work starts.

A replication writes events in proportion to the county's size (``run.scale``) and to the days
it simulates (warm-up included): Hampshire's scenarios write about :data:`EVENTS_PER_SCALE_DAY`
events per day at full size, stored at about :data:`BYTES_PER_EVENT` bytes each in the Parquet
log; a worker process holds the model's state, which grows with the events it simulates
(:data:`WORKER_BASE_BYTES` plus :data:`WORKER_BYTES_PER_EVENT` an event); a worker runs about :data:`EVENTS_PER_SECOND` events a second.  These were measured on journeysim's own
runs (``journeysim run`` of the Hampshire scenario at scales 0.05, 0.2 and 1: 684 to 694 events
per scale-day, 10.5 to 11.2 bytes an event, peak memory 265, 294 and 328 MB for 0.1, 0.4 and
0.75 million events, 77,000 to 120,000 events a second on a loaded two-core machine) and are rough on purpose: the check is there to stop
a mistyped ``--reps 100000`` or ``run.scale=100`` from filling a disk or the memory hours into a
run, not to predict to the minute.

:func:`estimate` gives the figures, :func:`check` refuses (a :class:`~journeysim.interrupts.RunError`
saying what would be needed and what there is) when the logs would not fit on the disk or the
workers in the memory, unless told to go on (``--yes``); :func:`usable_workers` caps ``--workers``
at the cores this process may use.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .eventlog import cores_available
from .interrupts import RunError

#: Events a replication writes per simulated day at run.scale 1 (Hampshire: 684 to 694 measured).
EVENTS_PER_SCALE_DAY = 700
#: Bytes an event takes in a Parquet log (10.5 to 11.2 measured).
BYTES_PER_EVENT = 11.5
#: A worker process's memory before its county, and per event it simulates (84 to 90 measured).
WORKER_BASE_BYTES = 260 << 20
WORKER_BYTES_PER_EVENT = 100
#: Events a worker simulates a second (a loaded two-core machine: 80,000 to 120,000).
EVENTS_PER_SECOND = 80_000
#: Estimated seconds from which a run's estimate is shown before it starts (a note).
LONG_SECONDS = 600
#: Headroom kept free: a disk is not filled to its last byte, nor the memory.
DISK_MARGIN = 1.1
MEMORY_MARGIN = 1.2


@dataclass(frozen=True)
class Estimate:
    """What ``replications`` replications of a scenario will take with ``workers`` processes at once."""

    replications: int
    workers: int
    events_per_replication: int
    disk_bytes: int
    memory_bytes: int
    seconds: float

    def describe(self) -> str:
        return (f"{self.replications:,} replication(s) of about {self.events_per_replication:,} events: about "
                f"{_size(self.disk_bytes)} of event logs, {_size(self.memory_bytes)} of memory for "
                f"{self.workers} worker(s), {_duration(self.seconds)}")


def estimate(scenario, replications: int, workers: int) -> Estimate:
    """The estimate for ``replications`` replications of ``scenario`` with ``workers`` at once."""
    days = (scenario["run.end"] - scenario["run.start"]).days + int(scenario["run.warmup_days"])
    scale = float(scenario["run.scale"])
    events = int(EVENTS_PER_SCALE_DAY * scale * max(days, 1))
    at_once = max(1, min(workers, replications))
    return Estimate(
        replications=replications,
        workers=at_once,
        events_per_replication=events,
        disk_bytes=int(events * BYTES_PER_EVENT * replications),
        memory_bytes=int(at_once * (WORKER_BASE_BYTES + WORKER_BYTES_PER_EVENT * events)),
        seconds=events * replications / EVENTS_PER_SECOND / at_once,
    )


def free_disk(path: Path) -> int:
    """Bytes free on the filesystem where ``path`` (or the nearest folder above it that exists) is."""
    base = Path(os.path.abspath(path))
    while not base.exists() and base != base.parent:
        base = base.parent
    return shutil.disk_usage(base).free


def free_memory() -> int | None:
    """Bytes of memory available to new processes (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check(est: Estimate, out: Path, yes: bool = False) -> None:
    """RunError unless the logs fit on the disk of ``out`` and the workers in the memory (with headroom),
    or ``yes``: the user has been told and goes on."""
    if yes:
        return
    disk = free_disk(out)
    if est.disk_bytes * DISK_MARGIN > disk:
        raise RunError(f"--out {out}: {est.describe()}; the disk there has {_size(disk)} free. Use fewer --reps or a "
                       f"smaller run.scale or period, write elsewhere, or pass --yes to start anyway")
    memory = free_memory()
    if memory is not None and est.memory_bytes * MEMORY_MARGIN > memory:
        raise RunError(f"{est.describe()}; this machine has {_size(memory)} of memory available. Use fewer "
                       f"--workers or a smaller run.scale, or pass --yes to start anyway")


def usable_workers(workers: int | None) -> tuple[int | None, str | None]:
    """``workers`` capped at the cores this process may use, and the note saying so (None if not capped)."""
    cores = cores_available()
    if workers is None or workers <= cores:
        return workers, None
    return cores, (f"--workers {workers}: this machine lets journeysim use {cores} core{'s' * (cores != 1)}; "
                   f"running {cores} worker{'s' * (cores != 1)} (more would only queue for them)")


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"  # pragma: no cover


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"
