"""Rolling-origin backtests: windows, pooling, CIs, run records and re-runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecast_synth import make_events
from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast import NaiveForecaster
from hotpatrol.forecast.backtest import backtest, rerun


@pytest.fixture(scope="module")
def events():
    return make_events(120, seed=11)


@pytest.fixture(scope="module")
def result(events):
    return backtest(events, "naive,kde,prospective", windows=4, horizon="7D", n_boot=200, random_state=1)


def test_windows_are_consecutive_and_end_at_the_data(result, events):
    w = result.windows.drop_duplicates(["model", "window"])
    naive = w[w["model"] == "naive"].sort_values("window")
    assert len(naive) == 4
    assert (naive["end"].iloc[-1]) == events["occurred_at"].max().ceil("D")
    assert (naive["start"].iloc[1:].to_numpy() == naive["end"].iloc[:-1].to_numpy()).all()
    assert ((naive["end"] - naive["start"]) == pd.Timedelta("7D")).all()


def test_test_events_are_counted_once_per_window(result, events):
    w = result.windows.drop_duplicates(["model", "window"])
    totals = w[w["model"] == "naive"]["total"].to_numpy()
    end = events["occurred_at"].max().ceil("D")
    expect = [((events["occurred_at"] >= end - pd.Timedelta(days=7 * (4 - i))) &
               (events["occurred_at"] < end - pd.Timedelta(days=7 * (3 - i)))).sum() for i in range(4)]
    np.testing.assert_array_equal(totals, expect)


def test_pooled_sums_windows_and_oracle_is_perfect(result):
    p = result.pooled.set_index(["model", "level"])
    w = result.windows.groupby(["model", "level"])[["hits", "total"]].sum()
    for key in p.index:
        assert p.loc[key, "hits"] == w.loc[key, "hits"]
        assert p.loc[key, "hit_rate"] == pytest.approx(w.loc[key, "hits"] / w.loc[key, "total"])
        assert p.loc[key, "ci_low"] <= p.loc[key, "hit_rate"] <= p.loc[key, "ci_high"]
    assert (result.pooled.loc[result.pooled["model"] == "oracle", "pei"] == 1).all()
    # every model is at most the oracle at every level
    for lv in ("1%", "5%", "10%"):
        best = p.loc[("oracle", lv), "hit_rate"]
        assert all(p.loc[(m, lv), "hit_rate"] <= best + 1e-12 for m in ("naive", "kde", "prospective"))


def test_summary_table_and_outputs(result, tmp_path):
    text = result.summary().as_text()
    assert "naive" in text and "hit 1%" in text and "oracle" in text
    assert "<table" in result.summary().as_html()
    assert "hit_rate" in result.summary().as_csv() or "hit 1%" in result.summary().as_csv()
    paths = result.write(tmp_path / "bt")
    for p in paths.values():
        assert p.exists() and p.stat().st_size > 0
    assert paths["coverage"].read_bytes()[:4] == b"\x89PNG"
    record = json.loads(paths["run"].read_text())
    assert record["windows"] == 4 and record["horizon"] == "7D" and record["random_state"] == 1
    assert set(record["models"]) == {"naive", "kde", "prospective"}
    assert record["data"]["n_events"] > 0 and len(record["cutoffs"]) == 4
    x, y = result.curves["naive"]
    assert y[0] == 0 and y[-1] == pytest.approx(1) and np.all(np.diff(y) >= -1e-12)


def test_rerun_reproduces_exactly(result, events, tmp_path):
    path = result.write(tmp_path / "bt")["run"]
    again = rerun(path, events)
    pd.testing.assert_frame_equal(again.pooled, result.pooled)


def test_model_instances_labels_and_active_area(events):
    res = backtest(events, {"n1": NaiveForecaster(), "n2": NaiveForecaster(kind="last")}, windows=2, area="active",
                   ci="events", n_boot=100, oracle=False)
    assert set(res.pooled["model"]) == {"n1", "n2"}
    full = backtest(events, "naive", windows=2, n_boot=0, ci="none")
    assert res.record["n_places"] < full.record["n_places"]
    assert res.pooled["ci_low"].notna().all() and full.pooled["ci_low"].isna().all()


def test_bad_input(events):
    with pytest.raises(HotpatrolError) as err:
        backtest(events, "naive,bogus", windows=2)
    assert err.value.parameter == "models" and "naive" in err.value.allowed and err.value.given == "bogus"
    with pytest.raises(HotpatrolError) as err:
        backtest(events, "naive", windows=30, horizon="7D")
    assert err.value.parameter == "windows"
    with pytest.raises(HotpatrolError) as err:
        backtest(events, "naive", windows=0)
    assert err.value.parameter == "windows"
    with pytest.raises(HotpatrolError) as err:
        backtest(events, "naive", windows=2, area="nowhere")
    assert err.value.parameter == "area" and err.value.allowed == ["box", "active"]


def test_month_only_needs_month_windows():
    ev = make_events(240, seed=12, month_only=True)
    with pytest.raises(HotpatrolError) as err:
        backtest(ev, "naive", windows=2, horizon="7D")
    assert err.value.parameter == "horizon" and "1M" in str(err.value.allowed)
    res = backtest(ev, "naive,gbm", windows=2, horizon="1M", n_boot=50)
    w = res.windows.drop_duplicates(["model", "window"])
    assert list(w[w["model"] == "naive"]["start"]) == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-08-01")]
    assert (res.pooled["total"] > 0).all()


def test_ensemble_reuses_member_forecasts(events):
    from hotpatrol.forecast import EnsembleForecaster

    models = {"naive": NaiveForecaster(), "kde": "kde",
              "ensemble": EnsembleForecaster(models=("naive", "kde"))}
    fast = backtest(events, models, windows=2, n_boot=0, ci="none", random_state=3)
    alone = backtest(events, {"ensemble": EnsembleForecaster(models=("naive", "kde"))}, windows=2, n_boot=0,
                     ci="none", random_state=3)
    a = fast.pooled[fast.pooled["model"] == "ensemble"].reset_index(drop=True)
    a = a.drop(columns=[c for c in a if c.startswith("vs_")])  # only `fast` has the naive baseline
    b = alone.pooled[alone.pooled["model"] == "ensemble"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    t = fast.timings.set_index("model")
    assert t.loc["ensemble", "fit_seconds"] == 0.0


def test_hindsight_row_and_chance_oracle_on_steady_poisson_data():
    # known truth: every place's weekly count is Poisson around a fixed rate, so the oracle's lead
    # over hindsight is pure chance and the simulated chance oracle must match the observed one
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    rng = np.random.default_rng(21)
    grid = Grid(0.0, 0.0, 100.0, 20, 20, "EPSG:27700")
    places = PlacesLayer.from_grid(grid)
    rate = rng.gamma(0.6, 1.0, size=places.n)
    days = 7 * 30
    per_cell = rng.poisson(rate / rate.sum() * 60 * days)  # about 60 events a day
    cell = np.repeat(np.arange(places.n), per_cell)
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, days, len(cell)), unit="D")
    ev = pd.DataFrame({"event_id": np.arange(len(cell)).astype(str), "occurred_at": t, "occurred_from": t,
                       "occurred_to": t, "x": (cell % 20 + rng.random(len(cell))) * 100.0,
                       "y": (cell // 20 + rng.random(len(cell))) * 100.0})
    ev.attrs["crs"] = "EPSG:27700"
    res = backtest(ev, "naive", places=places, windows=8, horizon="7D", end="2024-07-29", random_state=2)
    p = res.pooled.set_index(["model", "level"])["hit_rate"]
    chance = res.record["chance"]
    assert chance["levels"] == ["1%", "5%", "10%", "top20"]
    for i, lv in enumerate(chance["levels"]):
        assert chance["hindsight"][i] == pytest.approx(p[("hindsight", lv)])
        assert chance["oracle"][i] == pytest.approx(p[("oracle", lv)])
        assert chance["oracle_if_chance"][i] == pytest.approx(chance["oracle"][i], abs=0.02)
        # with 30 weeks of steady data naive is close to the hindsight rate, and both below the oracle
        assert p[("naive", lv)] == pytest.approx(p[("hindsight", lv)], abs=0.03)
        assert p[("hindsight", lv)] <= p[("oracle", lv)]
    assert any("Poisson chance" in n for n in res.notes)


def test_validated_ensemble_weights_come_from_the_windows_before_the_cut_off(events):
    from hotpatrol.forecast.ensemble import EnsembleForecaster

    cut = pd.Timestamp("2024-04-01")
    train = events[events["occurred_at"] < cut]
    ens = EnsembleForecaster(models=("naive", "kde"), validation_windows=3, random_state=0).fit(train)
    table = ens.validation_
    assert len(table) == 11 and np.allclose([sum(w) for w in table["weights"]], 1)
    best = table["score"].max()
    assert table.loc[[tuple(ens.weights_) == w for w in table["weights"]], "score"].iloc[0] == best
    # a pure-member row scores exactly what a backtest of that member over the same windows scores
    end = ens.fitted_until_.ceil("D")
    for w, name in (((1.0, 0.0), "naive"), ((0.0, 1.0), "kde")):
        ref = backtest(train, name, places=ens.places_, windows=3, horizon="7D", end=end, n_boot=0,
                       random_state=0, oracle=False, top_n=())
        row = table[[tw == w for tw in table["weights"]]].iloc[0]
        for lv in ("1%", "5%", "10%"):
            got = ref.pooled.set_index("level").loc[lv, "hit_rate"]
            assert row[f"hit {lv}"] == pytest.approx(got)
    note = ens.predict(cut, "7D").notes[-1]
    assert note.startswith("weights chosen on the 3 windows before the cut-off")
    with pytest.raises(HotpatrolError, match="validation_windows"):
        EnsembleForecaster(models=("naive", "kde"), validation_windows=-1).fit(train)
    with pytest.raises(HotpatrolError, match="Too little history"):
        EnsembleForecaster(models=("naive", "kde"), validation_windows=40).fit(train)


def test_paired_difference_from_the_baseline(result, events):
    p = result.pooled.set_index(["model", "level"])
    for lv in ("1%", "5%", "10%"):
        d = p.loc[("kde", lv), "hit_rate"] - p.loc[("naive", lv), "hit_rate"]
        assert p.loc[("kde", lv), "vs_baseline"] == pytest.approx(d)
        assert p.loc[("kde", lv), "vs_low"] <= d + 1e-12 <= p.loc[("kde", lv), "vs_high"] + 2e-12
        assert np.isnan(p.loc[("naive", lv), "vs_baseline"])
    assert result.record["baseline"] == "naive"
    assert any("naive" in n and ("Significantly" in n or "No model differs" in n) for n in result.notes)
    none = backtest(events, "kde", windows=2, n_boot=0)
    assert "vs_baseline" not in none.pooled and none.record["baseline"] is None
    with pytest.raises(HotpatrolError, match="baseline"):
        backtest(events, "naive,kde", windows=2, baseline="gbm")
    with pytest.raises(HotpatrolError, match="own rows"):
        backtest(events, {"hindsight": "naive"}, windows=2)


def test_a_stray_far_point_stops_with_a_clear_error(events):
    stray = events.iloc[[0]].copy()
    stray["x"] = stray["x"] + 400_000.0  # 400 km away on both axes: a grid of millions of cells
    stray["y"] = stray["y"] + 400_000.0
    stray["event_id"] = "stray"
    both = pd.concat([events, stray], ignore_index=True)
    both.attrs = dict(events.attrs)
    with pytest.raises(HotpatrolError, match=r"all but \d+ of 1,\d+ points lie within 3 km x 3 km") as err:
        backtest(both, "naive", windows=2)
    assert "--boundary" in str(err.value.fix)


def test_validated_ensemble_on_monthly_data_uses_calendar_months():
    from hotpatrol.forecast.ensemble import EnsembleForecaster

    monthly = make_events(200, seed=7, month_only=True)
    ens = EnsembleForecaster(models=("naive", "kde"), validation_windows=2, horizon="31D", random_state=0)
    ens.fit(monthly)
    end = pd.Timestamp(ens.fitted_until_)
    ref = backtest(monthly, "naive", places=ens.places_, windows=2, horizon="1M", end=end, n_boot=0,
                   random_state=0, oracle=False, top_n=())
    row = ens.validation_[[w == (1.0, 0.0) for w in ens.validation_["weights"]]].iloc[0]
    for lv in ("1%", "5%", "10%"):
        assert row[f"hit {lv}"] == pytest.approx(ref.pooled.set_index("level").loc[lv, "hit_rate"])
