"""``hotpatrol forecast backtest|predict|models`` end to end on a small events file."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast_synth import make_events
from hotpatrol.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("fc") / "events.csv"
    make_events(100, seed=21).drop(columns=["x", "y"]).to_csv(path, index=False)
    return path


def test_backtest_json_out_and_rerun(events_csv, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive,kde",
                              "--windows", "3", "--horizon", "7D", "--out", str(out), "--seed", "4", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    models = {r["model"] for r in payload["pooled"]}
    assert models == {"naive", "kde", "hindsight", "oracle"}
    chance = payload["record"]["chance"]
    assert len(chance["oracle_if_chance"]) == len(chance["levels"]) and 0 < chance["oracle_if_chance"][0] <= 1
    assert payload["record"]["random_state"] == 4 and payload["record"]["data"]["events"] == str(events_csv.resolve())
    assert (out / "run.json").exists() and (out / "coverage.png").exists()
    again = runner.invoke(app, ["forecast", "backtest", "--rerun", str(out / "run.json"), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["pooled"] == payload["pooled"]
    text = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive",
                               "--windows", "2"])
    assert text.exit_code == 0 and "hit 1%" in text.output and "naive" in text.output


def test_backtest_unknown_model_lists_models(events_csv):
    res = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive,etaz", "--json"])
    assert res.exit_code == 2
    err = json.loads(res.output)["error"]
    assert err["parameter"] == "models" and err["given"] == "etaz" and "naive" in err["allowed"]


def test_predict_writes_top_boxes(events_csv, tmp_path):
    out = tmp_path / "boxes.gpkg"
    res = runner.invoke(app, ["forecast", "predict", "--events", str(events_csv), "--model", "kde",
                              "--start", "2024-04-11", "--horizon", "1D", "--top", "7", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert len(payload["rows"]) == 7 and [r["rank"] for r in payload["rows"]] == list(range(1, 8))
    boxes = gpd.read_file(out)
    assert len(boxes) == 7 and boxes.geometry.area.round().eq(150 * 150).all()
    geo = tmp_path / "boxes.geojson"
    res = runner.invoke(app, ["forecast", "predict", "--events", str(events_csv), "--model", "naive",
                              "--start", "2024-04-11", "--top", "3", "--out", str(geo)])
    assert res.exit_code == 0 and geo.exists() and "top 3" in res.output
    bad = runner.invoke(app, ["forecast", "predict", "--events", str(events_csv), "--model", "nope", "--json"])
    assert bad.exit_code == 2 and json.loads(bad.output)["error"]["parameter"] == "model"


def test_predict_a_calendar_month_from_monthly_data(tmp_path):
    path = tmp_path / "monthly.csv"
    make_events(150, seed=5, month_only=True).drop(columns=["x", "y"]).to_csv(path, index=False)
    res = runner.invoke(app, ["forecast", "predict", "--events", str(path), "--model", "naive",
                              "--start", "2024-02-01", "--horizon", "1M", "--top", "5", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert pd.Timedelta(payload["horizon"]) == pd.Timedelta(days=29)  # February 2024
    week = runner.invoke(app, ["forecast", "predict", "--events", str(path), "--model", "naive",
                               "--start", "2024-02-01", "--horizon", "7D", "--top", "5", "--json"])
    ratio = sum(r["risk"] for r in payload["rows"]) / sum(r["risk"] for r in json.loads(week.output)["rows"])
    assert ratio == pytest.approx(29 / 7)


def test_models_lists_registry():
    from hotpatrol.forecast import MODELS

    res = runner.invoke(app, ["forecast", "models", "--json"])
    assert res.exit_code == 0
    assert set(json.loads(res.output)) == set(MODELS)


def test_backtest_model_params_and_baseline(events_csv):
    res = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive,ensemble",
                              "--param", "ensemble.models=[\"naive\", \"kde\"]",
                              "--param", "ensemble.validation_windows=2", "--windows", "2", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    params = payload["record"]["models"]["ensemble"]["params"]
    assert params["validation_windows"] == 2 and params["models"] == ["naive", "kde"]
    ens = [r for r in payload["pooled"] if r["model"] == "ensemble"]
    assert all(r["vs_baseline"] is not None for r in ens) and payload["record"]["baseline"] == "naive"
    bad = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive",
                              "--param", "kde.bandwidth=100", "--json"])
    assert bad.exit_code != 0 and json.loads(bad.output)["error"]["parameter"] == "param"
    unknown = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive",
                                  "--param", "naive.nonsense=1", "--json"])
    assert unknown.exit_code != 0 and "nonsense" in unknown.output
    off = runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive,kde",
                              "--windows", "2", "--baseline", "none", "--json"])
    assert off.exit_code == 0 and json.loads(off.output)["record"]["baseline"] is None


def test_backtest_end_day_is_inclusive_like_every_end(events_csv):
    # --end names the last day (or month) of the last window, inclusive; a time of day is the exclusive instant
    runs = [runner.invoke(app, ["forecast", "backtest", "--events", str(events_csv), "--models", "naive",
                                "--windows", "2", "--horizon", "7D", "--end", end, "--json"])
            for end in ("2024-03-31", "2024-04-01 00:00")]
    for r in runs:
        assert r.exit_code == 0, r.output
    a, b = (json.loads(r.stdout) for r in runs)
    assert a["record"]["end"] == b["record"]["end"] == "2024-04-01 00:00:00"
    assert a["pooled"] == b["pooled"]
