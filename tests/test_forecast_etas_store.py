"""End to end: synthetic county -> ingest into a store -> ``forecast knox|etas --db`` (planted near repeats)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app

runner = CliRunner()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory):
    from hotpatrol.ingest import ingest
    from hotpatrol.synthetic import NEAR_REPEAT, generate_county

    out = tmp_path_factory.mktemp("synth")
    paths = generate_county(scale=0.1, years=2, seed=3).write(out)
    db = str(out / "h.db")
    ingest([paths["force_records"]], db=db, mapping=paths["mapping"])
    police_db = str(out / "police.db")
    ingest(sorted(paths["street"])[:12], db=police_db)  # one year of police.uk street files (months only)
    return db, police_db, NEAR_REPEAT["Burglary"]


def test_knox_finds_planted_near_repeats_from_store(synth_db):
    db, _, _ = synth_db
    res = runner.invoke(app, ["forecast", "knox", "--db", db, "--category", "Burglary", "--permutations", "99",
                              "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    ratio, p = body["knox_ratio"], body["p_value"]
    assert ratio[1][0] > 2.5 and p[1][0] <= 0.02  # within 100 m and a week: strongly over-represented
    assert p[4][0] > 0.5  # beyond 300 m the first week is not


def test_etas_recovers_planted_burglary_near_repeats_from_store(synth_db):
    db, _, (theta, delay, sigma) = synth_db
    res = runner.invoke(app, ["forecast", "etas", "--db", db, "--category", "Burglary", "--json", "--top", "5"])
    assert res.exit_code == 0, res.output
    params = json.loads(res.output)["parameters"]
    assert params["theta"] == pytest.approx(theta, abs=0.12)
    assert params["mean delay (days)"] == pytest.approx(delay, rel=0.5)
    assert params["sigma (m)"] == pytest.approx(sigma, rel=0.4)


def test_monthly_store_data_knox_refused_etas_jittered(synth_db):
    _, police_db, _ = synth_db
    res = runner.invoke(app, ["forecast", "knox", "--db", police_db, "--category", "Burglary", "--json"])
    assert res.exit_code == 2 and "month" in json.loads(res.output)["error"]["message"]
    res = runner.invoke(app, ["forecast", "etas", "--db", police_db, "--category", "Burglary", "--model",
                              "grid-etas", "--horizon", "31D", "--json"])
    assert res.exit_code == 0, res.output
    assert any("middle of their window" in n for n in json.loads(res.output)["notes"])
