"""CLI: simulate trial -> dosage -> evaluate, JSON output and the one error shape."""

import json

from typer.testing import CliRunner

from hotpatrol.cli import app

runner = CliRunner()


def test_simulate_dosage_evaluate_round_trip(tmp_path):
    trial = tmp_path / "trial"
    r = runner.invoke(app, ["simulate", "trial", "--out", str(trial), "--n", "10", "--k", "4", "--days", "30",
                            "--effect", "-0.5", "--seed", "3", "--json"])
    assert r.exit_code == 0, r.output
    sim = json.loads(r.output)
    assert sim["truth"]["effect"] == -0.5 and sim["pings"] > 0
    for f in ("allocation.csv", "hotspots.csv", "events.csv", "pings.csv", "patrols.csv", "allocation.json", "truth.json"):
        assert (trial / f).exists()
    r = runner.invoke(app, ["dosage", "--pings", str(trial / "pings.csv"), "--plan", str(trial), "--margin", "25",
                            "--out", str(tmp_path / "dosage.csv"), "--json"])
    assert r.exit_code == 0, r.output
    dos = json.loads(r.output)
    assert dos["compliance"]["planned_hotspot_days"] == 4 * 30
    assert dos["compliance"]["compliance"] > 0.8
    r = runner.invoke(app, ["evaluate", "--events", str(trial / "events.csv"), "--plan", str(trial),
                            "--dosage", str(tmp_path / "dosage.csv"), "--out", str(tmp_path / "eval"),
                            "--permutations", "19", "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.output)
    assert ev["randomisation"]["count"]["permutations"] == 19
    assert ev["pooled"][0]["outcome"] == "count" and ev["pooled"][0]["rate_ratio"] < 1
    assert (tmp_path / "eval" / "report.html").exists()
    # logs instead of pings
    r = runner.invoke(app, ["dosage", "--logs", str(trial / "patrols.csv"), "--plan", str(trial),
                            "--out", str(tmp_path / "d2.csv"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["compliance"]["koper_visits"] == sim["patrols"]


def test_cli_errors_use_the_one_json_shape(tmp_path):
    r = runner.invoke(app, ["dosage", "--pings", str(tmp_path / "nope.csv"), "--hotspots", str(tmp_path / "h.csv"),
                            "--json"])
    assert r.exit_code == 2
    err = json.loads(r.output)["error"]
    assert err["parameter"] == "hotspots"
    r = runner.invoke(app, ["evaluate", "--events", "x.csv", "--json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "plan"
    r = runner.invoke(app, ["simulate", "trial", "--out", str(tmp_path), "--k", "30", "--json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "k"
