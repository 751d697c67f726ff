"""Square grids of any cell size (default 150 m, the Grip and PredPol box)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError

DEFAULT_CELL = 150.0  # the cell setting's table default; functions take cell=None = the setting, read when called
#: Refuse grids bigger than this unless asked: a stray point (at 0,0 say) makes a grid spanning a continent.
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class Grid:
    """A regular grid of ``nx`` x ``ny`` square cells of side ``cell`` metres.

    Cell ``id = row * nx + col`` with row 0 at the south edge (``y0``) and col 0 at the west (``x0``).
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    crs: str

    @classmethod
    def covering(
        cls,
        x,
        y,
        *,
        cell: float | None = None,
        crs: str,
        pad: int = 0,
        max_cells: int = MAX_CELLS,
        bounds: tuple[float, float, float, float] | None = None,
    ) -> "Grid":
        """The smallest grid, aligned to multiples of ``cell``, covering the points (or ``bounds``)."""
        cell = settings.resolve("cell", cell)
        if not np.isfinite(cell) or cell <= 0:
            raise HotpatrolError("Cell size must be a positive number of metres.", parameter="cell", given=cell)
        if bounds is None:
            x = np.asarray(x, dtype=float)
            y = np.asarray(y, dtype=float)
            ok = np.isfinite(x) & np.isfinite(y)
            if not ok.any():
                raise HotpatrolError("No events with coordinates to build a grid over.", parameter="events")
            bounds = (x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max())
        xmin, ymin, xmax, ymax = bounds
        if max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) <= 180 and (xmax - xmin) < 10:
            raise HotpatrolError(
                "These coordinates look like degrees (lon/lat) but the grid needs metres.",
                parameter="x/y",
                given=bounds,
                fix="Project first: hotpatrol.places.project(events) (EPSG:27700 in the UK).",
            )
        x0 = np.floor(xmin / cell) * cell - pad * cell
        y0 = np.floor(ymin / cell) * cell - pad * cell
        nx = int(np.floor((xmax - x0) / cell)) + 1 + pad
        ny = int(np.floor((ymax - y0) / cell)) + 1 + pad
        if nx * ny > max_cells:
            core = ""
            if np.size(x) > 1:  # how small the area is without the outlying points
                xs, ys = np.asarray(x, float), np.asarray(y, float)
                ok = np.isfinite(xs) & np.isfinite(ys)
                x1, y1 = (np.percentile(v[ok], 0.1, method="higher") for v in (xs, ys))
                x2, y2 = (np.percentile(v[ok], 99.9, method="lower") for v in (xs, ys))
                far = int(((xs[ok] < x1) | (xs[ok] > x2) | (ys[ok] < y1) | (ys[ok] > y2)).sum())
                core = f"; all but {far:,} of {int(ok.sum()):,} points lie within {(x2 - x1) / 1000:,.0f} km x " \
                       f"{(y2 - y1) / 1000:,.0f} km"
            raise HotpatrolError(
                f"A {cell:g} m grid over these events would have {nx * ny:,} cells (at most {max_cells:,}) "
                f"({(xmax - xmin) / 1000:,.0f} km x {(ymax - ymin) / 1000:,.0f} km{core}): stray points far away?",
                parameter="cell",
                given=cell,
                fix="Remove points outside the study area (ingest --boundary), pass bounds=, or raise max_cells.",
            )
        return cls(float(x0), float(y0), float(cell), nx, ny, crs)

    @property
    def n_cells(self) -> int:
        """Number of cells (``nx * ny``)."""
        return self.nx * self.ny

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` in the grid's CRS units (metres)."""
        return (self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell)

    def col_row(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Column and row of each point, as floats (``floor`` of the offset over the cell size; not bounded to the grid)."""
        col = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell)
        row = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell)
        return col, row

    def cell_id(self, x, y) -> np.ndarray:
        """Cell id of each point; -1 for points outside the grid or without coordinates."""
        col, row = self.col_row(x, y)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        ids = np.full(col.shape, -1, dtype=np.int64)
        ids[inside] = row[inside].astype(np.int64) * self.nx + col[inside].astype(np.int64)
        return ids

    def centres(self, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Centre coordinates of the given cells (all cells if ``ids`` is None)."""
        ids = np.arange(self.n_cells) if ids is None else np.asarray(ids, dtype=np.int64)
        row, col = np.divmod(ids, self.nx)
        return self.x0 + (col + 0.5) * self.cell, self.y0 + (row + 0.5) * self.cell

    def aggregate(self, x, y, weights=None) -> np.ndarray:
        """Sum of ``weights`` (or counts) per cell, as a 2-D array of shape (ny, nx)."""
        ids = self.cell_id(x, y)
        keep = ids >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        flat = np.bincount(ids[keep], weights=w, minlength=self.n_cells)
        return flat.reshape(self.ny, self.nx)

    def polygons(self, ids=None):
        """A GeoDataFrame of the cells' squares with ``cell_id``, ``col``, ``row``."""
        import geopandas as gpd
        import shapely

        ids = np.arange(self.n_cells) if ids is None else np.asarray(ids, dtype=np.int64)
        row, col = np.divmod(ids, self.nx)
        xmin = self.x0 + col * self.cell
        ymin = self.y0 + row * self.cell
        geoms = shapely.box(xmin, ymin, xmin + self.cell, ymin + self.cell)
        return gpd.GeoDataFrame({"cell_id": ids, "col": col, "row": row}, geometry=geoms, crs=self.crs)

    def to_dict(self) -> dict:
        """The grid's origin, cell size, shape and CRS as a plain dict."""
        return {"x0": self.x0, "y0": self.y0, "cell": self.cell, "nx": self.nx, "ny": self.ny, "crs": self.crs}
