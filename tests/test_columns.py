"""The event log's two column buffers: the compiled one (journeysim._columns) writes the same bytes
as the pure-Python reference (eventlog.ListColumns), on awkward hand-written rows and on a model run."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from journeysim import eventlog
from journeysim import scenario as sc
from journeysim.eventlog import EventLog, file_digest, read_log
from journeysim.events import Event
from journeysim.model import simulate

from conftest import compiled_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _built():
    compiled_module("_columns")


NAN = float("nan")

# (time, event, keyword columns): missing fields, a NaN age (written as missing) and a NaN value
# (kept as NaN), an int where the column is a double, ids past 2**31, negative and fractional
# times, an empty string, the same string given as an Event and as a plain str, a column that is
# all missing in a chunk, and more distinct strings than fit in one small chunk.
ROWS = [
    (-730.0, Event.RUN_STARTED, {"outcome": "A"}),
    (0.0, Event.CONTACT_RECEIVED, {"family_id": 1, "team": "FRONT-DOOR", "outcome": "mash", "reason": "new_family",
                                   "count": 3}),
    (0.5, Event.REFERRAL_RECEIVED, {"case_id": 1, "child_id": 2**40, "family_id": 1, "team": "D1-RA", "age": 0.1,
                                    "count": 0}),
    (0.5, "ReferralReceived", {"case_id": 1, "child_id": 5, "family_id": 1, "team": "D1-RA", "age": NAN}),
    (1.25, Event.WORKER_ALLOCATED, {"case_id": 1, "child_id": 5, "family_id": 1, "team": "", "worker": 7,
                                    "reason": "new_case", "age": 17.999, "value": 3}),
    (2.0, Event.CARE_ENTERED, {"case_id": 1, "child_id": 5, "family_id": 1, "legal_status": "s20", "value": NAN}),
    (2.0, Event.HUB_OPENED, {"team": "HUB-1", "count": -2, "value": 0.0}),
    *[(3.0 + k, Event.WORKER_JOINED, {"team": f"D{k}-CIN1", "worker": k, "outcome": "agency", "count": 12})
      for k in range(12)],
    (99.999, Event.CASE_CLOSED, {"case_id": 2**62, "child_id": 5, "family_id": 1, "reason": "age_18", "value": -1.5}),
]


def _write(path: Path, use_compiled: bool, chunk_rows: int) -> EventLog:
    log = EventLog(dt.date(2014, 4, 1), path, chunk_rows=chunk_rows, compiled=use_compiled)
    for time, event, fields in ROWS:
        log.emit(time, event, **fields)
    log.close()
    return log


@pytest.mark.parametrize("chunk_rows", [1, 4, 1000])
def test_compiled_buffers_write_the_bytes_the_python_lists_write(tmp_path, chunk_rows):
    pure, compiled = tmp_path / "pure.parquet", tmp_path / "compiled.parquet"
    assert _write(pure, False, chunk_rows).n == _write(compiled, True, chunk_rows).n == len(ROWS)
    assert file_digest(pure) == file_digest(compiled)
    table = read_log(compiled)
    assert table.column("seq").to_pylist() == list(range(len(ROWS)))
    assert table.column("event").to_pylist()[2:4] == ["ReferralReceived", "ReferralReceived"]
    assert table.column("child_id").to_pylist()[2] == 2**40
    assert table.column("case_id").to_pylist()[-1] == 2**62
    assert table.column("age").to_pylist()[:4] == [None, None, pytest.approx(0.1), None]
    values = table.column("value").to_pylist()
    assert values[4] == 3.0 and math.isnan(values[5]) and values[6] == 0.0 and values[0] is None
    assert table.column("team").to_pylist()[4] == ""
    assert table.column("legal_status").to_pylist()[4:6] == [None, "s20"]
    assert table.column("count").to_pylist()[6] == -2
    assert table.column("date").to_pylist()[0] == dt.date(2012, 4, 1)


def test_a_model_run_writes_the_same_file_with_either_buffer(tmp_path):
    s = sc.load(ROOT / "scenarios" / "hampshire.toml", ["run.scale=0.05", "run.end=2015-03-31"])
    logs = {}
    for use in (False, True):
        path = tmp_path / f"{use}.parquet"
        original = eventlog.COMPILED
        eventlog.COMPILED = use  # the default that simulate's log takes
        try:
            logs[use] = simulate(s, 5, path).n
        finally:
            eventlog.COMPILED = original
        assert logs[use] > 10_000
    assert logs[False] == logs[True]
    assert file_digest(tmp_path / "False.parquet") == file_digest(tmp_path / "True.parquet")


def test_a_row_the_compiled_buffers_cannot_hold_is_refused_whole(tmp_path):
    log = EventLog(dt.date(2014, 4, 1), tmp_path / "log.parquet", chunk_rows=4, compiled=True)
    log.emit(1.0, Event.WORKER_JOINED, team="D1-RA", worker=1)
    with pytest.raises(OverflowError):
        log.emit(2.0, Event.WORKER_JOINED, team="D1-RA", worker=2**31)  # worker is an int32
    with pytest.raises(TypeError):
        log.emit(3.0, Event.WORKER_JOINED, team="D1-RA", count="twelve")
    log.emit(4.0, Event.WORKER_LEFT, team="D1-RA", worker=1)
    log.close()
    table = read_log(tmp_path / "log.parquet")
    assert table.column("time").to_pylist() == [1.0, 4.0]
    assert table.column("worker").to_pylist() == [1, 1]
    assert table.column("count").to_pylist() == [None, None]


@pytest.mark.parametrize("use_compiled", [False, True])
def test_a_closed_log_refuses_events(tmp_path, use_compiled):
    log = EventLog(dt.date(2014, 4, 1), tmp_path / "log.parquet", compiled=use_compiled)
    log.emit(1.0, Event.RUN_STARTED)
    log.close()
    with pytest.raises(RuntimeError, match="closed"):
        log.emit(2.0, Event.RUN_STARTED)
    assert log.n == 1
