"""Choosing a metric CRS and projecting events into it."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from hotpatrol.errors import HotpatrolError

BNG = "EPSG:27700"  # British National Grid, metres
_GB_BOUNDS = (-9.0, 49.0, 2.5, 61.5)  # lon_min, lat_min, lon_max, lat_max


def choose_metric_crs(lon, lat) -> str:
    """British National Grid for points in Great Britain, else the UTM zone of the median point."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise HotpatrolError("No events have coordinates, so no metric CRS can be chosen.", parameter="events")
    mlon, mlat = float(np.median(lon[ok])), float(np.median(lat[ok]))
    if not (-180 <= mlon <= 180 and -90 <= mlat <= 90):
        raise HotpatrolError(
            "Coordinates look like metres, not lon/lat.",
            parameter="lon/lat",
            given=(mlon, mlat),
            fix="Give the CRS of x/y (e.g. --crs EPSG:26910) so they can be converted.",
        )
    w, s, e, n = _GB_BOUNDS
    if w <= mlon <= e and s <= mlat <= n:
        return BNG
    zone = int((mlon + 180) // 6) + 1
    return f"EPSG:{32600 + zone if mlat >= 0 else 32700 + zone}"


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> Transformer:
    # building a Transformer costs ~0.1 s; stages convert to and from the same few CRSs many times
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_lonlat(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``crs`` to WGS84 lon/lat."""
    tr = _transformer(str(crs), "EPSG:4326")
    lon, lat = tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def from_lonlat(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 lon/lat to ``crs``."""
    tr = _transformer("EPSG:4326", str(crs))
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def project(events: pd.DataFrame, crs: str | None = None) -> pd.DataFrame:
    """Return a copy of ``events`` with ``x``/``y`` in metres (``crs`` or a chosen one).

    The chosen CRS is kept in ``result.attrs["crs"]``. The caller's frame is not modified.
    """
    crs = crs or choose_metric_crs(events["lon"], events["lat"])
    if not CRS.from_user_input(crs).is_projected:
        raise HotpatrolError(
            "The CRS for places must be projected (metres).",
            parameter="crs",
            given=crs,
            fix="Use EPSG:27700 for UK data or a UTM zone (EPSG:326xx).",
        )
    out = events.copy()
    out["x"], out["y"] = from_lonlat(events["lon"].to_numpy(float), events["lat"].to_numpy(float), crs)
    out.attrs["crs"] = crs
    return out
