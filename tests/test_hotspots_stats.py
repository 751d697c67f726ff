"""Weights, permutation inference, corrections, planted hotspots and pure noise."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots import inference, weights as wts
from hotpatrol.hotspots.getis import getis_ord, gi_star_z
from hotpatrol.hotspots.lisa import local_moran
from hotpatrol.places import Grid, PlacesLayer

from hotspot_helpers import grid_layer


def test_grid_contiguity_counts_and_subsets():
    places = grid_layer(5, 4)
    q, r = wts.build(places, "queen"), wts.build(places, "rook")
    card_q, card_r = wts.cardinalities(q), wts.cardinalities(r)
    assert card_q[0] == 3 and card_q[6] == 8 and card_r[0] == 2 and card_r[6] == 4
    assert (q != q.T).nnz == 0 and q.diagonal().sum() == 0
    # distance band 1.5 cells == queen, 1 cell == rook
    assert (wts.build(places, "distance", distance=225) != q).nnz == 0
    assert (wts.build(places, "distance", distance=150) != r).nnz == 0
    # a subset of cells: neighbours are looked up among the kept cells only
    sub = PlacesLayer.from_grid(places.grid, [0, 1, 7, 19])
    w = wts.build(sub, "queen").toarray()
    assert w[0, 1] == 1 and w[1, 2] == 1 and w[0, 2] == 0 and w[3].sum() == 0


def test_weights_errors_name_the_parameter():
    places = grid_layer(4, 4)
    with pytest.raises(HotpatrolError) as err:
        wts.build(places, "bishop")
    assert err.value.parameter == "weights"
    with pytest.raises(HotpatrolError, match="shorter than the 150 m cell"):
        wts.build(places, "distance", distance=100)
    deg = PlacesLayer("locations", np.arange(3), np.array([0.1, 0.2, 0.3]), np.array([51.0, 51.1, 51.2]), "EPSG:4326")
    with pytest.raises(HotpatrolError, match="lon/lat CRS") as err:
        wts.build(deg, "distance", distance=300)
    assert "EPSG:27700" in err.value.fix


def test_gi_star_z_is_vectorised_over_periods():
    rng = np.random.default_rng(0)
    places = grid_layer(12, 10)
    W = wts.build(places, "queen")
    X = rng.poisson(1.0, size=(places.n, 6)).astype(float)
    X[:, 3] = 0.0  # an empty month
    Z = gi_star_z(X, W)
    assert Z.shape == X.shape
    for t in (0, 1, 5):
        np.testing.assert_allclose(Z[:, t], gi_star_z(X[:, t], W))
    assert np.all(Z[:, 3] == 0)
    with pytest.raises(HotpatrolError) as err:
        gi_star_z(X, W[:10, :10])
    assert err.value.parameter == "W"


def test_permutations_are_seeded_and_thread_count_independent():
    import numba

    rng = np.random.default_rng(1)
    places = grid_layer(20, 20)
    v = rng.poisson(2.0, places.n).astype(float)
    a = getis_ord(v, places, permutations=199, seed=11)
    b = getis_ord(v, places, permutations=199, seed=11)
    c = getis_ord(v, places, permutations=199, seed=12)
    assert np.array_equal(a.p_sim, b.p_sim) and not np.array_equal(a.p_sim, c.p_sim)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        d = getis_ord(v, places, permutations=199, seed=11)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a.p_sim, d.p_sim)


def test_permutation_null_distribution_is_uniform_and_matches_exact_moments():
    # with binary weights, the simulated lag of k draws without replacement has a known mean and variance
    rng = np.random.default_rng(2)
    n = 400
    x = rng.gamma(2.0, 3.0, n)
    places = PlacesLayer.from_grid(Grid(0.0, 0.0, 150.0, 20, 20, "EPSG:27700"))
    W = wts.build(places, "queen")
    p, mean, sd, _ = inference.permutation_test(x, W, permutations=4999, seed=5)
    k = wts.cardinalities(W)
    others_mean = (x.sum() - x) / (n - 1)
    others_var = ((x ** 2).sum() - x ** 2) / (n - 1) - others_mean ** 2
    exact_sd = np.sqrt(k * others_var * (n - 1 - k) / (n - 2))
    np.testing.assert_allclose(mean, k * others_mean, rtol=0.03)
    np.testing.assert_allclose(sd, exact_sd, rtol=0.06)
    assert 0.4 < np.mean(p) < 0.6  # two-sided p-values on exchangeable noise


def test_adjust_pvalues_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(3).uniform(0, 0.2, 300) ** 2
    np.testing.assert_allclose(inference.adjust_pvalues(p, "fdr"), multipletests(p, method="fdr_bh")[1])
    np.testing.assert_allclose(inference.adjust_pvalues(p, "holm"), multipletests(p, method="holm")[1])
    np.testing.assert_array_equal(inference.adjust_pvalues(p, "none"), p)
    with pytest.raises(HotpatrolError) as err:
        inference.adjust_pvalues(p, "bonferroni")
    assert err.value.allowed == ["fdr", "holm", "none"]


def test_confidence_bins():
    bins = inference.confidence_bins([0.005, 0.03, 0.08, 0.2, 0.005], [True, True, True, True, False])
    assert bins.tolist() == [3, 2, 1, 0, -3]


def _planted(rng, nx=40, ny=40, hot=(20, 25), radius=5, base=0.6, extra=4.0):
    places = grid_layer(nx, ny)
    row, col = np.divmod(places.place_id, nx)
    in_hot = (np.abs(row - hot[0]) <= radius) & (np.abs(col - hot[1]) <= radius)
    lam = base + extra * in_hot
    return places, rng.poisson(lam).astype(float), in_hot


def test_gi_finds_planted_hotspot():
    rng = np.random.default_rng(4)
    places, v, in_hot = _planted(rng)
    res = getis_ord(v, places, permutations=999, seed=1)
    found = res.bins >= 2
    assert found[in_hot].mean() > 0.6  # most of the planted cluster (all but part of its rim) is hot at 95 %
    assert found[~in_hot].mean() < 0.02  # and little else (only the cluster's rim)
    assert res.to_frame().sort_values("gi_z").iloc[-1]["place_id"] in places.place_id[in_hot]
    frame = res.to_frame()
    assert {"place_id", "gi_z", "p_norm", "p_sim", "p_adj", "gi_bin", "label"} <= set(frame.columns)
    text = res.summary().as_text()
    assert "Hot 95%" in text and "permutations: 999" in text


def test_small_planted_hotspot_and_the_permutation_floor():
    # 25 hot cells among 1,600: FDR on 999-permutation p-values cannot reach 95 % (floor 0.002 x 1600 / 25 > 0.05),
    # the result says so, and the analytical p-values (pvalue="norm") find the cluster
    rng = np.random.default_rng(7)
    places, v, in_hot = _planted(rng, radius=2)
    sim = getis_ord(v, places, permutations=999, seed=1)
    assert "64 places reach the permutation floor" in sim.params["note"]
    norm = getis_ord(v, places, permutations=999, seed=1, pvalue="norm")
    assert (norm.bins >= 2)[in_hot].mean() > 0.8 and (norm.bins >= 2)[~in_hot].mean() < 0.02
    holm = getis_ord(v, places, permutations=999, seed=1, correction="holm")
    assert "no Holm-adjusted p-value" in holm.params["note"] and not (holm.bins != 0).any()


def test_lisa_finds_planted_hotspot_as_high_high():
    rng = np.random.default_rng(5)
    places, v, in_hot = _planted(rng)
    res = local_moran(v, places, permutations=999, seed=2)
    hh = res.cluster == "HH"
    assert hh[in_hot].mean() > 0.5 and hh[~in_hot].mean() < 0.01
    # cold surroundings of the cluster are low-high outliers, never high-high
    assert not (res.cluster[~in_hot] == "HH").sum() > 0.01 * (~in_hot).sum()
    assert set(np.unique(res.quadrant)) <= {"HH", "HL", "LH", "LL"}


@pytest.mark.parametrize("correction", ["fdr", "holm"])
def test_corrected_gi_on_noise_flags_at_most_nominal_rate(correction):
    rng = np.random.default_rng(6)
    flagged = []
    for rep in range(5):
        places, v, _ = _planted(rng, extra=0.0, base=1.0)
        res = getis_ord(v, places, permutations=199, correction=correction, seed=rep)
        flagged.append(np.abs(res.bins) >= 2)
    # 5 independent noise maps of 1,600 cells: the corrected tests flag (far) fewer than 5 %
    assert np.mean(flagged) <= 0.05
    # the uncorrected test flags about 5 %, which is the nominal rate the correction controls
    places, v, _ = _planted(rng, extra=0.0, base=1.0)
    raw = getis_ord(v, places, permutations=199, correction="none", seed=9)
    assert 0.01 < np.mean(np.abs(raw.bins) >= 2) < 0.12


def test_gi_and_lisa_bad_input():
    places = grid_layer(6, 6)
    with pytest.raises(HotpatrolError, match="same value") as err:
        getis_ord(np.zeros(places.n), places)
    assert "--start/--end" in err.value.fix
    with pytest.raises(HotpatrolError) as err:
        getis_ord(np.ones(5), places)
    assert err.value.parameter == "values"
    v = np.arange(places.n, dtype=float)
    with pytest.raises(HotpatrolError) as err:
        getis_ord(v, places, permutations=10)
    assert err.value.parameter == "permutations"
    with pytest.raises(HotpatrolError) as err:
        local_moran(v, places, correction="bh")
    assert err.value.parameter == "correction"
    with pytest.raises(HotpatrolError) as err:
        getis_ord(v, places, weights=sp.eye(3, format="csr"))
    assert err.value.parameter == "weights"
