"""``hotpatrol hotspots`` end to end on a small events table, plus ranking and KDE behaviour."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import hotpatrol.hotspots as hs
from hotpatrol.cli import app
from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.kde import kernel_density
from hotpatrol.hotspots.rank import assign_districts, rank_places

from hotspot_helpers import grid_layer, planted_events, polygon_layer

runner = CliRunner()


@pytest.fixture(scope="module")
def events():
    return planted_events(np.random.default_rng(0))


@pytest.fixture()
def events_csv(tmp_path, events):
    path = tmp_path / "events.csv"
    events.drop(columns=["x_true", "y_true"]).to_csv(path, index=False)
    return path


def test_select_and_prepare(events):
    sel = hs.select_events(events, ["Robbery", "Burglary"], "2021-06", "2021-08")
    assert set(sel["category"]) <= {"Robbery", "Burglary"}
    assert sel["month"].between("2021-06", "2021-08").all() and len(sel) < len(events)
    with pytest.raises(HotpatrolError) as err:
        hs.select_events(events, None, "2023-01", "2023-02")
    assert err.value.parameter == "start/end" and "Widen" in err.value.fix
    with pytest.raises(HotpatrolError) as err:
        hs.select_events(events, ["Tax evasion"])
    assert err.value.parameter == "category" and "Robbery" in err.value.allowed
    data = hs.prepare(events, "harm", cell=150)
    assert data.values.sum() == pytest.approx(data.w.sum()) and data.counts.sum() == len(events)
    assert data.meta["study_area"] == "cells within 500 m of an event" and data.weight == "cchi"
    counts = hs.prepare(events, "count", cell=150)
    assert np.array_equal(counts.values, counts.counts)
    # lon/lat that are really metres
    bad = events.assign(lon=events["x_true"], lat=events["y_true"])
    with pytest.raises(HotpatrolError, match="look like metres") as err:
        hs.prepare(bad)
    assert err.value.parameter == "lon/lat"


def test_stray_point_is_refused_or_clipped(events, tmp_path):
    stray = pd.concat([events, events.iloc[[0]].assign(event_id="stray", lon=-60.0, lat=10.0)], ignore_index=True)
    with pytest.raises(HotpatrolError, match="stray point") as err:
        hs.prepare(stray, cell=150)
    assert err.value.parameter == "cell"
    import geopandas as gpd
    import shapely

    area = gpd.GeoDataFrame(geometry=[shapely.box(500000, 150000, 504500, 154500)], crs="EPSG:27700")
    data = hs.prepare(stray, cell=150, area=area)
    assert data.meta["outside_area"] >= 1 and data.places.grid.n_cells < 1000


def test_rank_spacing_and_district_minimum():
    places = grid_layer(10, 10)
    v = np.zeros(places.n)
    v[[55, 56, 45, 0, 99, 9]] = [100, 90, 80, 5, 4, 3]
    plain = rank_places(v, places, top=3)
    assert plain.to_frame()["place_id"].tolist() == [55, 56, 45]
    spaced = rank_places(v, places, top=3, min_spacing=300)
    assert spaced.to_frame()["place_id"].tolist() == [55, 0, 99]  # 56 and 45 are adjacent to 55
    district = np.where(places.x < places.x.mean(), "West", "East").astype(object)
    both = rank_places(v, places, top=3, district=district, per_district_min=1)
    f = both.to_frame()
    assert set(f["district"]) == {"West", "East"} and f["value"].is_monotonic_decreasing
    with pytest.raises(HotpatrolError, match="Raise --top") as err:
        rank_places(v, places, top=1, district=district, per_district_min=1)
    assert err.value.parameter == "per_district_min"
    with pytest.raises(HotpatrolError) as err:
        rank_places(v, places, per_district_min=1)
    assert err.value.parameter == "districts"
    text = both.summary().as_text()
    assert "Top 3 places" in text and "of the total value" in text


def test_assign_districts_from_polygons():
    import geopandas as gpd
    import shapely

    places = grid_layer(10, 10)
    gdf = gpd.GeoDataFrame({"LAD_NM": ["West", "East"]},
                           geometry=[shapely.box(500000, 150000, 500750, 151500), shapely.box(500750, 150000, 501500, 151500)],
                           crs="EPSG:27700").to_crs("EPSG:4326")
    lab = assign_districts(places, gdf)
    assert (lab[places.x < 500750] == "West").all() and (lab[places.x > 500750] == "East").all()


def test_kde_mass_bandwidth_edges_and_polygons(events):
    data = hs.prepare(events, "count", cell=150, halo=2000)
    res = kernel_density(data.x, data.y, None, data.places, bandwidth=400, kernel="quartic")
    # the kernel integrates to 1, so density summed over cells ~ number of events (little mass leaves the halo)
    assert res.cell_value.sum() == pytest.approx(len(data.x), rel=0.02)
    top = res.top(5)
    assert np.hypot(top["x"] - 502250, top["y"] - 152250).min() < 300  # the planted cluster
    with pytest.raises(HotpatrolError, match="smaller than the 150 m cell") as err:
        kernel_density(data.x, data.y, None, data.places, bandwidth=100)
    assert err.value.parameter == "bandwidth"
    auto = kernel_density(data.x, data.y, None, data.places)
    assert auto.bandwidth > 150 and auto.kernel == "quartic"
    tight = hs.prepare(events, "count", cell=150, halo=0)
    none = kernel_density(tight.x, tight.y, None, tight.places, bandwidth=600, kernel="gaussian")
    uni = kernel_density(tight.x, tight.y, None, tight.places, bandwidth=600, kernel="gaussian", edge="uniform")
    assert (uni.density >= none.density - 1e-9).all() and (uni.density > none.density * 1.05).any()
    # polygon places get the exact kernel sum at their centroids
    wkt = [f"POLYGON(({x} {y}, {x + 500} {y}, {x + 500} {y + 500}, {x} {y + 500}, {x} {y}))"
           for x in range(500000, 504500, 500) for y in range(150000, 154500, 500)]
    poly = polygon_layer(wkt)
    pr = kernel_density(data.x, data.y, None, poly, bandwidth=400)
    assert pr.density.shape == (poly.n,) and pr.top(1)["place_id"].iloc[0] in poly.place_id


def test_registry_rejects_foreign_options(events):
    data = hs.prepare(events, "harm", cell=150)
    with pytest.raises(HotpatrolError) as err:
        hs.run("kde", data, permutations=99)
    assert err.value.parameter == "permutations"
    with pytest.raises(HotpatrolError) as err:
        hs.run("voronoi", data)
    assert err.value.parameter == "method" and "gi" in err.value.allowed


@pytest.mark.parametrize("method,extra,column", [
    ("rank", ["--top", "5", "--min-spacing", "300"], "reason"),
    ("kde", ["--bandwidth", "400", "--kernel", "gaussian"], "density"),
    ("gi", ["--permutations", "199", "--correction", "holm"], "gi_bin"),
    ("lisa", ["--permutations", "199"], "cluster"),
])
def test_cli_methods_json_and_outputs(events_csv, tmp_path, method, extra, column):
    out = tmp_path / f"{method}.csv"
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", method, "--scheme", "harm",
                            "--out", str(out), "--json", *extra])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.output)
    assert payload["method"] == method and payload["out"] == str(out) and payload["top"]
    frame = pd.read_csv(out)
    assert column in frame.columns and "place_id" in frame.columns
    assert payload["meta"]["analysed_events"] == len(pd.read_csv(events_csv))


def test_cli_writes_gpkg_and_geojson_and_text(events_csv, tmp_path):
    import geopandas as gpd

    gpkg = tmp_path / "top.gpkg"
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "rank", "--top", "7",
                            "--out", str(gpkg), "--category", "Robbery", "--category", "Burglary"])
    assert r.exit_code == 0, r.output
    assert "Top 7 places" in r.output and "wrote" in r.output
    layer = gpd.read_file(gpkg)
    assert len(layer) == 7 and layer.crs.to_epsg() == 27700 and layer.geom_type.eq("Polygon").all()
    gj = tmp_path / "gi.geojson"
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "gi", "--out", str(gj),
                            "--permutations", "99", "--scheme", "count"])
    assert r.exit_code == 0, r.output
    hot = gpd.read_file(gj)
    assert hot.crs.to_epsg() == 4326 and (hot["gi_bin"] >= 2).any()


def test_cli_errors_are_clear_json(events_csv):
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--start", "2030-01", "--json"])
    assert r.exit_code == 2
    err = json.loads(r.output)["error"]
    assert err["parameter"] == "start/end" and "Widen" in err["fix"]
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "kde", "--bandwidth", "50", "--json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "bandwidth"
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "kde", "--permutations", "99", "--json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "permutations"
    r = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "rank", "--json",
                            "--per-district-min", "1"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "districts"
