"""Shared builders for the hotspot tests (not a test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.places import Grid, PlacesLayer


def polygon_layer(wkt, crs="EPSG:27700", ids=None) -> PlacesLayer:
    """A hand-made polygons PlacesLayer (what hotpatrol.places.build makes for LSOAs/H3)."""
    import geopandas as gpd
    import shapely

    geoms = shapely.from_wkt(np.asarray(wkt))
    ids = np.arange(len(geoms)) if ids is None else np.asarray(ids)
    gdf = gpd.GeoDataFrame({"place_id": ids}, geometry=geoms, crs=crs)
    cen = shapely.centroid(geoms)
    tree = shapely.STRtree(geoms)

    def assign(x, y):
        pts = shapely.points(x, y)
        src, hit = tree.query(pts, predicate="within")
        out = np.full(len(x), -1, dtype=np.int64)
        out[src] = hit
        return out

    return PlacesLayer("polygons", ids, shapely.get_x(cen), shapely.get_y(cen), crs, _assign=assign, _geometry=gdf)


def grid_layer(nx=30, ny=30, cell=150.0, x0=500000.0, y0=150000.0) -> PlacesLayer:
    return PlacesLayer.from_grid(Grid(x0, y0, cell, nx, ny, "EPSG:27700"))


def planted_events(rng, n_noise=1500, n_hot=250, centre=(502250.0, 152250.0), sd=120.0,
                   bounds=(500000.0, 150000.0, 504500.0, 154500.0)) -> pd.DataFrame:
    """Events in BNG metres: uniform noise plus a tight planted cluster; returned as lon/lat events."""
    from hotpatrol.places.crs import to_lonlat

    x = np.concatenate([rng.uniform(bounds[0], bounds[2], n_noise), rng.normal(centre[0], sd, n_hot)])
    y = np.concatenate([rng.uniform(bounds[1], bounds[3], n_noise), rng.normal(centre[1], sd, n_hot)])
    lon, lat = to_lonlat(x, y, "EPSG:27700")
    cats = rng.choice(["Violence and sexual offences", "Shoplifting", "Burglary", "Robbery"], len(x))
    months = rng.choice(pd.period_range("2021-03", "2022-02", freq="M").astype(str), len(x))
    frm = pd.to_datetime(months)
    return pd.DataFrame({"event_id": [f"e{i}" for i in range(len(x))], "month": months, "occurred_from": frm,
                         "occurred_at": frm, "lon": lon, "lat": lat, "category": cats, "x_true": x, "y_true": y})
