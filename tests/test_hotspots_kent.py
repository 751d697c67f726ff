"""Kent police.uk (shared data): Kent's rule of at least one hotspot per district, and Gi* on a real month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hotpatrol.hotspots as hs


@pytest.fixture(scope="module")
def kent(shared_data):
    path = shared_data / "police_uk_kent_2021-03_2022-03" / "2021-03" / "2021-03-kent-street.csv.gz"
    raw = pd.read_csv(path).dropna(subset=["Longitude", "Latitude"]).reset_index(drop=True)
    month = pd.to_datetime(raw["Month"])
    events = pd.DataFrame({"event_id": np.arange(len(raw)).astype(str), "month": raw["Month"],
                           "occurred_from": month, "occurred_at": month, "lon": raw["Longitude"],
                           "lat": raw["Latitude"], "category": raw["Crime type"]})
    county = shared_data / "boundaries_kent_ons" / "kent_medway_lad_dissolved_from_lsoa2011.geojson"
    return events, county


@pytest.mark.slow
@pytest.mark.shared_data
def test_kent_top20_with_one_hotspot_per_district(kent):
    events, county = kent
    data = hs.prepare(events, "harm", cell=150, area=county)
    assert data.meta["outside_area"] >= 0 and data.meta["analysed_events"] > 0.95 * len(events)
    res = hs.run("rank", data, top=20, min_spacing=300.0, per_district_min=1, districts=county)
    f = res.to_frame()
    assert len(f) == 20 and f["district"].nunique() == 13  # Kent + Medway: 13 districts, each represented
    assert f["value"].is_monotonic_decreasing and (f["reason"] == "district minimum").any()
    xy = f[["x", "y"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(f), 1)].min() >= 300


@pytest.mark.slow
@pytest.mark.shared_data
def test_kent_gi_flags_town_centres(kent):
    events, county = kent
    data = hs.prepare(events, "count", cell=150, area=county)
    res = hs.run("gi", data, permutations=199, seed=1)
    hot = res.bins >= 2
    assert 0 < hot.sum() < 0.05 * data.places.n
    # the hot cells hold far more than their share of the events
    assert data.values[hot].sum() / data.values.sum() > 5 * hot.mean()
