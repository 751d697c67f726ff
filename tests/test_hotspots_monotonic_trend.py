"""Mann-Kendall: agrees with pymannkendall (S, var S with ties, z, p, tau, Sen slope) to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.monotonic_trend import mann_kendall, sen_slope

pmk = pytest.importorskip("pymannkendall")


@pytest.mark.parametrize("kind", ["continuous", "ties", "counts", "trend"])
def test_agrees_with_pymannkendall_on_many_series(kind):
    rng = np.random.default_rng({"continuous": 1, "ties": 2, "counts": 3, "trend": 4}[kind])
    m, T = 300, int(rng.integers(8, 40))
    if kind == "continuous":
        X = rng.normal(size=(m, T))
    elif kind == "ties":
        X = rng.integers(0, 3, size=(m, T)).astype(float)  # many ties
    elif kind == "counts":
        X = rng.poisson(1.5, size=(m, T)).astype(float)
    else:
        X = rng.normal(size=(m, T)) + np.linspace(0, 2, T) * rng.choice([-1, 1], size=(m, 1))
    got = mann_kendall(X)
    for i in range(m):
        ref = pmk.original_test(X[i])
        assert abs(got.s[i] - ref.s) < 1e-10
        assert abs(got.var_s[i] - ref.var_s) < 1e-10
        assert abs(got.z[i] - ref.z) < 1e-10
        assert abs(got.p[i] - ref.p) < 1e-10
        assert abs(got.tau[i] - ref.Tau) < 1e-10
        assert abs(got.slope[i] - ref.slope) < 1e-10


def test_missing_values_match_pymannkendall_skip():
    rng = np.random.default_rng(5)
    X = rng.poisson(2, size=(50, 15)).astype(float)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    got = mann_kendall(X)
    for i in range(50):
        ref = pmk.original_test(X[i])
        assert abs(got.s[i] - ref.s) < 1e-10 and abs(got.var_s[i] - ref.var_s) < 1e-10
        assert abs(got.p[i] - ref.p) < 1e-10


def test_known_values_and_edge_cases():
    res = mann_kendall(np.arange(10.0))
    assert res.s[0] == 45 and res.var_s[0] == 10 * 9 * 25 / 18
    assert res.tau[0] == 1.0 and res.slope[0] == 1.0
    assert res.trend(0.05)[0] == "increasing"
    const = mann_kendall(np.ones(6))
    assert const.s[0] == 0 and const.z[0] == 0 and const.p[0] == 1.0
    assert mann_kendall(np.arange(10.0)[::-1]).trend()[0] == "decreasing"
    assert np.allclose(sen_slope(np.vstack([np.arange(5.0) * 2, np.zeros(5)])), [2.0, 0.0])
    with pytest.raises(HotpatrolError):
        mann_kendall(np.ones(2))


def test_vectorised_over_many_places():
    # speed: bench/trends.py; here the vectorised path must agree with the one-series path
    X = np.random.default_rng(0).poisson(1, size=(50_000, 24)).astype(float)
    res = mann_kendall(X, slope=False)
    assert res.z.shape == (50_000,)
    for i in (0, 12_345, 49_999):
        assert res.z[i] == pytest.approx(mann_kendall(X[i], slope=False).z[0])
