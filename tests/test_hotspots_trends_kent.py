"""Real data: Kent police.uk street crime (13 months) -> violence harm cube -> concentration,
stability, change and a map with the Kent district boundaries."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

VIOLENT = ["Violence and sexual offences", "Robbery", "Possession of weapons"]


@pytest.fixture(scope="module")
def kent(shared_data):
    files = sorted(glob.glob(str(shared_data / "police_uk_kent_2021-03_2022-03" / "*" / "*-street.csv.gz")))
    if not files:
        pytest.skip("Kent street files not present")
    df = pd.concat([pd.read_csv(f, usecols=["Month", "Longitude", "Latitude", "Crime type"]) for f in files],
                   ignore_index=True).dropna(subset=["Longitude", "Latitude"])
    when = pd.to_datetime(df["Month"])
    return pd.DataFrame({"event_id": np.arange(len(df)).astype(str), "lon": df["Longitude"].to_numpy(),
                         "lat": df["Latitude"].to_numpy(), "occurred_from": when.to_numpy(),
                         "category": df["Crime type"].to_numpy()})


def test_kent_violence_concentration_stability_change_and_map(kent, shared_data, tmp_path):
    from hotpatrol.harm import harm
    from hotpatrol.hotspots.change import change
    from hotpatrol.hotspots.concentration import concentration
    from hotpatrol.hotspots.cube import build_cube
    from hotpatrol.hotspots.stability import stability
    from hotpatrol.places.crs import project
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    ev = project(kent, crs="EPSG:27700")
    grid = Grid.covering(ev["x"], ev["y"], cell=150, crs="EPSG:27700")
    cube = build_cube(ev, PlacesLayer.from_grid(grid), scheme="cchi", categories=VIOLENT, drop_empty=True)
    assert cube.labels[0] == "2021-03" and cube.n_periods == 13
    violent = kent[kent["category"].isin(VIOLENT)]
    # every violent event lands in one active cell: harm totals agree with the harm scheme directly
    assert cube.values.sum() == pytest.approx(harm(violent, "cchi").sum())
    assert cube.events.sum() == len(violent)

    conc = concentration(cube).to_frame()
    months = conc[conc["period"] != "all"]
    # monthly data are sparse (fewer events than active cells): generalised Gini is lower than plain Gini
    assert months["sparse"].all()
    assert (months["gini_generalized"] < months["gini"]).all()
    # harm is concentrated: half of it in a small share of the cells with any violence
    assert (conc["places_for_50pct_of_nonzero"] < 0.3).all()

    st = stability(cube, top=50)
    assert 0 < st.mean_jaccard < 1
    assert st.to_frame()["periods_in_top"].max() <= 13

    ch = change(("2021-03", "2021-08"), ("2021-09", "2022-02"), cube=cube, top=50).to_frame()
    assert (ch["top_status"] != "").sum() >= 50

    out = concentration(cube).write(
        tmp_path / "kent.png",
        boundaries=shared_data / "boundaries_kent_ons" / "kent_medway_lad_dissolved_from_lsoa2011.geojson",
        boundary_label="LAD_NM")
    assert out.stat().st_size > 50_000
