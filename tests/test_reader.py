"""The one events reader (hotpatrol.reader.read): every source kind, window semantics, filters, errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import conform
from hotpatrol.reader import read, window


def _events() -> pd.DataFrame:
    """Seven events round the turn of months 2021-02/03 and 2022-02/03 (police.uk-like month starts and exact times)."""
    when = pd.to_datetime(["2021-02-28 23:59", "2021-03-01 00:00", "2021-06-15 18:00", "2021-06-15 20:00",
                           "2022-02-28 23:59", "2022-03-01 00:00", "2021-06-16 00:00"])
    return conform(pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(when))],
        "source": "test",
        "force": ["Kent Police", "Kent Police", "Essex Police", "Kent Police", "Kent Police", "Kent Police",
                  "Kent Police"],
        "month": when.strftime("%Y-%m"),
        "occurred_at": when, "occurred_from": when, "occurred_to": when + pd.Timedelta(minutes=1),
        "time_precision": "minute",
        "lon": [0.5 + 0.001 * i for i in range(len(when))], "lat": [51.3] * len(when),
        "category": ["Burglary", "Robbery", "Burglary", "Drugs", "Burglary", "Robbery", "Drugs"],
    }))


@pytest.fixture()
def sources(tmp_path):
    """The same events as a DataFrame, an events CSV, a Parquet file and an SQLite store (URL and path)."""
    from hotpatrol.store import Store

    ev = _events()
    csv = tmp_path / "events.csv"
    ev.to_csv(csv, index=False)
    parquet = tmp_path / "events.parquet"
    try:
        ev.to_parquet(parquet)
    except ImportError:  # no pyarrow/fastparquet in this install: the Parquet cases skip
        parquet = None
    db = tmp_path / "s.db"
    store = Store(f"sqlite:///{db}")
    rows = ev.assign(key_hash=range(1, len(ev) + 1), row_number=range(2, len(ev) + 2))
    with store.begin() as conn:
        store.insert_frame(conn, "events", rows)
    return {"frame": ev, "csv": csv, "csv_str": str(csv), "parquet": parquet, "url": f"sqlite:///{db}",
            "path": db, "store": store}


def _ids(frame):
    return sorted(frame["event_id"])


@pytest.mark.parametrize("kind", ["frame", "csv", "csv_str", "parquet", "url", "path", "store"])
def test_every_source_kind_reads_the_same_events(sources, kind):
    if sources[kind] is None:
        pytest.skip("no Parquet engine installed")
    ev = read(sources[kind])
    assert _ids(ev) == [f"e{i}" for i in range(7)]
    assert list(ev.columns)[:3] == ["event_id", "source", "force"]
    assert str(ev["occurred_from"].dtype) == "datetime64[ns]"
    assert ev["occurred_from"].min() == pd.Timestamp("2021-02-28 23:59")


@pytest.mark.parametrize("kind", ["frame", "csv", "url"])
def test_month_window_is_inclusive_at_both_ends(sources, kind):
    ev = read(sources[kind], start="2021-03", end="2022-02")
    # 2021-02-28 23:59 and 2022-03-01 00:00 are just outside; 2022-02-28 23:59 is inside
    assert _ids(ev) == ["e1", "e2", "e3", "e4", "e6"]
    same = read(sources[kind], start="2021-03", end="2021-03")
    assert _ids(same) == ["e1"]


@pytest.mark.parametrize("kind", ["frame", "parquet", "store"])
def test_instants_are_half_open_and_days_inclusive(sources, kind):
    if sources[kind] is None:
        pytest.skip("no Parquet engine installed")
    ev = read(sources[kind], start="2021-06-15 18:00", end="2021-06-15 20:00")
    assert _ids(ev) == ["e2"]  # 18:00 in, 20:00 out
    ev = read(sources[kind], start=pd.Timestamp("2021-06-15 18:00"), end=dt.datetime(2021, 6, 15, 20, 1))
    assert _ids(ev) == ["e2", "e3"]
    day = read(sources[kind], start="2021-06-15", end="2021-06-15")  # the whole day
    assert _ids(day) == ["e2", "e3"]
    assert _ids(read(sources[kind], start=dt.date(2021, 6, 15), end=dt.date(2021, 6, 16))) == ["e2", "e3", "e6"]


def test_window_bounds():
    assert window("2021-03", "2022-02") == (pd.Timestamp("2021-03-01"), pd.Timestamp("2022-03-01"))
    assert window(None, "2021-12-31") == (None, pd.Timestamp("2022-01-01"))
    assert window("2021", "2021") == (pd.Timestamp("2021-01-01"), pd.Timestamp("2022-01-01"))
    assert window("2021-06-15T18:00", None) == (pd.Timestamp("2021-06-15 18:00"), None)


@pytest.mark.parametrize("kind", ["frame", "csv", "url"])
def test_category_and_force_filters(sources, kind):
    assert _ids(read(sources[kind], categories="Burglary")) == ["e0", "e2", "e4"]
    assert _ids(read(sources[kind], categories=["Robbery", "Drugs"], start="2021-06")) == ["e3", "e5", "e6"]
    assert _ids(read(sources[kind], force="Essex Police")) == ["e2"]
    assert len(read(sources[kind], categories=["Shoplifting"])) == 0  # empty, not an error


def test_crs_adds_metres(sources):
    ev = read(sources["frame"], crs="EPSG:27700")
    assert ev.attrs["crs"] == "EPSG:27700" and ev["x"].between(5e5, 7e5).all()
    auto = read(sources["csv"], crs="auto")
    assert auto.attrs["crs"] and {"x", "y"} <= set(auto.columns)
    with pytest.raises(HotpatrolError) as info:
        read(sources["frame"], crs="EPSG:4326")
    assert info.value.to_dict()["error"]["parameter"] == "crs"


def test_frame_source_is_not_modified_and_minimal_files_work(tmp_path):
    ev = _events()
    before = ev.copy()
    read(ev, start="2021-06", categories="Drugs", crs="auto")
    pd.testing.assert_frame_equal(ev, before)
    minimal = tmp_path / "m.csv"
    pd.DataFrame({"lon": [0.1, 0.2], "lat": [51.0, 51.1], "category": ["Drugs", "Robbery"],
                  "occurred_at": ["2021-01-05", "2021-02-05"]}).to_csv(minimal, index=False)
    got = read(minimal, end="2021-01")
    assert list(got["event_id"]) == ["row2"] and got["occurred_from"].iloc[0] == pd.Timestamp("2021-01-05")


def _error(exc_info) -> dict:
    return exc_info.value.to_dict()["error"]


def test_clear_errors(tmp_path, sources):
    with pytest.raises(HotpatrolError) as info:
        read(tmp_path / "nope.csv")
    assert _error(info)["parameter"] == "events" and _error(info)["file"].endswith("nope.csv")
    with pytest.raises(HotpatrolError) as info:
        read(tmp_path / "missing.db")
    assert _error(info)["parameter"] == "db"
    assert not (tmp_path / "missing.db").exists()  # no empty store created by the typo
    with pytest.raises(HotpatrolError) as info:
        read(f"sqlite:///{tmp_path / 'missing2.db'}")
    assert _error(info)["parameter"] == "db"
    with pytest.raises(HotpatrolError) as info:
        read("nosuchdriver://host/db")
    assert _error(info)["parameter"] == "db"
    for bad in ({"start": "March"}, {"end": "2021-13"}, {"start": "2022-03", "end": "2022-02"}):
        with pytest.raises(HotpatrolError) as info:
            read(sources["frame"], **bad)
        assert _error(info)["parameter"] == ("start" if "start" in bad and "end" not in bad else "end"), bad
    bad_cols = tmp_path / "bad.csv"
    pd.DataFrame({"easting": [1], "northing": [2]}).to_csv(bad_cols, index=False)
    with pytest.raises(HotpatrolError) as info:
        read(bad_cols)
    assert _error(info)["column"] == "lon" and _error(info)["file"] == str(bad_cols)
    bad_time = tmp_path / "bad_time.csv"
    pd.DataFrame({"lon": [0.1, 0.2], "lat": [51.0, 51.0], "category": ["a", "b"],
                  "occurred_from": ["2021-01-01", "yesterday"]}).to_csv(bad_time, index=False)
    with pytest.raises(HotpatrolError) as info:
        read(bad_time)
    assert _error(info)["row"] == 3 and _error(info)["column"] == "occurred_from"
    with pytest.raises(HotpatrolError) as info:
        read(tmp_path / "events.xlsx")
    assert _error(info)["parameter"] == "events"
    with pytest.raises(HotpatrolError) as info:
        read(42)
    assert _error(info)["parameter"] == "source"


def test_projected_xy_tables_are_accepted(tmp_path):
    path = tmp_path / "xy.csv"
    pd.DataFrame({"x": [530000.0, 530100.0], "y": [180000.0, 180050.0], "category": ["Drugs", "Drugs"],
                  "occurred_from": ["2021-01-01", "2021-02-01"]}).to_csv(path, index=False)
    ev = read(path, crs="EPSG:27700", end="2021-01")
    assert list(ev["x"]) == [530000.0] and ev.attrs["crs"] == "EPSG:27700" and ev["lon"].isna().all()


def test_evaluate_plan_loader_reads_through_the_reader(tmp_path):
    from hotpatrol.evaluate.plan_io import read_events_csv

    path = tmp_path / "ev.csv"
    pd.DataFrame({"lon": [0.1], "lat": [51.0], "category": ["Robbery"], "occurred_at": ["2021-01-05 10:00"],
                  "hotspot_id": ["h1"]}).to_csv(path, index=False)
    ev = read_events_csv(path)
    pd.testing.assert_frame_equal(ev, read(path))  # the same table the reader gives
    assert ev["hotspot_id"].iloc[0] == "h1" and str(ev["occurred_at"].dtype) == "datetime64[ns]"
    nocat = tmp_path / "nocat.csv"
    pd.DataFrame({"lon": [0.1], "lat": [51.0], "occurred_at": ["2021-01-05"]}).to_csv(nocat, index=False)
    with pytest.raises(HotpatrolError) as info:
        read_events_csv(nocat)
    assert _error(info)["column"] == "category" and _error(info)["file"] == str(nocat)


def test_an_instant_with_an_offset_is_converted_to_local_time():
    # events hold Europe/London wall-clock time: 18:00 UTC in June is 19:00 BST
    from hotpatrol.reader import window

    lo, hi = window("2021-06-15T18:00Z", "2021-06-15T20:00+01:00")
    assert lo == pd.Timestamp("2021-06-15 19:00") and hi == pd.Timestamp("2021-06-15 20:00")
