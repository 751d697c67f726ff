"""police.uk snap points ("On or near ...") as places.

police.uk moves every crime to the nearest of a fixed set of anonymous map points (street
segments, car parks, supermarkets ...) so a force-year has only ~20k distinct points. Those points
are natural micro-places: each distinct (lon, lat) becomes one place named after its most frequent
location text, drawn as a small circle. Points are assigned by nearest snap point within a
tolerance (cKDTree), so exact police.uk coordinates match exactly and force records' true
coordinates can be snapped to the nearest published point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotpatrol.errors import HotpatrolError
from hotpatrol.places.crs import choose_metric_crs, from_lonlat
from hotpatrol.places.layer import PlacesLayer

#: Default matching tolerance in metres: police.uk rounds to 6 decimals (~0.1 m); 1 m absorbs reprojection.
EXACT_TOLERANCE = 1.0


def location_places(
    events: pd.DataFrame,
    *,
    crs: str | None = None,
    buffer: float = 25.0,
    tolerance: float = EXACT_TOLERANCE,
) -> PlacesLayer:
    """A :class:`PlacesLayer` (kind ``"locations"``) of the distinct snap points in ``events``.

    Parameters
    ----------
    events : events table with ``lon``/``lat`` and (optionally) ``location``.
    crs : metric CRS (chosen from the data when None: BNG in Great Britain).
    buffer : radius in metres of the circle drawn for each point (for maps and joins).
    tolerance : a point is assigned to the nearest snap point within this many metres, else -1.
        Use e.g. 250 to snap force records' exact coordinates to police.uk points.

    ``place_id`` is ``"<lon>,<lat>"`` with 6 decimals, stable across loads of the same data.
    """
    import geopandas as gpd
    import shapely

    if not {"lon", "lat"} <= set(events.columns):
        raise HotpatrolError("events need lon/lat columns for location places.", parameter="events")
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise HotpatrolError("tolerance must be a positive number of metres.", parameter="tolerance", given=tolerance)
    lon = events["lon"].to_numpy(float).round(6)
    lat = events["lat"].to_numpy(float).round(6)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise HotpatrolError("No events have coordinates, so there are no snap points.", parameter="events")
    text = (events["location"].astype("string").fillna("") if "location" in events.columns
            else pd.Series("", index=events.index, dtype="string"))
    frame = pd.DataFrame({"lon": lon[ok], "lat": lat[ok], "location": text.to_numpy()[ok]})
    # most frequent location text per point (ties: alphabetical), and the number of events there
    counts = frame.groupby(["lon", "lat", "location"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["lon", "lat", "n", "location"], ascending=[True, True, False, True], kind="stable")
    best = counts.drop_duplicates(["lon", "lat"]).reset_index(drop=True)
    totals = frame.groupby(["lon", "lat"], sort=True).size().to_numpy()
    crs = crs or choose_metric_crs(best["lon"], best["lat"])
    x, y = from_lonlat(best["lon"].to_numpy(), best["lat"].to_numpy(), crs)
    ids = np.array([f"{a:.6f},{b:.6f}" for a, b in zip(best["lon"], best["lat"])], dtype=object)
    geometry = gpd.GeoDataFrame(
        {"place_id": ids, "name": best["location"].to_numpy(dtype=object), "lon": best["lon"].to_numpy(),
         "lat": best["lat"].to_numpy(), "n_events": totals},
        geometry=shapely.buffer(shapely.points(x, y), buffer, quad_segs=4),
        crs=crs,
    )
    tree = cKDTree(np.column_stack([x, y]))

    def assign(px: np.ndarray, py: np.ndarray, _tree=tree, _tol=float(tolerance)) -> np.ndarray:
        out = np.full(px.shape, -1, dtype=np.int64)
        good = np.isfinite(px) & np.isfinite(py)
        if not good.any():
            return out
        codes, uniq = pd.factorize(px[good] + 1j * py[good])
        dist, idx = _tree.query(np.column_stack([uniq.real, uniq.imag]), distance_upper_bound=_tol)
        idx = np.where(np.isfinite(dist), idx, -1)
        out[good] = idx[codes]
        return out

    return PlacesLayer("locations", ids, np.asarray(x), np.asarray(y), crs, _assign=assign, _geometry=geometry)
