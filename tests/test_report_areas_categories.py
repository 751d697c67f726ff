"""Districts keyed by ONS code across LSOA vintages (issue 16 case 3) and police.uk's pre-May-2013 categories
(issue 16 case 6), in the performance report, harm weighting and the category-change rule."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotpatrol.events import category_change_notes, category_changes
from hotpatrol.harm import get_scheme
from hotpatrol.places.areas import (
    current_code,
    current_labels,
    district_keys,
    read_lsoa_lookup,
)
from hotpatrol.report import performance_report

CASES = Path("/work/shared/cases")


def _events(rows):
    """rows: (month, category, lsoa_name, n) -> an events table with n rows each."""
    out = [{"month": m, "category": c, "lsoa_name": name, "force": "Kent Police"}
           for m, c, name, n in rows for _ in range(n)]
    return pd.DataFrame(out)


def _district_rows(report, group="Victim-based crime"):
    d = report.districts
    return d[d["group"] == group].to_dict(orient="records")


# --- case 3: Shepway (2011 LSOA names) and Folkestone and Hythe (2021 names) are one district -------------

def test_renamed_district_is_one_row_keyed_by_code_and_labelled_with_the_current_name():
    ev = _events([("2022-03", "Violence and sexual offences", "Shepway 012A", 12),
                  ("2022-03", "Violence and sexual offences", "Shepway 003B", 8),
                  ("2023-03", "Violence and sexual offences", "Folkestone and Hythe 012A", 18)])
    report = performance_report(ev, months="2023-03")
    rows = _district_rows(report)
    assert len(rows) == 1
    r = rows[0]
    assert (r["district"], r["district_code"], r["recorded"], r["last_year"], r["pct_text"]) == \
        ("Folkestone and Hythe", "E07000112", 18, 20, "-10.0%")
    assert r["p_value"] == pytest.approx(0.8714, abs=1e-4)
    assert any("Shepway counted as Folkestone and Hythe (E07000112)" in n for n in report.notes)


def test_merged_districts_count_under_the_new_authority():
    # Taunton Deane + West Somerset (2011 names) -> Somerset West and Taunton (2019) -> Somerset (2023)
    ev = _events([("2022-05", "Burglary", "Taunton Deane 001A", 3), ("2022-05", "Burglary", "West Somerset 002B", 2),
                  ("2022-05", "Burglary", "Mendip 004C", 1),
                  ("2023-05", "Burglary", "Somerset West and Taunton 001A", 4), ("2023-05", "Burglary", "Mendip 004C", 2)])
    rows = _district_rows(performance_report(ev, months="2023-05"))
    assert [(r["district"], r["district_code"], r["recorded"], r["last_year"]) for r in rows] == \
        [("Somerset", "E06000066", 6, 6)]


def test_district_in_only_one_period_gets_a_note_and_unknown_names_are_kept():
    ev = _events([("2022-03", "Robbery", "Ashford 001A", 2), ("2023-03", "Robbery", "Ashford 001A", 3),
                  ("2023-03", "Robbery", "Dover 001A", 2), ("2023-03", "Robbery", "Nowhereshire 001A", 1)])
    report = performance_report(ev, months="2023-03")
    rows = {r["district"]: r for r in _district_rows(report)}
    assert rows["Dover"]["pct_text"] == "n/a (none last year)"
    assert rows["Nowhereshire"]["recorded"] == 1  # kept as written, not dropped
    assert any(n.startswith("District Dover: crimes only this year") for n in report.notes)
    assert any("Nowhereshire" in n and "not in the ONS district lookup" in n for n in report.notes)


def test_districts_with_a_sliver_of_the_forces_crimes_are_pooled_with_a_note():
    # Kent's police.uk files hold a few crimes located just over the boundary (Bexley, Croydon...)
    ev = _events([("2022-03", "Robbery", "Ashford 001A", 300), ("2023-03", "Robbery", "Ashford 001A", 280),
                  ("2022-03", "Robbery", "Dover 001A", 200), ("2023-03", "Robbery", "Dover 001A", 220),
                  ("2022-03", "Robbery", "Bexley 001A", 2), ("2023-03", "Robbery", "Croydon 001A", 1)])
    report = performance_report(ev, months="2023-03")
    rows = {r["district"]: r for r in _district_rows(report)}
    assert set(rows) == {"Ashford", "Dover", "Other districts (2)"}
    other = rows["Other districts (2)"]
    assert (other["recorded"], other["last_year"], other["district_code"]) == (1, 2, "other")
    assert (rows["Dover"]["recorded"], rows["Dover"]["last_year"]) == (220, 200)
    assert any("2 districts with under 0.5%" in n and "Bexley, Croydon" in n for n in report.notes)
    assert not any(n.startswith("District Bexley") for n in report.notes)  # no per-sliver notes


def test_lad_code_and_lsoa_lookup_take_precedence_over_names():
    ev = pd.DataFrame({"lsoa_name": ["Shepway 001A", "Somewhere 001A", None, None],
                       "lsoa_code": ["E01024000", "E01099999", "E01099998", None],
                       "lad_code": [None, None, None, "E07000190"]})
    keys = district_keys(ev, lsoa_lookup={"E01099999": "E07000108", "E01099998": "E07000004"})
    assert list(keys["district_code"]) == ["E07000112", "E07000108", "E06000060", "E06000066"]
    assert list(keys["district"]) == ["Folkestone and Hythe", "Dover", "Buckinghamshire", "Somerset"]
    assert list(current_code(["E08000020", "Kingston upon Hull", "gateshead", "Nowhere", None])) == \
        ["E08000037", "E06000010", "E08000037", None, None]
    assert list(current_labels(["Shepway", "Aylesbury Vale", "Zone A"])) == \
        ["Folkestone and Hythe", "Buckinghamshire", "Zone A"]


def test_read_lsoa_lookup_finds_the_columns_and_carries_old_lad_codes_forward():
    table = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002"], "LAD11CD": ["E07000112", "E07000191"]})
    assert read_lsoa_lookup(table) == {"E01000001": "E07000112", "E01000002": "E06000066"}
    from hotpatrol.errors import HotpatrolError

    with pytest.raises(HotpatrolError, match="LAD code"):
        read_lsoa_lookup(pd.DataFrame({"LSOA11CD": ["x"], "name": ["y"]}))


def test_case_03_from_the_shared_case(tmp_path):
    data = CASES / "03-report-district-renamed-lsoa-vintage" / "data"
    if not data.exists():
        pytest.skip("shared case 03 not present")
    from hotpatrol.ingest import ingest
    from hotpatrol.store import Store

    db = f"sqlite:///{tmp_path / 't.db'}"
    ingest([data], db=db)
    report = performance_report(Store(db).load_events(), months="2023-03")
    rows = _district_rows(report)
    assert [(r["district"], r["recorded"], r["last_year"], r["pct_text"]) for r in rows] == \
        [("Folkestone and Hythe", 18, 20, "-10.0%")]
    assert round(rows[0]["p_value"], 2) == 0.87


# --- case 6: pre-May-2013 police.uk categories --------------------------------------------------------------

LEGACY_2012 = [("2012-06", "Violent crime", "Dover 001A", 10), ("2012-06", "Public disorder and weapons", "Dover 001A", 4),
               ("2012-06", "Burglary", "Dover 002A", 4), ("2012-06", "Shoplifting", "Dover 003A", 2)]
CURRENT_2013 = [("2013-06", "Violence and sexual offences", "Dover 001A", 10), ("2013-06", "Public order", "Dover 001A", 3),
                ("2013-06", "Possession of weapons", "Dover 001A", 1), ("2013-06", "Burglary", "Dover 002A", 4),
                ("2013-06", "Shoplifting", "Dover 003A", 2)]


def test_legacy_categories_count_in_their_groups_with_the_break_said_in_place():
    report = performance_report(_events(LEGACY_2012 + CURRENT_2013), months="2013-06")
    vbc = report.tables["Victim-based crime"].total
    assert (vbc["recorded"], vbc["last_year"], vbc["pct_text"]) == (16, 16, "0.0%")
    violent = report.tables["Violent crime"]
    assert (violent.total["recorded"], violent.total["last_year"], violent.total["pct_text"]) == (10, 10, "0.0%")
    assert any("sexual offences" in n and "Other crime" in n and "May 2013" in n for n in violent.notes)
    assert any("sexual offences" in n for n in report.tables["Victim-based crime"].notes)
    for group in ("Public order", "Possession of weapons"):
        table = report.tables[group]
        row = table.rows[0]
        assert row["last_year"] is None and row["pct_change"] is None and row["p_value"] is None
        assert "not comparable" in row["pct_text"] and "May 2013" in row["pct_text"]
        assert any("Public disorder and weapons" in n for n in table.notes)
        assert "none last year" not in table.commentary()
    every_text = [r["pct_text"] for t in report.tables.values() for r in t.rows + [t.total]]
    every_text += list(report.districts["pct_text"])
    assert not any("none last year" in t for t in every_text)
    d = {r["group"]: r for r in report.districts.to_dict(orient="records")}
    assert (d["Victim-based crime"]["recorded"], d["Victim-based crime"]["last_year"]) == (16, 16)
    assert d["Public order"]["last_year"] is None and "not comparable" in d["Public order"]["pct_text"]


def test_no_break_note_when_both_years_use_the_same_scheme():
    ev = _events([(m, "Public order", "Dover 001A", 2) for m in ("2013-06", "2014-06")])
    report = performance_report(ev, months="2014-06")
    t = report.tables["Public order"]
    assert t.total["pct_text"] == "0.0%" and not any("May 2013" in n for n in t.notes)


def test_category_change_rule():
    assert category_changes(["Other theft"], "2012-06", "2013-06")[0][1] == "break"
    assert category_changes(["Other theft", "Bicycle theft", "Theft from the person"], "2012-06", "2013-06") == []
    assert category_changes(None, "2012-06", "2013-06") == []
    assert category_changes(["Public order"], "2013-05", "2014-05") == []  # both sides after the change
    assert [s for _, s in category_changes(["Violence and sexual offences"], "2012-06", "2013-06")] == ["caveat"]
    assert [s for _, s in category_changes(["Shoplifting"], "2011-06", "2012-06")] == ["break"]  # Sept 2011
    assert "September 2011" in category_change_notes(["Drugs"], "2011-01", "2011-12")[0]


def test_cchi_weighs_the_legacy_labels_ingest_accepts():
    from hotpatrol.ingest.policeuk import KNOWN_CATEGORIES

    scheme = get_scheme("cchi")
    ev = pd.DataFrame({"category": sorted(KNOWN_CATEGORIES)})
    w = dict(zip(ev["category"], scheme.weigh(ev)))
    assert w["Violent crime"] == w["Violence and sexual offences"] == 180.0
    assert w["Public order"] < w["Public disorder and weapons"] < w["Possession of weapons"]
    assert w["Public disorder and weapons"] == pytest.approx(7.5 + 1477 / 16973 * (274 - 7.5), abs=0.05)


def _located(rows, seed=0):
    """rows: (month, category, n) -> events with coordinates in Dover and month-precision times."""
    rng = np.random.default_rng(seed)
    ev = _events([(m, c, "Dover 001A", n) for m, c, n in rows])
    ev["lon"] = 1.30 + rng.random(len(ev)) * 0.02
    ev["lat"] = 51.12 + rng.random(len(ev)) * 0.02
    ev["occurred_from"] = pd.to_datetime(ev["month"] + "-01")
    ev["occurred_at"] = ev["occurred_from"]
    ev["event_id"] = [f"e{i}" for i in range(len(ev))]
    return ev


def test_trends_spanning_may_2013_say_so_and_filters_keep_the_legacy_label():
    from hotpatrol.hotspots.trends import analyse
    from hotpatrol.places.crs import project
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    months = [str(p) for p in pd.period_range("2012-10", "2013-09", freq="M")]
    ev = _located([(m, "Violent crime" if m < "2013-05" else "Violence and sexual offences", 3) for m in months]
                  + [(m, "Public disorder and weapons" if m < "2013-05" else "Public order", 2) for m in months])
    xy = project(ev)
    places = PlacesLayer.from_grid(Grid.covering(xy["x"].to_numpy(), xy["y"].to_numpy(), cell=500, crs=xy.attrs["crs"]))
    res = analyse("change", ev, places, categories=["Violence and sexual offences"], before="2012-10:2013-03",
                  after="2013-04:2013-09", scheme="count")  # counts (the default scheme is the harm setting)
    assert res.before.sum() == 18 and res.after.sum() == 18  # legacy "Violent crime" kept by the filter
    assert any("sexual offences" in n and "May 2013" in n for n in res.summary().notes)
    res = analyse("emerging", ev, places, categories=["Public order"], start="2012-10")
    assert any(n.startswith("Category definitions differ across May 2013") for n in res.summary().notes)
    res = analyse("concentration", ev, places)  # every category: like with like, no note
    assert not any("May 2013" in n for n in res.summary().notes)
    res = analyse("stability", ev, places, categories=["Public order"], start="2013-05", top=1)
    assert not any("May 2013" in n for n in res.summary().notes)  # window after the change


def test_hotspots_rank_with_harm_runs_on_pre_2013_data():
    import hotpatrol.hotspots as hs

    ev = _located([("2012-06", "Violent crime", 5), ("2012-06", "Public disorder and weapons", 2),
                   ("2012-06", "Other theft", 3)])
    chosen = hs.select_events(ev, ["Violence and sexual offences"], "2012-06", "2012-06")
    assert list(chosen["category"].unique()) == ["Violent crime"]
    data = hs.prepare(ev, "harm", cell=250)
    assert data.values.sum() == pytest.approx(5 * 180 + 2 * 30.7 + 3 * 2)
    res = hs.run("rank", data, top=2)
    assert len(res.to_frame()) == 2


# --- districts in hotspot ranking and patrol selection ----------------------------------------------------

def _district_polygons():
    import geopandas as gpd
    import shapely

    boxes = [shapely.box(600_000, 130_000, 601_000, 131_000), shapely.box(601_000, 130_000, 602_000, 131_000),
             shapely.box(602_000, 130_000, 603_000, 131_000)]
    return gpd.GeoDataFrame({"LAD13CD": ["E07000190", "E07000191", "E07000112"],
                             "LAD13NM": ["Taunton Deane", "West Somerset", "Shepway"]}, geometry=boxes,
                            crs="EPSG:27700")


def test_district_polygons_of_an_old_vintage_get_current_labels():
    from hotpatrol.places.areas import polygon_district_labels

    gdf = _district_polygons()
    assert list(polygon_district_labels(gdf, "LAD13NM")) == ["Somerset", "Somerset", "Folkestone and Hythe"]
    gdf["ward"] = ["Shepway", "x", "y"]  # not a district column: left alone
    assert list(polygon_district_labels(gdf, "ward")) == ["Shepway", "x", "y"]


def test_rank_per_district_minimum_counts_a_merged_district_once():
    from hotpatrol.hotspots.rank import assign_districts, rank_places
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    places = PlacesLayer.from_grid(Grid(600_000, 130_000, 500, 6, 2, "EPSG:27700"))
    district = assign_districts(places, _district_polygons())
    assert set(district) == {"Somerset", "Folkestone and Hythe"}
    values = np.arange(places.n, dtype=float)[::-1].copy()  # west (Somerset) cells score highest
    res = rank_places(values, places, top=2, district=district, per_district_min=1)
    assert set(res.to_frame()["district"]) == {"Somerset", "Folkestone and Hythe"}


def test_patrol_selection_treats_old_and_new_names_as_one_district():
    from hotpatrol.patrol.hotspot_table import label_districts
    from hotpatrol.patrol.select import select_hotspots

    t = pd.DataFrame({"place_id": ["a", "b", "c", "d"], "x": [600_100, 601_500, 602_200, 602_800],
                      "y": [130_500] * 4, "harm": [10.0, 9.0, 8.0, 1.0],
                      "district": ["Taunton Deane", "Somerset", "Shepway", "Folkestone and Hythe"]})
    res = select_hotspots(t, n=2, per_district_max=1)
    assert sorted(res.to_frame()["district"]) == ["Folkestone and Hythe", "Somerset"]
    res = select_hotspots(t, n=2, per_district_min={"Shepway": 2})  # bounds may use an old name
    assert list(res.to_frame()["place_id"]) == ["c", "d"]
    labelled = label_districts(t.drop(columns="district"), _district_polygons(), crs="EPSG:27700")
    assert list(labelled["district"]) == ["Somerset", "Somerset", "Folkestone and Hythe", "Folkestone and Hythe"]


def test_hotspots_from_events_takes_districts_from_lsoa_names_of_both_vintages():
    from hotpatrol.patrol.hotspot_table import hotspots_from_events

    ev = _located([("2022-03", "Burglary", 3)])
    ev = pd.concat([ev, ev.assign(lsoa_name="Folkestone and Hythe 012A", event_id=ev["event_id"] + "b"),
                    ev.assign(lsoa_name="Shepway 012A", event_id=ev["event_id"] + "c")], ignore_index=True)
    table = hotspots_from_events(ev, cell=50_000, months=None, district_column="district")
    assert len(table) == 1  # one cell: 3 Dover + 3 + 3 Folkestone and Hythe (old and new names) events
    assert list(table["district"]) == ["Folkestone and Hythe"]


def _street_csv(path, month, rows):
    """A police.uk street file: rows of (crime type, LSOA name)."""
    lines = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
             "Last outcome category,Context"]
    for i, (ctype, lsoa) in enumerate(rows):
        lines.append(f"{month}-{i:04d}{'x' * 50},{month},Kent Police,Kent Police,{1.17 + i * 1e-4:.4f},51.08,"
                     f"On or near X,E0100{i:04d},{lsoa},{ctype},,")
    path.write_text("\n".join(lines) + "\n")


def test_store_info_counts_districts_under_current_names_and_notes_legacy_categories(tmp_path):
    from hotpatrol.ingest import ingest
    from hotpatrol.store import Store

    (tmp_path / "in").mkdir()
    _street_csv(tmp_path / "in" / "2012-06-kent-street.csv", "2012-06",
                [("Violent crime", "Shepway 001A")] * 2 + [("Public disorder and weapons", "Shepway 002B")])
    _street_csv(tmp_path / "in" / "2023-06-kent-street.csv", "2023-06",
                [("Violence and sexual offences", "Folkestone and Hythe 001A")] * 3)
    db = f"sqlite:///{tmp_path / 't.db'}"
    ingest([tmp_path / "in"], db=db)
    info = Store(db).info()
    assert info["districts"] == {"Folkestone and Hythe": 6}
    assert any("Shepway" in n and "Folkestone and Hythe" in n for n in info["notes"])
    assert any("'Violent crime'" in n and "2 events" in n for n in info["notes"])
    assert any("'Public disorder and weapons'" in n and "not comparable" in n for n in info["notes"])


def test_lsoa_code_lookup_and_lsoa_names_agree_on_real_kent_rows(shared_data):
    boundaries = shared_data / "boundaries_kent_ons"
    street = sorted((shared_data / "police_uk_kent_2021-03_2022-03").glob("2022-03/*street*.csv.gz"))
    if not street or not boundaries.exists():
        pytest.skip("Kent street file or boundaries not present")
    lookup = {**read_lsoa_lookup(boundaries / "kent_medway_lsoa2011.geojson"),
              **read_lsoa_lookup(boundaries / "kent_medway_lsoa2021.geojson")}
    ev = pd.read_csv(street[0], usecols=["LSOA name", "LSOA code"]).rename(
        columns={"LSOA name": "lsoa_name", "LSOA code": "lsoa_code"})
    by_name, by_code = district_keys(ev), district_keys(ev, lsoa_lookup=lookup)
    located = ev["lsoa_code"].notna().to_numpy()
    assert (by_code["district_source"][located] == "lsoa_code").mean() > 0.99
    assert (by_name["district_code"][located] == by_code["district_code"][located]).all()
    assert "Folkestone and Hythe" in set(by_name["district"]) and "Shepway" not in set(by_name["district"])


def test_district_map_joins_old_vintage_boundaries_on_the_code():
    from hotpatrol.report.render import join_districts

    ev = _events([("2022-03", "Robbery", "Shepway 001A", 4), ("2023-03", "Robbery", "Folkestone and Hythe 001A", 2),
                  ("2022-03", "Robbery", "Taunton Deane 001A", 2), ("2023-03", "Robbery", "Somerset West and Taunton 001A", 3)])
    rows = performance_report(ev, months="2023-03").districts
    rows = rows[rows["group"] == "Victim-based crime"]
    joined = join_districts(_district_polygons(), rows)  # LAD13 names: Taunton Deane, West Somerset, Shepway
    assert list(joined["pct_change"]) == [50.0, 50.0, -50.0]
    synthetic = _district_polygons().assign(LAD13CD=["X07000001", "X07000002", "X07000003"],
                                            LAD13NM=["Somerset", "Nullham", "Folkestone and Hythe"])
    assert list(join_districts(synthetic, rows)["pct_change"].fillna(0)) == [50.0, 0, -50.0]  # by name


def test_groups_of_split_categories_before_the_change_are_not_reported_as_none():
    ev = _events([("2012-04", "Public disorder and weapons", "Dover 001A", 3),
                  ("2013-04", "Public disorder and weapons", "Dover 001A", 5)])
    report = performance_report(ev, months="2013-04")
    row = report.tables["Public order"].rows[0]
    assert row["recorded"] is None and row["last_year"] is None and row["pct_text"].startswith("not available")
    assert any("before May 2013 differ from today's" in n for n in report.tables["Public order"].notes)
    assert "none" not in report.tables["Public order"].commentary()
    assert category_changes(["Public order"], "2012-04", "2013-04")[0][1] == "break"


def test_case_07_from_the_shared_case(tmp_path):
    data = CASES / "07-legacy-categories-2013" / "data"
    if not data.exists():
        pytest.skip("shared case 07 not present")
    import json

    from typer.testing import CliRunner

    from hotpatrol.cli import app

    db = f"sqlite:///{tmp_path / 't.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(data), "--db", db]).exit_code == 0
    r = runner.invoke(app, ["report", "performance", "--db", db, "--months", "2013-06", "--out",
                            str(tmp_path / "out" / "report.html"), "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    vbc = rep["tables"]["Victim-based crime"]["total"]
    assert (vbc["recorded"], vbc["last_year"], vbc["pct_text"]) == (16, 16, "0.0%")
    assert "none last year" not in r.output
    r = runner.invoke(app, ["hotspots", "--db", db, "--method", "rank", "--top", "3", "--start", "2012-06",
                            "--end", "2012-06", "--json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["top"]) == 3


def test_user_harm_scheme_weighs_a_renamed_legacy_label_as_its_successor_and_names_split_ones(tmp_path):
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.events import with_legacy

    path = tmp_path / "scheme.csv"
    path.write_text("key,weight\nViolence and sexual offences,100\nBurglary,50\n")
    scheme = get_scheme(str(path))
    assert list(scheme.weigh(pd.DataFrame({"category": ["Violent crime", "Burglary"]}))) == [100.0, 50.0]
    with pytest.raises(HotpatrolError, match="before May 2013"):
        scheme.weigh(pd.DataFrame({"category": ["Public disorder and weapons"]}))
    assert with_legacy(["Violent crime"]) == ["Violent crime", "Violence and sexual offences"]
    assert with_legacy("Violence and sexual offences") == ["Violence and sexual offences", "Violent crime"]


def test_report_files_show_one_district_and_no_none_text(tmp_path):
    import json

    from hotpatrol.report.render import write_report

    ev = _events(LEGACY_2012 + CURRENT_2013
                 + [("2012-06", "Robbery", "Shepway 001A", 2), ("2013-06", "Robbery", "Folkestone and Hythe 001A", 1)])
    paths = write_report(performance_report(ev, months="2013-06"), tmp_path / "r.html", pdf=False)
    html = paths["html"].read_text()
    assert "Shepway counted as Folkestone and Hythe (E07000112)" in html and ">None<" not in html
    csv = pd.read_csv(paths["tables"] / "districts.csv")
    assert set(csv["district"]) == {"Dover", "Folkestone and Hythe"}
    data = json.loads(paths["json"].read_text())
    po = [r for r in data["districts"] if r["group"] == "Public order"][0]
    assert "NaN" not in json.dumps(data["districts"])  # missing figures are null, not NaN
    assert po["last_year"] is None and po["pct_text"].startswith("not comparable")


def test_old_changes_far_before_the_report_window_are_not_noted():
    ev = _events([("2010-06", "Public order", "Dover 001A", 0)] + [("2012-06", "Public disorder and weapons", "Dover 001A", 2)]
                 + [(m, "Public order", "Dover 001A", 2) for m in ("2022-06", "2023-06")])
    report = performance_report(ev, months="2023-06")
    assert report.tables["Public order"].total["pct_text"] == "0.0%"
    assert not any("2013" in n for n in report.tables["Public order"].notes + report.notes)
