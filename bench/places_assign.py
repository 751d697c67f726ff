"""Polygon places: point-in-polygon for a year of Kent police.uk points.

Figure: ``assign_polygons`` (dedupe + STRtree + prepared contains_xy) for the 13 Kent districts
and the 1,065 LSOAs. Baseline: geopandas ``sjoin(predicate="within")`` on every point, measured in
the same run. Needs /work/shared/data (or HOTPATROL_SHARED_DATA).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotpatrol.places import event_xy
from hotpatrol.places.polygons import read_places

DATA = Path(os.environ.get("HOTPATROL_SHARED_DATA", "/work/shared/data"))


def main() -> None:
    files = sorted((DATA / "police_uk_kent_2021-03_2022-03").glob("*/*-kent-street.csv.gz"))
    ev = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files], ignore_index=True)
    ev = ev.rename(columns={"Longitude": "lon", "Latitude": "lat"}).dropna()
    for name in ("kent_medway_lad_dissolved_from_lsoa2011.geojson", "kent_medway_lsoa2011.geojson"):
        layer = read_places(DATA / "boundaries_kent_ons" / name)
        x, y, _ = event_xy(ev, layer.crs)
        t = time.perf_counter()
        idx = layer.assign(x, y)
        ours = time.perf_counter() - t
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=layer.crs)
        t = time.perf_counter()
        joined = gpd.sjoin(pts, layer.geometry[["place_id", "geometry"]], predicate="within", how="left")
        base = time.perf_counter() - t
        joined = joined[~joined.index.duplicated()]
        ours_id = pd.Series(np.where(idx >= 0, layer.place_id[np.clip(idx, 0, None)], None)).fillna("-")
        same = np.mean(ours_id.to_numpy() == joined["place_id"].fillna("-").to_numpy(dtype=object))
        print(f"{name}: {layer.n} polygons, {len(ev):,} points: assign {ours:.3f} s, "
              f"geopandas sjoin {base:.3f} s, ratio {base / ours:.1f}x, agreement {same:.4f}, "
              f"assigned {np.mean(idx >= 0):.4f}")


if __name__ == "__main__":
    main()
