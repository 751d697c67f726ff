import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol import settings
from hotpatrol.cli import app
from hotpatrol.errors import HotpatrolError
from hotpatrol.events import POLICE_UK_CATEGORIES, conform, validate_events
from hotpatrol.harm import CCHI_WEIGHTS, get_scheme, harm
from hotpatrol.places import BNG, Grid, choose_metric_crs, project


def test_cchi_covers_every_police_uk_category_with_reference_figures():
    assert set(CCHI_WEIGHTS) == set(POLICE_UK_CATEGORIES)
    assert CCHI_WEIGHTS["Robbery"] == 365
    assert CCHI_WEIGHTS["Shoplifting"] == 1
    assert CCHI_WEIGHTS["Anti-social behaviour"] == 0
    scheme = get_scheme("cchi", asb=1.5)
    assert scheme.weights["Anti-social behaviour"] == 1.5
    assert scheme.weights["Rape"] == 2555


def test_harm_count_and_unknown_category():
    ev = pd.DataFrame({"category": ["Robbery", "Shoplifting", "Burglary"]})
    np.testing.assert_array_equal(harm(ev, "count"), [1, 1, 1])
    np.testing.assert_array_equal(harm(ev, "cchi"), [365, 1, 220])
    with pytest.raises(HotpatrolError, match="no weight"):
        harm(pd.DataFrame({"category": ["Tax evasion"]}), "cchi")


def test_user_schemes_csv_and_yaml_by_offence_code(tmp_path: Path):
    csv = tmp_path / "w.csv"
    csv.write_text("key,weight,by\n8N,365,offence_code\n105A,10,offence_code\n")
    ev = pd.DataFrame({"offence_code": ["8N", "105A", "8N"]})
    np.testing.assert_array_equal(harm(ev, csv), [365, 10, 365])
    yml = tmp_path / "w.yaml"
    yml.write_text("name: mine\nby: category\ndefault: 0.5\nweights:\n  Robbery: 100\n")
    np.testing.assert_array_equal(harm(pd.DataFrame({"category": ["Robbery", "x"]}), yml), [100, 0.5])
    bad = tmp_path / "bad.csv"
    bad.write_text("key,weight\nRobbery,lots\n")
    with pytest.raises(HotpatrolError) as err:
        get_scheme(bad)
    assert err.value.row == 2 and err.value.column == "weight" and err.value.file == str(bad)


def test_metric_crs_choice():
    assert choose_metric_crs([0.9, 1.0], [51.2, 51.3]) == BNG
    assert choose_metric_crs([-123.1], [49.25]) == "EPSG:32610"  # Vancouver
    assert choose_metric_crs([-87.6], [41.8]) == "EPSG:32616"  # Chicago
    assert choose_metric_crs([151.2], [-33.9]) == "EPSG:32756"  # Sydney


def test_grid_ids_aggregate_and_polygons():
    ev = pd.DataFrame({"lon": [1.0800, 1.0801, 1.09], "lat": [51.28, 51.2801, 51.29]})
    pts = project(ev)
    assert pts.attrs["crs"] == BNG and "x" not in ev.columns
    g = Grid.covering(pts["x"], pts["y"], cell=150, crs=BNG)
    ids = g.cell_id(pts["x"], pts["y"])
    assert ids[0] == ids[1] != ids[2]
    counts = g.aggregate(pts["x"], pts["y"], weights=[1, 2, 4])
    assert counts.sum() == 7 and counts.max() == 4
    cx, cy = g.centres(ids[:1])
    assert abs(cx[0] - pts["x"][0]) <= 75 and abs(cy[0] - pts["y"][0]) <= 75
    poly = g.polygons(ids[:1])
    assert poly.geometry.iloc[0].area == pytest.approx(150 * 150)
    assert g.cell_id([g.x0 - 1], [g.y0])[0] == -1


def test_grid_refuses_stray_point_and_degrees():
    with pytest.raises(HotpatrolError, match="stray point") as err:
        Grid.covering([0, 650000], [0, 1200000], cell=150, crs=BNG)
    assert err.value.parameter == "cell"
    with pytest.raises(HotpatrolError, match="degrees"):
        Grid.covering([1.0, 1.1], [51.0, 51.1], cell=150, crs=BNG)


def test_events_contract():
    ev = conform(pd.DataFrame({"event_id": ["a", "b"], "lon": [1.0, 1.1], "lat": [51.0, 51.1],
                               "category": ["Robbery", "Drugs"], "occurred_from": pd.to_datetime(["2022-01-01"] * 2)}))
    validate_events(ev)
    assert list(ev.columns)[:3] == ["event_id", "source", "force"]
    with pytest.raises(HotpatrolError, match="duplicate event_id"):
        validate_events(pd.concat([ev, ev]))


def test_error_json_shape():
    e = HotpatrolError("bad", parameter="cell", allowed=[1, 2], given=3, file="f.csv", row=4, column="c")
    d = e.to_dict()["error"]
    assert d == {"message": "bad", "parameter": "cell", "allowed": [1, 2], "given": 3, "file": "f.csv", "row": 4, "column": "c"}
    json.dumps(d)


def test_settings_docs_are_current():
    doc = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
    assert doc.read_text() == settings.markdown()


def test_cli_settings_json():
    res = CliRunner().invoke(app, ["settings", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["cell"] == 150.0
