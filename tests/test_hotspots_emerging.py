"""Emerging hot spots: every Esri category from a hand-made z/p series, the space-time weights,
and a planted emerging hotspot found end to end."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.special import ndtr

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.emerging import (
    CATEGORIES,
    NO_PATTERN,
    classify,
    emerging,
    fdr_bh,
    space_time_weights,
)

H, C, O = 3.0, -3.0, 0.0  # a hot bin, a cold bin, a not-significant bin (z-scores)

# (pattern of bins, trend direction: +1 significant up, -1 significant down, 0 none, expected category)
CASES = [
    ("OOOOOOOOOH", 0, "New Hot Spot"),
    ("OOOOOOOHHH", 0, "Consecutive Hot Spot"),
    ("OHHHHHHHHH", +1, "Intensifying Hot Spot"),
    ("HHHHHHHHHH", 0, "Persistent Hot Spot"),
    ("HHHHHHHHHO".replace("O", "H"), -1, "Diminishing Hot Spot"),
    ("OHOOHOOHOH", 0, "Sporadic Hot Spot"),
    ("OCOOOOOOHH", 0, "Oscillating Hot Spot"),
    ("HHHHHHHHHO", 0, "Historical Hot Spot"),
    ("OOOOOOOOOC", 0, "New Cold Spot"),
    ("OOOOOOOCCC", 0, "Consecutive Cold Spot"),
    ("OCCCCCCCCC", -1, "Intensifying Cold Spot"),
    ("CCCCCCCCCC", 0, "Persistent Cold Spot"),
    ("CCCCCCCCCC", +1, "Diminishing Cold Spot"),
    ("COOCOCOOOC", 0, "Sporadic Cold Spot"),
    ("HHOOOOOOOC", 0, "Oscillating Cold Spot"),
    ("CCCCCCCCCO", 0, "Historical Cold Spot"),
    ("OOOOOOOOOO", 0, NO_PATTERN),
    ("HHHHHOOOOO", 0, NO_PATTERN),  # hot half the time, not now: not historical (< 90 %)
]


def _series(pattern: str) -> np.ndarray:
    return np.array([{"H": H, "C": C, "O": O}[c] for c in pattern])


def _classify(cases, **kw):
    z = np.vstack([_series(p) for p, _, _ in cases])
    p = 2 * (1 - ndtr(np.abs(z)))
    tz = np.array([3.0 * d for _, d, _ in cases])
    tp = np.where(tz != 0, 0.001, 0.6)
    return classify(z, p, tz, tp, alpha=0.05, trend_alpha=0.05, **kw)


def test_every_category_from_hand_made_series():
    got = _classify(CASES)
    for (pattern, trend, want), cat in zip(CASES, got):
        assert cat == want, (pattern, trend, cat)
    # all 17 categories are exercised
    assert set(got) == set(CATEGORIES)


@pytest.mark.parametrize(
    "pattern,trend,want",
    [
        ("OOOOOOOOHH", 0, "Consecutive Hot Spot"),  # run of exactly 2
        ("OOOOOOOOHO", 0, NO_PATTERN),  # hot once, not now
        ("HOOOOOOOHH", 0, "Sporadic Hot Spot"),  # hot before the final run: not consecutive
        ("CHHHHHHHHH", 0, "Persistent Hot Spot"),  # 90 % hot incl. final, one early cold bin
        ("CHHHHHHHHH", +1, "Intensifying Hot Spot"),
        ("OHHHHHHHHH", -1, "Diminishing Hot Spot"),
        ("COOOOOOOOH", 0, "Oscillating Hot Spot"),  # cold before, hot only now: oscillating, not new
        ("HOOOOOOOOH", 0, "Sporadic Hot Spot"),
        ("HHHHHHHHHC", 0, "Oscillating Cold Spot"),  # final period decides the family
        ("OHHHHHHHHH", 0, "Persistent Hot Spot"),  # exactly 90 % counts as 90 %
        ("OOHHHHHHHH", 0, "Consecutive Hot Spot"),  # 80 %: a long final run, still consecutive
    ],
)
def test_boundary_cases(pattern, trend, want):
    assert _classify([(pattern, trend, want)])[0] == want


def test_trend_direction_needs_significance():
    z = np.vstack([_series("HHHHHHHHHH")] * 2)
    p = 2 * (1 - ndtr(np.abs(z)))
    got = classify(z, p, np.array([2.5, 2.5]), np.array([0.01, 0.2]), alpha=0.05, trend_alpha=0.05)
    assert list(got) == ["Intensifying Hot Spot", "Persistent Hot Spot"]


def test_alpha_threshold_applies_to_bins():
    z = np.vstack([np.r_[np.zeros(9), 1.8]])  # p = 0.072
    p = 2 * (1 - ndtr(np.abs(z)))
    assert classify(z, p, [0.0], [1.0], alpha=0.05)[0] == NO_PATTERN
    assert classify(z, p, [0.0], [1.0], alpha=0.10)[0] == "New Hot Spot"


def test_classify_rejects_bad_shapes_and_levels():
    with pytest.raises(HotpatrolError) as err:
        classify(np.zeros((2, 3)), np.zeros((2, 4)), [0, 0], [1, 1])
    assert err.value.parameter == "z/p"
    with pytest.raises(HotpatrolError) as err:
        classify(np.zeros((2, 3)), np.ones((2, 3)), [0, 0], [1, 1], alpha=5)
    assert err.value.parameter == "alpha"


def test_fdr_bh_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    p = rng.uniform(size=200) ** 3
    assert np.allclose(fdr_bh(p), multipletests(p, method="fdr_bh")[1], atol=1e-12)


def test_space_time_weights_structure():
    # 3 places on a line: 0-1-2
    W = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float))
    st = space_time_weights(W, n_periods=3, time_lag=1).toarray()
    assert st.shape == (9, 9)
    # same period block = W
    assert np.array_equal(st[3:6, 3:6], W.toarray())
    # period 1 looks back to period 0: W plus itself
    assert np.array_equal(st[3:6, 0:3], W.toarray() + np.eye(3))
    # never forward in time, never two steps back with lag 1
    assert not st[0:3, 3:6].any() and not st[6:9, 0:3].any()
    st0 = space_time_weights(W, 3, time_lag=0).toarray()
    assert np.array_equal(st0, np.kron(np.eye(3), W.toarray()))
    with pytest.raises(HotpatrolError):
        space_time_weights(W, 3, time_lag=-1)


def test_emerging_with_precomputed_z_marks_empty_places_not_analysed():
    from hotpatrol.hotspots.cube import SpaceTimeCube

    values = np.zeros((3, 10))
    values[0] = 5
    values[1, -1] = 7
    cube = SpaceTimeCube(values, None)
    z = np.vstack([_series("HHHHHHHHHH"), _series("OOOOOOOOOH"), _series("OOOOOOOOOH")])
    res = emerging(cube, z=z, fdr=False)
    assert list(res.category) == ["Persistent Hot Spot", "New Hot Spot", NO_PATTERN]
    assert list(res.analysed) == [True, True, False]
    frame = res.to_frame()
    assert list(frame["hot_periods"]) == [10, 1, 1]
    assert res.counts().set_index("category").loc["New Hot Spot", "places"] == 1
    assert len(res.cube_frame()) == 30
    assert "Emerging hot spots" in res.summary().as_text()


def test_space_time_gi_flattens_period_by_period():
    from hotpatrol.hotspots.emerging import space_time_gi

    W = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float))
    x = np.arange(12.0).reshape(3, 4)  # 3 places x 4 periods
    # a stand-in "Gi*" returning the space-time lag shows which bins were combined
    got = space_time_gi(x, W, time_lag=1, gi_star=lambda v, Wst: Wst @ v)
    # place 1, period 2: neighbours 0 and 2 now, plus 0, 1, 2 in period 1
    want = x[0, 2] + x[2, 2] + x[0, 1] + x[1, 1] + x[2, 1]
    assert got[1, 2] == want
    # period 0 has no earlier period
    assert got[0, 0] == x[1, 0]


def _queen(side):
    idx = np.arange(side * side).reshape(side, side)
    r, c = [], []
    for i in range(side):
        for j in range(side):
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    if (di or dj) and 0 <= i + di < side and 0 <= j + dj < side:
                        r.append(idx[i, j])
                        c.append(idx[i + di, j + dj])
    return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(side * side, side * side))


@pytest.mark.parametrize("time_lag", [0, 1, 2])
def test_space_time_gi_matches_esda_on_the_explicit_matrix(time_lag):
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    from hotpatrol.hotspots.emerging import space_time_gi

    W = _queen(5)
    T = 6
    x = np.random.default_rng(time_lag).poisson(2, size=(25, T)).astype(float)
    fast = space_time_gi(x, W, time_lag=time_lag)
    # reference: esda's G_Local (Gi*) on the whole flattened cube with the explicit space-time matrix
    Wst = space_time_weights(W, T, time_lag) + sparse.identity(25 * T)
    w = libpysal.weights.WSP(Wst.tocsr()).to_W(silence_warnings=True)
    ref = np.asarray(esda.G_Local(x.T.reshape(-1), w, transform="B", permutations=0, star=None).Zs)
    assert np.abs(fast - ref.reshape(T, 25).T).max() < 1e-10


def test_space_time_gi_matches_hotstats_gi_star_z():
    getis = pytest.importorskip("hotpatrol.hotspots.getis")
    from hotpatrol.hotspots.emerging import space_time_gi

    W = _queen(6)
    x = np.random.default_rng(9).poisson(1, size=(36, 8)).astype(float)
    for lag in (0, 1, 3):
        fast = space_time_gi(x, W, time_lag=lag)
        explicit = space_time_gi(x, W, time_lag=lag, gi_star=getis.gi_star_z)
        assert np.abs(fast - explicit).max() < 1e-10
