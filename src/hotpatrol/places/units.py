"""One entry point that the hotspot, forecast and patrol stages call to get their places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.places.crs import choose_metric_crs, from_lonlat
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer

UNITS = ("grid", "h3", "locations")
_BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".topojson")


def event_xy(events: pd.DataFrame, crs: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """x/y in metres of each event: reuses ``x``/``y`` when ``events.attrs['crs']`` matches, else projects."""
    have_xy = {"x", "y"} <= set(events.columns) and events.attrs.get("crs")
    if have_xy and (crs is None or events.attrs["crs"] == crs):
        return events["x"].to_numpy(float), events["y"].to_numpy(float), events.attrs["crs"]
    if not {"lon", "lat"} <= set(events.columns):
        raise HotpatrolError("events need lon/lat (or x/y with attrs['crs']).", parameter="events")
    lon, lat = events["lon"].to_numpy(float), events["lat"].to_numpy(float)
    crs = crs or choose_metric_crs(lon, lat)
    codes, uniq = pd.factorize(lon + 1j * lat)
    ux, uy = from_lonlat(uniq.real, uniq.imag, crs)
    x = np.full(len(events), np.nan)
    y = np.full(len(events), np.nan)
    ok = codes >= 0
    x[ok], y[ok] = ux[codes[ok]], uy[codes[ok]]
    return x, y, crs


def build(
    events: pd.DataFrame,
    unit: str | Path = "grid",
    *,
    cell: float | None = None,
    crs: str | None = None,
    resolution: int = 9,
    cover: str = "events",
    tolerance: float | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> PlacesLayer:
    """The places layer for ``events``.

    unit : ``"grid"`` (square cells of ``cell`` metres covering the events or ``bounds``),
        ``"h3"`` (H3 hexagons at ``resolution``; ``cover="hull"`` fills gaps),
        ``"locations"`` (police.uk snap points; ``tolerance`` metres, default 1) or a path to a
        boundary file (GeoJSON/GeoPackage/Shapefile: LSOAs, wards, districts; ``tolerance`` metres
        snaps points just outside to the nearest polygon, default 0).
    crs : metric CRS; chosen from the events when None (EPSG:27700 in Great Britain).
    """
    cell = settings.resolve("cell", cell)
    if isinstance(unit, Path) or (isinstance(unit, str) and unit not in UNITS):
        path = Path(unit)
        if path.suffix.lower() in _BOUNDARY_SUFFIXES or path.exists():
            from hotpatrol.places.polygons import read_places

            if crs is None and len(events):
                crs = event_xy(events)[2]
            return read_places(path, id_column=id_column, name_column=name_column, crs=crs,
                               tolerance=0.0 if tolerance is None else tolerance)
        raise HotpatrolError(
            "Unknown places unit.",
            parameter="unit",
            allowed=list(UNITS) + ["<path to .geojson/.gpkg boundary file>"],
            given=str(unit),
        )
    if unit == "grid":
        x, y, crs = event_xy(events, crs)
        return PlacesLayer.from_grid(Grid.covering(x, y, cell=cell, crs=crs, bounds=bounds))
    if unit == "h3":
        from hotpatrol.places.h3cells import h3_places

        return h3_places(events, resolution, crs=crs, cover=cover)
    from hotpatrol.places.locations import EXACT_TOLERANCE, location_places

    return location_places(events, crs=crs, tolerance=EXACT_TOLERANCE if tolerance is None else tolerance)
