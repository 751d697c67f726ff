"""A planted emerging hotspot and a planted persistent hotspot are found end to end
(events -> cube -> space-time Gi* -> Mann-Kendall -> Esri categories)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hotpatrol.hotspots.getis")  # Gi* and weights come from the hotspot statistics stage

from hotpatrol.hotspots.cube import SpaceTimeCube  # noqa: E402
from hotpatrol.hotspots.emerging import NO_PATTERN, emerging  # noqa: E402
from hotpatrol.places.grid import Grid  # noqa: E402
from hotpatrol.places.layer import PlacesLayer  # noqa: E402


def _simulate(seed=7, nx=20, ny=20, T=24):
    rng = np.random.default_rng(seed)
    grid = Grid(530000.0, 180000.0, 150.0, nx, ny, "EPSG:27700")
    places = PlacesLayer.from_grid(grid)
    rate = np.full((ny, nx, T), 1.0)
    # emerging: a 3 x 3 block quiet for 16 months, then rising sharply
    ramp = np.r_[np.zeros(16), np.linspace(3, 10, T - 16)]
    rate[4:7, 4:7, :] += ramp
    # persistent: a 3 x 3 block busy all along
    rate[13:16, 13:16, :] += 6.0
    counts = rng.poisson(rate).reshape(ny * nx, T).astype(float)
    cube = SpaceTimeCube(counts, pd.period_range("2023-01", periods=T, freq="M"), places)
    return cube, grid


def test_planted_emerging_and_persistent_hotspots_are_found():
    cube, grid = _simulate()
    res = emerging(cube, weights="queen", time_lag=1, alpha=0.05)
    cat = res.category.reshape(grid.ny, grid.nx)
    assert cat[5, 5] in ("Consecutive Hot Spot", "Intensifying Hot Spot", "New Hot Spot")
    assert cat[14, 14] == "Persistent Hot Spot"
    # the planted blocks' centres are hot in the final period; the background mostly shows nothing
    background = np.ones((grid.ny, grid.nx), dtype=bool)
    background[2:9, 2:9] = False
    background[11:18, 11:18] = False
    assert (cat[background] == NO_PATTERN).mean() > 0.8
    frame = res.to_frame()
    assert frame.loc[5 * grid.nx + 5, "trend_z"] > 2  # clustering rising at the emerging block
    assert "Persistent Hot Spot" in res.summary().as_text()


def test_emerging_is_deterministic():
    # speed: bench/trends.py (wall-clock asserts are flaky on a loaded CI machine)
    cube, _ = _simulate(seed=11, nx=60, ny=60, T=36)
    a = emerging(cube, weights="queen")
    b = emerging(cube, weights="queen")
    assert (a.category == b.category).all()


@pytest.mark.slow
def test_synthetic_county_planted_emerging_and_fading_hotspots(tmp_path):
    synthetic = pytest.importorskip("hotpatrol.synthetic")
    from hotpatrol.hotspots.cube import build_cube

    county = synthetic.generate_county(scale=0.1, years=3, seed=1)
    ev = county.events
    grid = Grid.covering(ev["x"], ev["y"], cell=150, crs="EPSG:27700")
    cube = build_cube(ev, PlacesLayer.from_grid(grid), drop_empty=True)
    res = emerging(cube, weights="queen", time_lag=1)
    frame = res.to_frame()
    planted = county.hotspots.set_index("kind")
    def at(kind):
        h = planted.loc[kind]
        i = int(cube.places.assign(np.array([h["x"]]), np.array([h["y"]]))[0])
        assert i >= 0
        return frame.iloc[i]

    rising, fading = at("emerging"), at("fading")
    assert rising["category"] in ("New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot")
    assert rising["trend_z"] > 2
    # the fading hotspot's clustering falls significantly and it is not a current hot spot
    assert fading["trend_z"] < -2 and fading["trend_p"] < 0.05
    assert not str(fading["category"]).endswith("Hot Spot") or fading["category"] == "Historical Hot Spot"
    out = res.write(tmp_path / "emerging.png", boundaries=county.districts, boundary_label="LAD_NM")
    assert out.stat().st_size > 20_000
