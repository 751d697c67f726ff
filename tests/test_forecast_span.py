"""The observation span every forecaster divides by, and too little data (issue 16, case 06).

One event recorded to the minute (a 1-minute window, as the store keeps Vancouver VPD rows) used
to make the kde forecast 914 events a week: the span was the minute, not the day. The rule
(docs/forecast.md, "Observation span"): records are complete from the start of the first event's
day to the end of the last event's day, the same for every model, and stated in the notes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import conform
from hotpatrol.forecast import MODELS
from hotpatrol.forecast.etas import ETASForecaster
from hotpatrol.forecast.exposure import MIN_SPAN_DAYS, observation_period
from hotpatrol.forecast.kde import KDEForecaster, RetrospectiveForecaster
from hotpatrol.forecast.smoothing import smooth
from hotpatrol.forecast.timeaxis import to_days
from hotpatrol.places import Grid, PlacesLayer

#: rate models: at least one event, never more than (events per day of data) x horizon days
RATE_MODELS = ("naive", "naive-window", "retrospective", "kde", "prospective")
#: models with a documented larger minimum (HotpatrolError(parameter="events"))
MIN_EVENTS = {"gbm": 10, "etas": 20, "grid-etas": 20, "ensemble": 10}


def _van(n: int, *, minute_window: bool = True) -> pd.DataFrame:
    """The case's Vancouver row (Theft of Bicycle, 2022-01-01 00:00, UTM 10N), plus copies 10 minutes later
    and 300 m east each, recorded to the minute as the store keeps them."""
    t = pd.Timestamp("2022-01-01 00:00") + pd.to_timedelta(10 * np.arange(n), unit="min")
    frame = pd.DataFrame({
        "event_id": [f"v{i}" for i in range(n)], "occurred_from": t, "occurred_at": t,
        "occurred_to": t + pd.Timedelta(minutes=1) if minute_window else pd.NaT,
        "time_precision": "minute", "category": "Theft of Bicycle",
    })
    out = conform(frame)
    out["x"] = 496879.833 + 300.0 * np.arange(n)
    out["y"] = 5450449.5893
    out.attrs["crs"] = "EPSG:32610"
    return out


def test_observation_period_rule():
    day = to_days([pd.Timestamp("2022-01-01")])[0]
    minute = 1 / 1440
    # exact time at midnight and at 23:59: that day
    assert observation_period([day], [day]) == (day, day + 1)
    assert observation_period([day + 1 - minute], [day + 1 - minute]) == (day, day + 1)
    # a 1-minute window (minute precision): that day, not the minute
    assert observation_period([day], [day + minute]) == (day, day + 1)
    # a whole-day window and a month window end where they end
    assert observation_period([day], [day + 1]) == (day, day + 1)
    assert observation_period([day, day + 5.5], [day + 31, day + 5.5]) == (day, day + 31)


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("name", RATE_MODELS)
@pytest.mark.parametrize("minute_window", [True, False])
def test_one_or_two_events_give_at_most_a_rate_per_day(name, n, minute_window):
    events = _van(n, minute_window=minute_window)
    model = MODELS[name](random_state=0).fit(events)
    assert model.fitted_until_ == pd.Timestamp("2022-01-02")
    fc = model.predict("2022-01-02", "7D")
    total = float(fc.risk.sum())
    # n events in one day of data -> n per day over 7 days (the kde's decay makes it slightly less)
    assert 0.9 * 7 * n <= total <= 7 * n + 1e-9, (name, total)
    assert any("Rates are per day of data" in note and "1 day" in note for note in fc.notes)
    assert any("very uncertain" in note for note in fc.notes)


def test_naive_last_counts_the_last_week():
    fc = MODELS["naive-last"]().fit(_van(2)).predict("2022-01-02", "7D")
    assert fc.risk.sum() == pytest.approx(2.0)


@pytest.mark.parametrize("name", sorted(MIN_EVENTS))
def test_models_with_a_minimum_give_the_clear_error(name):
    for n in (1, 2):
        with pytest.raises(HotpatrolError) as err:
            MODELS[name](random_state=0).fit(_van(n)).predict("2022-01-02", "7D")
        assert err.value.parameter == "events"
        assert str(MIN_EVENTS[name]) in str(err.value)


def test_forecast_inside_the_first_day_still_divides_by_a_day():
    events = _van(2)
    for cls in (KDEForecaster, RetrospectiveForecaster, MODELS["naive"], MODELS["prospective"]):
        fc = cls().fit(events).predict("2022-01-01 06:00", "1D")
        # 2 events per day of data for one day (the kde's decay weighting moves it by < 1 %)
        assert fc.risk.sum() == pytest.approx(2 * 1.0 / MIN_SPAN_DAYS, rel=0.01), cls.name


@pytest.mark.filterwarnings("ignore:ETAS. EM did not converge")
def test_etas_uses_the_same_day_rule():
    rng = np.random.default_rng(0)
    t = pd.Timestamp("2023-03-01 09:30") + pd.to_timedelta(np.sort(rng.uniform(0, 40, 60)), unit="D")
    frame = conform(pd.DataFrame({"event_id": [f"e{i}" for i in range(60)], "occurred_from": t, "occurred_at": t,
                                  "category": "Burglary"}))
    frame["x"], frame["y"] = rng.uniform(0, 2000, 60), rng.uniform(0, 2000, 60)
    m = ETASForecaster(random_state=0, max_iter=30).fit(frame)
    assert m.fitted_until_ == t.max().normalize() + pd.Timedelta(days=1)
    assert m.origin_ == pd.Timestamp("2023-03-01")
    assert any("Training period" in note and "end of the last event's day" in note for note in m.notes_)


# ------------------------------------------------------------------ mass-preserving smooths


@pytest.mark.parametrize("kernel,bandwidth", [("quartic", 300.0), ("gaussian", 200.0)])
def test_smooth_preserves_mass_at_the_edge_and_on_partial_grids(kernel, bandwidth):
    grid = Grid(0.0, 0.0, 150.0, 12, 10, "EPSG:27700")
    full = PlacesLayer.from_grid(grid)
    v = np.zeros(full.n)
    v[[0, 11, 65, 119]] = [3.0, 1.0, 2.0, 5.0]  # corners and the middle
    assert smooth(full, v, bandwidth, kernel).sum() == pytest.approx(v.sum(), rel=1e-10)
    ids = np.flatnonzero(np.arange(grid.n_cells) % 3 != 1)  # a grid with holes (cells that are not places)
    part = PlacesLayer.from_grid(grid, ids)
    w = np.random.default_rng(1).poisson(1.0, part.n).astype(float)
    assert smooth(part, w, bandwidth, kernel).sum() == pytest.approx(w.sum(), rel=1e-10)
    one = PlacesLayer.from_grid(Grid(0.0, 0.0, 150.0, 1, 1, "EPSG:27700"))
    assert smooth(one, np.array([4.0]), bandwidth, kernel) == pytest.approx([4.0])


def test_retrospective_keeps_the_mass_of_one_cell():
    """The case's side note: retrospective gave 1.647 for one event on a one-cell grid, not 7."""
    fc = RetrospectiveForecaster().fit(_van(1)).predict("2022-01-02", "7D")
    assert fc.places.n == 1 and fc.risk.sum() == pytest.approx(7.0)


# ------------------------------------------------------------------ the case command


_HEADER = "TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,HUNDRED_BLOCK,NEIGHBOURHOOD,X,Y"


@pytest.mark.parametrize("rows,expect", [(1, 7.0), (2, 14.0)])
def test_case_06_cli(tmp_path, rows, expect):
    from hotpatrol.cli import app

    mapping = Path(__file__).resolve().parents[1] / "docs" / "examples" / "vancouver_vpd.yaml"
    lines = [_HEADER, "Theft of Bicycle,2022,1,1,0,0,30XX E KENT AVE N,Killarney,496879.833,5450449.5893",
             "Theft of Bicycle,2022,1,1,0,10,30XX E KENT AVE N,Killarney,497179.833,5450449.5893"][: rows + 1]
    csv = tmp_path / "van.csv"
    csv.write_text("\n".join(lines) + "\n")
    db = str(tmp_path / "v.db")
    runner = CliRunner()
    r = runner.invoke(app, ["ingest", str(csv), "--force-records", "--mapping", str(mapping), "--db", db])
    assert r.exit_code == 0, r.output
    for model in ("naive", "kde", "retrospective", "prospective"):
        r = runner.invoke(app, ["forecast", "predict", "--db", db, "--model", model, "--start", "2022-01-02",
                                "--horizon", "7D", "--top", "1", "--json"])
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        assert 0.9 * expect <= out["expected_total"] <= expect + 1e-9, (model, out["expected_total"])
        assert any("Rates are per day of data" in n for n in out["notes"])
    r = runner.invoke(app, ["forecast", "predict", "--db", db, "--model", "gbm", "--start", "2022-01-02",
                            "--horizon", "7D", "--json"])
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["parameter"] == "events"


def test_short_history_windows_are_not_stretched_to_a_day():
    """The one-day floor is for short data, not for short windows on long data."""
    base = pd.Timestamp("2022-03-01")
    t = list(base + pd.to_timedelta(np.arange(0, 240, 6), unit="h"))  # every 6 h for 10 days
    t += list(base + pd.Timedelta(days=10) - pd.to_timedelta([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 3.9], unit="h"))
    t = pd.Series(sorted(t))
    ev = conform(pd.DataFrame({"event_id": [f"e{i}" for i in range(len(t))], "occurred_from": t,
                               "occurred_at": t, "category": "Robbery"}))
    ev["x"], ev["y"] = 500000.0, 150000.0
    start = base + pd.Timedelta(days=10)
    # naive-window: the last 4 one-hour periods hold 8 events -> 2 per hour
    fc = MODELS["naive-window"]().fit(ev).predict(start, "1h")
    assert fc.risk.sum() == pytest.approx(2.0)
    # retrospective over the last 0.25 days (6 h): 8 events + the one at 18:00 -> 9 per 6 h
    fc = RetrospectiveForecaster(window=0.25).fit(ev).predict(start, "6h")
    assert fc.risk.sum() == pytest.approx(9.0)
