"""One dialect on the CLI: renamed options keep working for one release and warn; defaults come from settings;
every command reads events through the one reader with the same window meaning."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app

from hotspot_helpers import planted_events

runner = CliRunner()


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("dialect") / "events.csv"
    planted_events(np.random.default_rng(0)).drop(columns=["x_true", "y_true"]).to_csv(path, index=False)
    return path


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_hotspots_weight_is_a_deprecated_scheme(events_csv):
    new = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--scheme", "count", "--top", "5",
                                    "--json"]))
    old = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--weight", "count", "--top", "5", "--json"])
    assert "--weight is deprecated" in old.stderr and "--scheme" in old.stderr
    assert _json(old)["top"] == new["top"] and new["top"][0]["value"] == new["top"][0]["count"]
    both = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--scheme", "cchi", "--weight", "count",
                               "--json"])
    assert both.exit_code == 2 and json.loads(both.stdout)["error"]["parameter"] == "--scheme"


def test_hotspots_and_trends_share_default_scheme(events_csv, monkeypatch):
    # one default for every hotspot route: the scheme setting (read when the command runs)
    default = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "concentration",
                                        "--json"]))
    cchi = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "concentration",
                                     "--scheme", "cchi", "--json"]))
    assert default["summary"] == cchi["summary"]
    monkeypatch.setenv("HOTPATROL_SCHEME", "count")
    counted = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "concentration",
                                        "--json"]))
    assert counted["summary"] != cchi["summary"]
    alias = runner.invoke(app, ["trends", "concentration", "--events", str(events_csv), "--json"])
    assert "deprecated" in alias.stderr and "hotspots --method concentration" in alias.stderr
    assert _json(alias)["name"] == "concentration"


def test_env_default_read_at_call_time_and_bad_env_value(events_csv, monkeypatch):
    monkeypatch.setenv("HOTPATROL_TOP", "3")
    res = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "rank", "--json"]))
    assert len(res["top"]) == 3
    monkeypatch.setenv("HOTPATROL_TOP", "three")
    bad = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--method", "rank", "--json"])
    err = json.loads(bad.stdout)["error"]
    assert bad.exit_code == 2 and err["parameter"] == "HOTPATROL_TOP" and err["given"] == "three"
    assert err["allowed"] == "integer"


def test_month_window_is_inclusive_on_the_cli(events_csv):
    ev = pd.read_csv(events_csv)
    march = int((ev["month"] == "2021-03").sum())
    assert 0 < march < len(ev)
    one = _json(runner.invoke(app, ["hotspots", "--events", str(events_csv), "--start", "2021-03", "--end",
                                    "2021-03", "--json"]))
    assert one["meta"]["analysed_events"] == march
    bad = runner.invoke(app, ["hotspots", "--events", str(events_csv), "--start", "2021-04", "--end", "2021-03",
                              "--json"])
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"]["parameter"] == "end"
    missing = runner.invoke(app, ["hotspots", "--events", "/nonexistent/events.csv", "--json"])
    assert missing.exit_code == 2 and json.loads(missing.stdout)["error"]["parameter"] == "events"
    nostore = runner.invoke(app, ["hotspots", "--db", "/nonexistent/store.db", "--json"])
    assert nostore.exit_code == 2 and json.loads(nostore.stdout)["error"]["parameter"] == "db"


def test_plan_select_n_is_a_deprecated_top(tmp_path):
    from test_patrol_select import _table

    _table(40, 2).to_csv(tmp_path / "hot.csv", index=False)
    new = _json(runner.invoke(app, ["plan", "select", "--hotspots", str(tmp_path / "hot.csv"), "--top", "6",
                                    "--json"]))
    old = runner.invoke(app, ["plan", "select", "--hotspots", str(tmp_path / "hot.csv"), "--n", "6", "--json"])
    assert "--n is deprecated" in old.stderr and "--top" in old.stderr
    assert _json(old)["rows"] == new["rows"] and len(new["rows"]) == 6


def test_knox_and_etas_output_is_a_deprecated_out(tmp_path):
    rng = np.random.default_rng(0)
    n = 150
    pd.DataFrame({"x": rng.uniform(0, 3000, n), "y": rng.uniform(0, 3000, n),
                  "occurred_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 200, n), unit="D")}
                 ).to_csv(tmp_path / "pts.csv", index=False)
    for cmd in (["forecast", "knox", "--permutations", "9"],
                ["forecast", "etas", "--model", "grid-etas", "--crs", "EPSG:27700", "--top", "2"]):
        new = runner.invoke(app, [*cmd, "--csv", str(tmp_path / "pts.csv"), "--out", str(tmp_path / "new.csv")])
        old = runner.invoke(app, [*cmd, "--csv", str(tmp_path / "pts.csv"), "--output", str(tmp_path / "old.csv")])
        assert new.exit_code == 0 and old.exit_code == 0, old.output
        assert "--output is deprecated" in old.stderr and "deprecated" not in new.stderr
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "new.csv"), pd.read_csv(tmp_path / "old.csv"))


def test_prepare_weight_keyword_is_a_deprecated_scheme():
    import hotpatrol.hotspots as hs

    ev = planted_events(np.random.default_rng(1))
    new = hs.prepare(ev, scheme="count", cell=150)
    with pytest.warns(FutureWarning, match="scheme"):
        old = hs.prepare(ev, weight="count", cell=150)
    assert np.array_equal(old.values, new.values) and new.weight == "count"
    assert hs.prepare(ev, cell=150).weight == "cchi"  # None: the scheme setting
