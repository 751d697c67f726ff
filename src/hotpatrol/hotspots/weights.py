"""Spatial weights as ``scipy.sparse`` CSR matrices over a :class:`~hotpatrol.places.PlacesLayer`.

Every builder returns an ``n x n`` matrix ``W`` with **zero diagonal** (a place is not its own
neighbour); Gi* adds the self weight itself. Weights are binary (1 for a neighbour) unless asked
otherwise. Kinds:

``queen`` / ``rook``
    Grids: the 8 (queen) or 4 (rook) surrounding cells that are in the layer. Polygon layers
    (H3, LSOA, wards...): polygons that touch (queen: share any boundary point; rook: share a
    boundary of positive length). H3 hexagons touch only along edges, so queen == rook there.
``distance``
    Places whose centroids lie within ``distance`` metres (``scipy.spatial.cKDTree``). The only
    kind for point layers (police.uk locations).

A place with no neighbour (an *island*: an LSOA on an island, a polygon that touches nothing, a
snap point farther than the band from every other) has an empty row. :func:`islands` finds them;
Gi*, local Moran and emerging hot spots give islands the statistics' defined value (lag 0, z = 0,
p = 1, not significant), leave them out of the multiple-testing count, and name them in the result
(:func:`island_note`), wherever they sit in the table and for every kind of weights.

``to_libpysal(W)`` wraps a matrix as a ``libpysal.weights.W`` for esda comparisons.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from hotpatrol.errors import HotpatrolError

KINDS = ("queen", "rook", "distance")

_QUEEN = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
_ROOK = [(-1, 0), (0, -1), (0, 1), (1, 0)]


def default_kind(places) -> str:
    """``queen`` for grids and polygon layers, ``distance`` for point layers."""
    if places.kind == "grid" or _has_polygons(places):
        return "queen"
    return "distance"


def build(places, kind: str | None = None, *, distance: float | None = None) -> sp.csr_matrix:
    """Weights of ``kind`` (``queen``, ``rook`` or ``distance``) for ``places``."""
    check_metric(places)
    kind = kind or default_kind(places)
    if kind not in KINDS:
        raise HotpatrolError("Unknown spatial weights.", parameter="weights", allowed=list(KINDS), given=kind)
    if kind == "distance":
        if distance is None:
            if places.kind == "grid" and places.grid is not None:
                distance = 1.5 * places.grid.cell  # the 8 surrounding cells, like queen
            else:
                raise HotpatrolError(
                    "Distance-band weights need a distance in metres.",
                    parameter="distance",
                    fix="Pass distance= (e.g. 300) or --distance 300.",
                )
        return distance_band(places, distance)
    if places.kind == "grid" and places.grid is not None:
        return grid_contiguity(places, kind)
    if _has_polygons(places):
        return polygon_contiguity(places, kind)
    raise HotpatrolError(
        f"{kind} contiguity needs grid cells or polygons; this {places.kind} layer has neither.",
        parameter="weights",
        allowed=["distance"],
        given=kind,
        fix="Use distance-band weights: weights='distance', distance=<metres>.",
    )


def check_metric(places) -> None:
    """Refuse places in degrees: distances and cell sizes are metres."""
    from pyproj import CRS

    if places.crs is not None and CRS.from_user_input(places.crs).is_geographic:
        raise HotpatrolError(
            f"The places are in {places.crs}, a lon/lat CRS, but distances here are metres.",
            parameter="places", given=places.crs,
            fix="Build the places in a metric CRS (EPSG:27700 in the UK): hotpatrol.places.project / build.",
        )


def _has_polygons(places) -> bool:
    geom = getattr(places, "_geometry", None)
    if geom is None:
        return False
    types = set(np.asarray(geom.geometry.geom_type).tolist())
    return bool(types) and types <= {"Polygon", "MultiPolygon"}


def grid_contiguity(places, kind: str = "queen") -> sp.csr_matrix:
    """Queen (8) or rook (4) neighbours among the grid cells of ``places`` (vectorised by offset)."""
    grid = places.grid
    ids = np.asarray(places.place_id, dtype=np.int64)
    n = len(ids)
    row, col = np.divmod(ids, grid.nx)
    # position of each grid cell in the layer; a dict-free lookup via sorted ids
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    rows, cols = [], []
    for dr, dc in (_QUEEN if kind == "queen" else _ROOK):
        r2, c2 = row + dr, col + dc
        ok = (r2 >= 0) & (r2 < grid.ny) & (c2 >= 0) & (c2 < grid.nx)
        nid = r2[ok] * grid.nx + c2[ok]
        pos = np.searchsorted(sorted_ids, nid)
        pos = np.minimum(pos, n - 1)
        found = sorted_ids[pos] == nid
        src = np.flatnonzero(ok)[found]
        rows.append(src)
        cols.append(order[pos[found]])
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    return _csr(r, c, n)


def distance_band(places, distance: float) -> sp.csr_matrix:
    """Binary weights: 1 between places whose centroids are at most ``distance`` metres apart."""
    from scipy.spatial import cKDTree

    if distance is None or not np.isfinite(distance) or distance <= 0:
        raise HotpatrolError("The distance band must be a positive number of metres.", parameter="distance", given=distance)
    if places.kind == "grid" and places.grid is not None and distance < places.grid.cell:
        raise HotpatrolError(
            f"A {distance:g} m distance band is shorter than the {places.grid.cell:g} m cell, so no cell has a neighbour.",
            parameter="distance",
            given=distance,
            fix=f"Use at least the cell size ({places.grid.cell:g} m), e.g. {1.5 * places.grid.cell:g} for the 8 surrounding cells.",
        )
    pts = np.column_stack([places.x, places.y])
    pairs = cKDTree(pts).query_pairs(r=float(distance) * (1 + 1e-9), output_type="ndarray")
    r = np.concatenate([pairs[:, 0], pairs[:, 1]])
    c = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return _csr(r, c, places.n)


def polygon_contiguity(places, kind: str = "queen") -> sp.csr_matrix:
    """Polygons that touch (queen) or share an edge of positive length (rook)."""
    import shapely

    geoms = np.asarray(places.geometry.geometry.values)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    if kind == "rook" and len(left):
        shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
        keep = shapely.length(shared) > 0
        left, right = left[keep], right[keep]
    return _csr(left, right, places.n)


def _csr(r, c, n) -> sp.csr_matrix:
    W = sp.csr_matrix((np.ones(len(r)), (np.asarray(r, np.int64), np.asarray(c, np.int64))), shape=(n, n))
    W.sum_duplicates()
    W.data[:] = 1.0
    W.sort_indices()
    return W


def row_standardise(W) -> sp.csr_matrix:
    """Each row divided by its sum (rows without neighbours stay zero)."""
    W = sp.csr_matrix(W, dtype=float, copy=True)
    sums = np.asarray(W.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums != 0)
    return sp.csr_matrix(sp.diags(scale) @ W)


def cardinalities(W) -> np.ndarray:
    """Number of neighbours of each place (self excluded)."""
    W = sp.csr_matrix(W)
    return np.diff(W.indptr) - (W.diagonal() != 0)


def islands(W) -> np.ndarray:
    """Boolean mask, shape ``(n,)``: places with no neighbour other than themselves (a self weight,
    as Gi* adds, does not count)."""
    return cardinalities(W) == 0


def island_note(place_ids, mask, kind: str, *, layer_kind: str | None = None, statistic: str = "z = 0, p = 1") -> str | None:
    """One sentence naming the islands of ``mask`` (None when there are none).

    When most places are islands (e.g. police.uk snap points under contiguity weights) or the layer
    is a point layer, the sentence says to use a distance band instead.
    """
    mask = np.asarray(mask, dtype=bool)
    k = int(mask.sum())
    if k == 0:
        return None
    n = len(mask)
    ids = [str(v) for v in np.asarray(place_ids)[mask][:10]]
    more = f" and {k - len(ids):,} more" if k > len(ids) else ""
    text = (f"{k:,} of {n:,} place{'s' if n != 1 else ''} {'have' if k != 1 else 'has'} no neighbour under "
            f"{kind} weights (island{'s' if k != 1 else ''}: {', '.join(ids)}{more}); "
            f"{'they get' if k != 1 else 'it gets'} {statistic}, not significant, and {'are' if k != 1 else 'is'} "
            f"left out of the multiple-testing correction")
    if layer_kind == "locations" or k * 2 >= n:
        text += (". So many islands means the weights do not suit these places: use a distance band, "
                 "e.g. --weights distance --distance 300 (weights='distance', distance=300)")
    return text


def to_libpysal(W, ids=None):
    """A ``libpysal.weights.W`` with the same neighbours and weights (for esda comparisons)."""
    from libpysal.weights import WSP

    W = sp.csr_matrix(W)
    return WSP(W, id_order=None if ids is None else list(ids)).to_W(silence_warnings=True)
