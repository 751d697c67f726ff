import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.spatial import cKDTree
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.errors import HotpatrolError
from hotpatrol.events import EVENT_COLUMNS, POLICE_UK_CATEGORIES, validate_events
from hotpatrol.places import BNG, Grid, build, choose_metric_crs
from hotpatrol.places.polygons import assign_polygons, read_places
from hotpatrol.synthetic import MONTHLY_RATES, OUTCOME_COLUMNS, STREET_COLUMNS, generate_county

SCALE = 0.05


@pytest.fixture(scope="module")
def shared_data_optional():
    """The shared data folder when present (to compare headers with real files), else None."""
    import os

    path = Path(os.environ.get("HOTPATROL_SHARED_DATA", "/work/shared/data"))
    return path if path.exists() else None


@pytest.fixture(scope="module")
def county():
    return generate_county(scale=SCALE, years=3, end="2024-12", seed=7)


@pytest.fixture(scope="module")
def written(county, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return out, county.write(out)


def test_reproducible_from_seed():
    a = generate_county(scale=0.02, years=1, seed=11)
    b = generate_county(scale=0.02, years=1, seed=11)
    c = generate_county(scale=0.02, years=1, seed=12)
    cols = ["event_id", "occurred_at", "x", "y", "category", "crime_id", "location", "lsoa_code", "outcome"]
    pd.testing.assert_frame_equal(a.events[cols], b.events[cols])
    pd.testing.assert_frame_equal(a.hotspots, b.hotspots)
    assert len(a.events) != len(c.events) or not a.events["x"].equals(c.events["x"])


def test_events_table_contract_and_fictional_place(county):
    ev = county.events
    validate_events(ev)
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert set(ev["category"].unique()) == set(POLICE_UK_CATEGORIES)
    assert ev["time_precision"].eq("minute").all()
    assert (ev["occurred_at"].dt.second == 0).all()
    assert ev["occurred_at"].min() >= pd.Timestamp("2022-01-01")
    assert ev["occurred_at"].max() < pd.Timestamp("2025-01-01")
    assert ev["month"].nunique() == 36
    # in the North Sea (no real place), but inside BNG's domain so BNG is chosen
    assert choose_metric_crs(ev["lon"], ev["lat"]) == BNG
    assert ev["lon"].between(0.7, 2.45).all() and ev["lat"].between(53.3, 54.1).all()
    assert ev["lsoa_code"].dropna().str.fullmatch(r"X01\d{6}").all()
    assert county.districts["LAD_CD"].str.fullmatch(r"X07\d{6}").all()
    assert ev["force"].eq("Synthshire Police").all()


def test_category_mix_matches_kent_like_targets(county):
    ev = county.events
    months = ev["month"].nunique()
    per_month = ev["category"].value_counts() / months / SCALE  # back to force scale
    for cat, target in MONTHLY_RATES.items():
        expected = target * SCALE * months
        tol = 0.04 + 4 / np.sqrt(expected)  # Poisson noise plus near-repeat clustering
        assert abs(per_month[cat] / target - 1) < tol, (cat, per_month[cat], target)
    victim_based = per_month.drop(["Anti-social behaviour", "Drugs", "Possession of weapons", "Public order",
                                   "Other crime"]).sum()
    assert 12_000 < victim_based < 13_500  # Kent 2022: ~12,800 victim-based crimes a month
    assert 6_800 < per_month["Violence and sexual offences"] < 7_600
    assert 2_400 < per_month["Anti-social behaviour"] < 2_800
    residential = (ev["offence_code"] == "28E").sum() / months / SCALE
    assert 330 < residential < 510  # ~420 residential burglaries
    assert 80 < per_month["Robbery"] < 140


@pytest.mark.shared_data
def test_category_and_outcome_shares_resemble_real_kent(county, shared_data):
    """Against the real Kent police.uk year (2021-03..2022-03): same categories, similar shares."""
    files = sorted((shared_data / "police_uk_kent_2021-03_2022-03").glob("*/*-kent-street.csv.gz"))
    kent = pd.concat([pd.read_csv(f, usecols=["Crime type", "Last outcome category"]) for f in files])
    real = kent["Crime type"].value_counts(normalize=True)
    synth = county.events["category"].value_counts(normalize=True)
    assert set(real.index) == set(synth.index)
    ratio = (synth / real).reindex(real.index)
    assert ratio.between(0.7, 1.4).all(), ratio.round(2).to_dict()
    real_out = kent["Last outcome category"].value_counts(normalize=True)
    synth_out = county.events["outcome"].value_counts(normalize=True)
    for outcome in ("Unable to prosecute suspect", "Investigation complete; no suspect identified"):
        assert abs(synth_out[outcome] - real_out[outcome]) < 0.06, outcome


def test_daily_weekly_and_seasonal_cycles(county):
    v = county.events[county.events["category"] == "Violence and sexual offences"]
    dow, hour = v["occurred_at"].dt.day_of_week, v["occurred_at"].dt.hour
    fri_sat_night = ((dow == 4) & (hour >= 20)) | ((dow == 5) & (hour < 4)) | ((dow == 5) & (hour >= 20)) | (
        (dow == 6) & (hour < 4))
    uniform = 16 / 168
    assert fri_sat_night.mean() > 1.8 * uniform
    by_dow = v.groupby(dow).size()
    assert by_dow[5] == by_dow.max()  # Saturday busiest
    by_hour = v.groupby(hour).size()
    assert by_hour.loc[3:6].mean() < 0.5 * by_hour.loc[17:22].mean()  # small-hours trough
    month = v["occurred_at"].dt.month
    assert (month.isin([6, 7, 8])).sum() > 1.12 * (month.isin([12, 1, 2])).sum()  # summer peak
    # night-time-economy violence is a Friday/Saturday night phenomenon
    nte = v["component"] == "nte"
    assert fri_sat_night[nte].mean() > 0.5


def test_planted_hotspots_are_the_densest_cells(county):
    ev = county.events
    grid = Grid.covering(ev["x"], ev["y"], cell=150, crs=BNG)
    counts = grid.aggregate(ev["x"], ev["y"]).ravel()
    top = np.argsort(counts)[::-1][:10]
    cx, cy = grid.centres(top)
    hs = county.hotspots
    d = np.hypot(cx[:, None] - hs["x"].to_numpy()[None], cy[:, None] - hs["y"].to_numpy()[None]).min(axis=1)
    assert (d < 300).all(), d
    # concentration like real data: ~half of crime in the top 5% of cells with any crime
    nz = np.sort(counts[counts > 0])[::-1]
    share = nz[: len(nz) // 20].sum() / nz.sum()
    assert 0.3 < share < 0.7


def test_planted_emerging_and_fading_hotspots(county):
    ev = county.events
    for kind, rising in (("emerging", True), ("fading", False)):
        h = county.hotspots[county.hotspots["kind"] == kind].iloc[0]
        near = np.hypot(ev["x"] - h["x"], ev["y"] - h["y"]) < 150
        year = ev.loc[near, "occurred_at"].dt.year.value_counts()
        first, last = year.get(2022, 0), year.get(2024, 0)
        assert (last > 2 * first) if rising else (first > 2 * last), (kind, first, last)


def test_near_repeat_excess(county):
    ev = county.events
    b = ev[ev["category"] == "Burglary"]
    x, y = b["x"].to_numpy(), b["y"].to_numpy()
    days = (b["occurred_at"] - b["occurred_at"].min()).dt.total_seconds().to_numpy() / 86400
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(200, output_type="ndarray")

    def close(t):
        return int((np.abs(t[pairs[:, 0]] - t[pairs[:, 1]]) <= 14).sum())

    rng = np.random.default_rng(0)
    observed = close(days)
    expected = np.mean([close(rng.permutation(days)) for _ in range(5)])  # Knox-style: shuffle times
    assert observed > 1.5 * expected, (observed, expected)
    off = ev[ev["parent"] >= 0]
    parents = ev.iloc[off["parent"].to_numpy()]
    gap = (off["occurred_at"].to_numpy() - parents["occurred_at"].to_numpy()) / np.timedelta64(1, "D")
    dist = np.hypot(off["x"].to_numpy() - parents["x"].to_numpy(), off["y"].to_numpy() - parents["y"].to_numpy())
    assert (gap > -0.1).all() and np.median(gap) < 7 and np.median(dist) < 200
    assert (off["category"].to_numpy() == parents["category"].to_numpy()).all()


def test_outcomes_rates(county):
    crimes = county.events[county.events["category"] != "Anti-social behaviour"]
    charged = (crimes["outcome_type"] == "Suspect charged").mean()
    solved = crimes["outcome_type"].isin(["Suspect charged", "Offender given a caution", "Local resolution",
                                          "Offender given penalty notice",
                                          "Offender given a drugs possession warning"]).mean()
    assert 0.045 < charged < 0.075, charged
    assert 0.07 < solved < 0.11, solved
    assert county.events.loc[county.events["category"] == "Anti-social behaviour", "outcome"].isna().all()
    # recent crimes are still under investigation; outcome months never precede the crime
    rec = crimes[crimes["outcome_month"].notna()]
    assert (rec["outcome_month"] >= rec["month"]).all()
    last = crimes[crimes["month"] == "2024-12"]
    assert (last["outcome"] == "Under investigation").mean() > 0.2


def test_police_uk_files_match_real_format(county, written, shared_data_optional):
    out, paths = written
    assert len(paths["street"]) == 36 and len(paths["outcomes"]) == 36
    assert paths["street"][0].relative_to(out).as_posix() == "police_uk/2022-01/2022-01-synthshire-street.csv"
    if shared_data_optional is not None:  # the real Kent headers, byte for byte
        kent = shared_data_optional / "police_uk_kent_2021-03_2022-03/2022-01"
        real_street = pd.read_csv(kent / "2022-01-kent-street.csv.gz", nrows=0).columns.tolist()
        real_out = pd.read_csv(kent / "2022-01-kent-outcomes.csv.gz", nrows=0).columns.tolist()
        assert real_street == STREET_COLUMNS and real_out == OUTCOME_COLUMNS
    header = paths["street"][5].read_text().splitlines()[0]
    assert header == ",".join(STREET_COLUMNS)
    assert paths["outcomes"][5].read_text().splitlines()[0] == ",".join(OUTCOME_COLUMNS)
    street = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths["street"]])
    outcomes = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths["outcomes"]])
    assert street.columns.tolist() == STREET_COLUMNS and len(street.columns) == 12
    assert outcomes.columns.tolist() == OUTCOME_COLUMNS and len(outcomes.columns) == 10
    assert street["Month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert street["Context"].eq("").all()
    asb = street["Crime type"] == "Anti-social behaviour"
    assert street.loc[asb, "Crime ID"].eq("").all() and street.loc[asb, "Last outcome category"].eq("").all()
    assert street.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    located = street["Longitude"] != ""
    assert street.loc[located, "Longitude"].str.fullmatch(r"-?\d+\.\d{6}").all()
    assert street.loc[located, "Latitude"].str.fullmatch(r"\d+\.\d{6}").all()
    assert street.loc[located, "Location"].str.startswith("On or near ").all()
    assert (street.loc[~located, "Location"] == "No Location").all()
    assert street.loc[~located, "LSOA code"].eq("").all()
    assert 0.007 < (~located).mean() < 0.016  # ~1% with no coordinates
    dup = street.loc[~asb, "Crime ID"].duplicated().sum()
    assert 3 <= dup <= 20  # a few re-used Crime IDs for ingest to quarantine
    assert len(street) == len(county.events) + dup
    assert set(outcomes["Crime ID"]) <= set(street["Crime ID"])
    assert set(street["Crime type"]) == set(POLICE_UK_CATEGORIES)
    assert {"Offender given a caution", "Local resolution", "Suspect charged",
            "Investigation complete; no suspect identified", "Unable to prosecute suspect"} <= set(
        outcomes["Outcome type"])
    assert "Awaiting court outcome" in set(street["Last outcome category"])
    # the published points are places: one per snap point used
    pub = street[located].rename(columns={"Longitude": "lon", "Latitude": "lat", "Location": "location"})
    pub = pub.assign(lon=pub["lon"].astype(float), lat=pub["lat"].astype(float))
    snaps = build(pub, "locations")
    assert snaps.n == pub[["lon", "lat"]].drop_duplicates().shape[0] <= len(county.snap_points)


def test_force_records_mapping_and_boundaries(county, written):
    out, paths = written
    fr = pd.read_csv(paths["force_records"], dtype=str, keep_default_na=False)
    assert fr.columns.tolist() == ["id", "occurred_at", "x", "y", "category", "offence_code", "offence"]
    assert fr["occurred_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    assert "Anti-social behaviour" not in set(fr["category"])
    has_xy = fr["x"] != ""
    assert 0.99 < has_xy.mean() < 1.0
    assert fr.loc[has_xy, "x"].str.fullmatch(r"\d{6}").all()
    assert {"8N", "105A", "28E", "34B", "46", "92E"} <= set(fr["offence_code"])
    mapping = yaml.safe_load(paths["mapping"].read_text())
    assert mapping["crs"] == "EPSG:27700" and mapping["time"]["timestamp"] == "occurred_at"
    named = [mapping[k] for k in ("id", "x", "y", "category", "offence_code")] + [mapping["time"]["timestamp"]]
    assert set(named) <= set(fr.columns)
    # districts GeoJSON (lon/lat) reads back as a polygons layer; events' published district matches it
    lad = read_places(paths["districts"])
    assert lad.n == len(county.districts) and lad.crs == BNG
    assert set(lad.geometry["name"]) == set(county.districts["LAD_NM"])
    ev = county.events.sample(3000, random_state=0)
    assigned = assign_polygons(ev, lad, value="name")
    agree = (assigned.to_numpy() == ev["district"].to_numpy())
    assert agree.mean() > 0.95
    lsoa = read_places(paths["lsoas"])
    assert lsoa.geometry["place_id"].iloc[0].startswith("X01")
    summary = json.loads(paths["summary"].read_text())
    assert summary["events"] == len(county.events)


def test_scale_grows_area_and_volume():
    small = generate_county(scale=0.01, years=1, seed=1)
    big = generate_county(scale=0.1, years=1, seed=1)
    ratio = len(big.events) / len(small.events)
    assert 8 < ratio < 12
    assert len(big.towns) > len(small.towns) >= 2
    assert big.districts.area.sum() / small.districts.area.sum() == pytest.approx(10, rel=0.01)


def test_bad_parameters():
    with pytest.raises(HotpatrolError) as err:
        generate_county(scale=-1)
    assert err.value.parameter == "scale"
    with pytest.raises(HotpatrolError, match="end"):
        generate_county(scale=0.02, end="December")


def test_cli_synth(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "s"), "--scale", "0.02", "--years", "1",
                              "--seed", "5", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["summary"]["months"] == 12 and payload["files"]["street_files"] == 12
    assert (tmp_path / "s" / "police_uk" / "2024-06" / "2024-06-synthshire-street.csv").exists()
    bad = runner.invoke(app, ["synth", "--out", str(tmp_path / "b"), "--scale", "9", "--json"])
    assert bad.exit_code == 2
    assert json.loads(bad.output)["error"]["parameter"] == "scale"


def test_written_files_ingest_with_quarantine(tmp_path):
    """End to end with hotpatrol's own police.uk and force-records ingest (a small town, one year)."""
    from hotpatrol.ingest import ingest
    from hotpatrol.store import Store

    county = generate_county(scale=0.02, years=1, seed=4)
    paths = county.write(tmp_path / "out")
    db = f"sqlite:///{tmp_path / 'synth.db'}"
    summary = ingest([paths["police_uk"]], db=db, boundary=paths["districts"])
    kinds = summary.by_kind()
    street = kinds["street"]
    assert street["rows"] == len(county.events) + len(county.duplicates)
    assert street["reasons"].get("duplicate-id", 0) == len(county.duplicates)
    assert street["reasons"].get("no-coordinates", 0) == int((~county.events["published"]).sum())
    assert kinds["outcomes"]["quarantined"] == 0
    fr = ingest([paths["force_records"]], db=db, mapping=paths["mapping"])
    assert fr.reasons.keys() <= {"no-coordinates"} and fr.stored > 0.99 * fr.rows
    stored = Store(db).load_events(force="Synthshire Police")
    assert set(stored["category"].dropna()) == set(POLICE_UK_CATEGORIES)
    records = stored[stored["time_precision"] == "minute"]
    assert len(records) == fr.stored
    assert set(records["offence_code"].dropna()) >= {"8N", "28E"}
