"""Change surfaces on a worked example; PNG maps (non-trivial), Lorenz plot, multi-layer GeoPackage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.change import change, poisson_rate_test
from hotpatrol.hotspots.concentration import concentration
from hotpatrol.hotspots.cube import SpaceTimeCube
from hotpatrol.hotspots.maps import plot_places, write_geopackage
from hotpatrol.hotspots.stability import stability
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer


def test_change_worked_example():
    before = np.array([0, 5, 10, 3, 0])
    after = np.array([4, 5, 2, 3, 0])
    res = change(before, after, top=2)
    f = res.to_frame()
    assert f["difference"].tolist() == [4, 0, -8, 0, 0]
    assert f["ratio"].tolist() == pytest.approx([5.0, 1.0, 3 / 11, 1.0, 1.0])  # (b+1)/(a+1)
    assert f["log2_ratio"].iloc[0] == pytest.approx(np.log2(5))
    # exact conditional Poisson test = binomial test of b given a + b at 1/2 (equal windows)
    assert f["p_value"].iloc[0] == pytest.approx(binomtest(4, 4, 0.5).pvalue)  # 0.125
    assert f["p_value"].iloc[2] == pytest.approx(binomtest(2, 12, 0.5).pvalue)  # 0.0386
    assert f["p_value"].iloc[4] == 1.0  # no events at all
    # top 2 before {2, 1}, after {1, 0}
    assert f["top_status"].tolist() == ["appeared", "stayed", "disappeared", "", ""]
    assert res.churn() == {"appeared": [0], "disappeared": [2], "stayed": [1]}
    assert "1 appeared, 1 disappeared" in res.summary().as_text()


def test_change_between_cube_windows_scales_for_length():
    values = np.array([[1, 1, 1, 6], [2, 2, 2, 0]], float)
    cube = SpaceTimeCube(values, pd.period_range("2024-01", periods=4, freq="M"))
    res = change(("2024-01", "2024-03"), "2024-04", cube=cube, top=1)
    f = res.to_frame()
    assert res.labels == ("2024-01..2024-03", "2024-04")
    assert f["before"].tolist() == [3, 6] and f["after"].tolist() == [6, 0]
    # before is 3 months, after 1: the monthly baseline is a/3
    assert f["difference"].tolist() == pytest.approx([5, -2])
    assert f["ratio"].iloc[0] == pytest.approx(7 / 2)
    # exposure 1/(3+1): B ~ Binomial(9, 1/4), B = 6
    assert f["p_value"].iloc[0] == pytest.approx(min(1, 2 * binomtest(6, 9, 0.25, alternative="greater").pvalue))


def test_poisson_test_rejects_harm_values():
    with pytest.raises(HotpatrolError) as err:
        poisson_rate_test([1.5], [2.0])
    assert err.value.parameter == "a/b"


def _grid_layer(nx=30, ny=20):
    grid = Grid(530000.0, 180000.0, 150.0, nx, ny, "EPSG:27700")
    return PlacesLayer.from_grid(grid)


def _png_stats(path):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    return img.shape, float(img[..., :3].std()), len(np.unique(img[..., :3].reshape(-1, 3), axis=0))


def test_concentration_map_png_with_boundaries_scale_bar_legend(tmp_path):
    import geopandas as gpd
    import shapely

    places = _grid_layer()
    rng = np.random.default_rng(0)
    values = rng.poisson(0.3, size=(places.n, 6)).astype(float)
    values[37] += 20
    cube = SpaceTimeCube(values, pd.period_range("2024-01", periods=6, freq="M"), places)
    res = concentration(cube)
    districts = gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=[
        shapely.box(530000, 180000, 532250, 183000), shapely.box(532250, 180000, 534500, 183000)], crs="EPSG:27700")
    out = res.write(tmp_path / "conc.png", boundaries=districts, boundary_label="name")
    assert out.exists() and out.stat().st_size > 10_000
    shape, std, colours = _png_stats(out)
    assert shape[0] > 400 and shape[1] > 400
    assert std > 0.05 and colours > 20  # a real picture, not a blank canvas
    # boundaries from a file path work too
    gpkg = tmp_path / "districts.gpkg"
    districts.to_file(gpkg, driver="GPKG")
    out2 = res.plot(tmp_path / "conc2.png", boundaries=str(gpkg))
    assert out2.stat().st_size > 10_000
    lor = res.plot_lorenz(tmp_path / "lorenz.png", periods=["2024-01"])
    assert lor.stat().st_size > 5_000


def test_categorical_and_diverging_maps_on_polygons(tmp_path):
    import geopandas as gpd
    import shapely

    # a polygons layer (not a grid): drawn as polygons
    boxes = [shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100) for i in range(5) for j in range(4)]
    gdf = gpd.GeoDataFrame({"place_id": [f"p{k}" for k in range(20)]}, geometry=boxes, crs="EPSG:27700")
    c = gdf.geometry.centroid
    places = PlacesLayer("polygons", gdf["place_id"].to_numpy(), c.x.to_numpy(), c.y.to_numpy(), "EPSG:27700",
                         _geometry=gdf)
    cats = np.array(["Persistent Hot Spot"] * 5 + ["New Cold Spot"] * 5 + ["No Pattern Detected"] * 10, dtype=object)
    out = plot_places(places, cats, tmp_path / "cats.png", title="categories")
    assert _png_stats(out)[1] > 0.05
    before = np.arange(20.0)
    after = before[::-1].copy()
    res = change(before, after, places=places, top=3)
    out = res.plot(tmp_path / "change.png")
    assert out.stat().st_size > 10_000
    out = res.plot(tmp_path / "status.png", column="top_status")
    assert out.stat().st_size > 10_000
    with pytest.raises(HotpatrolError) as err:
        res.plot(tmp_path / "x.png", column="nope")
    assert err.value.parameter == "column"
    with pytest.raises(HotpatrolError):
        plot_places(places, cats, tmp_path / "x.jpg")


def test_geopackage_with_several_layers(tmp_path):
    import pyogrio

    places = _grid_layer(6, 5)
    rng = np.random.default_rng(2)
    cube = SpaceTimeCube(rng.poisson(1, size=(places.n, 4)).astype(float),
                         pd.period_range("2024-01", periods=4, freq="M"), places)
    path = write_geopackage(tmp_path / "trends.gpkg", {
        "concentration": concentration(cube),
        "stability": stability(cube, top=5),
        "change": change("2024-01", "2024-04", cube=cube, top=5),
    })
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"concentration", "stability", "change"}
    import geopandas as gpd

    st = gpd.read_file(path, layer="stability")
    assert len(st) == places.n and "periods_in_top" in st.columns
    ch = gpd.read_file(path, layer="change")
    assert set(ch["top_status"]) <= {"", "appeared", "disappeared", "stayed"}
