"""What a run started from the web page may cost, and where the server may listen.

A page is a form anyone at the keyboard (or, on a shared address, on the network) can fill
in: the limits below keep one click from occupying the machine for days, and each refusal
says what was asked, what is allowed and how to do it anyway (the command line has no such
limits).  The server listens on this machine only unless told otherwise, because the app
runs simulations and writes files for whoever reaches it, and has no log-in.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from ..interrupts import RunError
from ..scenario import Scenario

#: Replications of one run (or of each scenario of a comparison).
MAX_REPS = 20
#: run.scale of a run: twice Hampshire.
MAX_SCALE = 2.0
#: Contacts a year at the run's scale (arrivals.contacts_per_year x run.scale): twice Hampshire's.
MAX_CONTACTS = 2 * 84_000
#: Years simulated, warm-up included (run.end - (run.start - run.warmup_days)).
MAX_YEARS = 12
#: Runs, comparisons or replication checks under way at once, over every page the server serves.
MAX_RUNNING = 2


class LimitError(RunError):
    """A run the app will not start: the message says which limit and how to go beyond it."""


def simulated_years(scenario: Scenario) -> float:
    """Years simulated, warm-up included."""
    first = scenario["run.start"] - dt.timedelta(days=scenario["run.warmup_days"])
    return (scenario["run.end"] - first).days / 365.25


def check(scenario: Scenario, reps: int) -> None:
    """LimitError unless ``reps`` replications of ``scenario`` are within the app's limits."""
    cli = "run it from the command line (journeysim run), which has no such limit"
    if not 1 <= reps <= MAX_REPS:
        raise LimitError(f"replications: {reps} asked for; the app runs 1 to {MAX_REPS} (more would hold the "
                         f"machine for long); {cli}")
    scale = scenario["run.scale"]
    if scale > MAX_SCALE:
        raise LimitError(f"run.scale: {scale:g} asked for; the app runs up to {MAX_SCALE:g} (twice Hampshire); {cli}")
    contacts = scenario["arrivals.contacts_per_year"] * scale
    if contacts > MAX_CONTACTS:
        raise LimitError(f"arrivals.contacts_per_year x run.scale: {contacts:,.0f} contacts a year asked for; the app "
                         f"runs up to {MAX_CONTACTS:,} (twice Hampshire's); {cli}")
    years = simulated_years(scenario)
    if years > MAX_YEARS:
        raise LimitError(f"run.end: {years:.1f} years simulated (from run.start less run.warmup_days to run.end); the "
                         f"app runs up to {MAX_YEARS}; {cli}")


def is_loopback(host: str) -> bool:
    """True for an address of this machine only: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> None:
    """RunError unless ``host`` is a loopback address or ``allow_remote`` was given."""
    if is_loopback(host) or allow_remote:
        return
    raise RunError(f"--host {host}: the app listens on this machine only (127.0.0.1) unless --allow-remote is given, "
                   f"because it has no log-in and anyone who reaches it can run simulations and save scenarios here; "
                   f"give --allow-remote only on a network you trust")


def cores() -> int:
    """Worker processes a run from the page may use: the machine's cores."""
    from ..executors import cores_available

    return max(1, cores_available())
