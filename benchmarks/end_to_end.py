"""End-to-end benchmark: what users run, each command a fresh process, with its wall time and peak memory.

Cases (each as a user types it, timed from start to exit; peak memory is the largest resident set of
the command's processes, from the OS):

* ``simulate``: one county replication alone, written to a file (the engine's figure, for reference);
* ``run 1``: ``journeysim run scenarios/hampshire.toml --reps 1 --workers 1`` (pinned to one core with --pin);
* ``measures 1``: the official measures of that run's log, in a fresh process (pinned with --pin);
* ``run 4``: the demo, ``--reps 4 --seed 2018``, then ``report 4`` of it;
* ``run 24``: ``--reps 24 --seed 1``, then ``report 24`` of it and ``measures 24`` (its logs in one query);
* ``compare 6``: ``journeysim compare scenarios/counterfactual.toml scenarios/hampshire.toml --reps 6``;
* ``run 1 at 4x``: one replication at 4 times the population (``--set run.scale=4``).

    python benchmarks/end_to_end.py [--quick] [--repeat 2] [--pin] [--source DIR] [--only NAME ...]

``--quick`` leaves out the 24-replication, compare and 4x cases.  With ``--pin`` the one-core cases
(simulate, run 1, measures 1, run 1 at 4x) run on core 0 only (as ``taskset -c 0`` would pin them);
the others use every core.  Each case runs ``--repeat`` times, interleaved, and the best is kept.
``--source DIR`` runs the commands with the journeysim source tree in ``DIR`` (``DIR/src/journeysim``,
another commit's, with its compiled modules built in place) instead of the installed one: the same
cases before and after a change.  ``--only`` keeps the cases whose name contains one of the words.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
JOURNEYSIM = str(BIN / "journeysim")
SCENARIO = str(ROOT / "scenarios" / "hampshire.toml")

_SIMULATE = ("import sys; from journeysim import scenario as sc; from journeysim.model import simulate; "
             "simulate(sc.load(sys.argv[1], sys.argv[3:]), 1, sys.argv[2])")
_MEASURES = """
import sys
from journeysim.projections import measures
from journeysim.results.reader import open_results
from journeysim.scenario import reported_years
r = open_results(sys.argv[1])
years = reported_years(r.scenario)
try:
    from journeysim.projections import Logs
except ImportError:  # a journeysim from before the projections took many logs at once: a frame per replication
    for _, frame in r.frames():
        measures(frame, years)
else:
    measures(Logs.files({rep: r.log_path(rep) for rep in r.reps}), years)
"""


def timed(cmd: list[str], pin: bool, env: dict | None = None) -> tuple[float, float]:
    """Run ``cmd`` (pinned to core 0 if ``pin``); its wall seconds and peak resident MiB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if pin else None)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out the 24-replication, compare and 4x cases")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each case, interleaved; the best is kept")
    ap.add_argument("--pin", action="store_true", help="run the one-core cases on core 0 only")
    ap.add_argument("--source", help="a journeysim source tree (DIR/src/journeysim) to run instead of the installed one")
    ap.add_argument("--only", nargs="+", default=[], help="only the cases whose name contains one of these")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="journeysim-e2e-"))
    journeysim, env = [JOURNEYSIM], None
    if args.source:
        journeysim = [sys.executable, "-m", "journeysim.cli"]
        env = {**os.environ, "PYTHONPATH": str(Path(args.source).resolve() / "src")}
    run = [*journeysim, "run", SCENARIO, "--force"]
    cases = {
        "simulate (1 replication)": ([sys.executable, "-c", _SIMULATE, SCENARIO, str(tmp / "sim.parquet")], True),
        "run --reps 1 --workers 1": ([*run, "--reps", "1", "--workers", "1", "--out", str(tmp / "one")], True),
        "measures of 1 replication": ([sys.executable, "-c", _MEASURES, str(tmp / "one")], True),
        "run --reps 4 (the demo)": ([*run, "--reps", "4", "--seed", "2018", "--out", str(tmp / "four")], False),
        "report of 4 replications": ([*journeysim, "report", str(tmp / "four"), "--out", str(tmp / "four.html")], False),
    }
    if not args.quick:
        cases.update({
            "run --reps 24": ([*run, "--reps", "24", "--seed", "1", "--out", str(tmp / "many")], False),
            "report of 24 replications": ([*journeysim, "report", str(tmp / "many"), "--out", str(tmp / "many.html")], False),
            "measures of 24 replications": ([sys.executable, "-c", _MEASURES, str(tmp / "many")], False),
            "compare --reps 6": ([*journeysim, "compare", str(ROOT / "scenarios" / "counterfactual.toml"), SCENARIO,
                                  "--reps", "6", "--force", "--out", str(tmp / "compare")], False),
            "run --reps 1 --workers 1 at 4x": ([*run, "--reps", "1", "--workers", "1", "--set", "run.scale=4",
                                                "--out", str(tmp / "four-x")], True),
        })
    if args.only:
        cases = {name: case for name, case in cases.items() if any(word in name for word in args.only)}
    best: dict[str, tuple[float, float]] = {}
    try:
        for _ in range(args.repeat):
            for name, (cmd, one_core) in cases.items():
                seconds, mib = timed(cmd, args.pin and one_core, env)
                was = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(was[0], seconds), min(was[1], mib))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(describe(", one-core cases pinned to core 0" if args.pin else "")
          + (f"; journeysim from {args.source}" if args.source else ""))
    print(f"best of {args.repeat} (interleaved); peak memory is the largest resident set of the command's processes")
    for name, (seconds, mib) in best.items():
        print(f"{name:34s} {seconds:8.2f} s {mib:8.0f} MiB")
    if "simulate (1 replication)" in best and "run --reps 1 --workers 1" in best:
        sim, one = best["simulate (1 replication)"][0], best["run --reps 1 --workers 1"][0]
        print(f"run of 1 replication / simulation alone: {one / sim:.2f}")


if __name__ == "__main__":
    main()
