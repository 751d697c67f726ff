"""Force records with exact times: mappings (YAML and flags), every time form, CRS conversion,
quarantine reasons and errors naming file/row/column; the three shipped example mappings on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest import Mapping, ingest, read_mapping
from hotpatrol.places.crs import from_lonlat
from hotpatrol.store import Store

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _db(tmp_path, name="r.db"):
    return f"sqlite:///{tmp_path / name}"


def test_date_hour_latlon_with_categories(tmp_path):
    f = tmp_path / "rec.csv"
    f.write_text(
        "ref,day,hr,lat,lon,offence\n"
        "A1,2024-05-01,13,51.50,-0.12,ABH\n"
        "A2,2024-05-02,25,51.50,-0.12,ABH\n"  # bad hour
        "A3,2024-02-30,1,51.50,-0.12,ABH\n"  # bad date
        "A4,2024-05-03,2,51.50,-0.12,Littering\n"  # unknown category
        "A1,2024-05-04,2,51.50,-0.12,GBH\n"  # duplicate id
        ",2024-05-04,2,51.50,-0.12,GBH\n"  # missing id
        "A7,2024-05-04,2,,-0.12,GBH\n"  # no coordinates
        "A8,2024-05-04,2,91,-0.12,GBH\n"  # bad coordinates
    )
    m = {"name": "met-cad", "force": "Metropolitan Police Service", "id": "ref",
         "time": {"date": "day", "hour": "hr"}, "lon": "lon", "lat": "lat", "category": "offence",
         "categories": {"ABH": "Violence with injury", "GBH": "Violence with injury"}}
    s = ingest([f], db=_db(tmp_path), mapping=m)
    assert s.stored == 1
    assert s.reasons == {"bad-coordinates": 1, "bad-date": 2, "duplicate-id": 1, "missing-id": 1,
                         "no-coordinates": 1, "unknown-category": 1}
    st = Store(_db(tmp_path))
    ev = st.load_events(sources="met-cad")
    r = ev.iloc[0]
    assert r["event_id"] == "met-cad:A1" and r["category"] == "Violence with injury"
    assert r["occurred_at"] == pd.Timestamp("2024-05-01 13:00") and r["occurred_to"] == pd.Timestamp("2024-05-01 14:00")
    assert r["time_precision"] == "hour" and r["month"] == "2024-05"
    q = st.quarantine("bad-date").set_index("row_number")
    assert q.loc[3, "column"] == "hr" and q.loc[4, "column"] == "day"


def test_xy_bng_timestamp_window_and_headerless(tmp_path):
    x, y = from_lonlat([0.52], [51.27], "EPSG:27700")
    f = tmp_path / "w.csv"
    f.write_text(f"2024-01-05 22:00,2024-01-06 06:30,{x[0]},{y[0]},Burglary\n"
                 f"2024-01-07 10:00,2024-01-07 09:00,{x[0]},{y[0]},Burglary\n")
    m = Mapping.from_dict({"columns": ["from", "to", "e", "n", "what"], "time": {"from": "from", "to": "to"},
                           "x": "e", "y": "n", "crs": "EPSG:27700", "category": "what"})
    s = ingest([f], db=_db(tmp_path), mapping=m)
    assert s.stored == 1 and s.reasons == {"bad-date": 1}
    st = Store(_db(tmp_path))
    ev = st.load_events()
    assert ev["lon"].iloc[0] == pytest.approx(0.52, abs=1e-6) and ev["lat"].iloc[0] == pytest.approx(51.27, abs=1e-6)
    assert ev["time_precision"].iloc[0] == "window"
    assert ev["occurred_to"].iloc[0] - ev["occurred_from"].iloc[0] == pd.Timedelta("8h30min")
    assert st.quarantine()["row_number"].tolist() == [2]  # no header: first line is row 1

    g = tmp_path / "ts.csv"
    g.write_text("when,lat,lon,type\n2024-03-31T00:30:00+00:00,51.5,-0.1,Robbery\n")
    s = ingest([g], db=_db(tmp_path, "t.db"), mapping={
        "time": {"timestamp": "when", "timezone": "Europe/London"}, "lon": "lon", "lat": "lat", "category": "type"})
    ev = Store(_db(tmp_path, "t.db")).load_events()
    assert ev["occurred_at"].iloc[0] == pd.Timestamp("2024-03-31 00:30")  # before the clocks went forward
    assert ev["time_precision"].iloc[0] == "minute"


def test_mapping_errors_name_the_column(tmp_path):
    f = tmp_path / "rec.csv"
    f.write_text("ref,day,lat,lon\nA1,2024-05-01,51.5,-0.1\n")
    with pytest.raises(HotpatrolError) as err:
        ingest([f], db=_db(tmp_path), mapping={"time": {"date": "Day"}, "lon": "lon", "lat": "lat",
                                               "category_value": "x"})
    e = err.value
    assert e.file == str(f) and e.column == "Day" and e.row == 1 and e.parameter == "mapping.time.date"
    assert "day" in e.allowed
    with pytest.raises(HotpatrolError) as err:
        Mapping.from_dict({"time": {"date": "day"}, "x": "e", "y": "n", "category_value": "x"})
    assert err.value.parameter == "mapping.crs"
    with pytest.raises(HotpatrolError) as err:
        Mapping.from_dict({"time": {"date": "day"}, "lon": "a", "lat": "b", "category_value": "x", "colour": 1})
    assert err.value.parameter == "mapping.colour" and "category" in err.value.allowed
    with pytest.raises(HotpatrolError) as err:
        Mapping.from_dict({"lon": "a", "lat": "b", "category_value": "x"})
    assert err.value.parameter == "mapping.time"
    bad = tmp_path / "m.yaml"
    bad.write_text("time: {date: day}\nlon: a\n")
    with pytest.raises(HotpatrolError) as err:
        read_mapping(bad)
    assert err.value.file == str(bad)


def test_offset_times_need_a_timezone(tmp_path):
    f = tmp_path / "ts.csv"
    f.write_text("when,lat,lon\n2024-03-31T00:30:00+00:00,51.5,-0.1\n")
    with pytest.raises(HotpatrolError) as err:
        ingest([f], db=_db(tmp_path), mapping={"time": {"timestamp": "when"}, "lon": "lon", "lat": "lat",
                                               "category_value": "x"})
    assert err.value.parameter == "mapping.time.timezone" and err.value.column == "when"


@pytest.mark.shared_data
def test_toronto_example_mapping(shared_data, tmp_path):
    f = shared_data / "timestamped_toronto_mci_2014_2021" / "mci_test.csv.gz"
    s = ingest([f], db=_db(tmp_path), mapping=EXAMPLES / "toronto_mci.yaml")
    assert s.rows == 30_000 and s.stored == 30_000
    ev = Store(_db(tmp_path)).load_events()
    raw = pd.read_csv(f)
    assert set(ev["category"]) == set(raw["MCI"])
    assert (ev["time_precision"] == "hour").all()
    # local midnight written as UTC comes back as the local date; the hour column is added
    assert (ev["occurred_at"].dt.hour.value_counts().sort_index().to_numpy()
            == raw["occurrencehour"].value_counts().sort_index().to_numpy()).all()
    first = raw.iloc[0]  # 2017/02/28 05:00:00+00, hour 11
    hit = ev[np.isclose(ev["lat"], first["Lat"]) & np.isclose(ev["lon"], first["Long"])
             & (ev["category"] == first["MCI"])]
    assert pd.Timestamp("2017-02-28 11:00") in set(hit["occurred_at"])
    assert ev["lat"].between(43.5, 44.0).all() and ev["lon"].between(-79.7, -79.0).all()


@pytest.mark.shared_data
def test_vancouver_example_mapping(shared_data, tmp_path):
    f = shared_data / "timestamped_vancouver_2022" / "vpd_crimedata_AllNeighbourhoods_2022.csv.gz"
    s = ingest([f], db=_db(tmp_path), mapping=EXAMPLES / "vancouver_vpd.yaml")
    assert s.rows == 34_323
    assert s.reasons["at-0-0"] == 3_944  # SOURCE.md: 3,944 rows with X = Y = 0
    assert s.stored + s.quarantined == 34_323
    ev = Store(_db(tmp_path)).load_events()
    assert (ev["time_precision"] == "minute").all() and (ev["month"].str[:4] == "2022").all()
    assert ev["lat"].between(49.19, 49.32).all() and ev["lon"].between(-123.23, -123.02).all()
    assert (ev["occurred_at"].dt.minute != 0).mean() > 0.5


@pytest.mark.shared_data
def test_chicago_example_mapping(shared_data, tmp_path):
    f = shared_data / "timestamped_chicago_2016_burglary_arson_nearrepeat" / "chicago_be.csv"
    s = ingest([f], db=_db(tmp_path), mapping=EXAMPLES / "chicago_burglary.yaml")
    assert s.rows == 11_701 and s.stored + s.quarantined == 11_701
    assert s.reasons == {"bad-date": 1}  # one row has an empty date
    ev = Store(_db(tmp_path)).load_events()
    assert (ev["category"] == "Residential burglary").all() and (ev["time_precision"] == "day").all()
    assert ev["lat"].between(41.6, 42.1).all() and ev["lon"].between(-87.95, -87.5).all()
    assert ev["occurred_at"].min() == pd.Timestamp("2015-12-31")
