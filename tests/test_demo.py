import json

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.demo import run_demo


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline_on_a_small_county(tmp_path):
    result = run_demo(tmp_path / "out", scale=0.02, top=10, pdf=False)
    assert len(result.top) == 10
    assert result.top["value"].is_monotonic_decreasing
    gpkg = gpd.read_file(result.files["top_gpkg"])
    assert len(gpkg) == 10 and gpkg.crs.to_epsg() == 27700
    assert gpkg.geometry.area.round().eq(150 * 150).all()
    geo = json.loads(result.files["top_geojson"].read_text())
    assert len(geo["features"]) == 10
    csv = pd.read_csv(result.files["top_csv"])
    assert list(csv["rank"]) == list(range(1, 11))
    assert result.ingest["rows"] == result.ingest["stored"] + result.ingest["quarantined"]
    assert result.ingest["reasons"].get("no-coordinates", 0) > 0  # the county publishes some rows without a location
    page = result.files["summary"].read_text()
    assert "highest-harm" in page and "data:image/png;base64," in page
    assert result.files["map"].stat().st_size > 10_000
    assert "Victim-based crime" in result.files["performance_report"].read_text()
    assert "on patrol days" in result.headline
    assert result.files["trial_report"].exists()


@pytest.mark.slow
def test_demo_cli_json(tmp_path):
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "o"), "--scale", "0.02", "--top", "5",
                                   "--no-trial", "--no-pdf", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["top"]) == 5 and data["files"]["top_gpkg"].endswith("top5.gpkg")
    assert "trial_report" not in data["files"]


def test_demo_refuses_a_file_as_output_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    res = CliRunner().invoke(app, ["demo", "--out", str(target), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["parameter"] == "out"
