"""The compiled twins (journeysim.compiled) do what their Python originals do: the same random
draws, and the same event log byte for byte from a whole run with and without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from journeysim import compiled, rng
from journeysim import scenario as sc
from journeysim.eventlog import file_digest
from journeysim.model import simulate
from journeysim.rng import Outcomes, cumulative

from conftest import compiled_module

ROOT = Path(__file__).resolve().parents[1]


def test_the_compiled_stream_draws_what_the_python_stream_draws():
    """Every kind of draw, interleaved, over several blocks of 4,096 (so that both refill their
    blocks at the same draws), with weights given as ints as well as floats."""
    twin = compiled_module("_rng").Stream
    a, b = rng.Stream(7, "care"), twin(7, "care")
    assert b.name == "care"
    table = Outcomes({"home": 0.2, "stays": 0.5, "adopted": 0.3})
    plain = {"nfa": 0.25, "referral": 0.75}
    weights, whole = [0.1, 0.2, 0.7], (0, 1, 0)
    cum = cumulative(weights)
    draws = {"uniform": [], "normal": [], "exponential": [], "choice": [], "index": [], "outcome": [], "poisson": []}
    for k in range(30_000):
        for s, out in ((a, []), (b, [])):
            kind = list(draws)[k % 7]
            if kind == "uniform":
                out.append(s.uniform())
            elif kind == "normal":
                out.append(s.normal())
            elif kind == "exponential":
                out.append(s.exponential(3.5))
            elif kind == "choice":
                out.append((s.choice(weights), s.choice(whole)))
            elif kind == "index":
                out.append(s.index(cum))
            elif kind == "outcome":
                out.append((s.outcome(table), s.outcome(plain)))
            else:
                out.append(s.poisson(4.2))
            draws[kind].append(out[0])
    for kind, pairs in draws.items():
        assert pairs[0::2] == pairs[1::2], kind  # python, compiled, python, compiled, ...
    assert len(set(draws["uniform"])) > 4000 and {x[0] for x in draws["outcome"]} == set(table)


def _run(tmp: Path, name: str, pure: bool) -> tuple[int, str]:
    """A short run in a fresh process, with or without the compiled modules: (events, digest)."""
    env = dict(os.environ, JOURNEYSIM_PURE_PYTHON="1" if pure else "0")
    code = ("import sys; from pathlib import Path; from journeysim import compiled, scenario as sc; "
            "from journeysim.model import simulate; "
            "s = sc.load(sys.argv[1], ['run.scale=0.1', 'run.end=2016-03-31']); "
            "log = simulate(s, 9, Path(sys.argv[2])); print(compiled.describe()); print(log.n)")
    path = tmp / f"{name}.parquet"
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "scenarios" / "hampshire.toml"), str(path)],
                         env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith("pure Python" if pure else "compiled journeysim._columns, journeysim._rng, journeysim.engine._loop")
    return int(out[1]), file_digest(path)


def test_a_run_writes_the_same_log_with_and_without_the_compiled_modules(tmp_path):
    for name in compiled.MODULES:
        compiled_module(name)
    pure, fast = _run(tmp_path, "pure", True), _run(tmp_path, "compiled", False)
    assert pure[0] > 50_000
    assert pure == fast
    here = simulate(sc.load(ROOT / "scenarios" / "hampshire.toml", ["run.scale=0.1", "run.end=2016-03-31"]), 9,
                    tmp_path / "here.parquet")
    assert (here.n, file_digest(tmp_path / "here.parquet")) == fast


def test_the_compiled_modules_named_are_the_pyx_sources_that_setup_builds():
    package = ROOT / "src" / "journeysim"
    sources = (path.relative_to(package).with_suffix("").as_posix().replace("/", ".") for path in package.rglob("*.pyx"))
    assert sorted(compiled.MODULES) == sorted(sources)


@pytest.mark.parametrize("name", compiled.MODULES)
def test_each_compiled_module_is_built_from_its_current_source(name):
    """An editable install builds journeysim/<name>.*.so beside its source; after the source
    changes, it must be rebuilt (``make`` does so) or the tests would run the old code."""
    source = ROOT / "src" / "journeysim" / f"{name.replace('.', '/')}.pyx"
    built = Path(compiled_module(name).__file__)
    if built.parent != source.parent:
        pytest.skip("installed as a wheel, not built in place")
    assert built.stat().st_mtime >= source.stat().st_mtime, f"{built.name} is older than {source.name}: reinstall"
