"""End to end on the synthetic county: ingest force records -> plan select --db -> plan create --db.

The county plants hotspots with known locations and hour-of-week profiles (night-time economy
hotspots peak 21:00-03:00, most on Friday/Saturday nights), so the plan can be checked against truth.
"""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.patrol.plan import PatrolPlan

runner = CliRunner()


@pytest.fixture(scope="module")
def county_db(tmp_path_factory):
    from hotpatrol.ingest.run import ingest
    from hotpatrol.synthetic.county import generate_county

    tmp = tmp_path_factory.mktemp("synth")
    county = generate_county(scale=0.02, years=1, end="2025-12", seed=3)
    paths = county.write(tmp / "county")
    url = f"sqlite:///{tmp / 'synth.db'}"
    ingest([paths["force_records"]], db=url, mapping=paths["mapping"])
    return county, url, tmp


@pytest.mark.slow
def test_select_and_plan_from_store_match_planted_truth(county_db):
    county, url, tmp = county_db
    r = runner.invoke(app, ["plan", "select", "--db", url, "--top", "8", "--min-spacing", "300",
                            "--out", str(tmp / "sel.csv"), "--json"])
    assert r.exit_code == 0, r.output
    sel = pd.DataFrame(json.loads(r.output)["rows"])
    truth = county.hotspots[["x", "y", "kind"]].to_numpy()
    # the two highest-harm selected cells sit on planted hotspots (within 200 m of a planted centre)
    for row in sel.head(2).itertuples():
        d = np.hypot(truth[:, 0].astype(float) - row.x, truth[:, 1].astype(float) - row.y)
        assert d.min() < 200
    r = runner.invoke(app, ["plan", "create", "--selection", str(tmp / "sel.csv"), "--db", url, "--days", "28",
                            "--k", "3", "--seed", "9", "--start", "2026-01-05", "--out", str(tmp / "plan"),
                            "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    plan = PatrolPlan.load(tmp / "plan")
    assert plan.profile.n_timed.sum() > 100  # force records carry minute times
    # the selected cell nearest a planted night-time-economy hotspot has mostly night risk and night visits
    nte = county.hotspots[county.hotspots["kind"] == "nte"][["x", "y"]].to_numpy(float)
    hs = plan.hotspots
    d = np.hypot(hs["x"].to_numpy()[:, None] - nte[None, :, 0], hs["y"].to_numpy()[:, None] - nte[None, :, 1]).min(axis=1)
    pid = hs["place_id"].iloc[int(np.argmin(d))]
    assert d.min() < 150
    shares = plan.profile.shift_shares().set_index(["place_id", "shift"])["share"]
    assert shares[(pid, "night")] > 0.5
    daily = plan.profile.daily().loc[pid]
    assert daily["Sat"] > daily["Tue"]
    visits = plan.schedule[plan.schedule["hotspot_id"] == pid]
    best = visits.loc[visits.groupby("day")["risk_share"].idxmax(), "start"].dt.hour
    assert ((best >= 21) | (best <= 3)).mean() > 0.8


@pytest.mark.slow
def test_select_with_district_polygons_and_exclusion(county_db):
    county, url, tmp = county_db
    districts = tmp / "county" / "districts.geojson"
    # keep out of a 300 m disc around the top planted hotspot (say, a hospital)
    import geopandas as gpd
    import shapely

    top = county.hotspots.iloc[0]
    zone = gpd.GeoDataFrame({"name": ["hospital"]}, geometry=[shapely.Point(top.x, top.y).buffer(300)], crs="EPSG:27700")
    zone.to_crs(4326).to_file(tmp / "hospital.geojson")
    r = runner.invoke(app, ["plan", "select", "--db", url, "--top", "6", "--districts", str(districts),
                            "--per-district-min", "2", "--exclude", str(tmp / "hospital.geojson"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    rows = pd.DataFrame(out["rows"])
    assert rows["district"].value_counts().min() >= 2
    assert set(rows["district"]) <= set(county.districts["LAD_NM"])
    d = np.hypot(rows["x"] - top.x, rows["y"] - top.y)
    assert (d > 300 - 75 * np.sqrt(2)).all()  # no selected cell touches the zone
    assert out["constraints"]["n_excluded"] > 0
