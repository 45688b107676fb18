"""journeysim._arenas: pymalloc's arenas from 2 MiB blocks marked for huge pages.  Each test runs in
a fresh interpreter, so that what it counts is that interpreter's alone (the test process's own
allocator is installed as soon as a test there runs a replication)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from journeysim.eventlog import file_digest

from conftest import compiled_module

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="huge pages are asked for on Linux only")


def _python(code: str, *args: str, **env: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], env=dict(os.environ, **env), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


# Fills some hundreds of arenas, reads the process's mappings, then frees the objects (and so the arenas).
_FILL = """
import gc, json
from journeysim import _arenas
assert _arenas.install() and _arenas.install()  # the second changes nothing
before = _arenas.stats()
objects = [(i, float(i), str(i)) for i in range(1_500_000)]
full = _arenas.stats()
marked = 0  # kB of mappings marked for huge pages ("hg" in VmFlags)
size = 0
for line in open("/proc/self/smaps"):
    if line.split()[0] == "Size:":
        size = int(line.split()[1])
    elif line.startswith("VmFlags:") and "hg" in line.split()[1:]:
        marked += size
del objects
gc.collect()
print(json.dumps({"before": before, "full": full, "freed": _arenas.stats(), "marked_kib": marked}))
"""


def test_arenas_come_from_aligned_blocks_marked_for_huge_pages_and_go_back_when_freed():
    compiled_module("_arenas")
    out = json.loads(_python(_FILL))
    full, freed = out["full"], out["freed"]
    assert out["before"]["arenas_given"] < 10  # almost nothing allocated between install and the fill
    given = full["arenas_given"] - out["before"]["arenas_given"]
    assert given > 150  # 4.5 million objects: some 250 MB
    assert full["arena_bytes"] == 1 << 20  # pymalloc's arena on 64-bit Linux
    # two arenas to a block, every block held while full, all of it marked for huge pages
    assert full["blocks_mapped"] == (full["arenas_given"] + 1) // 2 == full["blocks_held"]
    assert out["marked_kib"] >= 2048 * full["blocks_held"]
    # freeing the objects frees their arenas: each goes back to the system, and so do its blocks
    assert freed["arenas_returned"] >= given - 5
    assert freed["blocks_held"] <= 5
    assert freed["blocks_mapped"] == full["blocks_mapped"]


def test_a_run_writes_the_same_log_with_and_without_huge_pages(tmp_path):
    compiled_module("_arenas")
    code = ("import sys; from pathlib import Path; from journeysim import compiled, scenario as sc, _arenas; "
            "from journeysim.model import simulate; "
            "s = sc.load(sys.argv[1], ['run.scale=0.1', 'run.end=2016-03-31']); "
            "log = simulate(s, 4, Path(sys.argv[2])); print(compiled.describe()); print(_arenas.installed())")
    scenario = str(ROOT / "scenarios" / "hampshire.toml")
    on = _python(code, scenario, str(tmp_path / "on.parquet"), JOURNEYSIM_PURE_PYTHON="0").split("\n")
    off = _python(code, scenario, str(tmp_path / "off.parquet"), JOURNEYSIM_PURE_PYTHON="0",
                  JOURNEYSIM_HUGE_PAGES="0").split("\n")
    assert on[:2] == ["compiled journeysim._arenas, journeysim._columns, journeysim._loop, journeysim._rng", "True"]
    assert off[:2] == ["compiled journeysim._columns, journeysim._loop, journeysim._rng", "False"]
    assert file_digest(tmp_path / "on.parquet") == file_digest(tmp_path / "off.parquet")


# The allocator's own steps, as pymalloc would take them, with the process's mappings read after each.
_STEPS = """
import ctypes, json
from journeysim import _arenas
MiB = 1 << 20
keep = [str(i) for i in range(200_000)]
del keep  # free room in the arenas already there, so that this script's own objects need no new one
assert _arenas.install()


def mapped(address):
    for line in open("/proc/self/maps"):
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if lo <= address < hi:
            return True
    return False


out = {}
a = [_arenas._take(MiB) for _ in range(4)]
for x in a:
    ctypes.memset(x, 7, MiB)
out["taken"] = a
out["held"] = [_arenas.stats()["blocks_held"]]
_arenas._give(a[1], MiB)  # its block's other arena is in use: kept, and the next to be given
out["kept"] = mapped(a[1])
out["again"] = _arenas._take(MiB)
_arenas._give(a[2], MiB)
_arenas._give(a[3], MiB)  # the block's last arena: the whole block goes back
out["returned"] = [mapped(a[2]), mapped(a[3])]
out["held"].append(_arenas.stats()["blocks_held"])
small = _arenas._take(16384)  # not an arena's size: the allocator from before
ctypes.memset(small, 7, 16384)
_arenas._give(small, 16384)
out["stats"] = _arenas.stats()
print(json.dumps(out))
"""


def test_the_allocator_keeps_an_arena_while_its_block_is_in_use_and_returns_whole_blocks():
    compiled_module("_arenas")
    out = json.loads(_python(_STEPS))
    a = out["taken"]
    block = 2 << 20
    assert a[0] % block == 0 and a[1] == a[0] + (1 << 20)  # two arenas to an aligned block
    assert a[2] % block == 0 and a[3] == a[2] + (1 << 20)
    assert out["held"][0] >= 2
    assert out["kept"] and out["again"] == a[1]  # reused, not unmapped and mapped afresh
    assert out["returned"] == [False, False]
    assert out["held"][1] == out["held"][0] - 1
    assert out["stats"]["arenas_returned"] == 3  # the small chunk went back to the allocator from before
