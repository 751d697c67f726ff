"""Shift-specific forecasts: a forecast split over shifts by each place's hour-of-week profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast import NaiveForecaster
from hotpatrol.forecast.shifts import hour_weights, place_profiles, shift_forecast
from hotpatrol.timeprofile import DEFAULT_SHIFTS, parse_shift
from hotpatrol.places.crs import to_lonlat
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer


def _events(seed=3):
    """Cell A (near 0,0) has its crime at night (23:00-02:00), cell B (1 km east) in the afternoon."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, 400), unit="D")
    night = days[:200] + pd.to_timedelta(rng.uniform(23, 26, 200), unit="h")
    noon = days[200:] + pd.to_timedelta(rng.uniform(14, 17, 200), unit="h")
    at = night.append(noon)
    x = np.r_[np.full(200, 75.0), np.full(200, 1075.0)] + rng.uniform(-20, 20, 400)
    y = np.full(400, 75.0) + rng.uniform(-20, 20, 400)
    ev = pd.DataFrame({"event_id": [f"e{i}" for i in range(400)], "occurred_at": at, "occurred_from": at,
                       "occurred_to": at, "time_precision": "minute", "x": x, "y": y})
    ev.attrs["crs"] = "EPSG:27700"
    return ev


@pytest.fixture(scope="module")
def setup():
    ev = _events()
    places = PlacesLayer.from_grid(Grid(0.0, 0.0, 150.0, 10, 2, "EPSG:27700"))
    fc = NaiveForecaster().fit(ev, places=places).predict("2024-05-03", "7D")
    return ev, places, fc, place_profiles(ev, places)


def test_shifts_that_tile_the_day_add_up_to_the_forecast(setup):
    _, _, fc, prof = setup
    parts = [shift_forecast(fc, prof, s).risk for s in DEFAULT_SHIFTS]
    np.testing.assert_allclose(np.sum(parts, axis=0), fc.risk, rtol=1e-12)


def test_each_place_gets_its_own_hours(setup):
    ev, places, fc, prof = setup
    a = places.assign(np.array([75.0]), np.array([75.0]))[0]
    b = places.assign(np.array([1075.0]), np.array([75.0]))[0]
    night = shift_forecast(fc, prof, "night").risk
    late = shift_forecast(fc, prof, "late").risk
    # the night crime place keeps most of its risk at night, the afternoon one in the late shift
    assert night[a] / fc.risk[a] > 0.9 and late[b] / fc.risk[b] > 0.9
    assert night.argmax() == a and late.argmax() == b
    assert any(n.startswith("Shift night (22:00-06:00)") for n in shift_forecast(fc, prof, "night").notes)


def test_hour_weights_cover_the_window_and_the_shift():
    w = hour_weights("2024-05-03 00:00", "7D")
    assert w.sum() == pytest.approx(168) and np.allclose(w, 1)
    half = hour_weights("2024-05-03 10:30", "2h")  # Friday 10:30-12:30
    assert half.sum() == pytest.approx(2) and half[4 * 24 + 10] == pytest.approx(0.5)
    night = hour_weights("2024-05-03 00:00", "1D", "night")  # 00:00-06:00 and 22:00-24:00 of Friday
    assert night.sum() == pytest.approx(8)
    odd = hour_weights("2024-05-06 00:00", "1D", "x=09:30-10:15")
    assert odd.sum() == pytest.approx(0.75) and odd[9] == pytest.approx(0.5) and odd[10] == pytest.approx(0.25)


def test_untimed_data_splits_by_hours_and_says_so():
    ev = _events()
    ev["time_precision"] = "month"
    ev["occurred_from"] = ev["occurred_at"].dt.to_period("M").dt.start_time
    ev["occurred_to"] = ev["occurred_from"] + pd.offsets.MonthBegin(1)
    places = PlacesLayer.from_grid(Grid(0.0, 0.0, 150.0, 10, 2, "EPSG:27700"))
    fc = NaiveForecaster().fit(ev, places=places).predict("2024-05-01", "7D")
    late = shift_forecast(fc, place_profiles(ev, places), "late")
    np.testing.assert_allclose(late.risk, fc.risk / 3)
    assert any("no usable time of day" in n for n in late.notes)


def test_bad_shifts():
    with pytest.raises(HotpatrolError, match="Unknown shift"):
        parse_shift("lunch")
    with pytest.raises(HotpatrolError, match="HH:MM"):
        parse_shift("x=9-late")
    with pytest.raises(HotpatrolError, match="length"):
        parse_shift("x=10:00-10:00")


def test_cli_predict_for_a_shift(tmp_path):
    path = tmp_path / "events.csv"
    ev = _events()
    ev["lon"], ev["lat"] = to_lonlat(ev["x"] + 530_000, ev["y"] + 180_000, "EPSG:27700")
    ev.drop(columns=["x", "y"]).to_csv(path, index=False)
    runner = CliRunner()
    whole = runner.invoke(app, ["forecast", "predict", "--events", str(path), "--model", "naive", "--start",
                                "2024-05-03", "--horizon", "7D", "--top", "2", "--json"])
    night = runner.invoke(app, ["forecast", "predict", "--events", str(path), "--model", "naive", "--start",
                                "2024-05-03", "--horizon", "7D", "--top", "2", "--shift", "night", "--json"])
    assert whole.exit_code == 0 and night.exit_code == 0, night.output
    w, n = json.loads(whole.output), json.loads(night.output)
    assert n["model"] == "naive (night)" and n["expected_total"] < w["expected_total"]
    whole_risk = {r["place_id"]: r["risk"] for r in w["rows"]}  # the night place and the afternoon place
    top, second = n["rows"][0], n["rows"][1]
    assert top["risk"] / whole_risk[top["place_id"]] > 0.9  # the night place keeps its risk at night
    assert second["risk"] / whole_risk[second["place_id"]] < 0.1  # the afternoon place loses it
    bad = runner.invoke(app, ["forecast", "predict", "--events", str(path), "--shift", "lunch", "--json"])
    assert bad.exit_code == 2 and json.loads(bad.output)["error"]["parameter"] == "shift"


def test_backtest_a_shift_scores_its_events_and_shows_what_profiles_add():
    from hotpatrol.forecast.backtest import backtest

    ev = _events()
    places = PlacesLayer.from_grid(Grid(0.0, 0.0, 150.0, 10, 2, "EPSG:27700"))
    res = backtest(ev, "naive", places=places, windows=4, horizon="7D", end="2024-04-29", shift="night",
                   top_n=(1,), levels=(0.05,), n_boot=200)
    p = res.pooled.set_index(["model", "level"])
    night = ev["occurred_at"].dt.hour.isin([23, 0, 1])  # the night place's events are the only night events
    in_windows = (ev["occurred_at"] >= "2024-04-01") & (ev["occurred_at"] < "2024-04-29")
    assert p.loc[("naive", "top1"), "total"] == (night & in_windows).sum()
    # with the profile the night place ranks first in every window; without it the busier place does
    assert p.loc[("naive", "top1"), "hit_rate"] == 1.0
    assert p.loc[("naive (all hours)", "top1"), "vs_baseline"] <= 0
    assert res.record["shift"] == ["night", "22:00", "06:00"]
    month = ev.assign(time_precision="day")
    with pytest.raises(HotpatrolError, match="no exact time of day"):
        backtest(month, "naive", places=places, windows=2, horizon="7D", end="2024-04-29", shift="night")
