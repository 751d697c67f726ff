"""Spatial smoothing of per-place values with the shared kernel family (:mod:`hotpatrol.kernels`).

Grids use an FFT convolution, other place layers a sparse centroid-to-centroid kernel; the
smoothing is mass-preserving over the places.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol import kernels
from hotpatrol.places.layer import PlacesLayer


def kernel_weights(d: np.ndarray, bandwidth: float, kernel: str) -> np.ndarray:
    """Unnormalised kernel of distance ``d`` (metres; the shared :func:`hotpatrol.kernels.shape`, Gaussian cut at 3 sd)."""
    return kernels.shape(d, bandwidth, kernel, cut=3.0)


def smooth(places: PlacesLayer, values: np.ndarray, bandwidth: float, kernel: str = "gaussian",
           *, normalise: bool = True, unit: float = 1.0) -> np.ndarray | list[np.ndarray]:
    """Spread per-place ``values`` with a kernel; mass-preserving when ``normalise``: each place's
    value is shared out over the places only (kernel mass that would fall past the grid's edge or on
    cells that are not places is given back to the places in reach, in proportion to the kernel), so
    ``smooth(...).sum() == values.sum()``.

    ``values`` is (n,) or (k, n). Grids use an FFT convolution over the grid; other layers a
    sparse centroid-to-centroid kernel. ``unit`` rescales distances (Bowers' cell units).
    """
    from scipy.signal import fftconvolve

    vals = np.atleast_2d(np.asarray(values, dtype=float))
    if places.kind == "grid" and places.grid is not None:
        g = places.grid
        reach = kernels.reach(bandwidth, kernel, cut=3.0)
        r = int(np.floor(reach / g.cell))
        off = np.arange(-r, r + 1) * g.cell
        dx, dy = np.meshgrid(off, off)
        k = kernel_weights(np.hypot(dx, dy) / unit, bandwidth / unit, kernel)
        inside = None
        if normalise:
            k = k / k.sum()
            # share of each source cell's kernel that lands on the places (the kernel is symmetric, so
            # this is the kernel convolved with the places' mask); sources are divided by it so that
            # no mass is lost past the grid edge or on cells that are not places
            mask = np.zeros(g.n_cells)
            mask[places.place_id] = 1.0
            if r > 0:
                inside = fftconvolve(mask.reshape(g.ny, g.nx), k, mode="same").ravel()[places.place_id]
                inside = np.where(inside > 1e-12, inside, 1.0)
        out = np.empty_like(vals)
        for i, v in enumerate(vals):
            full = np.zeros(g.n_cells)
            full[places.place_id] = v if inside is None else v / inside
            arr = full.reshape(g.ny, g.nx)
            conv = fftconvolve(arr, k, mode="same") if r > 0 else arr * k[0, 0]
            out[i] = np.clip(conv.ravel()[places.place_id], 0.0, None)
    else:
        from scipy import sparse
        from scipy.spatial import cKDTree

        reach = kernels.reach(bandwidth, kernel, cut=3.0)
        tree = cKDTree(np.column_stack([places.x, places.y]))
        dist = tree.sparse_distance_matrix(tree, reach, output_type="coo_matrix")
        rows = np.concatenate([dist.row, np.arange(places.n)])
        cols = np.concatenate([dist.col, np.arange(places.n)])
        d = np.concatenate([dist.data, np.zeros(places.n)])
        keep = (rows != cols) | (d == 0)
        pairs = pd.DataFrame({"r": rows[keep], "c": cols[keep], "d": d[keep]}).drop_duplicates(["r", "c"])
        kw = kernel_weights(pairs["d"].to_numpy() / unit, bandwidth / unit, kernel)
        mat = sparse.csr_matrix((kw, (pairs["r"], pairs["c"])), shape=(places.n, places.n))
        if normalise:
            colsum = np.asarray(mat.sum(axis=0)).ravel()
            mat = mat @ sparse.diags(1.0 / np.where(colsum > 0, colsum, 1.0))
        out = np.asarray((mat @ vals.T).T)
    return out[0] if np.ndim(values) == 1 else out
