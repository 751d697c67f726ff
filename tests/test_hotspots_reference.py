"""Gi*, LISA and KDE against R (spdep, spatstat) reference files in tests/results/ and against esda.

The R scripts that made the CSVs sit beside them (gi_lisa_spdep.R, kde_spatstat.R); R is not
needed to run these tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotpatrol.hotspots import weights as wts
from hotpatrol.hotspots.getis import getis_ord, gi_star_z
from hotpatrol.hotspots.kde import kde_direct, kde_grid
from hotpatrol.hotspots.lisa import local_moran, local_moran_stats
from hotpatrol.places import Grid, PlacesLayer

from conftest import RESULTS
from hotspot_helpers import polygon_layer

GRID = Grid(500000.0, 150000.0, 150.0, 14, 11, "EPSG:27700")


@pytest.fixture(scope="module")
def grid_ref():
    return pd.read_csv(RESULTS / "gi_lisa_spdep_grid.csv")


@pytest.fixture(scope="module")
def hex_ref():
    return pd.read_csv(RESULTS / "gi_lisa_spdep_hex.csv")


@pytest.mark.parametrize("kind,distance,column", [("queen", None, "gi_queen"), ("rook", None, "gi_rook"),
                                                    ("distance", 450.0, "gi_band450")])
def test_gi_star_equals_spdep_localG_on_grid(grid_ref, kind, distance, column):
    places = PlacesLayer.from_grid(GRID)
    assert np.array_equal(places.place_id, grid_ref.place_id)
    np.testing.assert_allclose(places.x, grid_ref.x)
    z = gi_star_z(grid_ref.value.to_numpy(), wts.build(places, kind, distance=distance))
    np.testing.assert_allclose(z, grid_ref[column], atol=1e-6, rtol=0)


def test_lisa_equals_spdep_localmoran_row_standardised_and_binary(grid_ref):
    places = PlacesLayer.from_grid(GRID)
    v = grid_ref.value.to_numpy()
    for W, suffix in ((wts.row_standardise(wts.build(places, "queen")), "queen_w"), (wts.build(places, "rook"), "rook_b")):
        got = local_moran_stats(v, W)
        for arr, name in zip(got, ("ii", "eii", "varii", "zii")):
            np.testing.assert_allclose(arr, grid_ref[f"{name}_{suffix}"], atol=1e-6, rtol=1e-9)
    # the result object reports the same numbers
    res = local_moran(v, places, weights="queen", permutations=0)
    np.testing.assert_allclose(res.to_frame()["z_i"], grid_ref["zii_queen_w"], atol=1e-6)


def test_gi_and_lisa_on_touching_polygons_equal_spdep(hex_ref):
    places = polygon_layer(hex_ref.wkt, crs="EPSG:27700")
    W = wts.build(places)  # polygons default to touching (queen)
    assert W.shape == (len(hex_ref), len(hex_ref)) and W.diagonal().sum() == 0
    v = hex_ref.value.to_numpy()
    np.testing.assert_allclose(gi_star_z(v, W), hex_ref.gi_touch, atol=1e-6, rtol=0)
    got = local_moran_stats(v, wts.row_standardise(W))
    for arr, name in zip(got, ("ii", "eii", "varii", "zii")):
        np.testing.assert_allclose(arr, hex_ref[name], atol=1e-6)
    # hexagons meet along edges only, so rook == queen
    assert (wts.build(places, "rook") != W).nnz == 0


@pytest.mark.slow  # esda compiles its numba kernels on first use
def test_gi_and_lisa_agree_with_esda(grid_ref):
    esda = pytest.importorskip("esda")
    places = PlacesLayer.from_grid(GRID)
    v = grid_ref.value.to_numpy(float)  # esda's numba kernels need floats
    W = wts.build(places, "queen")
    wl = wts.to_libpysal(W)
    g = esda.G_Local(v, wl, transform="B", permutations=999, star=True, seed=3)
    ours = getis_ord(v, places, weights=W, permutations=999, seed=3)
    np.testing.assert_allclose(ours.z, g.Zs, atol=1e-9)
    # different random streams: permutation p-values agree closely, not exactly (esda's are one-sided folded)
    assert np.corrcoef(np.minimum(1, 2 * g.p_sim), ours.p_sim)[0, 1] > 0.97
    m = esda.Moran_Local(v, wl, transformation="r", permutations=999, seed=3, n_jobs=1)
    lm = local_moran(v, places, weights=W, permutations=999, seed=3)
    n = len(v)
    np.testing.assert_allclose(lm.I, m.Is * n / (n - 1), atol=1e-9)  # esda divides by n-1, spdep by n
    assert np.corrcoef(np.minimum(1, 2 * m.p_sim), lm.p_sim)[0, 1] > 0.97
    assert (lm.quadrant == np.array(["HH", "LH", "LL", "HL"])[m.q - 1]).mean() > 0.99


@pytest.mark.slow
def test_sparse_counts_esda_calls_all_zero_neighbourhoods_significant_we_do_not():
    """Why Gi* p-values agree with esda on only ~40 % of cells of sparse data (Kent: 37 %).

    A place whose whole neighbourhood is zero has an observed lag of 0, and most permuted lags are 0
    too: it is not extreme at all. esda folds its count of permutations >= the observed value
    (all of them, ties included) to the other tail, which holds none, so it reports its floor
    1/(P+1); we count ties on both sides and report 1. Elsewhere the two agree within Monte Carlo error.
    """
    esda = pytest.importorskip("esda")
    rng = np.random.default_rng(0)
    places = PlacesLayer.from_grid(Grid(0.0, 0.0, 100.0, 30, 30, "EPSG:27700"))
    y = np.zeros(places.n)
    y[rng.choice(places.n, 60, replace=False)] = rng.poisson(3, 60) + 1  # 93 % of cells are zero
    W = wts.build(places, "queen")
    g = esda.G_Local(y, wts.to_libpysal(W), transform="B", permutations=999, star=True, seed=1)
    ours = getis_ord(y, places, weights=W, permutations=999, seed=1)
    theirs = np.minimum(1, 2 * g.p_sim)
    tied = (W @ y + y) == 0  # the place and all its neighbours are zero
    assert tied.mean() > 0.5
    assert np.all(theirs[tied] == 2 / 1000) and np.all(ours.p_sim[tied] == 1)
    assert np.mean((theirs[~tied] <= 0.05) == (ours.p_sim[~tied] <= 0.05)) > 0.85


@pytest.fixture(scope="module")
def kde_ref():
    return pd.read_csv(RESULTS / "kde_spatstat_points.csv"), pd.read_csv(RESULTS / "kde_spatstat_density.csv")


CASES = [("gauss200_w", 200.0, "gaussian", True), ("quartic_sd150_w", 150.0 * np.sqrt(8), "quartic", True),
         ("gauss250_count", 250.0, "gaussian", False)]


@pytest.mark.parametrize("column,h,kernel,weighted", CASES)
def test_kde_direct_sum_equals_spatstat(kde_ref, column, h, kernel, weighted):
    pts, ref = kde_ref
    w = pts.w if weighted else None
    got = kde_direct(pts.x, pts.y, w, ref.x, ref.y, bandwidth=h, kernel=kernel)
    # exact for quartic; the Gaussian is cut at 4 sd (spatstat's is not): 2e-4 of the peak
    tol = 1e-9 if kernel == "quartic" else 2e-4
    assert np.abs(got - ref[column]).max() <= tol * ref[column].max()


@pytest.mark.parametrize("column,h,kernel,weighted", CASES)
@pytest.mark.parametrize("oversample,tol", [(1, 0.05), (3, 0.008), (5, 0.003)])
def test_kde_fft_within_stated_tolerance_of_spatstat(kde_ref, column, h, kernel, weighted, oversample, tol):
    pts, ref = kde_ref
    grid = Grid(500000.0, 150000.0, 150.0, 20, 14, "EPSG:27700")
    got = kde_grid(pts.x, pts.y, pts.w if weighted else None, grid, bandwidth=h, kernel=kernel,
                   oversample=oversample).ravel()
    assert np.abs(got - ref[column]).max() <= tol * ref[column].max()
