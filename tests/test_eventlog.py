"""The event log: layout, schema version, streaming, and the random streams it depends on."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journeysim.distributions import Exponential, Lognormal
from journeysim.eventlog import EventLog, LogFormatError, read_log, table_from_rows, write_log
from journeysim.events import COLUMN_NAMES, SCHEMA_VERSION, Event
from journeysim.rng import Stream, replication_seeds


def _rows(n):
    return [{"time": i * 0.5, "event": Event.REFERRAL_RECEIVED, "case_id": i, "child_id": 100 + i, "family_id": 7,
             "team": "D1-RA", "age": 3.5, "count": i} for i in range(n)]


def test_rows_round_trip_through_parquet_with_schema_version(tmp_path):
    table = table_from_rows(_rows(5))
    path = tmp_path / "log.parquet"
    write_log(table, path)
    back = read_log(path)
    assert back.column_names == COLUMN_NAMES
    assert back.schema.metadata[b"journeysim.schema_version"] == str(SCHEMA_VERSION).encode()
    assert back.column("seq").to_pylist() == [0, 1, 2, 3, 4]
    assert back.column("date").to_pylist()[3] == dt.date(2014, 4, 2)  # day 1.5 is 2 April
    assert back.column("event").to_pylist()[0] == "ReferralReceived"


def test_streamed_log_in_small_chunks_equals_in_memory_log(tmp_path):
    path = tmp_path / "s.parquet"
    streamed = EventLog(dt.date(2014, 4, 1), path, chunk_rows=3)
    memory = EventLog(dt.date(2014, 4, 1), chunk_rows=3)
    for row in _rows(10):
        row = dict(row)
        t, e = row.pop("time"), row.pop("event")
        streamed.emit(t, e, **row)
        memory.emit(t, e, **row)
    streamed.close()
    assert read_log(path).to_pylist() == memory.to_table().to_pylist()


def test_newer_schema_version_is_refused_with_a_clear_message(tmp_path):
    table = table_from_rows(_rows(2))
    newer = table.replace_schema_metadata({b"journeysim.schema_version": str(SCHEMA_VERSION + 1).encode()})
    path = tmp_path / "new.parquet"
    pq.write_table(newer, path)
    with pytest.raises(LogFormatError, match="newer than this journeysim understands"):
        read_log(path)


def test_files_that_are_not_event_logs_are_refused(tmp_path):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1]}), plain)
    with pytest.raises(LogFormatError, match="not a journeysim event log"):
        read_log(plain)
    junk = tmp_path / "junk.parquet"
    junk.write_text("hello")
    with pytest.raises(LogFormatError, match="not a readable Parquet event log"):
        read_log(junk)
    with pytest.raises(LogFormatError, match="no such event log"):
        read_log(tmp_path / "absent.parquet")


def test_named_streams_are_independent_and_reproducible():
    a1 = [Stream(42, "care").uniform() for _ in range(1)]
    s = Stream(42, "care")
    first = [s.uniform() for _ in range(5000)]  # crosses a block boundary
    again = Stream(42, "care")
    assert [again.uniform() for _ in range(5000)] == first
    assert first[0] == a1[0]
    other = Stream(42, "plans")
    assert other.uniform() != first[0]
    seeds = replication_seeds(7, 4)
    assert len(set(seeds)) == 4 and seeds == replication_seeds(7, 4)
    assert replication_seeds(7, 5)[:4] == seeds, "adding replications keeps the earlier ones"


def test_distributions_have_the_stated_quantiles_and_means():
    s = Stream(1, "test")
    ln = Lognormal(median=30.0, p90=75.0)
    x = np.array([ln.sample(s) for _ in range(40_000)])
    assert np.median(x) == pytest.approx(30.0, rel=0.03)
    assert np.quantile(x, 0.9) == pytest.approx(75.0, rel=0.04)
    assert x.mean() == pytest.approx(ln.mean, rel=0.03)
    ex = Exponential(12.0)
    y = np.array([ex.sample(s) for _ in range(40_000)])
    assert y.mean() == pytest.approx(12.0, rel=0.03)
    assert math.isclose(ex.mean, 12.0)
