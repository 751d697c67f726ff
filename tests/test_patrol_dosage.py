"""Dosage on hand-made ping tracks: jitter, gaps, jumps, duplicates, contamination, compliance."""

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.dosage import clean_pings, dosage, read_pings
from hotpatrol.patrol.geofence import Geofences

CRS = "EPSG:27700"
# two 150 m hotspots 600 m apart
HOT = pd.DataFrame({"hotspot_id": ["A", "B"], "x": [500_075.0, 500_675.0], "y": [200_075.0, 200_075.0],
                    "cell": 150.0, "crs": CRS})


def track(officer, start, seconds, x, y):
    t = pd.Timestamp(start) + pd.to_timedelta(np.asarray(seconds), unit="s")
    return pd.DataFrame({"officer_id": officer, "timestamp": t, "x": np.asarray(x, float), "y": np.asarray(y, float)})


def dwell(officer, start, minutes, cx, cy, every=15, jitter=5.0, seed=0):
    rng = np.random.default_rng(seed)
    s = np.arange(0, minutes * 60 + 1, every)
    return track(officer, start, s, cx + rng.normal(0, jitter, len(s)), cy + rng.normal(0, jitter, len(s)))


def test_fifteen_minute_visit_with_edge_jitter_is_one_koper_visit():
    # officer stands on the east kerb of A (x = 500_150 is the cell edge); jitter takes pings
    # in and out of the geofence for a few seconds at a time
    p = dwell("PC1", "2026-01-05 18:00", 15, 500_170.0, 200_075.0, jitter=1.0)
    out = (np.arange(len(p)) % 7) == 3  # every 7th ping 40 m outside the 25 m margin (15 s exits)
    p.loc[out, "x"] += 40
    r = dosage(p, hotspots=HOT, crs=CRS)
    v = r.visits
    assert len(v) == 1 and v["hotspot_id"].iloc[0] == "A"
    assert v["minutes"].iloc[0] == pytest.approx(15.0)
    assert bool(v["koper"].iloc[0])
    t = r.to_frame()
    assert t["minutes"].iloc[0] == pytest.approx(15.0) and t["koper_visits"].iloc[0] == 1
    # with no margin the kerb pings are outside: no visit at all
    assert len(dosage(p, hotspots=HOT, crs=CRS, margin=0).visits) == 0


def test_gap_splits_visit_and_long_exit_splits_visit():
    a = dwell("PC1", "2026-01-05 18:00", 6, 500_075.0, 200_075.0)
    b = dwell("PC1", "2026-01-05 18:10", 6, 500_075.0, 200_075.0)  # 4-minute silence: gap > 120 s
    r = dosage(pd.concat([a, b]), hotspots=HOT, crs=CRS)
    assert len(r.visits) == 2
    assert r.visits["minutes"].tolist() == pytest.approx([6.0, 6.0])
    assert r.to_frame()["koper_visits"].iloc[0] == 0  # neither reaches 10 minutes
    # a 90 s walk outside (pings continue) also splits; a 45 s one does not
    for away, n_visits in ((90, 2), (45, 1)):
        s = np.arange(0, 20 * 60 + 1, 15)
        x = np.where((s > 600) & (s <= 600 + away), 500_400.0, 500_075.0)
        p = track("PC2", "2026-01-06 18:00", s, x, np.full(len(s), 200_075.0))
        assert len(dosage(p, hotspots=HOT, crs=CRS).visits) == n_visits


def test_jump_and_duplicates_quarantined_with_reasons_and_not_silently_dropped():
    p = dwell("PC1", "2026-01-05 18:00", 12, 500_075.0, 200_075.0)
    p.loc[10, "x"] += 8000  # 8 km spike in 15 s
    p = pd.concat([p, p.iloc[[3, 4]]], ignore_index=True)  # exact duplicates
    p = p.sample(frac=1, random_state=1)  # out of order is fine
    bad = pd.DataFrame({"officer_id": ["PC1", "PC1"], "timestamp": ["not a time", "2026-01-05 18:03:00"],
                        "x": [500_075.0, np.nan], "y": [200_075.0, 200_075.0]})
    p = pd.concat([p.astype({"timestamp": str}), bad], ignore_index=True)
    r = dosage(p, hotspots=HOT, crs=CRS)
    assert r.quarantine_counts() == {"gps_jump": 1, "duplicate": 2, "bad_timestamp": 1, "bad_coordinates": 1}
    assert r.n_pings == len(p) and r.n_pings == len(r.quarantine) + 48  # 49 track pings, one of them the jump
    assert len(r.visits) == 1 and r.visits["minutes"].iloc[0] == pytest.approx(12.0)
    # a jump is judged against the *first* ping too
    q = dwell("PC3", "2026-01-05 18:00", 3, 500_075.0, 200_075.0)
    q.loc[0, "y"] += 5000
    _, quar = clean_pings(read_pings(q, crs=CRS))
    assert quar["reason"].tolist() == ["gps_jump"] and quar["row"].tolist() == [0]


def test_unknown_officer_quarantined():
    p = pd.concat([dwell("PC1", "2026-01-05 18:00", 11, 500_075.0, 200_075.0),
                   dwell("XX9", "2026-01-05 18:00", 11, 500_675.0, 200_075.0)])
    r = dosage(p, hotspots=HOT, crs=CRS, officers=["PC1"])
    assert r.quarantine_counts() == {"unknown_officer": 45}
    assert set(r.visits["hotspot_id"]) == {"A"}


def test_compliance_contamination_day_boundary_and_presence_union():
    alloc = pd.DataFrame({"day": ["2026-01-05", "2026-01-05", "2026-01-06", "2026-01-06"],
                          "hotspot_id": ["A", "B", "A", "B"], "patrolled": [True, False, False, True]})
    p = pd.concat([
        dwell("PC1", "2026-01-05 22:00", 15, 500_075.0, 200_075.0),            # planned A, delivered
        dwell("PC2", "2026-01-05 22:05", 15, 500_080.0, 200_070.0, seed=2),    # overlapping officer at A
        dwell("PC1", "2026-01-06 05:00", 12, 500_675.0, 200_075.0),            # 05:00 is still op-day 5th: B control!
        dwell("PC1", "2026-01-06 20:00", 5, 500_675.0, 200_075.0),             # planned B on the 6th: only 5 min
    ])
    r = dosage(p, hotspots=HOT, crs=CRS, allocation=alloc)
    t = r.to_frame().set_index(["day", "hotspot_id"])
    a5 = t.loc[(pd.Timestamp("2026-01-05"), "A")]
    assert a5["officer_minutes"] == pytest.approx(30.0) and a5["minutes"] == pytest.approx(20.0)
    assert bool(a5["delivered"]) and a5["visits"] == 2
    b5 = t.loc[(pd.Timestamp("2026-01-05"), "B")]
    assert bool(b5["contamination"]) and b5["minutes"] == pytest.approx(12.0)
    b6 = t.loc[(pd.Timestamp("2026-01-06"), "B")]
    assert b6["planned"] and not b6["delivered"] and b6["minutes"] == pytest.approx(5.0)
    c = r.compliance()
    assert c["planned_hotspot_days"] == 2 and c["delivered_hotspot_days"] == 1 and c["compliance"] == 0.5
    from hotpatrol.patrol.design import allocate

    design = allocate(["A", "B"], start="2026-01-05", days=2, k=1, seed=3)  # an Allocation object works too
    assert dosage(p, hotspots=HOT, crs=CRS, allocation=design).compliance()["planned_hotspot_days"] == 2
    assert c["contaminated_hotspot_days"] == 1 and c["any_presence_rate"] == 1.0
    assert "compliance" in r.summary().as_text()


def test_sparse_pings_do_not_make_a_visit_and_logs_work(tmp_path):
    # two pings four minutes apart (0.5 pings/min): below the 2 pings/min dwell rule
    p = track("PC1", "2026-01-05 18:00", [0, 110, 220], [500_075.0] * 3, [200_075.0] * 3)
    r = dosage(p, hotspots=HOT, crs=CRS)
    assert len(r.visits) == 1 and not r.visits["valid"].iloc[0] and len(r.to_frame()) == 0
    logs = pd.DataFrame({"officer_id": ["PC1", "PC1", "PC2"], "hotspot_id": ["A", "Z", "B"],
                         "start": ["2026-01-05 19:00", "2026-01-05 19:00", "2026-01-05 20:00"],
                         "end": ["2026-01-05 19:17", "2026-01-05 19:10", "2026-01-05 19:00"]})
    r = dosage(hotspots=HOT, crs=CRS, logs=logs)
    assert r.quarantine["reason"].tolist() == ["unknown_hotspot", "bad_log_times"]
    assert r.visits["minutes"].tolist() == [17.0] and bool(r.visits["koper"].iloc[0])
    out = r.write(tmp_path / "d.csv")
    assert out.exists() and (tmp_path / "d.quarantine.csv").exists()


def test_lonlat_pings_and_errors():
    from hotpatrol.places.crs import to_lonlat

    p = dwell("PC1", "2026-01-05 18:00", 11, 500_075.0, 200_075.0)
    lon, lat = to_lonlat(p["x"], p["y"], CRS)
    ll = pd.DataFrame({"officer": p["officer_id"], "time": p["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "longitude": lon, "latitude": lat})
    r = dosage(ll, hotspots=HOT, crs=CRS)
    # Z times are UTC; in January UTC == Europe/London
    assert len(r.visits) == 1 and r.visits["start"].iloc[0] == pd.Timestamp("2026-01-05 18:00", tz="Europe/London")
    with pytest.raises(HotpatrolError, match="margin"):
        dosage(p, hotspots=HOT, crs=CRS, margin=-1)
    with pytest.raises(HotpatrolError, match="officer id and a timestamp"):
        dosage(p.rename(columns={"officer_id": "who"}), hotspots=HOT, crs=CRS)
    with pytest.raises(HotpatrolError, match="pings, visit logs"):
        dosage(hotspots=HOT, crs=CRS)


def test_geofence_overlap_goes_to_nearest_centre_and_polygons():
    import geopandas as gpd
    import shapely

    g = Geofences.from_frame(pd.DataFrame({"hotspot_id": [1, 2], "x": [75.0 + 1e5, 225.0 + 1e5],
                                           "y": [75.0 + 1e5] * 2, "cell": 150, "crs": CRS}), margin=25)
    idx = g.assign([1e5 + 140, 1e5 + 160, 1e5 + 400, 1e5 - 20, 1e5 - 30], [1e5 + 75] * 5)
    assert idx.tolist() == [0, 1, -1, 0, -1]
    tri = gpd.GeoDataFrame({"hotspot_id": ["T"]}, geometry=[shapely.Polygon([(0, 0), (300, 0), (0, 300)])],
                           crs=CRS).translate(1e5, 1e5)
    tri = gpd.GeoDataFrame({"hotspot_id": ["T"]}, geometry=tri, crs=CRS)
    gt = Geofences.from_frame(tri, margin=0)
    assert gt.assign([1e5 + 50, 1e5 + 250], [1e5 + 50, 1e5 + 250]).tolist() == [0, -1]


def test_fast_sort_order_matches_lexsort_including_ties_within_a_millisecond():
    from hotpatrol.patrol.dosage import _sort_order

    rng = np.random.default_rng(0)
    n = 50_000
    c = rng.integers(0, 30, n).astype(np.int32)
    t = rng.integers(0, 10**7, n) * 1000  # microsecond times: many share a millisecond
    x, y = rng.integers(0, 3, n).astype(float), rng.integers(0, 3, n).astype(float)
    o, r = _sort_order(c, t, x, y, np.ones(n, bool)), np.lexsort((y, x, t, c))
    for a in (c, t, x, y):
        np.testing.assert_array_equal(a[o], a[r])
