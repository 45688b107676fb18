"""County run benchmark: one replication of the default Hampshire scenario.

Prints wall time, events, events per second, seconds per simulated year (warm-up
included, since it is simulated too) and peak memory (resident set, from the OS).

    python benchmarks/county_run.py [--scenario scenarios/hampshire.toml] [--seed 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from journeysim import scenario as sc
from journeysim.model import simulate
from _machine import describe  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "hampshire.toml"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    s = sc.load(args.scenario)
    years = ((s["run.end"] - s["run.start"]).days + s["run.warmup_days"]) / 365.25
    times, events = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            t0 = time.perf_counter()
            log = simulate(s, args.seed, Path(tmp) / f"rep{i}.parquet")
            times.append(time.perf_counter() - t0)
            events = log.n
    best = min(times)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(describe())
    print(f"scenario: {s.name} ({years:.1f} simulated years including {s['run.warmup_days']} warm-up days), seed {args.seed}")
    print(f"wall seconds (best of {args.repeat}): {best:.2f}   (all: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"events: {events:,}")
    print(f"events per second: {events / best:,.0f}")
    print(f"seconds per simulated year: {best / years:.2f}")
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
