"""GIS and spreadsheet exports of a patrol plan.

- ``write_csv``: every visit with times, team, shift and the hotspot's lon/lat;
- ``write_geojson``: the hotspots (cells or points) in WGS84 with patrol days, peak hours, shift shares.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.places.crs import to_lonlat


def hotspot_lonlat(plan) -> pd.DataFrame:
    """The plan's hotspots as place_id, lon, lat (WGS84 degrees) rows, from their x/y in ``plan.crs``."""
    hs = plan.hotspots
    lon, lat = to_lonlat(hs["x"].to_numpy(float), hs["y"].to_numpy(float), plan.crs)
    return pd.DataFrame({"place_id": hs["place_id"].to_numpy(), "lon": lon, "lat": lat})


def write_csv(plan, path: str | Path) -> Path:
    """The visit schedule with the hotspot's rank and lon/lat, one row per visit."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ll = hotspot_lonlat(plan).assign(rank=plan.hotspots["rank"].to_numpy())
    ll["key"] = ll["place_id"].astype(str)
    out = plan.schedule.assign(key=plan.schedule["hotspot_id"].astype(str)).merge(
        ll.drop(columns="place_id"), on="key", how="left").drop(columns="key")
    out["lon"] = out["lon"].round(6)
    out["lat"] = out["lat"].round(6)
    out.to_csv(path, index=False)
    return path


def hotspot_geodataframe(plan):
    """Hotspot cells (squares of ``cell`` metres) or points, WGS84, with plan attributes."""
    import geopandas as gpd
    import shapely

    hs = plan.hotspots.copy()
    cell = plan.params.get("cell")
    if cell:
        h = float(cell) / 2
        geom = shapely.box(hs["x"] - h, hs["y"] - h, hs["x"] + h, hs["y"] + h)
    else:
        geom = shapely.points(hs["x"], hs["y"])
    counts = plan.allocation.counts()
    hs["patrol_days"] = [int(counts.get(p, 0)) for p in hs["place_id"]]
    peaks = plan.profile.peak_hours(3).set_index("place_id")["peak_hours"]
    hs["peak_hours"] = [peaks.get(p, "") for p in hs["place_id"]]
    shares = plan.profile.shift_shares([tuple(s) for s in plan.params["shifts"]])
    wide = shares.pivot(index="place_id", columns="shift", values="share")
    for s in wide.columns:
        hs[f"share_{s}"] = [round(float(wide.loc[p, s]), 4) if p in wide.index else np.nan for p in hs["place_id"]]
    hs["place_id"] = hs["place_id"].astype(str)
    gdf = gpd.GeoDataFrame(hs, geometry=np.asarray(geom), crs=plan.crs)
    return gdf.to_crs("EPSG:4326")


def write_geojson(plan, path: str | Path) -> Path:
    """Write the plan's hotspots (:func:`hotspot_geodataframe`, WGS84) as GeoJSON to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    hotspot_geodataframe(plan).to_file(path, driver="GeoJSON")
    return path
