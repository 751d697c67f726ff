"""Kernel density of harm (or counts) on a grid: quartic or Gaussian kernel, binned FFT.

Kernels (``h`` = ``bandwidth`` in metres, ``d`` = distance):

- ``quartic`` (biweight, CrimeStat/QGIS heatmap): ``K(d) = 3 / (pi h^2) (1 - d^2/h^2)^2`` for ``d < h``,
  so ``h`` is the search radius; its standard deviation per axis is ``h / sqrt(8)``.
- ``gaussian``: ``K(d) = exp(-d^2 / (2 h^2)) / (2 pi h^2)``, ``h`` is the standard deviation, cut at
  ``4 h`` (the tail beyond holds 0.03 % of the mass).

Rule of thumb (``bandwidth="silverman"``): the kernel standard deviation is
``0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^(-1/5)`` with ``SD`` the (weighted) standard distance and
``Dm`` the (weighted) median distance to the mean centre (Silverman 1986 with a robust spread, as
ArcGIS Kernel Density); the quartic radius is ``sqrt(8)`` times it.

Method on grids: events are linearly binned (each event's weight shared among the 4 nearest lattice
nodes, Wand 1994) onto a lattice whose nodes include every cell centre (``oversample`` nodes per
cell side, odd), convolved with the sampled kernel by ``scipy.signal.fftconvolve`` and read at the
cell centres. The error against the exact kernel sum is O((cell/oversample/h)^2): with ``h`` at least
2 cells it is below 2 % of the peak at ``oversample=1`` and below 0.2 % at ``oversample=3``
(checked against spatstat in ``tests/test_hotspots_reference.py``). Other place layers (H3, polygons,
locations) get the exact kernel sum at their centroids.

Edges: ``edge="none"`` (default) applies no correction: kernel mass falling outside the study area
is lost, so density dips near a coast or county boundary, and the lattice is zero-padded (linear,
not circular, convolution: nothing wraps round). ``edge="uniform"`` divides by the share of each
cell's kernel inside the study area (the analysed cells), as spatstat's default ``edge=TRUE``.

Density is reported per km² (``density``) and as the expected value per cell (``cell_value``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import fftconvolve

from hotpatrol import kernels
from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.places.grid import Grid
from hotpatrol.text import plural

KERNELS = kernels.KERNELS
EDGES = ("none", "uniform")
GAUSS_CUT = 4.0
#: refuse density lattices bigger than this (memory ~ 16 bytes a node, several arrays)
MAX_LATTICE = 40_000_000


def rule_of_thumb(x, y, weights=None) -> float:
    """Kernel standard deviation (metres) by the robust Silverman rule (see module docs)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    n = len(x)
    if n < 2:
        raise HotpatrolError("A rule-of-thumb bandwidth needs at least 2 events with weight.", parameter="bandwidth",
                             fix="Give a bandwidth in metres, e.g. --bandwidth 300.")
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    d2 = (x - mx) ** 2 + (y - my) ** 2
    sd = np.sqrt(np.average(d2, weights=w))
    d = np.sqrt(d2)
    order = np.argsort(d)
    cw = np.cumsum(w[order])
    dm = d[order][np.searchsorted(cw, cw[-1] / 2)]
    return float(0.9 * min(sd, np.sqrt(1 / np.log(2)) * dm) * n ** -0.2)


def kernel_values(d2, h: float, kernel: str) -> np.ndarray:
    """Kernel at squared distances ``d2`` (per m²; the shared :func:`hotpatrol.kernels.density`, Gaussian cut at 4 sd)."""
    return kernels.density(d2, h, kernel, cut=GAUSS_CUT)


def support(h: float, kernel: str) -> float:
    """Kernel radius in metres: ``h`` (quartic) or ``4 h`` (Gaussian)."""
    return kernels.reach(h, kernel, cut=GAUSS_CUT)


def resolve_bandwidth(bandwidth, kernel: str, x, y, weights, cell: float | None) -> float:
    """Bandwidth ``h`` in metres from a number or ``"silverman"`` (checked against the cell size)."""
    if bandwidth is None or bandwidth == "silverman":
        sd = rule_of_thumb(x, y, weights)
        h = sd * np.sqrt(8.0) if kernel == "quartic" else sd
    else:
        try:
            h = float(bandwidth)
        except (TypeError, ValueError):
            raise HotpatrolError("Unknown bandwidth.", parameter="bandwidth", allowed=["silverman", "<metres>"],
                                 given=bandwidth) from None
    if not np.isfinite(h) or h <= 0:
        raise HotpatrolError("The bandwidth must be a positive number of metres.", parameter="bandwidth", given=bandwidth)
    if cell is not None and h < cell:
        raise HotpatrolError(
            f"A {h:g} m bandwidth is smaller than the {cell:g} m cell: the density would just be the binned events.",
            parameter="bandwidth",
            given=h,
            fix=f"Use a bandwidth of at least {cell:g} m (2-4 cells is usual) or a smaller --cell.",
        )
    return float(h)


def kde_direct(x, y, weights, qx, qy, *, bandwidth: float, kernel: str = "quartic", chunk: int = 2048) -> np.ndarray:
    """Exact weighted kernel sum at query points (per m²), via a k-d tree; the reference for the FFT path."""
    from scipy.spatial import cKDTree

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    qx = np.asarray(qx, dtype=float)
    qy = np.asarray(qy, dtype=float)
    pts = cKDTree(np.column_stack([x, y]))
    out = np.zeros(len(qx))
    reach = support(bandwidth, kernel)
    for s in range(0, len(qx), chunk):
        q = cKDTree(np.column_stack([qx[s:s + chunk], qy[s:s + chunk]]))
        # ndarray output keeps zero distances (events exactly on a query point)
        dm = q.sparse_distance_matrix(pts, reach, output_type="ndarray")
        vals = kernel_values(dm["v"] ** 2, bandwidth, kernel) * w[dm["j"]]
        out[s:s + chunk] = np.bincount(dm["i"], weights=vals, minlength=min(chunk, len(qx) - s))
    return out


def kde_grid(x, y, weights, grid, *, bandwidth: float, kernel: str = "quartic", oversample: int = 1,
             edge: str = "none", mask=None) -> np.ndarray:
    """Density (per m²) at every cell centre of ``grid`` as an ``(ny, nx)`` array (binned FFT).

    ``mask`` (``(ny, nx)`` booleans) is the study area for ``edge="uniform"``; default all cells.
    """
    if oversample < 1 or oversample % 2 == 0:
        raise HotpatrolError("oversample must be an odd whole number (1, 3, 5...).", parameter="oversample",
                             given=oversample)
    delta = grid.cell / oversample
    nxl, nyl = grid.nx * oversample, grid.ny * oversample
    # lattice node (i, j) sits at x0 + (i + 0.5) delta; 1 node of padding each side for linear binning
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    fx = (x - grid.x0) / delta - 0.5 + 1.0
    fy = (y - grid.y0) / delta - 0.5 + 1.0
    ix = np.floor(fx).astype(np.int64)
    iy = np.floor(fy).astype(np.int64)
    ax, ay = fx - ix, fy - iy
    shape = (nyl + 2, nxl + 2)
    ok = (ix >= 0) & (ix < shape[1] - 1) & (iy >= 0) & (iy < shape[0] - 1) & np.isfinite(fx) & np.isfinite(fy)
    ix, iy, ax, ay, w = ix[ok], iy[ok], ax[ok], ay[ok], w[ok]
    binned = np.zeros(shape[0] * shape[1])
    for di, dj, share in ((0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)), (0, 1, (1 - ax) * ay), (1, 1, ax * ay)):
        binned += np.bincount((iy + dj) * shape[1] + ix + di, weights=w * share, minlength=binned.size)
    binned = binned.reshape(shape)
    p = int(np.ceil(support(bandwidth, kernel) / delta))
    off = np.arange(-p, p + 1) * delta
    kern = kernel_values(off[None, :] ** 2 + off[:, None] ** 2, bandwidth, kernel)
    dens = fftconvolve(binned, kern, mode="same")[1:-1, 1:-1]
    if edge == "uniform":
        m = np.ones((grid.ny, grid.nx), dtype=float) if mask is None else np.asarray(mask, dtype=float)
        fine = np.kron(m, np.ones((oversample, oversample)))
        inside = fftconvolve(fine, kern * delta * delta, mode="same")
        dens = np.divide(dens, inside, out=np.zeros_like(dens), where=inside > 1e-9)
    c = (oversample - 1) // 2
    dens = dens[c::oversample, c::oversample]
    return np.maximum(dens, 0.0)  # FFT round-off can leave tiny negatives


@dataclass(kw_only=True, eq=False, repr=False)
class KDEResult(HotspotResult):
    """Kernel density per place (per km² and per cell), with the settings that produced it.

    Built by :func:`kernel_density`.
    """

    name = "kde"

    places: Any = field()  # PlacesLayer (required: HotspotResult's class default is None)
    values: np.ndarray
    density: np.ndarray  # per km²
    bandwidth: float
    kernel: str
    edge: str
    oversample: int
    counts: np.ndarray | None = None

    @property
    def cell_value(self) -> np.ndarray:
        """Expected value per cell: density times cell area (grids only; NaN otherwise)."""
        if self.places.grid is None:
            return np.full(self.places.n, np.nan)
        return self.density * (self.places.grid.cell / 1000.0) ** 2

    def to_frame(self) -> pd.DataFrame:
        """One row per place: ``place_id``, ``x``, ``y``, ``value`` (binned), ``count``, ``density`` (per km²), ``cell_value`` and ``rank``."""
        rank = pd.Series(-self.density).rank(method="first").astype(int).to_numpy()
        return self._place_frame(density=self.density, cell_value=self.cell_value, rank=rank)

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` densest places."""
        return self.to_frame().sort_values("rank").head(n)

    def summary(self) -> Summary:
        """The ten densest places, with the kernel, bandwidth and edge correction."""
        frame = self.top(10)
        cols = ["rank", "place_id", "x", "y", "value", "density"]
        total = float(self.density.sum()) or 1.0
        top = frame[cols].copy()
        notes = [f"kernel: {self.kernel}", f"bandwidth: {self.bandwidth:.1f} m"
                 + (" (radius)" if self.kernel == "quartic" else " (standard deviation)"),
                 f"edge correction: {self.edge}", f"oversample: {self.oversample}",
                 f"density unit: value per km²; top 10 cells hold {frame['density'].sum() / total:.1%} of the density"]
        return Summary(f"Kernel density ({plural(self.places.n, 'place')})", top, notes)


def kernel_density(
    x,
    y,
    weights,
    places,
    *,
    bandwidth="silverman",
    kernel: str = "quartic",
    edge: str = "none",
    oversample: int = 1,
    values=None,
    counts=None,
) -> KDEResult:
    """Kernel density of events (``x``/``y`` metres, ``weights`` harm or None for counts) over ``places``."""
    check_choice("kernel", kernel, KERNELS)
    check_choice("edge", edge, EDGES)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0:
        raise HotpatrolError("There are no events to smooth.", parameter="events",
                             fix="Widen --start/--end or --category.")
    from hotpatrol.hotspots.weights import check_metric

    check_metric(places)
    grid = places.grid if places.kind == "grid" else None
    h = resolve_bandwidth(bandwidth, kernel, x, y, weights, grid.cell if grid is not None else None)
    if grid is not None:
        # work on the bounding box of the analysed cells plus the kernel's reach, not the whole grid
        ids = np.asarray(places.place_id, dtype=np.int64)
        row, col = np.divmod(ids, grid.nx)
        pad = int(np.ceil(support(h, kernel) / grid.cell))
        c0, r0 = max(col.min() - pad, 0), max(row.min() - pad, 0)
        c1, r1 = min(col.max() + pad, grid.nx - 1), min(row.max() + pad, grid.ny - 1)
        sub = Grid(grid.x0 + c0 * grid.cell, grid.y0 + r0 * grid.cell, grid.cell, int(c1 - c0 + 1), int(r1 - r0 + 1),
                   grid.crs)
        nodes = sub.n_cells * oversample * oversample
        if nodes > MAX_LATTICE:
            raise HotpatrolError(
                f"The density lattice would have {nodes:,} nodes ({sub.nx} x {sub.ny} cells x {oversample}^2): "
                "the places spread over a very large area (a stray point?).",
                parameter="oversample", given=oversample,
                fix="Pass an --area boundary to drop stray points, use oversample=1, or a larger --cell.",
            )
        sub_ids = (row - r0) * sub.nx + (col - c0)
        mask = None
        if edge == "uniform":
            mask = np.zeros(sub.n_cells, dtype=bool)
            mask[sub_ids] = True
            mask = mask.reshape(sub.ny, sub.nx)
        dens = kde_grid(x, y, weights, sub, bandwidth=h, kernel=kernel, oversample=oversample, edge=edge, mask=mask)
        per_m2 = dens.ravel()[sub_ids]
    else:
        if edge != "none":
            raise HotpatrolError("Edge correction is only available on grids.", parameter="edge", allowed=["none"],
                                 given=edge)
        per_m2 = kde_direct(x, y, weights, places.x, places.y, bandwidth=h, kernel=kernel)
    if values is None:
        values = places.aggregate(x, y, weights)
    return KDEResult(places=places, values=np.asarray(values, dtype=float), density=per_m2 * 1e6, bandwidth=h,
                     kernel=kernel, edge=edge, oversample=oversample, counts=counts)
