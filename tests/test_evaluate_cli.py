"""CLI: simulate trial -> dosage -> evaluate, JSON output and the one error shape."""

import json

import pytest
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


@pytest.mark.slow
def test_dosage_and_evaluate_read_a_patrol_plan_folder(tmp_path):
    """A folder from ``hotpatrol plan create`` (PatrolPlan.save): hotspots.csv has place_id, x, y;
    the cell and CRS are in plan.json; the allocation is re-drawn through Allocation.redraw_matrix."""
    from hotpatrol.evaluate.plan_io import load_plan
    from hotpatrol.evaluate.simulate import simulate_pings, simulate_trial
    from hotpatrol.patrol.plan import create_plan

    sim = simulate_trial(seed=4, n=10, k=4, days=28, pings=False)
    sel = sim.hotspots.rename(columns={"hotspot_id": "place_id"})[["place_id", "x", "y"]]
    plan = create_plan(sel, days=28, k=4, seed=9, start=sim.truth["start"], visits=1, teams=2,
                       crs="EPSG:27700", cell=150.0)
    folder = plan.save(tmp_path / "plan")
    p = load_plan(folder)
    assert p.redraw is not None and p.redraw.allocation.sha256 == plan.allocation.sha256
    assert set(p.hotspots.columns) >= {"place_id", "x", "y", "cell", "crs"}
    # officers walk the plan's schedule
    patrols = plan.schedule[["hotspot_id", "start", "end"]].assign(officer_id=plan.schedule["team"].astype(str))
    pings = simulate_pings(patrols, sim.hotspots, seed=1)
    pings.to_csv(tmp_path / "pings.csv", index=False)
    sim.events.to_csv(tmp_path / "events.csv", index=False)
    r = runner.invoke(app, ["dosage", "--pings", str(tmp_path / "pings.csv"), "--plan", str(folder),
                            "--out", str(tmp_path / "dosage.csv"), "--json"])
    assert r.exit_code == 0, r.output
    c = json.loads(r.output)["compliance"]
    assert c["planned_hotspot_days"] == 4 * 28 and c["compliance"] > 0.9 and c["contaminated_hotspot_days"] == 0
    r = runner.invoke(app, ["evaluate", "--events", str(tmp_path / "events.csv"), "--plan", str(folder),
                            "--dosage", str(tmp_path / "dosage.csv"), "--out", str(tmp_path / "eval"),
                            "--permutations", "29", "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["randomisation"]["count"]["permutations"] == 29
    # the simulated crime ignores this plan, so no real effect: the randomisation p is not tiny
    assert out["randomisation"]["count"]["p"] > 0.01


def test_before_after_cli(tmp_path):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    rng = np.random.default_rng(1)
    start = pd.Timestamp("2026-03-02")
    rows = []
    for d in pd.date_range(start - pd.Timedelta(weeks=8), start + pd.Timedelta(weeks=8), freq="D")[:-1]:
        for x0, lam in ((500_000, 3 * (0.3 if d >= start else 1)), (510_000, 3)):
            n = rng.poisson(lam)
            rows.append(pd.DataFrame({"x": x0 + rng.random(n) * 100, "y": 200_000 + rng.random(n) * 100,
                                      "occurred_at": d + pd.Timedelta(hours=12), "category": "Robbery"}))
    ev = pd.concat(rows, ignore_index=True)
    from hotpatrol.places.crs import to_lonlat

    ev["lon"], ev["lat"] = to_lonlat(ev["x"], ev["y"], "EPSG:27700")
    ev.drop(columns=["x", "y"]).to_csv(tmp_path / "ev.csv", index=False)
    for name, x0 in (("t", 500_000), ("c", 510_000)):
        gpd.GeoDataFrame({"name": [name]}, geometry=[shapely.box(x0 - 5, 199_995, x0 + 105, 200_105)],
                         crs="EPSG:27700").to_file(tmp_path / f"{name}.geojson")
    r = runner.invoke(app, ["before-after", "--events", str(tmp_path / "ev.csv"), "--treated", str(tmp_path / "t.geojson"),
                            "--comparison", str(tmp_path / "c.geojson"), "--start", "2026-03-02", "--weeks", "8",
                            "--crs", "EPSG:27700", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["ci_low"] < 0.3 < out["ci_high"] and out["rate_ratio"] < 0.5
