"""A study-area boundary (GeoJSON / GeoPackage / any OGR file) for the outside-boundary check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from hotpatrol.errors import HotpatrolError


class Boundary:
    """The union of a file's polygons in WGS84; ``contains(lon, lat)`` is vectorised (points on the edge count)."""

    def __init__(self, geometry, path: str | None = None) -> None:
        """A prepared (shapely) ``geometry`` in WGS84, read from ``path`` if given."""
        self.geometry = geometry
        self.path = path
        shapely.prepare(self.geometry)

    @classmethod
    def read(cls, path) -> "Boundary":
        """The union of the polygons in a GeoPackage/GeoJSON/Shapefile, reprojected to WGS84; raises :class:`HotpatrolError` naming the file."""
        from hotpatrol.places.polygons import read_vector

        path = Path(path)
        frame = read_vector(path, parameter="boundary", given=str(path),
                            fix="Give a GeoJSON or GeoPackage of the study area.")
        polys = frame[frame.geometry.notna() & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys) == 0:
            raise HotpatrolError("The boundary file has no polygons.", parameter="boundary", given=str(path))
        if polys.crs is not None:
            polys = polys.to_crs("EPSG:4326")
        return cls(shapely.union_all(shapely.make_valid(polys.geometry.to_numpy())), str(path))

    def contains(self, lon, lat) -> np.ndarray:
        """Boolean array: which (lon, lat) points fall inside or on the boundary (NaN coordinates: False)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        finite = np.isfinite(lon) & np.isfinite(lat)
        out = np.zeros(len(lon), dtype=bool)
        out[finite] = shapely.intersects_xy(self.geometry, lon[finite], lat[finite])
        return out
