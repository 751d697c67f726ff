import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.select import select_hotspots
from hotpatrol.patrol.selection import load_selection
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer


def _table(m=12, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "place_id": [f"p{i}" for i in range(m)],
        "x": 500_000 + rng.uniform(0, 1500, m),
        "y": 180_000 + rng.uniform(0, 1500, m),
        "harm": rng.gamma(2.0, 50.0, m).round(1),
        "district": np.where(np.arange(m) % 3 == 0, "North", np.where(np.arange(m) % 3 == 1, "South", "East")),
    })


def _brute(t, n, spacing=None, dmin=None, dmax=None, excluded=()):
    """Best harm over every n-subset satisfying the constraints (-1 when none does)."""
    best = -1.0
    xy = t[["x", "y"]].to_numpy()
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    codes, uniq = pd.factorize(t["district"])
    harm = t["harm"].to_numpy()
    for combo in itertools.combinations(range(len(t)), n):
        c = list(combo)
        if any(i in excluded for i in c):
            continue
        if spacing and dist[np.ix_(c, c)][np.triu_indices(n, 1)].min() < spacing:
            continue
        counts = np.bincount(codes[c], minlength=len(uniq))
        if dmin and counts.min() < dmin:
            continue
        if dmax and counts.max() > dmax:
            continue
        best = max(best, harm[c].sum())
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n,spacing,dmin,dmax", [(4, 400, None, None), (4, None, 1, None), (5, 300, 1, 2),
                                                  (3, 600, None, 1)])
def test_ilp_matches_brute_force(seed, n, spacing, dmin, dmax):
    t = _table(12, seed)
    expected = _brute(t, n, spacing, dmin, dmax)
    if expected < 0:
        with pytest.raises(HotpatrolError):
            select_hotspots(t, n=n, min_spacing=spacing, per_district_min=dmin, per_district_max=dmax)
        return
    res = select_hotspots(t, n=n, min_spacing=spacing, per_district_min=dmin, per_district_max=dmax)
    assert res.harm_covered == pytest.approx(expected)
    assert res.optimal
    sel = res.to_frame()
    assert len(sel) == n
    if spacing:
        xy = sel[["x", "y"]].to_numpy()
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        assert d[np.triu_indices(n, 1)].min() >= spacing
    if dmin:
        assert sel["district"].value_counts().reindex(["North", "South", "East"], fill_value=0).min() >= dmin
    if dmax:
        assert sel["district"].value_counts().max() <= dmax


def test_unconstrained_takes_top_harm_and_summary():
    t = _table(30, 5)
    res = select_hotspots(t, n=6)
    assert set(res.place_ids) == set(t.nlargest(6, "harm")["place_id"])
    assert list(res.to_frame()["rank"]) == [1, 2, 3, 4, 5, 6]
    text = res.summary().as_text()
    assert "Selected 6 of 30" in text and "optimal" in text
    assert res.constraint_costs().empty


def test_constraint_costs_are_resolve_differences():
    t = _table(12, 1)
    res = select_hotspots(t, n=4, min_spacing=500, per_district_min=1)
    costs = res.constraint_costs().set_index("constraint")
    assert set(costs.index) == {"spacing", "district_min"}
    assert costs.loc["spacing", "harm_if_relaxed"] == pytest.approx(_brute(t, 4, None, 1))
    assert costs.loc["district_min", "harm_if_relaxed"] == pytest.approx(_brute(t, 4, 500, None))
    assert (costs["harm_cost"] >= 0).all()
    assert costs.loc["spacing", "harm_cost"] == pytest.approx(_brute(t, 4, None, 1) - res.harm_covered)


def test_exclusion_polygon_respected_and_priced(tmp_path):
    t = _table(20, 3)
    top = t.nlargest(2, "harm")
    # a hospital polygon over the two highest-harm places (written as WGS84 GeoJSON)
    zone = shapely.union_all([shapely.Point(x, y).buffer(20) for x, y in zip(top["x"], top["y"])])
    path = tmp_path / "hospitals.geojson"
    gpd.GeoDataFrame({"name": ["hospital"]}, geometry=[zone], crs="EPSG:27700").to_crs(4326).to_file(path)
    res = select_hotspots(t, n=4, exclude=path, crs="EPSG:27700")
    assert not set(top["place_id"]) & set(res.place_ids)
    assert res.constraints["n_excluded"] == 2
    cost = res.constraint_costs().set_index("constraint").loc["exclude"]
    assert cost["harm_if_relaxed"] == pytest.approx(t.nlargest(4, "harm")["harm"].sum())
    assert cost["harm_cost"] > 0


def test_exclusion_uses_cell_area_with_grid():
    grid = Grid(500_000.0, 180_000.0, 150.0, 10, 10, "EPSG:27700")
    layer = PlacesLayer.from_grid(grid)
    harm = np.zeros(100)
    harm[[0, 55, 77]] = [100, 90, 80]
    t = pd.DataFrame({"place_id": layer.place_id, "harm": harm})
    # polygon touching only the corner of cell 55 (not its centroid)
    cx, cy = grid.centres(np.array([55]))
    corner = shapely.box(cx[0] + 60, cy[0] + 60, cx[0] + 100, cy[0] + 100)
    res = select_hotspots(t, n=2, places=layer, exclude=corner)
    assert set(res.place_ids) == {0, 77}


def test_capacity_limits_and_infeasible_diagnosis_names_conflict():
    t = _table(12, 0)
    # each selected hotspot: k/n=1 x 3 visits x 15 min = 0.75 h/day -> 3 h fits 4, not 5
    ok = select_hotspots(t, n=4, capacity_hours=3.0)
    assert len(ok.place_ids) == 4
    with pytest.raises(HotpatrolError) as err:
        select_hotspots(t, n=5, capacity_hours=3.0, min_spacing=10)
    assert set(err.value.given) == {"n", "capacity"}
    assert "capacity_hours=3" in err.value.message and "n=5" in err.value.message


def test_infeasible_district_minimum_vs_spacing():
    t = pd.DataFrame({"place_id": list("abcde"), "x": [0, 50, 100, 5000, 9000], "y": [0, 0, 0, 0, 0],
                      "harm": [5, 4, 3, 2, 1], "district": ["A", "A", "A", "B", "C"]})
    t[["x", "y"]] += 400_000
    with pytest.raises(HotpatrolError) as err:
        select_hotspots(t, n=3, min_spacing=200, per_district_min={"A": 2})
    assert set(err.value.given) == {"spacing", "district_min[A]"}
    assert "district_min[A]=2" in str(err.value)


def test_too_few_candidates_names_n():
    with pytest.raises(HotpatrolError) as err:
        select_hotspots(_table(5), n=8)
    assert err.value.given == ["n"]


def test_bad_inputs():
    t = _table(6)
    with pytest.raises(HotpatrolError, match="harm"):
        select_hotspots(t.drop(columns="harm"), n=2)
    bad = t.copy()
    bad.loc[2, "harm"] = -1
    with pytest.raises(HotpatrolError) as err:
        select_hotspots(bad, n=2)
    assert err.value.row == 2
    with pytest.raises(HotpatrolError) as err:
        select_hotspots(t.drop(columns="district"), n=2, per_district_min=1)
    assert err.value.parameter == "per_district_min"
    assert "harm" in t.columns  # caller's frame untouched


def test_write_and_load_roundtrip(tmp_path):
    res = select_hotspots(_table(15), n=5, min_spacing=200, crs="EPSG:27700", cell=150)
    p = res.write(tmp_path / "sel.csv")
    back = load_selection(p)
    assert list(back["place_id"]) == res.place_ids
    assert back.attrs["crs"] == "EPSG:27700" and back.attrs["cell"] == 150
    g = res.write(tmp_path / "sel.gpkg")
    back2 = load_selection(g)
    assert sorted(back2["place_id"]) == sorted(res.place_ids)
    assert abs(back2["x"].mean() - res.to_frame()["x"].mean()) < 1e-6


def test_time_limit_falls_back_to_feasible_greedy_and_flags_not_optimal():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 20_000, (15, 2))
    pts = np.concatenate([c + rng.normal(0, 250, (150, 2)) for c in centres])
    t = pd.DataFrame({"place_id": np.arange(len(pts)), "x": 400_000 + pts[:, 0], "y": 200_000 + pts[:, 1],
                      "harm": rng.gamma(1.5, 100, len(pts))})
    res = select_hotspots(t, n=40, min_spacing=600, time_limit=0.5)
    sel = res.to_frame()
    assert len(sel) == 40
    xy = sel[["x", "y"]].to_numpy()
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert d[np.triu_indices(40, 1)].min() >= 600
    if not res.optimal:
        assert "best found within the time limit" in res.summary().as_text()


def test_accepts_hotspot_result_and_grid():
    from hotpatrol.hotspots.result import HotspotResult

    grid = Grid(500_000.0, 180_000.0, 150.0, 8, 8, "EPSG:27700")
    layer = PlacesLayer.from_grid(grid)
    harm = np.arange(64, dtype=float)

    class Ranking(HotspotResult):
        name = "ranking"

        def __init__(self):
            self.places = layer

        def to_frame(self):
            return pd.DataFrame({"place_id": layer.place_id, "score": harm})

    res = select_hotspots(Ranking(), n=3, min_spacing=400)
    assert res.cell == 150.0 and res.crs == "EPSG:27700"
    assert res.place_ids[0] == 63
    # a bare Grid works too: centroids come from it
    res2 = select_hotspots(pd.DataFrame({"place_id": layer.place_id, "harm": harm}), n=3, places=grid)
    assert set(res2.place_ids) == {61, 62, 63}
    gdf = res.to_geodataframe()
    assert len(gdf) == 3 and gdf.geometry.area.round().eq(150 * 150).all()
