"""Geofences round patrol hotspots and a fast point -> hotspot lookup.

A hotspot's geofence is its square cell (or polygon) grown by ``margin`` metres, so an officer
standing on the kerb of a 150 m box still counts. Geofences of neighbouring cells overlap in their
margins; a point inside several goes to the hotspot whose centre is nearest (one officer is at one
place at a time).

The lookup hashes points into a coarse :class:`~hotpatrol.places.grid.Grid` whose cell is at least
the largest geofence, so each point is tested against only the few geofences registered in its
hash cell (numba), never against all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.places.grid import Grid

DEFAULT_MARGIN = 25.0


@dataclass(eq=False)
class Geofences:
    """``n`` hotspots: ids (str), the core boxes/polygons in metres and the margin round them."""

    hotspot_id: np.ndarray  # str labels
    xmin: np.ndarray
    ymin: np.ndarray
    xmax: np.ndarray
    ymax: np.ndarray
    crs: str
    margin: float = DEFAULT_MARGIN
    polygons: object = None  # GeoSeries of non-square cores (None when every hotspot is a box)

    @property
    def n(self) -> int:
        """Number of hotspots."""
        return len(self.hotspot_id)

    @property
    def cx(self) -> np.ndarray:
        """Centre x of each hotspot (metres)."""
        return (self.xmin + self.xmax) / 2

    @property
    def cy(self) -> np.ndarray:
        """Centre y of each hotspot (metres)."""
        return (self.ymin + self.ymax) / 2

    def with_margin(self, margin: float) -> "Geofences":
        """The same geofences with another ``margin`` (metres, >= 0)."""
        _check_margin(margin)
        return Geofences(self.hotspot_id, self.xmin, self.ymin, self.xmax, self.ymax, self.crs, float(margin),
                         self.polygons)

    @classmethod
    def from_frame(cls, frame, *, margin: float = DEFAULT_MARGIN, crs: str | None = None,
                   cell: float | None = None) -> "Geofences":
        """Build from a table of hotspots.

        Accepted shapes: a GeoDataFrame with ``hotspot_id`` (or ``place_id``) and polygons; or a
        table with ``hotspot_id`` and either ``xmin,ymin,xmax,ymax`` or centre ``x,y`` plus ``cell``
        (a column or the ``cell`` argument). ``crs`` comes from the GeoDataFrame, a ``crs`` column
        or the argument.
        """
        _check_margin(margin)
        if not isinstance(frame, pd.DataFrame):
            raise HotpatrolError("hotspots must be a table (DataFrame/GeoDataFrame).", parameter="hotspots",
                                 given=type(frame).__name__)
        frame = frame.copy()
        if "hotspot_id" not in frame.columns:
            for alt in ("place_id", "cell_id", "id"):
                if alt in frame.columns:
                    frame = frame.rename(columns={alt: "hotspot_id"})
                    break
            else:
                raise HotpatrolError("hotspots need a 'hotspot_id' column.", parameter="hotspots",
                                     allowed=["hotspot_id", "place_id", "cell_id"], given=list(frame.columns))
        if frame["hotspot_id"].duplicated().any():
            dup = frame["hotspot_id"][frame["hotspot_id"].duplicated()].iloc[0]
            raise HotpatrolError(f"hotspot_id {dup!r} appears twice.", column="hotspot_id")
        ids = frame["hotspot_id"].astype(str).to_numpy()
        geom_col = getattr(frame, "_geometry_column_name", None) if hasattr(frame, "geometry") else None
        if geom_col is not None and geom_col in frame.columns:
            import shapely

            gcrs = frame.crs.to_string() if frame.crs is not None else crs
            if gcrs is None:
                raise HotpatrolError("The hotspot polygons have no CRS.", parameter="crs",
                                     fix="Set the CRS of the file or pass crs=.")
            from pyproj import CRS

            geoms = frame.geometry
            if not CRS.from_user_input(gcrs).is_projected:
                from hotpatrol.places.crs import choose_metric_crs

                c = geoms.union_all().centroid
                gcrs = crs or choose_metric_crs([c.x], [c.y])
                geoms = geoms.to_crs(gcrs)
            b = shapely.bounds(np.asarray(geoms.values))
            area = shapely.area(np.asarray(geoms.values))
            is_box = np.isclose(area, (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), rtol=1e-6)
            polys = None if is_box.all() else geoms.reset_index(drop=True)
            return cls(ids, b[:, 0], b[:, 1], b[:, 2], b[:, 3], gcrs, float(margin), polys)
        if crs is None and "crs" in frame.columns:
            crs = str(frame["crs"].iloc[0])
        if crs is None:
            raise HotpatrolError("Give the CRS of the hotspot coordinates.", parameter="crs",
                                 fix="Add a 'crs' column (e.g. EPSG:27700) or pass crs=.")
        if all(c in frame.columns for c in ("xmin", "ymin", "xmax", "ymax")):
            v = frame[["xmin", "ymin", "xmax", "ymax"]].to_numpy(float)
        elif "x" in frame.columns and "y" in frame.columns:
            size = frame["cell"].to_numpy(float) if "cell" in frame.columns else None
            if size is None:
                if cell is None:
                    raise HotpatrolError("Hotspot centres need a cell size.", parameter="cell",
                                         fix="Add a 'cell' column or pass cell=150.")
                size = np.full(len(frame), float(cell))
            x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
            v = np.column_stack([x - size / 2, y - size / 2, x + size / 2, y + size / 2])
        else:
            raise HotpatrolError("hotspots need box columns xmin,ymin,xmax,ymax or centre x,y (+cell).",
                                 parameter="hotspots", given=list(frame.columns))
        if not np.isfinite(v).all() or (v[:, 2] <= v[:, 0]).any() or (v[:, 3] <= v[:, 1]).any():
            row = int(np.flatnonzero(~np.isfinite(v).all(1) | (v[:, 2] <= v[:, 0]) | (v[:, 3] <= v[:, 1]))[0])
            raise HotpatrolError("A hotspot box is empty or not finite.", row=row, column="xmin/ymin/xmax/ymax")
        return cls(ids, v[:, 0], v[:, 1], v[:, 2], v[:, 3], str(crs), float(margin))

    def to_frame(self) -> pd.DataFrame:
        """One row per hotspot: id, bounding box, centre (metres) and CRS."""
        return pd.DataFrame({"hotspot_id": self.hotspot_id, "xmin": self.xmin, "ymin": self.ymin,
                             "xmax": self.xmax, "ymax": self.ymax, "x": self.cx, "y": self.cy, "crs": self.crs})

    def geometry(self, margin: float | None = None):
        """GeoSeries of the geofences (core grown by ``margin``; the stored margin when None)."""
        import geopandas as gpd
        import shapely

        m = self.margin if margin is None else margin
        if self.polygons is not None:
            core = np.asarray(self.polygons.values)
        else:
            core = shapely.box(self.xmin, self.ymin, self.xmax, self.ymax)
        geoms = shapely.buffer(core, m, join_style="mitre") if m > 0 else core
        return gpd.GeoSeries(geoms, crs=self.crs)

    def assign(self, x, y, *, margin: float | None = None) -> np.ndarray:
        """Index (0..n-1) of the geofence containing each point, nearest centre on overlap; -1 for none."""
        m = self.margin if margin is None else float(margin)
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if self.n == 0 or len(x) == 0:
            return np.full(len(x), -1, dtype=np.int32)
        bx0, by0 = self.xmin - m, self.ymin - m
        bx1, by1 = self.xmax + m, self.ymax + m
        size = float(max((bx1 - bx0).max(), (by1 - by0).max()))
        grid = Grid.covering(None, None, cell=size, crs=self.crs, bounds=(bx0.min(), by0.min(), bx1.max(), by1.max()),
                             max_cells=50_000_000)
        # register each geofence in every hash cell its box touches (at most 2 x 2 as size >= box)
        c0, r0 = grid.col_row(bx0, by0)
        c1, r1 = grid.col_row(np.nextafter(bx1, -np.inf), np.nextafter(by1, -np.inf))
        cells, owners = [], []
        for dc in (0, 1):
            for dr in (0, 1):
                cc, rr = c0 + dc, r0 + dr
                ok = (cc <= c1) & (rr <= r1) & (cc < grid.nx) & (rr < grid.ny)
                cells.append((rr[ok] * grid.nx + cc[ok]).astype(np.int64))
                owners.append(np.flatnonzero(ok))
        cells = np.concatenate(cells)
        owners = np.concatenate(owners).astype(np.int32)
        order = np.argsort(cells, kind="stable")
        indptr = np.zeros(grid.n_cells + 1, dtype=np.int64)
        np.add.at(indptr, cells + 1, 1)
        indptr = np.cumsum(indptr)
        out = _assign_numba(x, y, grid.x0, grid.y0, grid.cell, grid.nx, grid.ny, indptr, owners[order],
                            bx0, by0, bx1, by1, self.cx, self.cy)
        if self.polygons is not None:
            out = self._refine_polygons(x, y, out, m)
        return out

    def _refine_polygons(self, x, y, out, m):
        import shapely

        geoms = np.asarray(self.geometry(m).values)
        for j in np.unique(out[out >= 0]):
            sel = np.flatnonzero(out == j)
            inside = shapely.contains_xy(geoms[j], x[sel], y[sel])
            out[sel[~inside]] = -1
        return out


def _check_margin(margin) -> None:
    if not np.isfinite(margin) or margin < 0:
        raise HotpatrolError("The geofence margin must be >= 0 metres.", parameter="margin", given=margin)


@numba.njit(cache=True)
def _assign_numba(x, y, gx0, gy0, g, nx, ny, indptr, owners, bx0, by0, bx1, by1, cx, cy):
    n = x.shape[0]
    out = np.full(n, -1, dtype=np.int32)
    for i in range(n):
        xi, yi = x[i], y[i]
        if not (np.isfinite(xi) and np.isfinite(yi)):
            continue
        col = int(np.floor((xi - gx0) / g))
        row = int(np.floor((yi - gy0) / g))
        if col < 0 or col >= nx or row < 0 or row >= ny:
            continue
        cell = row * nx + col
        best = -1
        bestd = np.inf
        for p in range(indptr[cell], indptr[cell + 1]):
            j = owners[p]
            if bx0[j] <= xi < bx1[j] and by0[j] <= yi < by1[j]:
                d = (xi - cx[j]) ** 2 + (yi - cy[j]) ** 2
                if d < bestd:
                    bestd = d
                    best = j
        out[i] = best
    return out


def read_hotspots(path: str | Path, *, margin: float = DEFAULT_MARGIN, crs: str | None = None,
                  cell: float | None = None) -> Geofences:
    """Read hotspots from .csv (hotspot_id + boxes or centres) or .gpkg/.geojson/.shp polygons."""
    path = Path(path)
    if not path.exists():
        raise HotpatrolError(f"Hotspots file {str(path)!r} does not exist.", parameter="hotspots", given=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix in (".gpkg", ".geojson", ".json", ".shp", ".fgb"):
        import geopandas as gpd

        frame = gpd.read_file(path)
    else:
        raise HotpatrolError("Unknown hotspots file type.", parameter="hotspots",
                             allowed=[".csv", ".gpkg", ".geojson", ".shp"], given=str(path))
    try:
        return Geofences.from_frame(frame, margin=margin, crs=crs, cell=cell)
    except HotpatrolError as exc:
        exc.file = str(path)
        raise HotpatrolError(exc.message, parameter=exc.parameter, allowed=exc.allowed, given=exc.given,
                             fix=exc.fix, file=str(path), row=exc.row, column=exc.column) from None
