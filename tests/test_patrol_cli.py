import json

import pandas as pd
from typer.testing import CliRunner

from hotpatrol.cli import app
from test_patrol_plan import _events, _selection
from test_patrol_select import _table

runner = CliRunner()


def test_plan_select_cli_writes_selection(tmp_path):
    _table(40, 2).to_csv(tmp_path / "hot.csv", index=False)
    r = runner.invoke(app, ["plan", "select", "--hotspots", str(tmp_path / "hot.csv"), "--top", "8",
                            "--min-spacing", "200", "--per-district-min", "2", "--capacity-hours", "6", "--k", "4",
                            "--out", str(tmp_path / "sel.csv"), "--json"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.output)
    assert len(payload["rows"]) == 8 and payload["optimal"]
    assert {c["constraint"] for c in payload["constraint_costs"]} == {"spacing", "district_min", "capacity"}
    sel = pd.read_csv(tmp_path / "sel.csv")
    assert len(sel) == 8
    assert json.loads((tmp_path / "sel.json").read_text())["crs"] == "EPSG:27700"


def test_plan_select_cli_infeasible_is_exit_2_with_json_error(tmp_path):
    _table(12, 0).to_csv(tmp_path / "hot.csv", index=False)
    r = runner.invoke(app, ["plan", "select", "--hotspots", str(tmp_path / "hot.csv"), "--top", "5",
                            "--capacity-hours", "3", "--json"])
    assert r.exit_code == 2
    err = json.loads(r.output)["error"]
    assert set(err["given"]) == {"n", "capacity"}


def test_plan_select_from_events_table(tmp_path):
    ev = _events()
    ev.to_csv(tmp_path / "events.csv", index=False)
    r = runner.invoke(app, ["plan", "select", "--events", str(tmp_path / "events.csv"), "--scheme", "count",
                            "--top", "3", "--cell", "150", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["rows"]
    assert len(rows) == 3 and all(row["harm"] > 0 for row in rows)


def test_plan_create_cli(tmp_path):
    sel = _selection()
    sel.to_csv(tmp_path / "sel.csv", index=False)
    (tmp_path / "sel.json").write_text(json.dumps({"crs": "EPSG:27700", "cell": 150.0}))
    _events().to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "plan"
    r = runner.invoke(app, ["plan", "create", "--selection", str(tmp_path / "sel.csv"), "--days", "10", "--k", "3",
                            "--seed", "4", "--start", "2026-12-01", "--visits", "3", "--dwell", "15", "--teams", "2",
                            "--day-start", "06:00", "--events", str(tmp_path / "events.csv"), "--out", str(out),
                            "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.output)
    assert payload["visits"] == 10 * 3 * 3
    assert payload["allocation"]["scheme"]["seed"] == 4
    assert (out / "plan.json").exists() and (out / "exports" / "calendars" / "Team_1.ics").exists()
    from hotpatrol.patrol.plan import PatrolPlan

    assert PatrolPlan.load(out).allocation.sha256 == payload["allocation"]["sha256"]


def test_plan_create_over_capacity_message(tmp_path):
    _selection().to_csv(tmp_path / "sel.csv", index=False)
    r = runner.invoke(app, ["plan", "create", "--selection", str(tmp_path / "sel.csv"), "--days", "5", "--k", "5",
                            "--start", "2026-12-01", "--visits", "4", "--teams", "1", "--team-minutes", "60",
                            "--out", str(tmp_path / "p"), "--json"])
    assert r.exit_code == 2
    assert "patrol-minutes a day" in json.loads(r.output)["error"]["message"]


def test_plan_create_custom_shifts_and_bad_shift(tmp_path):
    _selection().to_csv(tmp_path / "sel.csv", index=False)
    base = ["plan", "create", "--selection", str(tmp_path / "sel.csv"), "--days", "3", "--k", "2",
            "--start", "2026-12-01", "--out", str(tmp_path / "p"), "--no-pdf", "--json"]
    r = runner.invoke(app, base + ["--shift", "day=07:00-19:00", "--shift", "night=19:00-07:00"])
    assert r.exit_code == 0, r.output
    from hotpatrol.patrol.plan import PatrolPlan

    plan = PatrolPlan.load(tmp_path / "p")
    assert set(plan.schedule["shift"]) <= {"day", "night"}
    r = runner.invoke(app, base + ["--shift", "day 7 to 7"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "--shift"
    base[base.index(str(tmp_path / "p"))] = str(tmp_path / "q")
    r = runner.invoke(app, base + ["--briefing-day", "2027-01-01"])
    assert r.exit_code == 2 and json.loads(r.output)["error"]["parameter"] == "day"
    assert not (tmp_path / "q").exists()
