"""CLI: hotpatrol forecast knox."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app

NRC = "timestamped_chicago_2016_burglary_arson_nearrepeat"
runner = CliRunner()


def test_knox_cli_on_nrc_input(shared_data, tmp_path):
    src = shared_data / NRC / "chicago_be_month1_nrc_input_noheader.csv"
    out = tmp_path / "bands.csv"
    res = runner.invoke(app, ["forecast", "knox", "--csv", str(src), "--spatial-bands", "100", "--n-spatial", "3",
                              "--temporal-bands", "7", "--n-temporal", "3", "--permutations", "19", "--nrc",
                              "--json", "--out", str(out), "--plot", str(tmp_path / "knox.png")])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    assert body["n_events"] == 970
    assert (tmp_path / "knox.png").stat().st_size > 5000
    assert body["observed"][1] == [44, 13, 8, 4]  # NRC: 1 to 100 m row
    assert body["observed"][0] == [28, 5, 5, 2]
    table = pd.read_csv(out)
    assert len(table) == 20 and table["observed"].sum() == 970 * 969 // 2


def test_knox_cli_text_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    pd.DataFrame({"X": rng.uniform(0, 3000, n), "Y": rng.uniform(0, 3000, n),
                  "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")}
                 ).to_csv(tmp_path / "pts.csv", index=False)
    res = runner.invoke(app, ["forecast", "knox", "--csv", str(tmp_path / "pts.csv"), "--permutations", "9"])
    assert res.exit_code == 0, res.output
    assert "Knox ratio" in res.output and "p-values" in res.output
    res = runner.invoke(app, ["forecast", "knox", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["error"]["parameter"] == "--db/--csv"
    res = runner.invoke(app, ["forecast", "knox", "--csv", str(tmp_path / "pts.csv"), "--metric", "cosine", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["error"]["parameter"] == "metric"
    res = runner.invoke(app, ["forecast", "knox", "--csv", str(tmp_path / "nope.csv"), "--json"])
    assert res.exit_code == 2 and "not found" in json.loads(res.output)["error"]["message"]


def test_etas_cli_fits_and_forecasts(tmp_path):
    from hotpatrol.forecast.etas_simulation import simulate_etas

    sim = simulate_etas(mu=3.0, theta=0.5, omega=0.2, sigma=50.0, days=365, bounds=(500_000, 170_000, 510_000, 180_000),
                        random_state=4)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(sim["t"], unit="D")
    pd.DataFrame({"x": sim["x"], "y": sim["y"], "occurred_at": when}).to_csv(tmp_path / "ev.csv", index=False)
    out = tmp_path / "fc.csv"
    res = runner.invoke(app, ["forecast", "etas", "--csv", str(tmp_path / "ev.csv"), "--crs", "EPSG:27700",
                              "--start", "2024-12-01", "--horizon", "7D", "--top", "3", "--json",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    assert body["converged"] and 0.35 < body["parameters"]["theta"] < 0.65
    assert body["start"].startswith("2024-12-01") and len(body["top"]) == 3
    frame = pd.read_csv(out)
    assert frame["risk"].sum() == pytest.approx(body["expected_total"])
    assert list(frame["rank"][:3]) == [1, 2, 3]
    res = runner.invoke(app, ["forecast", "etas", "--csv", str(tmp_path / "ev.csv"), "--model", "grid-etas",
                              "--top", "2"])
    assert res.exit_code == 0 and "Grid ETAS" in res.output and "mean delay" in res.output
    res = runner.invoke(app, ["forecast", "etas", "--csv", str(tmp_path / "ev.csv"), "--model", "hawkes", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["error"]["parameter"] == "--model"
