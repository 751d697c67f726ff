"""The same ingest gives the same store on the embedded default (SQLite) and on PostgreSQL.

PostgreSQL runs use a fresh schema per test (dropped afterwards) so parallel runs do not collide.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from hotpatrol.ingest import ingest
from hotpatrol.store import Store

from test_ingest_policeuk import OUT_HEADER, ROWS, write

SS_HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
             "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
             "Outcome linked to object of search,Removal of more than just outer clothing")
SS_ROWS = [
    "Person search,2018-04-01T00:08:42+00:00,,,51.512528,-0.081281,Female,over 34,,Black,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False",
    "Person search,2018-07-01T01:53:44+00:00,,,,,Male,18-24,,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,False,False",
    "Person search,not a date,,,51.51,-0.08,Male,18-24,,White,,,,,",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.db'}")
        yield s
        s.close()
        return
    pg_url = request.getfixturevalue("pg_url")
    schema = f"hp_test_{uuid.uuid4().hex[:12]}"
    s = Store(pg_url, schema=schema)
    try:
        yield s
    finally:
        s.close()
        engine = sa.create_engine(pg_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.mark.postgres
def test_full_cycle(store, tmp_path):
    street = write(tmp_path / "2021-03" / "2021-03-kent-street.csv", ROWS)
    outcomes = write(tmp_path / "2021-03" / "2021-04-kent-outcomes.csv", [
        "c1,2021-04,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Offender given a caution",
        "c2,2021-05,Kent Police,Kent Police,0.95,51.25,On or near A,E01023987,Ashford 001B,Suspect charged",
    ], header=OUT_HEADER)
    ss = write(tmp_path / "2018-04" / "2018-04-city-of-london-stop-and-search.csv", SS_ROWS, header=SS_HEADER)
    s = ingest([street, outcomes, ss], store=store)
    assert s.by_kind()["street"]["stored"] == 5 and s.by_kind()["street"]["quarantined"] == 6
    assert s.by_kind()["stop-and-search"]["reasons"] == {"bad-date": 1, "no-coordinates": 1}
    again = ingest([street, outcomes, ss], store=store)
    assert again.added["files"] == 0

    ev = store.load_events()
    assert len(ev) == 5 and ev["event_id"].is_unique
    assert str(ev["occurred_from"].dtype) == "datetime64[ns]" and str(ev["event_id"].dtype) == "string"
    row = ev.set_index("event_id").loc["c2"]
    assert row["outcome"] == "Suspect charged" and row["outcome_month"] == "2021-05"
    assert row["lon"] == pytest.approx(0.96) and row["occurred_to"] == pd.Timestamp("2021-04-01")
    assert len(store.load_events(categories=["Burglary"])) == 1
    assert len(store.load_events(start="2021-03", end="2021-04")) == 5
    assert len(store.load_events(start="2021-04")) == 0

    q = store.quarantine()
    assert len(q) == 6 + 2 and set(q.columns) >= {"path", "row_number", "column", "reason", "raw"}
    assert len(store.quarantine("outside-boundary")) == 0
    assert len(store.outcomes()) == 2

    st = store.stop_search()
    assert len(st) == 1
    assert st["occurred_at"].iloc[0] == pd.Timestamp("2018-04-01 01:08:42")  # BST: UTC+1
    assert st["force"].iloc[0] == "City of London Police"

    info = store.info()
    assert info["counts"]["events"] == 5 and info["counts"]["stop_search"] == 1
    assert info["months"]["first"] == "2021-03" and info["lsoa_vintages"] == {"2011": 2}
    assert info["quarantine"]["duplicate-id"] == 1
    files = store.files()
    assert list(files["kind"]) == ["outcomes", "street", "stop-and-search"]  # outcomes are read first
    assert files["rows"].sum() == len(ROWS) + 2 + 3


@pytest.mark.postgres
def test_all_or_nothing_on_both_engines(store, tmp_path, monkeypatch):
    f = write(tmp_path / "2021-03-kent-street.csv", ROWS)
    real = Store.insert_prepared

    def failing(self, conn, prepared, start, stop, **constants):
        if prepared.table == "quarantine":
            raise RuntimeError("injected failure")
        return real(self, conn, prepared, start, stop, **constants)

    monkeypatch.setattr(Store, "insert_prepared", failing)
    with pytest.raises(RuntimeError):
        ingest([f], store=store)
    assert store.info()["counts"]["events"] == 0 and store.info()["counts"]["files"] == 0
