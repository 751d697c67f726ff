"""Patrol selection, plans and timing on real open data (skipped when ../shared/data is absent)."""

import numpy as np
import pandas as pd
import pytest

from hotpatrol.patrol.hotspot_table import hotspots_from_events
from hotpatrol.patrol.plan import create_plan
from hotpatrol.patrol.select import select_hotspots
from hotpatrol.timeprofile import time_profile

pytestmark = pytest.mark.shared_data


def _essex(shared_data):
    files = sorted((shared_data / "police_uk_essex_2025").glob("*/*street*"))
    raw = pd.concat([pd.read_csv(f, usecols=["Month", "Longitude", "Latitude", "LSOA name", "Crime type"])
                     for f in files], ignore_index=True).dropna(subset=["Longitude", "Latitude"])
    month = pd.to_datetime(raw["Month"] + "-01")
    return pd.DataFrame({"event_id": np.arange(len(raw)).astype(str), "lon": raw["Longitude"].to_numpy(),
                         "lat": raw["Latitude"].to_numpy(), "category": raw["Crime type"].to_numpy(),
                         "occurred_from": month.to_numpy(), "occurred_to": (month + pd.DateOffset(months=1)).to_numpy(),
                         "occurred_at": month.to_numpy(), "time_precision": "month",
                         "district": raw["LSOA name"].str.rsplit(" ", n=1).str[0].to_numpy()})


def test_southend_style_pilot_on_essex_police_uk(shared_data, tmp_path):
    ev = _essex(shared_data)
    south = ev[ev["district"].isin(["Southend-on-Sea", "Castle Point", "Rochford"])]
    hs = hotspots_from_events(south, cell=150, scheme="cchi", months=None, district_column="district")
    assert hs.attrs["crs"] == "EPSG:27700"
    sel = select_hotspots(hs, n=20, min_spacing=300, per_district_min=2, capacity_hours=11, k=8, visits=3,
                          dwell=15, travel=10)
    f = sel.to_frame()
    assert len(f) == 20 and sel.optimal
    counts = f["district"].value_counts()
    assert counts.min() >= 2 and set(counts.index) == {"Southend-on-Sea", "Castle Point", "Rochford"}
    xy = f[["x", "y"]].to_numpy()
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert d[np.triu_indices(20, 1)].min() >= 300
    costs = sel.constraint_costs().set_index("constraint")
    assert costs.loc["spacing", "harm_cost"] > 0  # town-centre cells are adjacent: spacing costs harm
    # the unconstrained top 20 covers at least as much harm
    assert hs["harm"].nlargest(20).sum() >= sel.harm_covered
    # the Southend pilot: 8 of 20 a day for 90 days; police.uk data has no times, so profiles are uniform
    plan = create_plan(sel, days=90, k=8, seed=2025, start="2026-01-05", events=south, teams=2)
    c = plan.allocation.counts()
    assert c.min() == 36 and c.max() == 36  # 90 x 8 / 20
    assert any("monthly" in n for n in plan.profile.notes)
    assert len(plan.crimes) > 0
    assert len(plan.schedule) == 90 * 8 * 3


def test_vancouver_minute_times_give_night_peaks(shared_data):
    raw = pd.read_csv(shared_data / "timestamped_vancouver_2022" / "vpd_crimedata_AllNeighbourhoods_2022.csv.gz")
    raw = raw[(raw["X"] > 0) & (raw["Y"] > 0)]
    at = pd.to_datetime(raw[["YEAR", "MONTH", "DAY", "HOUR", "MINUTE"]].rename(columns=str.lower))
    ev = pd.DataFrame({"event_id": np.arange(len(raw)).astype(str), "x": raw["X"].to_numpy(), "y": raw["Y"].to_numpy(),
                       "category": raw["TYPE"].to_numpy(), "occurred_at": at.to_numpy(), "occurred_from": at.to_numpy(),
                       "occurred_to": at.to_numpy(), "time_precision": "minute"})
    hs = hotspots_from_events(ev, cell=150, scheme="count", months=None, crs="EPSG:26910")
    top = hs.head(10)
    prof = time_profile(ev, top, cell=150)
    assert prof.n_timed.min() >= 50
    h = prof.hourly().to_numpy()
    # real profiles are far from uniform: the busiest hour has well over 1/24 of the risk
    assert (h.max(axis=1) > 1.5 / 24).all()
    # force-wide: the small hours (03:00-05:59) are quieter than the evening (18:00-20:59)
    f = prof.force.reshape(7, 24).sum(axis=0)
    assert f[3:6].sum() < f[18:21].sum()
    shares = prof.shift_shares()
    np.testing.assert_allclose(shares.groupby("place_id")["share"].sum(), 1.0)
