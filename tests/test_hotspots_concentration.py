"""Concentration (Lorenz, Gini, generalised Gini, x % in y %), stability and the space-time cube."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.concentration import (
    concentration,
    generalized_gini,
    gini,
    lorenz,
    places_for_share,
    share_in_top,
)
from hotpatrol.hotspots.cube import SpaceTimeCube, build_cube
from hotpatrol.hotspots.stability import stability, top_sets
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer


def test_gini_of_hand_made_vectors():
    # sum (2i - n - 1) x_(i) / (n sum x): 0s then 2, 8, 10 -> (2*5 + 8*7 + 10*9) / (10*20) = 0.78
    assert gini([10, 8, 2] + [0] * 7) == pytest.approx(0.78)
    assert gini([5, 2, 1] + [0] * 7) == pytest.approx(0.8)
    assert gini([3, 3, 3, 3]) == 0.0
    assert gini([1] + [0] * 9) == pytest.approx(0.9)  # one place holds all: 1 - 1/n
    assert np.isnan(gini([0, 0, 0]))


def test_generalized_gini_bernasco_steenbeek():
    # N = 8 events < n = 10 places: max(1, 10/8) (0.8 - 1) + 1 = 0.75
    assert generalized_gini([5, 2, 1] + [0] * 7) == pytest.approx(0.75)
    # N >= n: same as the plain Gini
    assert generalized_gini([10, 8, 2] + [0] * 7) == pytest.approx(0.78)
    # maximal equality given sparse data (one event in each of N places) scores 0
    assert generalized_gini([1, 1, 1] + [0] * 97) == pytest.approx(0.0, abs=1e-12)
    # harm values: N is the event count, not the harm total
    harm = np.array([365.0, 180.0] + [0] * 8)
    assert generalized_gini(harm, n_events=2) == pytest.approx(5 * (gini(harm) - 1) + 1)


def test_lorenz_endpoints_and_shape():
    x, y = lorenz([4, 0, 1, 5])
    assert (x[0], y[0], x[-1], y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.allclose(y, [0, 0, 0.1, 0.5, 1.0])
    assert np.all(np.diff(y) >= 0) and np.all(y <= x + 1e-12)
    # Gini = 1 - 2 * area under the Lorenz curve (trapezoids)
    vals = np.random.default_rng(1).poisson(2, 300)
    lx, ly = lorenz(vals)
    assert gini(vals) == pytest.approx(1 - 2 * np.trapezoid(ly, lx), abs=1e-12)


def test_x_percent_in_y_percent_exact():
    x = [50, 30, 10, 5, 5] + [0] * 95  # 100 places, 100 events
    assert places_for_share(x, 0.5) == 0.01  # the top place holds exactly 50 %
    assert places_for_share(x, 0.8) == 0.02
    assert places_for_share(x, 0.81) == 0.03
    assert places_for_share(x, 1.0) == 0.05
    assert places_for_share(x, 0.5, of="nonzero") == pytest.approx(0.2)
    assert share_in_top(x, 0.01) == 0.5
    assert share_in_top(x, 0.03) == 0.9
    assert share_in_top(x, 0.4, of="nonzero") == 0.8
    with pytest.raises(HotpatrolError) as err:
        places_for_share(x, 1.5)
    assert err.value.parameter == "share"


def test_concentration_per_period_from_cube():
    values = np.array([[10, 0, 4], [0, 0, 4], [0, 1, 4], [0, 1, 4]], float)
    cube = SpaceTimeCube(values, pd.period_range("2024-01", periods=3, freq="M"))
    res = concentration(cube)
    frame = res.to_frame()
    assert list(frame["period"]) == ["2024-01", "2024-02", "2024-03", "all"]
    assert frame["gini"].iloc[0] == pytest.approx(0.75)  # 1 - 1/4
    assert frame["gini"].iloc[2] == 0.0
    assert frame["places_for_50pct"].iloc[0] == 0.25
    assert frame["sparse"].tolist() == [False, True, False, False]
    # 2 events in 4 places: (n/N)(G - 1) + 1 with G = 0.5 -> 0
    assert frame["gini_generalized"].iloc[1] == pytest.approx(0.0)
    assert frame["total"].iloc[-1] == 28
    text = res.summary().as_text()
    assert "50% of count" in text and "gini_generalized" in text
    lx, ly = res.lorenz("2024-01")
    assert ly[-2] == 0.0 and ly[-1] == 1.0


def test_concentration_rejects_negative_values():
    with pytest.raises(HotpatrolError):
        concentration(np.array([1.0, -1.0]))


def test_top_sets_ties_and_zeros():
    v = np.array([[3, 0], [3, 0], [1, 2], [0, 0]], float)
    m = top_sets(v, 2)
    assert m[:, 0].tolist() == [True, True, False, False]  # tie kept in place order
    assert m[:, 1].tolist() == [False, False, True, False]  # zeros never enter
    with pytest.raises(HotpatrolError):
        top_sets(v, 0)


def test_stability_on_hand_made_sequence():
    v = np.array([[5, 5, 5, 0], [4, 0, 4, 4], [0, 3, 3, 3], [1, 1, 0, 2]], float)
    res = stability(v, top=2)
    per = res.periods_frame()
    # top sets: {0,1}, {0,2}, {0,1}, {1,2}
    assert per["overlap_previous"].tolist()[1:] == [1, 1, 1]
    assert per["jaccard_previous"].tolist()[1:] == pytest.approx([1 / 3] * 3)
    assert per["overlap_first"].tolist() == [2, 1, 2, 1]
    pl = res.to_frame()
    assert pl["periods_in_top"].tolist() == [3, 3, 2, 0]
    assert pl["longest_run"].tolist() == [3, 2, 1, 0]
    assert pl["in_top_last"].tolist() == [False, True, True, False]
    assert res.persistence_counts()["places"].tolist() == [0, 1, 2, 0]
    assert res.mean_jaccard == pytest.approx(1 / 3)
    same = stability(np.tile([[3.0], [2.0], [1.0]], (1, 5)), top=2)
    assert same.mean_jaccard == 1.0


def _events(xy_periods, crs="EPSG:27700"):
    from hotpatrol.places.crs import to_lonlat

    x = np.array([p[0] for p in xy_periods], float)
    y = np.array([p[1] for p in xy_periods], float)
    lon, lat = to_lonlat(x, y, crs)
    when = pd.to_datetime([p[2] for p in xy_periods])
    cats = [p[3] if len(p) > 3 else "Violence and sexual offences" for p in xy_periods]
    return pd.DataFrame({"event_id": [f"e{i}" for i in range(len(x))], "lon": lon, "lat": lat,
                         "occurred_from": when, "occurred_at": when, "category": cats})


def test_build_cube_counts_harm_filters_and_empty_periods():
    grid = Grid(530000.0, 180000.0, 100.0, 3, 2, "EPSG:27700")
    places = PlacesLayer.from_grid(grid)
    ev = _events([
        (530050, 180050, "2024-01-03"), (530050, 180050, "2024-01-20", "Robbery"),
        (530150, 180150, "2024-03-10"), (530250, 180050, "2024-03-11", "Shoplifting"),
        (600000, 180050, "2024-03-12"),  # outside the grid
    ])
    cube = build_cube(ev, places, freq="M")
    assert cube.labels == ["2024-01", "2024-02", "2024-03"]  # February is empty but present
    assert cube.values.shape == (6, 3)
    assert cube.values[0].tolist() == [2, 0, 0]
    assert cube.values[:, 1].sum() == 0
    assert cube.meta["outside"] == 1
    harm = build_cube(ev, places, scheme="cchi")
    assert harm.values[0, 0] == 180 + 365 and harm.events[0, 0] == 2
    assert harm.values[2, 2] == 1.0  # shoplifting cell 2 (row 0, col 2)
    rob = build_cube(ev, places, categories=["Robbery"])
    assert rob.values.sum() == 1
    q = build_cube(ev, places, freq="Q", start="2024-02", end="2024-03")
    assert q.n_periods == 1 and q.values.sum() == 4  # start rounds to whole quarters: all of Q1
    with pytest.raises(HotpatrolError) as err:
        build_cube(ev, places, categories=["Burglary"])
    assert err.value.parameter == "categories"
    with pytest.raises(HotpatrolError) as err:
        build_cube(ev, places, freq="fortnight")
    assert err.value.parameter == "freq"
    sub = cube.select("2024-02", "2024-03")
    assert sub.labels == ["2024-02", "2024-03"]
    vals, n_ev, label = cube.window_sum("2024-01", "2024-02")
    assert label == "2024-01..2024-02" and vals[0] == 2


def test_build_cube_drop_empty_keeps_only_places_with_events():
    grid = Grid(530000.0, 180000.0, 100.0, 3, 2, "EPSG:27700")
    places = PlacesLayer.from_grid(grid)
    ev = _events([(530050, 180050, "2024-01-03"), (530250, 180150, "2024-02-20"), (530250, 180150, "2024-02-21")])
    cube = build_cube(ev, places, drop_empty=True)
    assert cube.places.n == 2 and cube.place_id.tolist() == [0, 5]
    assert cube.values.tolist() == [[1, 0], [0, 2]]
    assert cube.places.assign(np.array([530250.0]), np.array([180150.0])).tolist() == [1]
