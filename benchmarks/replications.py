"""Replications: N replications run serially, in a local process pool and on a local Dask cluster.

Runs the same N replications of the default Hampshire scenario (``run.scale`` shrunk so that the
serial run takes minutes, not hours) three ways: one after another in this process, with the
local executor's pool of worker processes, and on a Dask LocalCluster of as many worker processes
(one thread each; the time to start the cluster is printed apart).  Prints each one's wall time
and speed-up over serial, and whether the event logs (SHA-256 of each file) are identical across
the three.

    python benchmarks/replications.py [--reps 64] [--scale 0.25] [--workers 2] [--seed 1] [--only serial,pool,dask]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from journeysim import runner
from journeysim import scenario as sc
from journeysim.eventlog import file_digest

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("serial", "pool", "dask")


def timed(scenario: sc.Scenario, reps: int, seed: int, folder: Path, executor: runner.Executor) -> tuple[float, list[str], int]:
    """(wall seconds, SHA-256 of each replication's log in order, events) of ``reps`` replications."""
    t0 = time.perf_counter()
    results = runner.run_replications(scenario, seed, reps, folder, executor=executor)
    seconds = time.perf_counter() - t0
    return seconds, [file_digest(r.path) for r in results], sum(r.events for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "hampshire.toml"))
    ap.add_argument("--reps", type=int, default=64, help="replications (default 64)")
    ap.add_argument("--scale", type=float, default=0.25, help="run.scale of each replication (default 0.25)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the pool and the cluster (default 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=",".join(WAYS), help=f"ways to run, of {', '.join(WAYS)} (default all three)")
    args = ap.parse_args()
    ways = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in ways if w not in WAYS]
    if unknown or not ways:
        ap.error(f"--only {args.only}: choose from {', '.join(WAYS)}")
    s = sc.load(args.scenario, [f"run.scale={args.scale:g}"])
    years = ((s["run.end"] - s["run.start"]).days + s["run.warmup_days"]) / 365.25

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}")
    print(f"scenario: {s.name} at run.scale {args.scale:g} ({years:.1f} simulated years including the warm-up), "
          f"{args.reps} replications, seed {args.seed}; {args.workers} workers for the pool and the cluster")
    rows: dict[str, tuple[float, list[str], int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for way in ways:
            folder = Path(tmp) / way
            if way == "serial":
                rows[way] = timed(s, args.reps, args.seed, folder, runner.LocalExecutor(1))
                label = "serial (this process)"
            elif way == "pool":
                rows[way] = timed(s, args.reps, args.seed, folder, runner.LocalExecutor(args.workers))
                label = f"local process pool ({args.workers} workers)"
            else:
                t0 = time.perf_counter()
                with runner.open_executor("dask", args.workers) as ex:
                    started = time.perf_counter() - t0
                    rows[way] = timed(s, args.reps, args.seed, folder, ex)
                label = f"Dask LocalCluster ({args.workers} workers; {started:.1f} s to start, not counted)"
            seconds, _, events = rows[way]
            speedup = f"{rows['serial'][0] / seconds:5.2f}x serial" if "serial" in rows else ""
            print(f"{label:58s} {seconds:8.1f} s  {events / seconds:>10,.0f} events/s  {speedup}", flush=True)
    digests = {way: row[1] for way, row in rows.items()}
    first = next(iter(digests.values()))
    same = all(d == first for d in digests.values())
    print(f"event logs: {len(first)} per way; " + (f"identical across {', '.join(digests)} (SHA-256 of every file)"
                                                 if same else "NOT identical: " + ", ".join(
        f"{way} differs in {sum(a != b for a, b in zip(d, first))}" for way, d in digests.items())))


if __name__ == "__main__":
    main()
