"""police.uk ingest on small hand-made files: every quarantine reason, gz/zip/folder inputs,
stable ASB keys, re-ingest, all-or-nothing files, outcome linking, errors naming file/row/column."""

from __future__ import annotations

import gzip
import json
import zipfile

import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest import ingest
from hotpatrol.store import Store

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
ROWS = [
    "c1,2021-03,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Burglary,Under investigation,",
    "c2,2021-03,Kent Police,Kent Police,0.96,51.26,On or near B,E01023987,Ashford 001B,Robbery,Local resolution,",
    ",2021-03,Kent Police,Kent Police,0.97,51.27,On or near C,E01023987,Ashford 001B,Anti-social behaviour,,",
    ",2021-03,Kent Police,Kent Police,0.97,51.27,On or near C,E01023987,Ashford 001B,Anti-social behaviour,,",  # identical ASB row
    "c3,2021-03,Kent Police,Kent Police,,,No location,,,Drugs,Under investigation,",  # no-coordinates
    "c4,2021-03,Kent Police,Kent Police,0,0,On or near D,E01023987,Ashford 001B,Drugs,,",  # at-0-0
    "c5,2021-13,Kent Police,Kent Police,0.95,51.25,On or near E,E01023987,Ashford 001B,Drugs,,",  # bad-date
    "c6,2021-03,Kent Police,Kent Police,0.95,51.25,On or near F,E01023987,Ashford 001B,Jaywalking,,",  # unknown-category
    "c1,2021-03,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Burglary,Under investigation,",  # duplicate-id
    "c7,2021-03,Kent Police,Kent Police,abc,51.25,On or near G,E01023987,Ashford 001B,Drugs,,",  # bad-coordinates
    "c8,2021-03,Kent Police,Kent Police,-5.06,54.0,On or near H,E01023987,Ashford 001B,Drugs,,",  # outside Kent
]


def write(path, rows=ROWS, header=HEADER, gz=False):
    text = "\n".join([header, *rows]) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.fixture
def kent_box(tmp_path):
    box = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[0.0, 50.8], [1.6, 50.8], [1.6, 51.6], [0.0, 51.6], [0.0, 50.8]]]}}]}
    p = tmp_path / "box.geojson"
    p.write_text(json.dumps(box))
    return p


def test_every_quarantine_reason(tmp_path, kent_box):
    f = write(tmp_path / "2021-03" / "2021-03-kent-street.csv")
    db = f"sqlite:///{tmp_path / 's.db'}"
    s = ingest([f], db=db, boundary=kent_box)
    assert s.rows == 11 and s.stored == 4 and s.quarantined == 7
    assert s.reasons == {"at-0-0": 1, "bad-coordinates": 1, "bad-date": 1, "duplicate-id": 1,
                         "no-coordinates": 1, "outside-boundary": 1, "unknown-category": 1}
    store = Store(db)
    q = store.quarantine()
    assert len(q) == 7
    by_reason = q.set_index("reason")
    # spreadsheet row numbers: header is row 1
    assert by_reason.loc["no-coordinates", "row_number"] == 6
    assert by_reason.loc["bad-date", "column"] == "Month"
    assert by_reason.loc["unknown-category", "column"] == "Crime type"
    assert by_reason.loc["duplicate-id", "key"] == "c1"
    assert json.loads(by_reason.loc["unknown-category", "raw"])["Crime type"] == "Jaywalking"
    assert len(store.quarantine("at-0-0")) == 1
    ev = store.load_events()
    assert sorted(ev["event_id"])[:2] == ["c1", "c2"]
    asb = ev[ev["category"] == "Anti-social behaviour"]["event_id"].tolist()
    assert len(asb) == 2 and len(set(asb)) == 2  # identical rows get ordinals 0 and 1
    assert all(a.startswith("h:") for a in asb)
    assert (ev["time_precision"] == "month").all()
    assert ev["occurred_from"].iloc[0] == pd.Timestamp("2021-03-01")
    assert ev["occurred_to"].iloc[0] == pd.Timestamp("2021-04-01")
    info = store.info()
    assert info["quarantine"]["at-0-0"] == 1 and info["counts"]["events"] == 4
    assert info["forces"] == {"Kent Police": 4}


def test_reingest_adds_nothing_and_keys_are_stable(tmp_path):
    f = write(tmp_path / "2021-03-kent-street.csv")
    db = f"sqlite:///{tmp_path / 's.db'}"
    first = ingest([f], db=db)
    ids1 = sorted(Store(db).load_events()["event_id"])
    second = ingest([f], db=db)
    assert second.added == {"files": 0, "stored": 0, "quarantined": 0}
    assert second.files[0].status == "already-ingested"
    assert second.stored == first.stored and second.reasons == first.reasons
    # the same content gzipped is the same file
    g = write(tmp_path / "copy" / "2021-03-kent-street.csv.gz", gz=True)
    assert ingest([g], db=db).added["files"] == 0
    # a fresh store gives the ASB rows the same content keys
    db2 = f"sqlite:///{tmp_path / 't.db'}"
    ingest([g], db=db2)
    assert sorted(Store(db2).load_events()["event_id"]) == ids1
    assert Store(db).info()["counts"]["quarantined"] == first.quarantined


def test_gz_zip_and_folder_inputs(tmp_path):
    rows2 = [r.replace("2021-03", "2021-04").replace("c", "d", 1) for r in ROWS[:3]]
    folder = tmp_path / "archive"
    write(folder / "2021-03" / "2021-03-kent-street.csv.gz", ROWS[:3], gz=True)
    write(folder / "2021-04" / "2021-04-kent-street.csv", rows2)
    s = ingest([folder], db=f"sqlite:///{tmp_path / 'a.db'}")
    assert [f.kind for f in s.files] == ["street", "street"] and s.stored == 6
    z = tmp_path / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("2021-03/2021-03-kent-street.csv", "\n".join([HEADER, *ROWS[:3]]) + "\n")
        zf.writestr("2021-04/2021-04-kent-street.csv", "\n".join([HEADER, *rows2]) + "\n")
    s2 = ingest([z], db=f"sqlite:///{tmp_path / 'z.db'}")
    assert s2.stored == 6 and s2.files[0].path.endswith("!2021-03/2021-03-kent-street.csv")
    ev = Store(f"sqlite:///{tmp_path / 'z.db'}").load_events()
    assert set(ev["month"]) == {"2021-03", "2021-04"}


OUT_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"


def test_outcomes_link_latest_wins_in_either_order(tmp_path):
    street = write(tmp_path / "2021-03-kent-street.csv", ROWS[:3])
    o1 = write(tmp_path / "2021-04-kent-outcomes.csv", [
        "c1,2021-04,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Under investigation",
        "c1,2021-04,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Under investigation",
        ",2021-04,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Under investigation",
    ], header=OUT_HEADER)
    o2 = write(tmp_path / "2021-06-kent-outcomes.csv", [
        "c1,2021-06,Kent Police,Kent Police,,,No location,,,Offender given a caution",
        "zz,2021-06,Kent Police,Kent Police,,,No location,,,Offender given a caution",
    ], header=OUT_HEADER)
    for order in ([street, o2, o1], [o1, o2, street]):
        db = f"sqlite:///{tmp_path / f'{order[0].stem}.db'}"
        s = ingest(order, db=db)
        assert s.by_kind()["outcomes"]["reasons"] == {"duplicate-id": 1, "missing-id": 1}
        ev = Store(db).load_events().set_index("event_id")
        assert ev.loc["c1", "outcome"] == "Offender given a caution"
        assert ev.loc["c1", "outcome_month"] == "2021-06"
        assert ev.loc["c2", "outcome"] == "Local resolution" and pd.isna(ev.loc["c2", "outcome_month"])
        assert len(Store(db).outcomes()) == 3  # outcomes without a stored crime are kept too


def test_file_is_all_or_nothing(tmp_path, monkeypatch):
    f = write(tmp_path / "2021-03-kent-street.csv")
    db = f"sqlite:///{tmp_path / 's.db'}"
    store = Store(db)
    real = Store.insert_prepared

    def failing(self, conn, prepared, start, stop, **constants):
        if prepared.table == "quarantine":  # the events rows are already written in this transaction
            raise RuntimeError("injected failure")
        return real(self, conn, prepared, start, stop, **constants)

    monkeypatch.setattr(Store, "insert_prepared", failing)
    with pytest.raises(RuntimeError, match="injected"):
        ingest([f], store=store)
    info = store.info()
    assert info["counts"] == {"events": 0, "outcomes": 0, "stop_search": 0, "quarantined": 0, "files": 0}
    monkeypatch.setattr(Store, "insert_prepared", real)
    s = ingest([f], store=store)
    assert s.added["files"] == 1 and store.info()["counts"]["events"] == s.stored


def test_missing_month_column_names_file_row_column(tmp_path):
    header = HEADER.replace("Month,", "")
    rows = [r.replace(",2021-03", "", 1) for r in ROWS[:2]]
    f = write(tmp_path / "2021-03-kent-street.csv", rows, header=header)
    with pytest.raises(HotpatrolError) as err:
        ingest([f], db=f"sqlite:///{tmp_path / 's.db'}")
    e = err.value
    assert e.file == str(f) and e.row == 1 and e.column == "Month"
    assert "Month" in str(e)


def test_malformed_csv_names_row(tmp_path):
    f = write(tmp_path / "2021-03-kent-street.csv", [ROWS[0], ROWS[1] + ",extra,fields"])
    with pytest.raises(HotpatrolError) as err:
        ingest([f], db=f"sqlite:///{tmp_path / 's.db'}")
    assert err.value.file == str(f) and err.value.row == 3


def test_unrecognised_file_is_an_error(tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(HotpatrolError) as err:
        ingest([f], db=f"sqlite:///{tmp_path / 's.db'}")
    assert err.value.file == str(f)
    # but a renamed street file is recognised by its header
    g = write(tmp_path / "renamed.csv", ROWS[:2])
    assert ingest([g], db=f"sqlite:///{tmp_path / 's.db'}").files[0].kind == "street"


def test_load_events_filters(tmp_path):
    rows = ROWS[:3] + [r.replace("2021-03", "2021-05").replace("c2", "e2") for r in ROWS[1:2]]
    f = write(tmp_path / "x.csv", rows)
    db = f"sqlite:///{tmp_path / 's.db'}"
    ingest([f], db=db, kind="street")
    st = Store(db)
    assert len(st.load_events(categories="Robbery")) == 2
    assert len(st.load_events(categories=["Robbery", "Burglary"], start="2021-04")) == 1
    assert len(st.load_events(end="2021-04")) == 3
    assert len(st.load_events(force="Essex Police")) == 0
    assert len(st.load_events(sources=["police.uk"])) == 4
    with pytest.raises(HotpatrolError) as err:
        st.load_events(start="not a date")
    assert err.value.parameter == "start"


def test_failure_in_second_file_keeps_first_and_stores_none_of_second(tmp_path, monkeypatch):
    a = write(tmp_path / "2021-03" / "2021-03-kent-street.csv", ROWS[:3])
    write(tmp_path / "2021-04" / "2021-04-kent-street.csv",
          [r.replace("2021-03", "2021-04").replace("c", "d", 1) for r in ROWS])
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    real = Store.insert_prepared
    calls = []

    def failing(self, conn, prepared, start, stop, **constants):
        calls.append(prepared.table)
        if prepared.table == "quarantine" and stop > start:  # only the second file has bad rows
            raise RuntimeError("injected failure")
        return real(self, conn, prepared, start, stop, **constants)

    monkeypatch.setattr(Store, "insert_prepared", failing)
    with pytest.raises(RuntimeError):
        ingest([tmp_path], store=store)
    files = store.files()
    assert files["path"].tolist() == [str(a)]
    assert set(store.load_events()["month"]) == {"2021-03"} and len(store.load_events()) == 3
    monkeypatch.setattr(Store, "insert_prepared", real)
    s = ingest([tmp_path], store=store)
    assert [f.status for f in s.files] == ["already-ingested", "ingested"]
    assert set(store.load_events()["month"]) == {"2021-03", "2021-04"}


def test_same_content_twice_in_one_run(tmp_path):
    a = write(tmp_path / "a" / "2021-03-kent-street.csv", ROWS)
    b = write(tmp_path / "b" / "2021-03-kent-street.csv.gz", ROWS, gz=True)
    s = ingest([a, b], db=f"sqlite:///{tmp_path / 's.db'}")
    assert [f.status for f in s.files] == ["ingested", "already-ingested"]
    assert s.added["stored"] == s.files[0].stored
