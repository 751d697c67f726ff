"""police.uk stop-and-search Dates with and without a UTC offset (issue 16 item 7).

The rule (docs/ingest.md): a time with a UTC offset names an instant and is converted to
Europe/London wall-clock time; a time without one is already Europe/London local time and is kept
as written (it used to be read as UTC, an hour early in summer), and such rows are counted.
"""

from __future__ import annotations

import pandas as pd

from hotpatrol.ingest import checks as C
from hotpatrol.ingest import ingest
from hotpatrol.store import Store

HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
          "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
          "Outcome linked to object of search,Removal of more than just outer clothing")


def _row(date: str) -> str:
    return f"Person search,{date},,,51.512528,-0.081281,Male,18-24,,White,,Controlled drugs,Arrest,True,False"


def test_local_times_rule():
    text = pd.Series(["2021-07-01T10:00:00+00:00", "2021-07-01T10:00:00", "2021-01-15T10:00:00Z",
                      "2021-01-15T10:00:00", "2021-07-01T10:00:00+01:00", "nonsense"])
    out, has = C.local_times(text, "Europe/London", "ISO8601")
    assert list(has) == [True, False, True, False, True, False]
    want = ["2021-07-01 11:00", "2021-07-01 10:00", "2021-01-15 10:00", "2021-01-15 10:00", "2021-07-01 10:00"]
    assert list(out.iloc[:5]) == [pd.Timestamp(w) for w in want]
    assert pd.isna(out.iloc[5])


def test_stop_and_search_without_offsets_is_local_and_counted(tmp_path):
    rows = [_row("2021-07-01T10:00:00+00:00"), _row("2021-07-01T10:30:00"), _row("2021-07-01T23:30:00"),
            _row("2021-01-15T10:00:00")]
    path = tmp_path / "2021-07" / "2021-07-city-of-london-stop-and-search.csv"
    path.parent.mkdir()
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    db = f"sqlite:///{tmp_path / 's.db'}"
    s = ingest([path], db=db)
    assert s.stored == 4 and s.notes == {C.NO_OFFSET: 3}
    assert s.files[0].notes == {C.NO_OFFSET: 3}
    assert s.to_dict()["notes"] == {C.NO_OFFSET: 3}
    assert "note: 3 rows with timestamp without a UTC offset" in s.as_text()
    ss = Store(db).stop_search().sort_values("occurred_at")
    assert [str(t) for t in ss["occurred_at"]] == ["2021-01-15 10:00:00", "2021-07-01 10:30:00",
                                                   "2021-07-01 11:00:00", "2021-07-01 23:30:00"]
    # a naive 23:30 in July stays in its local day and month (read as UTC it would move to 00:30 next day)
    assert set(ss["month"]) == {"2021-01", "2021-07"}


def test_force_records_mixing_offsets_are_noted(tmp_path):
    from hotpatrol.ingest.mapping import Mapping

    csv = tmp_path / "rec.csv"
    csv.write_text("id,when,type,x,y\n"
                   "1,2021-07-01T10:00:00+00:00,Burglary,530000,180000\n"
                   "2,2021-07-01T10:00:00,Burglary,530100,180000\n")
    mapping = {"name": "test", "id": "id", "category": "type", "crs": "EPSG:27700", "x": "x", "y": "y",
               "time": {"timestamp": "when", "timezone": "Europe/London"}}
    s = ingest([csv], db=f"sqlite:///{tmp_path / 'r.db'}", mapping=mapping)
    assert s.stored == 2 and s.notes == {C.NO_OFFSET: 1}
    ev = Store(f"sqlite:///{tmp_path / 'r.db'}").load_events().sort_values("event_id")
    assert [str(t) for t in ev["occurred_from"]] == ["2021-07-01 11:00:00", "2021-07-01 10:00:00"]
