"""`hotpatrol ingest` / `hotpatrol info` from the command line: JSON summary, flags, errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hotpatrol.cli import app

from test_ingest_policeuk import HEADER, ROWS, write

runner = CliRunner()


def test_ingest_and_info_json(tmp_path):
    f = write(tmp_path / "2021-03" / "2021-03-kent-street.csv", ROWS)
    db = str(tmp_path / "cli.db")  # a bare path is a SQLite file
    r = runner.invoke(app, ["ingest", str(tmp_path), "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["rows"] == len(ROWS) and out["stored"] + out["quarantined"] == len(ROWS)
    assert out["kinds"]["street"]["reasons"]["no-coordinates"] == 1
    assert out["file_reports"][0]["path"] == str(f)
    info = json.loads(runner.invoke(app, ["info", "--db", db, "--json"]).stdout)
    assert info["counts"]["events"] == out["stored"] and info["forces"] == {"Kent Police": out["stored"]}
    assert sum(info["quarantine"].values()) == out["quarantined"]
    text = runner.invoke(app, ["info", "--db", db])
    assert text.exit_code == 0 and "Kent Police" in text.stdout and "no-coordinates" in text.stdout
    again = json.loads(runner.invoke(app, ["ingest", str(f), "--db", db, "--json"]).stdout)
    assert again["added"]["stored"] == 0 and again["file_reports"][0]["status"] == "already-ingested"


def test_missing_month_error_json(tmp_path):
    header = HEADER.replace("Month,", "")
    f = write(tmp_path / "2021-03-kent-street.csv", [ROWS[0].replace(",2021-03", "", 1)], header=header)
    r = runner.invoke(app, ["ingest", str(f), "--db", str(tmp_path / "e.db"), "--json"])
    assert r.exit_code == 2
    err = json.loads(r.stdout)["error"]
    assert err["file"] == str(f) and err["row"] == 1 and err["column"] == "Month"


def test_force_records_by_flags_and_bad_column(tmp_path):
    f = tmp_path / "rec.csv"
    f.write_text("ref,when,lat,lon,what\nA,2024-05-01 13:45,51.5,-0.12,Robbery\nB,2024-05-01 14:00,0,0,Robbery\n")
    db = str(tmp_path / "r.db")
    r = runner.invoke(app, ["ingest", str(f), "--db", db, "--id", "ref", "--timestamp", "when", "--lat", "lat",
                            "--lon", "lon", "--category", "what", "--name", "cad", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["stored"] == 1 and out["reasons"] == {"at-0-0": 1}
    assert out["kinds"]["force-records"]["files"] == 1
    bad = runner.invoke(app, ["ingest", str(f), "--db", str(tmp_path / "r2.db"), "--id", "reference", "--timestamp", "when",
                              "--lat", "lat", "--lon", "lon", "--category", "what", "--json"])
    assert bad.exit_code == 2
    err = json.loads(bad.stdout)["error"]
    assert err["column"] == "reference" and err["file"] == str(f) and err["parameter"] == "mapping.id"
    none = runner.invoke(app, ["ingest", str(f), "--db", db, "--force-records", "--json"])
    assert none.exit_code == 2 and json.loads(none.stdout)["error"]["parameter"] == "mapping"
