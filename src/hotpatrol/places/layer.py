"""The places layer: the units hotspots, forecasts and patrol plans are counted over.

A :class:`PlacesLayer` is ``n`` places with ids, geometries (in a metric CRS) and centroids, plus
a vectorised ``assign(x, y)`` that maps points to place indices ``0..n-1`` (``-1`` for none).
Kinds: ``grid`` (square cells), ``h3`` (hexagons), ``locations`` (police.uk snap points) and
``polygons`` (LSOA, ward, district).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hotpatrol.errors import HotpatrolError
from hotpatrol.places.grid import Grid


@dataclass(eq=False)
class PlacesLayer:
    """``n`` places. ``place_id`` are labels (str or int); index ``i`` is the position 0..n-1."""

    kind: str
    place_id: np.ndarray
    x: np.ndarray  # centroid x (metres, in ``crs``)
    y: np.ndarray  # centroid y
    crs: str
    grid: Grid | None = None  # set for kind == "grid"; cells are grid.cell_id == place_id
    _assign: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _geometry: object = field(default=None, repr=False)  # GeoDataFrame, built lazily for grids

    @property
    def n(self) -> int:
        """Number of places."""
        return len(self.place_id)

    @classmethod
    def from_grid(cls, grid: Grid, cell_ids=None) -> "PlacesLayer":
        """All cells of ``grid`` (or only ``cell_ids``, e.g. cells inside a boundary)."""
        ids = np.arange(grid.n_cells, dtype=np.int64) if cell_ids is None else np.asarray(cell_ids, dtype=np.int64)
        cx, cy = grid.centres(ids)
        if cell_ids is None:
            assign = grid.cell_id
        else:
            lookup = np.full(grid.n_cells, -1, dtype=np.int64)
            lookup[ids] = np.arange(len(ids))

            def assign(x, y, _g=grid, _l=lookup):
                cid = _g.cell_id(x, y)
                out = np.full(cid.shape, -1, dtype=np.int64)
                ok = cid >= 0
                out[ok] = _l[cid[ok]]
                return out

        return cls("grid", ids, cx, cy, grid.crs, grid=grid, _assign=assign)

    def assign(self, x, y) -> np.ndarray:
        """Index (0..n-1) of the place containing each point; -1 when none does."""
        if self._assign is None:
            raise HotpatrolError(f"This {self.kind} layer cannot assign points.", parameter="places")
        return self._assign(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def aggregate(self, x, y, weights=None) -> np.ndarray:
        """Sum of ``weights`` (counts when None) per place, shape (n,)."""
        idx = self.assign(x, y)
        keep = idx >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(idx[keep], weights=w, minlength=self.n).astype(float)

    @property
    def geometry(self):
        """GeoDataFrame with ``place_id`` and polygon geometry (built on first use for grids)."""
        if self._geometry is None:
            if self.grid is None:
                raise HotpatrolError(f"This {self.kind} layer has no geometry.", parameter="places")
            gdf = self.grid.polygons(self.place_id)
            self._geometry = gdf.rename(columns={"cell_id": "place_id"})
        return self._geometry

    def subset(self, index) -> "PlacesLayer":
        """A layer of the places at positions ``index``."""
        index = np.asarray(index, dtype=np.int64)
        if self.kind == "grid" and self.grid is not None:
            return PlacesLayer.from_grid(self.grid, self.place_id[index])
        geom = None if self._geometry is None else self._geometry.iloc[index].reset_index(drop=True)
        lookup = np.full(self.n, -1, dtype=np.int64)
        lookup[index] = np.arange(len(index))
        parent = self._assign

        def assign(x, y):
            i = parent(x, y)
            out = np.full(i.shape, -1, dtype=np.int64)
            ok = i >= 0
            out[ok] = lookup[i[ok]]
            return out

        return PlacesLayer(self.kind, self.place_id[index], self.x[index], self.y[index], self.crs,
                           _assign=assign, _geometry=geom)
