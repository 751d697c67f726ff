"""Large-run paths of the ingest: bulk mode (indexes dropped and rebuilt once), the writer thread with
one batch in flight, duplicates across batches, and recovery of indexes left dropped by a crash."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from hotpatrol.ingest import ingest
from hotpatrol.ingest import run as R
from hotpatrol.store import Store
from hotpatrol.store.store import KeySet

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"


def month_file(folder, month, ids):
    rows = [f"{i},{month},Kent Police,Kent Police,{0.9 + k * 1e-4:.4f},51.25,On or near A,E01023987,"
            f"Ashford 001B,Burglary,Under investigation," for k, i in enumerate(ids)]
    path = folder / month / f"{month}-kent-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def indexes(db_path):
    with sqlite3.connect(db_path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'ix_%'")}


def test_keyset_finds_members_across_chunks():
    rng = np.random.default_rng(1)
    a, b = rng.integers(-2**62, 2**62, 1000), rng.integers(-2**62, 2**62, 1000)
    ks = KeySet(a[:500])
    for i in range(500, 1000, 25):  # many chunks: merging keeps lookups exact
        ks.add(a[i:i + 25])
    assert len(ks) == 1000
    assert ks.contains(a).all() and not ks.contains(b).any()
    assert ks.contains(np.r_[b[:3], a[7]]).tolist() == [False, False, False, True]


def test_bulk_mode_batches_in_flight_and_cross_batch_duplicates(tmp_path, monkeypatch):
    monkeypatch.setattr(R, "BATCH_ROWS", 30)  # every file is its own batch: writes overlap checks
    monkeypatch.setattr(R, "BULK_ROWS", 50)  # drop the key index after the second file
    months = [f"2021-{m:02d}" for m in range(1, 7)]
    files = [month_file(tmp_path / "in", m, [f"id{m}-{k}" for k in range(40)]) for m in months]
    # a later month repeats ids of the month just before it (the batch still in flight)
    month_file(tmp_path / "in", "2021-07", [f"id2021-06-{k}" for k in range(10)] + [f"new{k}" for k in range(5)])
    db_path = tmp_path / "s.db"
    dropped = []
    real_drop = Store.drop_indexes

    def spy(self, table):
        dropped.append(table)
        return real_drop(self, table)

    monkeypatch.setattr(Store, "drop_indexes", spy)
    s = ingest([tmp_path / "in"], db=f"sqlite:///{db_path}")
    assert dropped == ["events"]
    assert indexes(db_path) >= {"ix_events_key_hash", "ix_outcomes_crime_hash"}  # rebuilt at the end
    assert s.stored == 6 * 40 + 5 and s.reasons == {"duplicate-id": 10}
    assert [f.path for f in s.files][:len(files)] == [str(f) for f in files]  # reports keep file order
    store = Store(db_path)
    q = store.quarantine("duplicate-id")
    assert len(q) == 10 and set(q["key"]) == {f"id2021-06-{k}" for k in range(10)}
    assert len(store.load_events()) == 245
    again = ingest([tmp_path / "in"], db=f"sqlite:///{db_path}")
    assert again.added == {"files": 0, "stored": 0, "quarantined": 0}


def test_store_rebuilds_indexes_a_crashed_bulk_load_left_dropped(tmp_path):
    db_path = tmp_path / "s.db"
    Store(db_path).drop_indexes("events")
    assert "ix_events_key_hash" not in indexes(db_path)
    Store(db_path).close()
    assert "ix_events_key_hash" in indexes(db_path)


def test_failed_write_on_the_writer_thread_raises_and_keeps_earlier_files(tmp_path, monkeypatch):
    monkeypatch.setattr(R, "BATCH_ROWS", 30)
    for m in ("2021-01", "2021-02", "2021-03"):
        month_file(tmp_path / "in", m, [f"{m}-{k}" for k in range(40)])
    real = Store.add_file

    def failing(self, conn, **values):
        if "2021-03" in values["path"]:
            raise RuntimeError("disk full")
        return real(self, conn, **values)

    monkeypatch.setattr(Store, "add_file", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest([tmp_path / "in"], db=f"sqlite:///{tmp_path / 's.db'}")
    assert sorted(Store(tmp_path / "s.db").load_events()["month"].unique()) == ["2021-01", "2021-02"]
