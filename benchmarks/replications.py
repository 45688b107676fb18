"""Replications: N replications run serially, in a local process pool and on a local Dask cluster.

Runs the same N replications of the default Hampshire scenario (``run.scale`` shrunk so that the
serial run takes minutes, not hours) four ways: one after another in this process on one core
(``serial``: this process pinned to its first core while it runs them, the baseline of the
speed-ups), one after another in this process free to use every core (``serial-free``: each event
log is then written by a thread of its own, on a second core; see journeysim.eventlog), with the
local executor's pool of worker processes, and on a Dask LocalCluster of as many worker processes
(one thread each; the time to start the cluster is printed apart).  The replications are split
into rounds (8 by default), and in each round every way runs that round's replications, in an
order that turns round by round: a shared machine whose speed drifts over the minutes then slows
every way alike, and the speed-ups compare like with like.  Prints each round's times, then each
way's total wall time and speed-up over serial (and over serial-free), and whether the event logs
(SHA-256 of each file) are identical across the ways.

    python benchmarks/replications.py [--reps 64] [--scale 0.25] [--workers 2] [--rounds 8] [--seed 1] [--only serial,serial-free,pool,dask]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

from journeysim import runner
from journeysim import scenario as sc
from journeysim.eventlog import file_digest
from journeysim.executors import Executor, LocalExecutor, open_executor
from _machine import describe  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("serial", "serial-free", "pool", "dask")


@contextlib.contextmanager
def one_core():
    """This process (and what it starts) on its first core only, while in the block."""
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def timed(scenario: sc.Scenario, reps: int, seed: int, folder: Path, executor: Executor,
          todo: list[int]) -> tuple[float, dict[int, str], int]:
    """(wall seconds, SHA-256 of each replication's log by replication, events) of replications ``todo``
    (of ``reps``); the logs are hashed after the clock stops."""
    t0 = time.perf_counter()
    results = runner.run_replications(scenario, seed, reps, folder, executor=executor, todo=todo)
    seconds = time.perf_counter() - t0
    return seconds, {r.rep: file_digest(r.path) for r in results}, sum(r.events for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "hampshire.toml"))
    ap.add_argument("--reps", type=int, default=64, help="replications (default 64)")
    ap.add_argument("--scale", type=float, default=0.25, help="run.scale of each replication (default 0.25)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the pool and the cluster (default 2)")
    ap.add_argument("--rounds", type=int, default=8,
                    help="rounds the replications are split into, each run every way in turn; a multiple of "
                         "the number of ways gives each way each turn equally often (default 8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=",".join(WAYS), help=f"ways to run, of {', '.join(WAYS)} (default all four)")
    args = ap.parse_args()
    ways = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in ways if w not in WAYS]
    if unknown or not ways:
        ap.error(f"--only {args.only}: choose from {', '.join(WAYS)}")
    if args.reps < 1 or args.rounds < 1:
        ap.error("--reps and --rounds must be at least 1")
    s = sc.load(args.scenario, [f"run.scale={args.scale:g}"])
    years = ((s["run.end"] - s["run.start"]).days + s["run.warmup_days"]) / 365.25

    print(describe())
    print(f"scenario: {s.name} at run.scale {args.scale:g} ({years:.1f} simulated years including the warm-up), "
          f"{args.reps} replications, seed {args.seed}; {args.workers} workers for the pool and the cluster")
    rounds = [list(range(k, args.reps, args.rounds)) for k in range(min(args.rounds, args.reps))]
    seconds = {way: 0.0 for way in ways}
    events = {way: 0 for way in ways}
    hashes: dict[str, dict[int, str]] = {way: {} for way in ways}
    labels = {"serial": "serial (this process, on one core)",
              "serial-free": "serial (this process, log thread on a second core)",
              "pool": f"local process pool ({args.workers} workers)",
              "dask": f"Dask LocalCluster ({args.workers} workers)"}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        executors: dict[str, Executor] = {"serial": LocalExecutor(1), "serial-free": LocalExecutor(1),
                                          "pool": LocalExecutor(args.workers)}
        if "dask" in ways:
            t0 = time.perf_counter()
            executors["dask"] = stack.enter_context(open_executor("dask", args.workers))
            labels["dask"] = (f"Dask LocalCluster ({args.workers} workers; "
                              f"{time.perf_counter() - t0:.1f} s to start, not counted)")
        for k, todo in enumerate(rounds):
            turn = ways[k % len(ways):] + ways[:k % len(ways)]
            took = []
            for way in turn:
                with one_core() if way == "serial" else contextlib.nullcontext():
                    t, digests, n = timed(s, args.reps, args.seed, Path(tmp) / way, executors[way], todo)
                seconds[way] += t
                events[way] += n
                hashes[way].update(digests)
                took.append(f"{way} {t:.1f} s")
            print(f"round {k + 1} of {len(rounds)} ({len(todo)} replications): " + ", ".join(took), flush=True)
    for way in ways:
        speedup = "  ".join(f"{seconds[base] / seconds[way]:5.2f}x {base}" for base in ("serial", "serial-free")
                            if base in seconds)
        print(f"{labels[way]:58s} {seconds[way]:8.1f} s  {events[way] / seconds[way]:>10,.0f} events/s  {speedup}")
    digests = {way: [h[r] for r in sorted(h)] for way, h in hashes.items()}
    first = next(iter(digests.values()))
    same = all(d == first for d in digests.values())
    print(f"event logs: {len(first)} per way; " + (f"identical across {', '.join(digests)} (SHA-256 of every file)"
                                                 if same else "NOT identical: " + ", ".join(
        f"{way} differs in {sum(a != b for a, b in zip(d, first))}" for way, d in digests.items())))


if __name__ == "__main__":
    main()
