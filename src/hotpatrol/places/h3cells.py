"""H3 hexagon places (Uber's hierarchical hexagonal grid; ``h3>=4``).

Hexagons have one kind of neighbour (six at equal distance), which suits spatial weights better
than squares' rook/queen ambiguity. Resolution 9 cells are ~0.1 km^2 (edge ~175 m), close to the
150 m Grip box; resolution 10 ~0.015 km^2 (edge ~66 m).

h3 has no vectorised point-to-cell call, so points are deduplicated first (police.uk has ~20k
distinct snap points per force-year) and only the distinct points are converted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.places.crs import choose_metric_crs, from_lonlat, to_lonlat
from hotpatrol.places.layer import PlacesLayer

#: Refuse to fill a hull with more cells than this (a stray point makes a hull span the country).
MAX_CELLS = 2_000_000


def _cells_of(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell (as a 64-bit integer) of each point; 0 where the point has no coordinates."""
    import h3.api.numpy_int as h3n

    out = np.zeros(lon.shape, dtype=np.uint64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return out
    codes, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
    # one h3 call per distinct point, not per event
    cells = np.fromiter((h3n.latlng_to_cell(float(b), float(a), resolution) for a, b in zip(uniq.real, uniq.imag)),
                        dtype=np.uint64, count=len(uniq))
    out[ok] = cells[codes]
    return out


def _lonlat_of(events_or_lonlat) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(events_or_lonlat, pd.DataFrame):
        if not {"lon", "lat"} <= set(events_or_lonlat.columns):
            raise HotpatrolError("events need lon/lat columns for H3 places.", parameter="events")
        return events_or_lonlat["lon"].to_numpy(float), events_or_lonlat["lat"].to_numpy(float)
    try:
        lon, lat = events_or_lonlat
    except (TypeError, ValueError):
        raise HotpatrolError(
            "Give an events table or a (lon, lat) pair of arrays.",
            parameter="events_or_lonlat",
            given=type(events_or_lonlat).__name__,
        ) from None
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def h3_places(events_or_lonlat, resolution: int = 9, *, crs: str | None = None, cover: str = "events") -> PlacesLayer:
    """An H3 :class:`PlacesLayer` (kind ``"h3"``) at ``resolution`` (0-15).

    ``cover="events"`` keeps the cells that contain at least one event; ``cover="hull"`` fills the
    convex hull of the events so that empty cells between hotspots are places too (needed for
    spatial statistics that count zeros). Geometries are hexagons in the metric ``crs`` (BNG in GB);
    ``place_id`` is the H3 index as a hex string (e.g. ``'89194ad3043ffff'``).
    """
    import h3
    import shapely

    if not isinstance(resolution, (int, np.integer)) or not 0 <= int(resolution) <= 15:
        raise HotpatrolError("H3 resolution must be an integer 0-15.", parameter="resolution",
                             allowed="0..15", given=resolution)
    if cover not in ("events", "hull"):
        raise HotpatrolError("Unknown value for cover.", parameter="cover", allowed=["events", "hull"], given=cover)
    resolution = int(resolution)
    lon, lat = _lonlat_of(events_or_lonlat)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise HotpatrolError("No events have coordinates, so no H3 cells can be made.", parameter="events")
    crs = crs or choose_metric_crs(lon, lat)
    cells = np.unique(_cells_of(lon, lat, resolution)[ok])
    if cover == "hull":
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon[ok], lat[ok]])))
        if isinstance(hull, shapely.Polygon):
            hx, hy = from_lonlat(*np.asarray(hull.exterior.coords).T, crs)
            n_est = shapely.Polygon(np.column_stack([hx, hy])).area / h3.average_hexagon_area(resolution, unit="m^2")
            if n_est > MAX_CELLS:
                raise HotpatrolError(
                    f"Filling the events' hull with resolution {resolution} cells needs ~{n_est:,.0f} cells: "
                    "a stray point far away?",
                    parameter="cover", given=cover,
                    fix="Remove points outside the study area (ingest --boundary), use cover='events' or a coarser "
                        "resolution.")
            ring = [(b, a) for a, b in np.asarray(hull.exterior.coords)[:-1]]
            filled = h3.h3shape_to_cells(h3.LatLngPoly(ring), resolution)
            cells = np.union1d(cells, np.array([h3.str_to_int(c) for c in filled], dtype=np.uint64))
    ids = np.array([h3.int_to_str(int(c)) for c in cells], dtype=object)
    # hexagon boundaries (lat, lng) -> metric polygons, vectorised over all vertices
    bounds = [h3.cell_to_boundary(c) for c in ids]
    nvert = np.array([len(b) for b in bounds])
    latlng = np.concatenate([np.asarray(b, dtype=float) for b in bounds])
    vx, vy = from_lonlat(latlng[:, 1], latlng[:, 0], crs)
    ring_index = np.repeat(np.arange(len(ids)), nvert)
    polys = shapely.polygons(shapely.linearrings(np.column_stack([vx, vy]), indices=ring_index))
    cent = shapely.centroid(polys)

    import geopandas as gpd

    geometry = gpd.GeoDataFrame({"place_id": ids, "name": ids, "resolution": resolution}, geometry=polys, crs=crs)
    index = pd.Index(cells)

    def assign(x: np.ndarray, y: np.ndarray, _index=index, _crs=crs, _res=resolution) -> np.ndarray:
        out = np.full(x.shape, -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return out
        codes, uniq = pd.factorize(x[ok] + 1j * y[ok])
        ulon, ulat = to_lonlat(uniq.real, uniq.imag, _crs)
        pos = _index.get_indexer(_cells_of(ulon, ulat, _res))
        out[ok] = pos[codes]
        return out

    return PlacesLayer("h3", ids, shapely.get_x(cent), shapely.get_y(cent), crs, _assign=assign, _geometry=geometry)
