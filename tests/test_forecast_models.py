"""Behaviour of each hotpatrol forecaster beyond the shared contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import make_events

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import conform
from hotpatrol.forecast import (
    EnsembleForecaster,
    GBMForecaster,
    KDEForecaster,
    NaiveForecaster,
    ProspectiveForecaster,
    RetrospectiveForecaster,
)
from hotpatrol.forecast.smoothing import smooth
from hotpatrol.places import Grid, PlacesLayer

GRID = Grid(0.0, 0.0, 100.0, 10, 10, "EPSG:27700")
PLACES = PlacesLayer.from_grid(GRID)


def table(rows):
    """rows: (x, y, timestamp[, category])"""
    frame = pd.DataFrame({
        "event_id": [f"r{i}" for i in range(len(rows))],
        "x": [r[0] for r in rows], "y": [r[1] for r in rows],
        "occurred_at": pd.to_datetime([pd.Timestamp(r[2]) for r in rows]),
        "category": [r[3] if len(r) > 3 else "Burglary" for r in rows],
    })
    frame["occurred_from"] = frame["occurred_at"]
    out = conform(frame)
    out.attrs["crs"] = "EPSG:27700"
    return out


def test_naive_all_is_long_run_rate():
    ev = table([(50, 50, "2024-01-01"), (50, 50, "2024-01-06"), (250, 50, "2024-01-11")])
    fc = NaiveForecaster().fit(ev, places=PLACES).predict("2024-01-11", "7D")
    span = (pd.Timestamp("2024-01-11") - pd.Timestamp("2024-01-01")).days
    # the last event (at the start instant) is not before the start
    assert fc.risk[0] == pytest.approx(2 / span * 7)
    assert fc.risk[2] == 0
    fc2 = NaiveForecaster().fit(ev, places=PLACES).predict("2024-01-12", "7D")
    assert fc2.risk[2] > 0 and fc2.risk.sum() == pytest.approx(3 / 11 * 7)  # data run to the end of Jan 11


def test_naive_last_and_window():
    ev = table([(50, 50, "2024-01-02"), (50, 50, "2024-01-19"), (150, 50, "2024-01-25"), (150, 50, "2024-01-26")])
    last = NaiveForecaster(kind="last").fit(ev, places=PLACES).predict("2024-01-27", "7D")
    assert last.risk[0] == 0 and last.risk[1] == 2
    win = NaiveForecaster(kind="window", periods=2).fit(ev, places=PLACES).predict("2024-01-27", "7D")
    assert win.risk[0] == pytest.approx(0.5) and win.risk[1] == pytest.approx(1.0)
    assert last.model == "naive-last" and win.model == "naive-window"


def test_harm_weighting():
    ev = table([(50, 50, "2024-01-01", "Robbery"), (150, 50, "2024-01-02", "Shoplifting"),
                (150, 50, "2024-01-03", "Shoplifting")])
    fc = NaiveForecaster(weight="cchi").fit(ev, places=PLACES).predict("2024-01-04", "3D")
    assert fc.risk[0] > fc.risk[1] > 0  # one robbery outweighs two shop thefts
    with pytest.raises(HotpatrolError) as err:
        NaiveForecaster(weight="no-such-scheme").fit(ev, places=PLACES)
    assert err.value.parameter == "weight" and err.value.given == "no-such-scheme"


def test_prospective_matches_bowers_formula():
    start = pd.Timestamp("2024-03-01")
    rows = [(450, 450, start - pd.Timedelta(days=2)), (450, 450, start - pd.Timedelta(days=10)),
            (750, 450, start - pd.Timedelta(days=20)), (150, 150, start - pd.Timedelta(days=70))]
    ev = table(rows)
    fc = ProspectiveForecaster(bandwidth=400, window=8, cell=100).fit(ev, places=PLACES).predict(start, "7D")
    # brute force: sum over events within 400 m and < 8 weeks of 1/(1+d cells) * 1/(1+weeks)
    expect = np.zeros(PLACES.n)
    for x, y, t in rows:
        weeks = np.floor((start - t).days / 7)
        if weeks >= 8:
            continue
        col, row = int(x // 100), int(y // 100)
        ex, ey = col * 100 + 50, row * 100 + 50
        d = np.hypot(PLACES.x - ex, PLACES.y - ey)
        expect += np.where(d <= 400, 1 / (1 + d / 100), 0) / (1 + weeks)
    np.testing.assert_allclose(fc.risk / fc.risk.sum(), expect / expect.sum(), rtol=1e-9, atol=1e-12)


def test_prospective_falls_back_when_window_is_empty():
    ev = table([(50, 50, "2023-01-01"), (50, 50, "2023-01-02")])
    fc = ProspectiveForecaster(cell=100).fit(ev, places=PLACES).predict("2024-01-01", "7D")
    assert fc.risk[0] > 0 and any("fell back" in n for n in fc.notes)


def test_kde_time_decay_favours_recent_events():
    ev = table([(150, 150, "2024-01-01")] * 1 + [(850, 850, "2024-03-01")])
    ev["event_id"] = ["a", "b"]
    decayed = KDEForecaster(bandwidth=100, time_scale=7).fit(ev, places=PLACES).predict("2024-03-02", "7D")
    flat = KDEForecaster(bandwidth=100, time_scale=None).fit(ev, places=PLACES).predict("2024-03-02", "7D")
    i_old, i_new = GRID.cell_id([150], [150])[0], GRID.cell_id([850], [850])[0]
    assert decayed.risk[i_new] > 100 * decayed.risk[i_old]
    assert flat.risk[i_new] == pytest.approx(flat.risk[i_old])


def test_smoothing_preserves_mass_on_grid_and_other_layers():
    v = np.zeros(PLACES.n)
    v[GRID.cell_id([450], [450])[0]] = 4.0
    out = smooth(PLACES, v, 150.0, "gaussian")
    assert out.sum() == pytest.approx(4.0, rel=1e-6) and out.argmax() == v.argmax()
    # a non-grid layer (same centroids, no grid) uses the sparse path and also keeps the mass
    pts = PlacesLayer("locations", PLACES.place_id, PLACES.x, PLACES.y, "EPSG:27700", _assign=PLACES.assign)
    out2 = smooth(pts, v, 150.0, "gaussian")
    assert out2.sum() == pytest.approx(4.0) and out2.argmax() == v.argmax()
    np.testing.assert_allclose(out2, out, atol=0.02)


def test_retrospective_window_limits_history():
    ev = table([(150, 150, "2024-01-01"), (850, 850, "2024-03-01")])
    fc = RetrospectiveForecaster(bandwidth=150, window=30).fit(ev, places=PLACES).predict("2024-03-02", "7D")
    assert fc.risk[GRID.cell_id([150], [150])[0]] == 0 and fc.risk[GRID.cell_id([850], [850])[0]] > 0


def test_month_only_times_are_spread_over_the_month():
    ev = make_events(120, seed=3, month_only=True)
    fc = NaiveForecaster().fit(ev).predict("2024-05-01", "7D")
    days = (pd.Timestamp("2024-05-01") - pd.Timestamp("2024-01-01")).days
    assert fc.risk.sum() == pytest.approx(len(ev) / days * 7, rel=1e-6)
    assert any("month" in n for n in fc.notes)
    last = NaiveForecaster(kind="last").fit(ev).predict("2024-05-01", "7D")
    april = (ev["month"] == "2024-04").sum()
    assert last.risk.sum() == pytest.approx(april * 7 / 30)


def test_duplicates_are_counted_and_noted():
    ev = table([(50, 50, "2024-01-01 10:00")] * 3 + [(450, 450, "2024-01-03")])
    ev["event_id"] = list("abcd")
    fc = NaiveForecaster().fit(ev, places=PLACES).predict("2024-01-04", "1D")
    assert fc.risk[0] == pytest.approx(3 * fc.risk[GRID.cell_id([450], [450])[0]])
    assert any("share place and time" in n for n in fc.notes)


def test_too_few_events_and_start_before_data():
    with pytest.raises(HotpatrolError) as err:
        NaiveForecaster().fit(table([]), places=PLACES)
    assert err.value.parameter == "events" and err.value.given == 0
    with pytest.raises(HotpatrolError) as err:
        GBMForecaster().fit(table([(50, 50, "2024-01-01")] * 3), places=PLACES)
    assert err.value.parameter == "events"
    m = NaiveForecaster().fit(table([(50, 50, "2024-01-05")]), places=PLACES)
    with pytest.raises(HotpatrolError) as err:
        m.predict("2023-12-01", "7D")
    assert err.value.parameter == "start"


def test_horizon_longer_than_the_data():
    ev = make_events(60, seed=4)
    with pytest.raises(HotpatrolError) as err:
        GBMForecaster(horizon="30D").fit(ev)
    assert err.value.parameter == "horizon" and "30 days" in str(err.value.given)
    fc = NaiveForecaster().fit(ev).predict(ev["occurred_at"].max(), "90D")
    assert any("longer than the training data" in n for n in fc.notes)


def test_gbm_learns_persistent_hotspots_and_takes_covariates():
    ev = make_events(140, seed=5)
    start = ev["occurred_at"].max().ceil("D")
    gbm = GBMForecaster(random_state=0).fit(ev)
    fc = gbm.predict(start, "7D")
    hot = gbm.places_.assign(np.array([530_600.0, 532_100.0]), np.array([180_600.0, 180_900.0]))
    top = set(fc.top(20))
    assert set(hot) <= top  # the persistent hotspots are among the top 20 cells
    assert len(gbm.train_cutoffs_) == 12 and "rate_all" in gbm.feature_names_
    cov = pd.DataFrame({"lit": np.arange(gbm.places_.n, dtype=float)}, index=gbm.places_.place_id)
    with_cov = GBMForecaster(random_state=0, covariates=cov).fit(ev, places=gbm.places_)
    assert "cov_lit" in with_cov.feature_names_
    with pytest.raises(HotpatrolError) as err:
        GBMForecaster(covariates=[1, 2]).fit(ev, places=gbm.places_)
    assert err.value.parameter == "covariates"


def test_gbm_month_only_uses_calendar_months():
    ev = make_events(240, seed=6, month_only=True)
    gbm = GBMForecaster(horizon="31D", random_state=0).fit(ev)
    assert all(t.day == 1 and t.hour == 0 for t in gbm.train_cutoffs_)
    fc = gbm.predict("2024-09-01", "30D")
    assert fc.risk.sum() > 0 and not any("rescaled" in n for n in fc.notes)


def test_ensemble_rank_orders_by_mean_rank():
    ev = make_events(100, seed=7)
    start = ev["occurred_at"].max().ceil("D")
    ens = EnsembleForecaster(models=("naive", "kde"), method="rank", random_state=0).fit(ev)
    fc = ens.predict(start, "7D")
    a, b = (m.predict(start, "7D").risk for m in ens.members_)
    from scipy.stats import rankdata

    score = rankdata(a) + rankdata(b)
    order = fc.ranking()
    assert np.all(np.diff(score[order]) <= 1e-9)  # non-increasing mean rank
    assert fc.risk.sum() == pytest.approx((a.sum() + b.sum()) / 2)
    with pytest.raises(HotpatrolError) as err:
        EnsembleForecaster(models=("naive", "nope")).fit(ev)
    assert err.value.parameter == "models" and "kde" in err.value.allowed
