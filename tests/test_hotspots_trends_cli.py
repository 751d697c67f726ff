"""``hotpatrol trends <method>`` end to end on a small events file (JSON, maps, outputs, errors)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.hotspots.trends import analyse, parse_window
from hotpatrol.errors import HotpatrolError

runner = CliRunner()


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory):
    from hotpatrol.places.crs import to_lonlat

    rng = np.random.default_rng(4)
    n = 3000
    x = rng.uniform(530000, 533000, n)
    y = rng.uniform(180000, 182000, n)
    # a busy corner that grows over the year
    k = 600
    x[:k] = rng.normal(530400, 60, k)
    y[:k] = rng.normal(180400, 60, k)
    months = rng.integers(0, 12, n)
    months[:k] = np.clip(12 - rng.geometric(0.25, k), 0, 11)
    when = pd.to_datetime("2024-01-01") + pd.to_timedelta(months * 30 + rng.integers(0, 28, n), unit="D")
    lon, lat = to_lonlat(x, y, "EPSG:27700")
    cats = rng.choice(["Violence and sexual offences", "Robbery", "Shoplifting"], n)
    frame = pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "lon": lon, "lat": lat,
                          "occurred_from": when, "occurred_at": when, "category": cats})
    path = tmp_path_factory.mktemp("ev") / "events.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    return runner.invoke(app, ["trends", *args])


def test_concentration_json_and_map(events_csv, tmp_path):
    out = tmp_path / "conc.png"
    res = _run("concentration", "--events", str(events_csv), "--cell", "250", "--scheme", "cchi",
               "--map", str(out), "--json")
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["name"] == "concentration"
    rows = payload["rows"]
    assert rows[-1]["period"] == "all" and len(rows) == 13
    assert 0 < rows[-1]["gini"] < 1
    assert out.exists() and out.stat().st_size > 10_000
    assert payload["written"] == [str(out)]


def test_stability_text_and_category_filter(events_csv, tmp_path):
    res = _run("stability", "--events", str(events_csv), "--cell", "250", "--top", "5",
               "--category", "Robbery", "--out", str(tmp_path / "st.csv"))
    assert res.exit_code == 0, res.output
    assert "Stability of the top 5" in res.output
    frame = pd.read_csv(tmp_path / "st.csv")
    assert {"place_id", "periods_in_top", "longest_run"} <= set(frame.columns)


def test_change_windows(events_csv, tmp_path):
    res = _run("change", "--events", str(events_csv), "--cell", "250", "--before", "2024-01:2024-06",
               "--after", "2024-07:2024-12", "--top", "5", "--json", "--map", str(tmp_path / "ch.png"))
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    assert {"difference", "ratio", "p_value", "top_status"} <= set(rows[0])
    assert (tmp_path / "ch.png").exists()


def test_emerging_cli(events_csv, tmp_path):
    pytest.importorskip("hotpatrol.hotspots.weights")
    res = _run("emerging", "--events", str(events_csv), "--cell", "250", "--json", "--out", str(tmp_path / "em.gpkg"))
    assert res.exit_code == 0, res.output
    cats = {r["category"] for r in json.loads(res.stdout)["rows"]}
    assert cats & {"Intensifying Hot Spot", "Persistent Hot Spot", "Consecutive Hot Spot", "Sporadic Hot Spot",
                   "New Hot Spot"}


def test_errors_are_json(events_csv):
    res = _run("concentration", "--events", str(events_csv), "--freq", "fortnight", "--json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]
    assert err["parameter"] == "freq" and "M" in err["allowed"]
    res = _run("change", "--events", str(events_csv), "--before", "2024-01", "--json")
    assert res.exit_code == 2 and json.loads(res.stdout)["error"]["parameter"] == "before/after"
    res = _run("stability", "--events", "/nonexistent.csv", "--json")
    assert res.exit_code == 2


def test_parse_window_and_unknown_method():
    assert parse_window("2024-01:2024-06") == ("2024-01", "2024-06")
    assert parse_window("2024-03") == ("2024-03", "2024-03")
    with pytest.raises(HotpatrolError):
        parse_window("2024-01:")
    with pytest.raises(HotpatrolError) as err:
        analyse("nope", pd.DataFrame(), None)
    assert err.value.parameter == "method"


def test_registry_adapters_use_the_given_places(events_csv):
    from types import SimpleNamespace

    from hotpatrol.hotspots.trends import TREND_METHODS
    from hotpatrol.places.crs import project
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    ev = pd.read_csv(events_csv, parse_dates=["occurred_from", "occurred_at"])
    xy = project(ev, crs="EPSG:27700")
    layer = PlacesLayer.from_grid(Grid.covering(xy["x"], xy["y"], cell=500, crs="EPSG:27700"))
    data = SimpleNamespace(places=layer)  # the registry passes a Prepared; only .places is used
    conc = TREND_METHODS["concentration"](data, events=ev, scheme="harm", freq="Q")
    assert list(conc.to_frame()["period"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "all"]
    assert conc.measure == "cchi"  # "harm" means the default scheme
    st = TREND_METHODS["stability"](data, events=ev, top=3)
    assert st.member.shape == (layer.n, 12)
    ch = TREND_METHODS["change"](data, events=ev, before="2024-01:2024-03", after="2024-10:2024-12", top=3)
    assert ch.labels == ("2024-01..2024-03", "2024-10..2024-12")
    with pytest.raises(HotpatrolError) as err:
        TREND_METHODS["concentration"](data)
    assert err.value.parameter == "events"
    with pytest.raises(HotpatrolError) as err:
        TREND_METHODS["emerging"](data, events=ev, correction="holm")
    assert err.value.parameter == "correction"


@pytest.fixture(scope="module")
def full_events_csv(events_csv, tmp_path_factory):
    """The same events as a full events table (every column, as `hotpatrol hotspots` reads)."""
    from hotpatrol.events import conform

    frame = conform(pd.read_csv(events_csv, parse_dates=["occurred_from", "occurred_at"]))
    frame["occurred_to"] = frame["occurred_from"] + pd.Timedelta(days=1)
    path = tmp_path_factory.mktemp("full") / "events.csv"
    frame.to_csv(path, index=False)
    return path


def test_hotspots_method_emerging_with_map(full_events_csv, tmp_path):
    res = runner.invoke(app, ["hotspots", "--method", "emerging", "--events", str(full_events_csv), "--cell", "250",
                              "--scheme", "count", "--map", str(tmp_path / "em.png"), "--top", "5", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["method"] == "emerging" and payload["map"] == str(tmp_path / "em.png")
    assert (tmp_path / "em.png").stat().st_size > 10_000
    top = payload["top"]
    assert len(top) == 5 and top[0]["category"].endswith("Hot Spot")  # the growing corner leads the list


@pytest.mark.parametrize("method,extra", [("concentration", ["--freq", "Q"]), ("stability", ["--top", "5"]),
                                          ("change", ["--before", "2024-01:2024-06", "--after", "2024-07:2024-12"])])
def test_hotspots_method_temporal(full_events_csv, method, extra):
    res = runner.invoke(app, ["hotspots", "--method", method, "--events", str(full_events_csv), "--cell", "250",
                              *extra, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["method"] == method


def test_hotspots_refuses_options_of_other_methods(full_events_csv):
    res = runner.invoke(app, ["hotspots", "--method", "gi", "--events", str(full_events_csv), "--time-lag", "2", "--json"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]
    assert err["parameter"] == "time_lag" and "emerging" in err["message"]
    res = runner.invoke(app, ["hotspots", "--method", "stability", "--events", str(full_events_csv),
                              "--before", "2024-01", "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["error"]["parameter"] == "before"


def test_top_methods_order_places():
    from hotpatrol.hotspots.change import change
    from hotpatrol.hotspots.stability import stability

    st = stability(np.array([[1, 0, 0], [5, 5, 5], [3, 3, 0]], float), top=2)
    assert st.top(2)["place_id"].tolist() == [1, 2]
    ch = change(np.array([0.0, 5, 1]), np.array([1.0, 0, 9]))
    assert ch.top(2)["place_id"].tolist() == [2, 1]


def test_map_for_hotspot_statistics_results(full_events_csv, tmp_path):
    out = tmp_path / "gi.png"
    res = runner.invoke(app, ["hotspots", "--method", "gi", "--events", str(full_events_csv), "--cell", "250",
                              "--permutations", "99", "--map", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output and out.stat().st_size > 10_000


def test_trends_all_writes_one_geopackage_and_maps(events_csv, tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely

    districts = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.box(530000, 180000, 533000, 182000)],
                                 crs="EPSG:27700")
    bpath = tmp_path / "d.gpkg"
    districts.to_file(bpath, driver="GPKG")
    res = _run("all", "--events", str(events_csv), "--cell", "250", "--out", str(tmp_path / "t.gpkg"),
               "--maps", str(tmp_path / "maps"), "--boundaries", str(bpath), "--json")
    assert res.exit_code == 0, res.output
    layers = {n for n, _ in pyogrio.list_layers(tmp_path / "t.gpkg")}
    assert layers == {"concentration", "stability", "emerging", "change", "boundaries"}
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "change.png", "concentration.png", "emerging.png", "stability.png"]
