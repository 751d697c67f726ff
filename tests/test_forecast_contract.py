"""The forecasting contract, checked for every model in hotpatrol.forecast.MODELS.

Models registered by any branch are picked up automatically. A numeric parameter that may
legitimately be -1 goes in ALLOW_NEGATIVE; a string parameter that takes free text in FREE_TEXT.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from forecast_synth import make_events
from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast import MODELS
from hotpatrol.forecast.base import Forecast, NotFittedError
from hotpatrol.places import Grid, PlacesLayer

ALLOW_NEGATIVE: set[tuple[str, str]] = set()
FREE_TEXT: set[tuple[str, str]] = set()
NAMES = sorted(MODELS)


@pytest.fixture(scope="module")
def events():
    return make_events(140, seed=1)


@pytest.fixture(scope="module")
def places(events):
    grid = Grid.covering(events["x"], events["y"], cell=150, crs="EPSG:27700")
    return PlacesLayer.from_grid(grid)


@pytest.fixture(scope="module")
def fitted(events, places):
    return {name: MODELS[name](random_state=0).fit(events, places=places) for name in NAMES}


def _start(events):
    return events["occurred_at"].max().ceil("D")


@pytest.mark.parametrize("name", NAMES)
def test_init_is_keyword_only_and_only_stores(name):
    cls = MODELS[name]
    params = inspect.signature(cls.__init__).parameters
    assert all(p.kind == p.KEYWORD_ONLY for n, p in params.items() if n != "self"), "settings must be keyword-only"
    assert "random_state" in params
    sentinels = {n: object() for n in params if n != "self"}
    model = cls(**sentinels)  # no validation in __init__: any value is accepted and stored as is
    got = model.get_params()
    assert set(got) == set(sentinels)
    assert all(got[n] is sentinels[n] for n in sentinels)


@pytest.mark.parametrize("name", NAMES)
def test_get_set_params_round_trip(name):
    cls = MODELS[name]
    model = cls(random_state=7)
    clone = cls(**model.get_params())
    assert clone.get_params() == model.get_params()
    assert model.set_params(random_state=3) is model
    assert model.get_params()["random_state"] == 3
    with pytest.raises(HotpatrolError) as err:
        model.set_params(no_such_setting=1)
    assert err.value.parameter == "no_such_setting"
    assert "random_state" in err.value.allowed
    assert repr(model).startswith(cls.__name__ + "(")


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_raises(name, events):
    with pytest.raises(NotFittedError):
        MODELS[name]().predict(_start(events), "7D")


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_fitted_attributes_end_in_underscore(name, events, places):
    model = MODELS[name](random_state=0)
    before = set(vars(model))
    assert model.fit(events, places=places) is model
    new = set(vars(model)) - before
    assert new, "fit must set fitted attributes"
    assert all(a.endswith("_") for a in new), f"fitted attributes must end in '_': {sorted(new)}"
    assert model.places_ is places
    assert isinstance(model.fitted_until_, pd.Timestamp)
    assert model.get_params()["random_state"] == 0  # fit does not change settings


@pytest.mark.parametrize("name", NAMES)
def test_predict_returns_finite_nonnegative_forecast(name, fitted, events, places):
    fc = fitted[name].predict(_start(events), "7D")
    assert isinstance(fc, Forecast)
    assert fc.risk.shape == (places.n,)
    assert np.all(np.isfinite(fc.risk)) and (fc.risk >= 0).all()
    assert fc.risk.sum() > 0
    assert fc.horizon == pd.Timedelta("7D")
    # the forecast is an expected count of the same order as the recent weekly total
    weekly = len(events) / 140 * 7
    assert 0.2 * weekly < fc.risk.sum() < 5 * weekly
    frame = fc.to_frame()
    assert list(frame["rank"]) == list(range(1, places.n + 1))


@pytest.mark.parametrize("name", NAMES)
def test_same_random_state_same_output(name, events, places):
    a = MODELS[name](random_state=5).fit(events, places=places).predict(_start(events), "7D")
    b = MODELS[name](random_state=5).fit(events, places=places).predict(_start(events), "7D")
    np.testing.assert_array_equal(a.risk, b.risk)
    np.testing.assert_array_equal(a.ranking(), b.ranking())


@pytest.mark.parametrize("name", NAMES)
def test_risk_integrates_over_the_horizon(name, fitted, events):
    model = fitted[name]
    start = _start(events)
    short = model.predict(start, "1D").risk
    week = model.predict(start, "7D").risk
    fortnight = model.predict(start, "14D").risk
    assert week.sum() > short.sum()
    assert (week >= short - 1e-9).all() and (fortnight >= week - 1e-9).all()
    assert fortnight.sum() > week.sum()


@pytest.mark.parametrize("name", NAMES)
def test_errors_name_parameter_allowed_and_given(name, events, places):
    cls = MODELS[name]
    with pytest.raises(HotpatrolError) as err:
        cls().fit("not a table")
    assert err.value.parameter == "events" and err.value.given is not None
    fitted = cls(random_state=0).fit(events, places=places)
    with pytest.raises(HotpatrolError) as err:
        fitted.predict(_start(events), "-3D")
    assert err.value.parameter == "horizon" and err.value.allowed is not None and err.value.given is not None
    with pytest.raises(HotpatrolError) as err:
        fitted.predict("not a date", "7D")
    assert err.value.parameter == "start" and err.value.allowed is not None
    defaults = cls().get_params()
    checked = 0
    for param, value in defaults.items():
        if param == "random_state":
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (name, param) not in ALLOW_NEGATIVE:
            bad = -1
        elif isinstance(value, str) and (name, param) not in FREE_TEXT:
            bad = "no-such-option"
        else:
            continue
        with pytest.raises(HotpatrolError) as err:
            cls(**{param: bad}).fit(events)
        e = err.value
        assert e.parameter == param, f"{name}: error for {param}={bad!r} names {e.parameter!r}"
        assert e.allowed is not None and e.given is not None, f"{name}.{param}: say what is allowed and given"
        checked += 1
    assert checked >= 1
