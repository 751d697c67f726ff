"""Hit rate, PAI, PEI, PEI*, RRI on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.base import Forecast
from hotpatrol.forecast.metrics import (
    cells_for,
    chance_oracle,
    counts_at,
    coverage_curve,
    evaluate,
    hit_rate,
    pai,
    pei,
    pei_star,
    rri,
)
from hotpatrol.places import Grid, PlacesLayer

# 10 places; the forecast ranks 0,1,2,... ; events happen at places 0 (2), 1 (0), 5 (3), 9 (5)
ORDER = np.arange(10)
ACTUAL = np.zeros(10)
ACTUAL[[0, 5, 9]] = [2, 3, 5]


def test_hit_rate_and_pai_by_hand():
    # top 20 % = places 0,1 -> 2 of 10 events
    assert hit_rate(ORDER, ACTUAL, 0.2) == pytest.approx(0.2)
    assert pai(ORDER, ACTUAL, 0.2) == pytest.approx(0.2 / 0.2)
    # top 60 %: places 0..5 -> 5 events
    assert hit_rate(ORDER, ACTUAL, 0.6) == pytest.approx(0.5)
    assert pai(ORDER, ACTUAL, 0.6) == pytest.approx(0.5 / 0.6)


def test_pei_and_pei_star_by_hand():
    # k=2: hits 2, best two places hold 5+3=8 -> PEI 0.25; one place (9, with 5) beats 2 hits -> PEI* 1/2
    assert pei(ORDER, ACTUAL, 0.2) == pytest.approx(2 / 8)
    assert pei_star(ORDER, ACTUAL, 0.2) == pytest.approx(1 / 2)
    # k=6: hits 5; best six hold all 10; a* = 1 (place 9 alone has 5)
    assert pei(ORDER, ACTUAL, 0.6) == pytest.approx(0.5)
    assert pei_star(ORDER, ACTUAL, 0.6) == pytest.approx(1 / 6)


def test_rri_by_hand():
    ref = np.ones(10)
    ref[0] = 11  # 20 reference events, top-2 hold 12 -> 0.6
    assert rri(ORDER, ACTUAL, ref, 0.2) == pytest.approx(0.2 / 0.6)


def test_oracle_scores_one():
    best = np.argsort(-ACTUAL, kind="stable")
    c = counts_at(best, ACTUAL, 3)
    assert c["hits"] == c["oracle_hits"] == 10
    frame = evaluate(best, ACTUAL, levels=(0.1, 0.3), top_n=(2,))
    assert list(frame["level"]) == ["10%", "30%", "top2"]
    assert frame["pei"].tolist() == [1.0, 1.0, 1.0]
    assert frame["pei_star"].tolist() == [1.0, 1.0, 1.0]


def test_cells_for_levels():
    assert cells_for(0.01, 4489) == 45
    assert cells_for(0.001, 100) == 1
    with pytest.raises(HotpatrolError) as err:
        cells_for(1.5, 10)
    assert err.value.parameter == "levels" and err.value.given == 1.5


def test_actual_checked():
    with pytest.raises(HotpatrolError) as err:
        hit_rate(ORDER, np.ones(3), 0.1)
    assert err.value.parameter == "actual"
    with pytest.raises(HotpatrolError):
        hit_rate(ORDER, -ACTUAL, 0.1)


def test_coverage_curve_monotone_to_one():
    x, y = coverage_curve(ORDER, ACTUAL, points=11)
    assert x[0] == 0 and y[0] == 0 and y[-1] == pytest.approx(1)
    assert np.all(np.diff(y) >= 0)
    assert y[1] == pytest.approx(0.2)  # first place holds 2 of 10


def test_forecast_ties_broken_fairly_and_reproducibly():
    grid = Grid(0.0, 0.0, 150.0, 10, 10, "EPSG:27700")
    places = PlacesLayer.from_grid(grid)
    risk = np.zeros(100)
    risk[:3] = [5, 5, 1]
    firsts = set()
    for seed in range(40):
        fc = Forecast("t", places, risk, None, None, [], seed)
        order = fc.ranking()
        assert set(order[:2]) == {0, 1} and order[2] == 2
        firsts.add(int(order[3]))
        np.testing.assert_array_equal(order, Forecast("t", places, risk, None, None, [], seed).ranking())
    assert len(firsts) > 10  # zero-risk places are drawn at random, not in index order


def test_chance_oracle_without_noise_is_the_rate_ranking():
    # with huge windows Poisson chance vanishes: the oracle equals ranking by the true rate
    rate = np.random.default_rng(3).gamma(0.5, 1.0, size=400)
    ks = [4, 20, 40]
    got = chance_oracle(rate, [1e9, 1e9], ks, n_sim=5, random_state=0)
    share = np.cumsum(np.sort(rate)[::-1]) / rate.sum()
    np.testing.assert_allclose(got, share[np.array(ks) - 1], rtol=1e-3)


def test_chance_oracle_matches_a_direct_simulation_and_exceeds_the_rate_when_sparse():
    rng = np.random.default_rng(4)
    rate = rng.gamma(0.5, 1.0, size=500)
    totals = [300.0, 250.0]
    got = chance_oracle(rate, totals, [5, 25], n_sim=400, random_state=1)
    # independent estimate: windows drawn one at a time, oracle = best k cells of each draw
    hits, events = np.zeros(2), 0.0
    for _ in range(400):
        for t in totals:
            c = np.sort(rng.poisson(rate / rate.sum() * t))[::-1]
            hits += [c[:5].sum(), c[:25].sum()]
            events += c.sum()
    np.testing.assert_allclose(got, hits / events, rtol=0.02)
    share = np.cumsum(np.sort(rate)[::-1]) / rate.sum()
    assert got[0] > share[4] + 0.02  # chance alone lifts the oracle above the true-rate ranking


def test_chance_oracle_bad_input():
    with pytest.raises(HotpatrolError, match="positive sum"):
        chance_oracle(np.zeros(5), [10], [1])
    with pytest.raises(HotpatrolError, match="non-negative"):
        chance_oracle(np.array([1.0, -1.0]), [10], [1])
