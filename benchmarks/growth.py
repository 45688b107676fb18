"""Growth: how run time and peak memory grow with the child population and with the horizon.

Runs one replication of the default Hampshire scenario at several sizes (``run.scale``: 1x, 4x
and 16x the population, at the first horizon) and several horizons (6, 12 and 24 reported
years, moving ``run.end``, at the first scale), each in a fresh Python process so that its peak
memory (the process's maximum resident set, from the OS) is its own.  The points are run
``--repeat`` times (2 by default), forwards then backwards, and each point's best time is kept,
so that a shared machine whose speed drifts over the minutes does not bend the fitted line.
Prints each run's time, events and peak memory, then the fitted log-log exponents (time against
population, time and memory against horizon; 1 means linear growth; time against population
also for each pass on its own) and the ratio of peak memory at the longest and shortest horizon.
A county above twice Hampshire's grows by districts (see ``run.scale``).  The 16x and 24-year
runs take minutes.

    python benchmarks/growth.py [--scales 1,4,16] [--years 6,12,24] [--repeat 2] [--quick] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hampshire.toml"


def one_run(scenario_file: str, scale: float, years: int, seed: int) -> dict:
    """In this (fresh) process: one replication at ``scale`` over ``years`` reported years."""
    from journeysim import scenario as sc
    from journeysim.model import simulate

    base = sc.load(scenario_file)
    start = base["run.start"]
    end = dt.date(start.year + years, start.month, start.day)
    s = sc.load(scenario_file, [f"run.scale={scale:g}", f"run.end={end.isoformat()}"])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        log = simulate(s, seed, Path(tmp) / "rep.parquet")
        seconds = time.perf_counter() - t0
    simulated = ((s["run.end"] - s["run.start"]).days + s["run.warmup_days"]) / 365.25
    return {"scale": scale, "years": years, "simulated_years": simulated, "events": log.n, "seconds": seconds,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_in_subprocess(scenario_file: str, scale: float, years: int, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--scenario", scenario_file, "--seed", str(seed),
           "--one", f"{scale:g}", str(years)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the run at scale {scale:g}, {years} years failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def exponent(xs: list[float], ys: list[float]) -> str:
    """Slope of log y against log x (least squares), or 'n/a' with fewer than two points."""
    if len(xs) < 2:
        return "n/a (one point)"
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    slope = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
    return f"{slope:.2f}"


def numbers(text: str, kind):
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(SCENARIO))
    ap.add_argument("--scales", type=lambda t: numbers(t, float), default=[1.0, 4.0, 16.0],
                    help="run.scale values, run at the first of --years (default 1,4,16)")
    ap.add_argument("--years", type=lambda t: numbers(t, int), default=[6, 12, 24],
                    help="reported years, run at the first of --scales (default 6,12,24)")
    ap.add_argument("--quick", action="store_true", help="only scales 1,4 and years 6,12 (minutes, not tens of them)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="passes over the points, forwards then backwards; each point's best time is kept (default 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", nargs=2, metavar=("SCALE", "YEARS"), help=argparse.SUPPRESS)  # a run in a child process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.scenario, float(args.one[0]), int(args.one[1]), args.seed)))
        return
    if args.repeat < 1:
        ap.error(f"--repeat {args.repeat}: at least 1")
    scales, years = ([1.0, 4.0], [6, 12]) if args.quick else (args.scales, args.years)
    points = [(s, years[0]) for s in scales] + [(scales[0], y) for y in years[1:]]

    print(describe())
    print(f"scenario: {Path(args.scenario).name}, seed {args.seed}; one replication per run, each in a fresh process")
    print(f"{'scale':>6} {'years':>6} {'simulated':>10} {'events':>12} {'seconds':>9} {'events/s':>10} {'peak MiB':>9}")
    best: dict[tuple[float, int], dict] = {}
    passes: list[dict[tuple[float, int], float]] = []
    for k in range(args.repeat):
        passes.append({})
        for scale, y in (points if k % 2 == 0 else points[::-1]):
            r = run_in_subprocess(args.scenario, scale, y, args.seed)
            passes[-1][(scale, y)] = r["seconds"]
            print(f"{scale:>6g} {y:>6d} {r['simulated_years']:>10.1f} {r['events']:>12,} {r['seconds']:>9.1f} "
                  f"{r['events'] / r['seconds']:>10,.0f} {r['peak_mib']:>9,.0f}", flush=True)
            kept = best.setdefault((scale, y), r)
            kept["peak_mib"] = max(kept["peak_mib"], r["peak_mib"])
            if r["seconds"] < kept["seconds"]:
                kept.update(seconds=r["seconds"])
    runs = [best[point] for point in points]
    if args.repeat > 1:
        print(f"\nkept: each point's best time and largest peak memory over {args.repeat} passes")
        for r in runs:
            print(f"{r['scale']:>6g} {r['years']:>6d} {r['simulated_years']:>10.1f} {r['events']:>12,} "
                  f"{r['seconds']:>9.1f} {r['events'] / r['seconds']:>10,.0f} {r['peak_mib']:>9,.0f}")

    if args.repeat > 1 and len(scales) > 1:
        # A shared machine's speed drifts: a short run's best time may come from a fast minute that a
        # long run averages away.  Each pass's own exponent shows how far that moves the fit.
        per_pass = [exponent(scales, [p[(s, years[0])] for s in scales]) for p in passes]
        print(f"time vs population, each pass on its own: exponents {', '.join(per_pass)}")
    by_scale = [r for r in runs if r["years"] == years[0]]
    by_years = [r for r in runs if r["scale"] == scales[0]]
    print()
    print(f"time vs population (scale, at {years[0]} years): exponent "
          f"{exponent([r['scale'] for r in by_scale], [r['seconds'] for r in by_scale])}")
    print(f"time vs horizon (at scale {scales[0]:g}): exponent "
          f"{exponent([r['simulated_years'] for r in by_years], [r['seconds'] for r in by_years])} against simulated years "
          f"(the warm-up included), {exponent([r['years'] for r in by_years], [r['seconds'] for r in by_years])} "
          f"against reported years")
    print(f"memory vs horizon (at scale {scales[0]:g}): exponent "
          f"{exponent([r['simulated_years'] for r in by_years], [r['peak_mib'] for r in by_years])} against simulated years")
    print(f"memory vs population (at {years[0]} years): exponent "
          f"{exponent([r['scale'] for r in by_scale], [r['peak_mib'] for r in by_scale])}")
    if len(by_years) > 1:
        lo, hi = min(by_years, key=lambda r: r["years"]), max(by_years, key=lambda r: r["years"])
        print(f"peak memory {hi['years']}y / {lo['years']}y: {hi['peak_mib'] / lo['peak_mib']:.2f} "
              f"({hi['peak_mib']:,.0f} / {lo['peak_mib']:,.0f} MiB)")


if __name__ == "__main__":
    main()
