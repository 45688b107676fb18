"""The event log: layout, schema version, streaming, and the random streams it depends on."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from journeysim.cli import main
from journeysim.distributions import Exponential, Lognormal
from journeysim.eventlog import EventLog, LogFormatError, LogMigrationWarning, read_log, table_from_rows, write_log
from journeysim.events import COLUMN_NAMES, SCHEMA_VERSION, Event
from journeysim.projections import measures, stocks_at
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


@pytest.mark.parametrize("cores", [1, 2])
def test_a_log_written_in_its_own_thread_is_the_file_written_in_turn(tmp_path, monkeypatch, cores):
    """With a second core the batches go to the file from a writer thread: the same bytes."""
    from journeysim import eventlog

    def write(name: str, threaded: bool) -> Path:
        monkeypatch.setattr(eventlog, "cores_available", lambda: 2 if threaded else 1)
        log = EventLog(dt.date(2014, 4, 1), tmp_path / name, chunk_rows=cores * 2)
        assert isinstance(log._chunks.writer, eventlog._Writer) == threaded
        for row in _rows(25):
            row = dict(row)
            t, e = row.pop("time"), row.pop("event")
            log.emit(t, e, **row)
        log.close()
        return tmp_path / name

    threaded, in_turn = write("threaded.parquet", True), write("in_turn.parquet", False)
    assert threaded.read_bytes() == in_turn.read_bytes()
    assert read_log(threaded).column("seq").to_pylist() == list(range(25))


def test_a_failed_write_in_the_writer_thread_is_raised_in_the_run(tmp_path, monkeypatch):
    from journeysim import eventlog

    monkeypatch.setattr(eventlog, "cores_available", lambda: 2)
    log = EventLog(dt.date(2014, 4, 1), tmp_path / "x.parquet", chunk_rows=2)

    def full_disc(batch):
        raise OSError("No space left on device")

    log._chunks.writer._writer.write_batch = full_disc
    with pytest.raises(OSError, match="No space left"):
        for row in _rows(10):
            row = dict(row)
            t, e = row.pop("time"), row.pop("event")
            log.emit(t, e, **row)
        log.close()
    assert log._chunks.writer._thread is None  # stopped: nothing more is written


def test_missing_and_present_ages_and_times_survive_the_typed_buffers(tmp_path):
    """Time and age are buffered as doubles (a missing age as NaN): across chunk boundaries a
    missing age reads back as null, an age as its float32, a time exactly."""
    log = EventLog(dt.date(2014, 4, 1), tmp_path / "ages.parquet", chunk_rows=2)
    log.emit(0.25, Event.RUN_STARTED)
    log.emit(1.0, Event.REFERRAL_RECEIVED, case_id=1, child_id=2, family_id=3, age=0.1)
    log.emit(2, Event.CONTACT_RECEIVED, family_id=4, age=None)
    log.emit(3.75, Event.CASE_CLOSED, case_id=1, child_id=2, family_id=3, age=17.999)
    log.emit(4.5, Event.WORKER_JOINED, worker=9, age=float("nan"))
    log.close()
    table = read_log(tmp_path / "ages.parquet")
    assert table.column("age").to_pylist() == [None, float(np.float32(0.1)), None, float(np.float32(17.999)), None]
    assert table.column("time").to_pylist() == [0.25, 1.0, 2.0, 3.75, 4.5]
    assert [d.isoformat() for d in table.column("date").to_pylist()] == [
        "2014-04-01", "2014-04-02", "2014-04-03", "2014-04-04", "2014-04-05"]
    assert table.column("worker").to_pylist() == [None, None, None, None, 9]


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


V1_LOG = Path(__file__).resolve().parent / "data" / "log-schema-v1.parquet"
V1_NOTE = (f"{V1_LOG}: event log written at schema version 1, read as version 2: the end of its run, which "
           "version 1 did not record, is taken as the day after its last event (2019-04-01)")


def test_a_log_written_at_schema_version_1_is_migrated_with_a_note():
    """tests/data/log-schema-v1.parquet was written by journeysim 0.1.0 before version 2."""
    raw = pq.read_table(V1_LOG)
    assert raw.schema.metadata[b"journeysim.schema_version"] == b"1"
    assert b"journeysim.end_date" not in raw.schema.metadata
    with pytest.warns(LogMigrationWarning) as caught:
        table = read_log(V1_LOG)
    assert [str(w.message) for w in caught] == [V1_NOTE]
    meta = table.schema.metadata
    assert meta[b"journeysim.schema_version"] == str(SCHEMA_VERSION).encode() == b"2"
    assert meta[b"journeysim.end_date"] == b"2019-04-01" and meta[b"journeysim.migrated_from"] == b"1"
    assert meta[b"journeysim.start_date"] == b"2018-10-01", "the other metadata is kept"
    assert table.num_rows == raw.num_rows == 1722
    assert table.to_pylist() == raw.to_pylist(), "every event is kept as it was"
    got = measures(table, [2018]).set_index("measure")["value"]
    df = raw.to_pandas()
    new_plans = df[(df["event"] == "CpPlanStarted") & (df["reason"] != "initial_stock")]
    assert got["cp_plans_started"] == len(new_plans) > 0
    assert got["cla_at_31_march"] == stocks_at(table, dt.date(2019, 3, 31))["cla"] > 0


def test_trace_reads_a_version_1_log_and_says_so():
    r = CliRunner().invoke(main, ["trace", str(V1_LOG), "37"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == f"note: {V1_NOTE}"
    assert "  (still open when the run ended on 2019-03-31)" in r.output


def test_new_logs_are_version_2_and_record_the_end_of_the_run(tmp_path):
    from journeysim import scenario as sc
    from journeysim.model import simulate

    s = sc.load(None, ["run.scale=0.01", "run.warmup_days=0", "run.start=2018-10-01", "run.end=2019-01-01"])
    path = tmp_path / "log.parquet"
    simulate(s, 1, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no migration note for a current log
        meta = read_log(path).schema.metadata
    assert meta[b"journeysim.schema_version"] == b"2" and meta[b"journeysim.end_date"] == b"2019-01-01"


def test_schema_versions_before_1_are_refused(tmp_path):
    table = table_from_rows(_rows(2)).replace_schema_metadata({b"journeysim.schema_version": b"0"})
    path = tmp_path / "zero.parquet"
    pq.write_table(table, path)
    with pytest.raises(LogFormatError, match="schema version 0 is not supported \\(supported: 1 to 2\\)"):
        read_log(path)
