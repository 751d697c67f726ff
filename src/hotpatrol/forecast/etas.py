"""Continuous space-time ETAS / self-exciting point process (Mohler et al. 2011, JASA).

    lambda(t, x, y) = mu(x, y) + sum_{t_i < t} theta * omega * exp(-omega (t - t_i)) * N(x - x_i, y - y_i; sigma)

``mu(x, y)`` is the background: a fixed-bandwidth Gaussian kernel density of the events, each weighted by
its probability of being a background event, times a constant rate. ``theta`` is the expected number of
events each event triggers, ``1/omega`` the mean delay in days, ``sigma`` the spatial spread in metres.
The model is fitted by expectation-maximisation (the "stochastic declustering" of Zhuang/Mohler):

- E-step: for each event j the probability that it was triggered by each earlier event i, and that it is
  a background event;
- M-step: closed-form updates of theta, omega, sigma and the background density.

Exact where it matters, fast where it can be:

- candidate parent/child pairs are only those within ``time_cutoff`` days and ``distance_cutoff`` metres,
  found once by spatial hashing (cells of ``distance_cutoff``) and a binary search in time within each cell
  (numba, :func:`find_pairs`), never an N x N matrix; the kernel mass beyond the cut-offs is reported
  (``truncated_mass_``) so you can see that it is negligible;
- the background KDE is evaluated on a raster (bin + Gaussian filter, bilinear lookup), O(raster) per
  iteration whatever N;
- predictions integrate exactly: background mass per place times the horizon, plus each parent's
  triggering integrated analytically over ``[start, start + H)`` and its Gaussian integrated over each grid
  cell with ``erf`` (numba kernel).

Duplicates (same instant and point) are kept; co-timed events never trigger one another. Events known
only to a window (police.uk month, a date) are spread uniformly within it by a seeded jitter
(``coarse_times='jitter'``, stated in the forecast notes); ``coarse_times='error'`` refuses them instead.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
from scipy import ndimage

from hotpatrol.forecast._etas_common import (
    EMETASForecaster,
    check_positive,
    observed_days,
    predict_window,
    trigger_mass,
    warn_not_converged,
)
from hotpatrol.forecast.base import Forecast

#: the background raster never exceeds this many cells (its cell grows instead)
MAX_RASTER_CELLS = 6_000_000


class _Raster:
    """A regular raster over which the background KDE is smoothed and looked up."""

    def __init__(self, x0, y0, cell, nx, ny):
        self.x0, self.y0, self.cell, self.nx, self.ny = float(x0), float(y0), float(cell), int(nx), int(ny)

    @classmethod
    def build(cls, x, y, places, bandwidth, max_bandwidth=None):
        pad = 4.0 * (max_bandwidth or bandwidth)
        xmin, xmax = np.min(x) - pad, np.max(x) + pad
        ymin, ymax = np.min(y) - pad, np.max(y) + pad
        grid = getattr(places, "grid", None)
        if places.kind == "grid" and grid is not None:
            # nest the raster in the places' grid so each raster cell lies in exactly one place
            gx0, gy0, gx1, gy1 = grid.bounds
            xmin, ymin, xmax, ymax = min(xmin, gx0), min(ymin, gy0), max(xmax, gx1), max(ymax, gy1)
            m = max(1, math.ceil(grid.cell / (bandwidth / 2.0)))  # >= 2 raster cells per bandwidth
            while True:
                cell = grid.cell / m
                x0 = grid.x0 - math.ceil((grid.x0 - xmin) / grid.cell) * grid.cell
                y0 = grid.y0 - math.ceil((grid.y0 - ymin) / grid.cell) * grid.cell
                nx = math.ceil((xmax - x0) / cell)
                ny = math.ceil((ymax - y0) / cell)
                if nx * ny <= MAX_RASTER_CELLS or m == 1:
                    break
                m -= 1
            if nx * ny <= MAX_RASTER_CELLS:
                return cls(x0, y0, cell, nx, ny)
        px, py = np.asarray(places.x, float), np.asarray(places.y, float)
        xmin, xmax = min(xmin, px.min() - pad), max(xmax, px.max() + pad)
        ymin, ymax = min(ymin, py.min() - pad), max(ymax, py.max() + pad)
        cell = min(bandwidth / 3.0, 25.0)  # fine: place boundaries are resolved at raster-cell scale
        area = (xmax - xmin) * (ymax - ymin)
        cell = max(cell, math.sqrt(area / MAX_RASTER_CELLS))
        return cls(xmin, ymin, cell, math.ceil((xmax - xmin) / cell), math.ceil((ymax - ymin) / cell))

    def flat_index(self, x, y):
        c = np.clip(((x - self.x0) / self.cell).astype(np.int64), 0, self.nx - 1)
        r = np.clip(((y - self.y0) / self.cell).astype(np.int64), 0, self.ny - 1)
        return r * self.nx + c

    def smooth(self, x, y, weights, sd):
        """Mass per raster cell of a Gaussian KDE (sd metres) of weighted points.

        ``sd`` is one bandwidth, or ``(class_of_each_point, bandwidth_of_each_class)`` for a variable KDE:
        points are smoothed class by class (a few log-spaced bandwidth classes approximate per-point ones).
        """
        flat = self.flat_index(x, y)
        if isinstance(sd, tuple):
            klass, widths = sd
            out = np.zeros((self.ny, self.nx))
            for k, width in enumerate(widths):
                sel = klass == k
                if sel.any():
                    out += self.smooth(x[sel], y[sel], weights[sel], float(width))
            return out
        f = int(sd / (3.0 * self.cell))
        if f >= 2:
            # wide kernels: smooth on a raster f times coarser (still >= 3 cells per sd), then spread each
            # coarse cell's mass evenly over its f x f fine cells (mass is conserved exactly)
            ncx, ncy = -(-self.nx // f), -(-self.ny // f)
            r, c = np.divmod(flat, self.nx)
            coarse = np.bincount((r // f) * ncx + c // f, weights=weights, minlength=ncx * ncy).reshape(ncy, ncx)
            coarse = ndimage.gaussian_filter(coarse, sigma=sd / (self.cell * f), mode="constant", truncate=4.0)
            fine = np.repeat(np.repeat(coarse, f, axis=0), f, axis=1)[: self.ny, : self.nx]
            return fine / (f * f)
        mass = np.bincount(flat, weights=weights, minlength=self.nx * self.ny)
        mass = mass.reshape(self.ny, self.nx)
        return ndimage.gaussian_filter(mass, sigma=sd / self.cell, mode="constant", truncate=4.0)

    def sample(self, mass, x, y):
        """Density (per square metre) at points, bilinear between raster-cell centres."""
        col = (x - self.x0) / self.cell - 0.5
        row = (y - self.y0) / self.cell - 0.5
        dens = mass / (self.cell * self.cell)
        return ndimage.map_coordinates(dens, [row, col], order=1, mode="nearest")

    def centres(self):
        c = np.arange(self.nx)
        r = np.arange(self.ny)
        cc, rr = np.meshgrid(c, r)
        return (self.x0 + (cc.ravel() + 0.5) * self.cell, self.y0 + (rr.ravel() + 0.5) * self.cell)


@numba.njit(cache=True)
def _gauss_cells(px, py, a, sigma, x0, y0, cell, nx, ny, out):
    """Add a_i times the mass of N((px_i, py_i), sigma^2 I) in each grid cell to out (flat, row-major)."""
    s2 = sigma * math.sqrt(2.0)
    reach = 5.0 * sigma
    for i in range(px.shape[0]):
        c0 = max(0, int(math.floor((px[i] - reach - x0) / cell)))
        c1 = min(nx - 1, int(math.floor((px[i] + reach - x0) / cell)))
        r0 = max(0, int(math.floor((py[i] - reach - y0) / cell)))
        r1 = min(ny - 1, int(math.floor((py[i] + reach - y0) / cell)))
        if c0 > c1 or r0 > r1:
            continue
        for r in range(r0, r1 + 1):
            lo = y0 + r * cell
            wy = 0.5 * (math.erf((lo + cell - py[i]) / s2) - math.erf((lo - py[i]) / s2))
            if wy <= 0.0:
                continue
            for c in range(c0, c1 + 1):
                left = x0 + c * cell
                wx = 0.5 * (math.erf((left + cell - px[i]) / s2) - math.erf((left - px[i]) / s2))
                out[r * nx + c] += a[i] * wx * wy


@numba.njit(cache=True)  # serial: measured no faster with threads on 2 shared cores
def _e_step(parent_dt, parent_d2, start, mu, theta, omega, sigma, p_trig, p_bg, lam):
    """Pairs are grouped by child (CSR: pairs of child j are start[j]:start[j+1]).

    Fills p_trig (per pair), p_bg and lam (per event); returns sum log lam.
    """
    n = mu.shape[0]
    k = theta * omega / (2.0 * math.pi * sigma * sigma)
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    total = 0.0
    for j in range(n):
        acc = mu[j]
        for p in range(start[j], start[j + 1]):
            g = k * math.exp(-omega * parent_dt[p] - parent_d2[p] * inv2s2)
            p_trig[p] = g
            acc += g
        lam[j] = acc
        if acc > 0.0:
            for p in range(start[j], start[j + 1]):
                p_trig[p] /= acc
            p_bg[j] = mu[j] / acc
            total += math.log(acc)
        else:
            p_bg[j] = 1.0
    return total


@numba.njit(parallel=True, cache=True)
def _pair_kernel(x, y, t, key, cell_start, perm, t_cell, ncx, ncy, tcut, dcut2, start, parent, dt, d2, fill):
    """Per child j: earlier events (strictly) within tcut days and sqrt(dcut2) metres, from the 3x3 hash cells.

    Two passes share this kernel: fill=False counts into start[j+1], fill=True writes the pairs.
    """
    n = x.shape[0]
    for j in numba.prange(n):
        cj = key[j]
        cx = cj % ncx
        cy = cj // ncx
        pos = start[j] if fill else 0
        count = 0
        for oy in range(-1, 2):
            yy = cy + oy
            if yy < 0 or yy >= ncy:
                continue
            for ox in range(-1, 2):
                xx = cx + ox
                if xx < 0 or xx >= ncx:
                    continue
                c = yy * ncx + xx
                a = cell_start[c]
                b = cell_start[c + 1]
                if a == b:
                    continue
                k = a + np.searchsorted(t_cell[a:b], t[j] - tcut)
                while k < b and t_cell[k] < t[j]:
                    i = perm[k]
                    ddx = x[j] - x[i]
                    ddy = y[j] - y[i]
                    dd = ddx * ddx + ddy * ddy
                    if dd <= dcut2:
                        if fill:
                            parent[pos] = i
                            dt[pos] = t[j] - t[i]
                            d2[pos] = dd
                            pos += 1
                        count += 1
                    k += 1
        if not fill:
            start[j + 1] = count


def find_pairs(x, y, t, time_cutoff: float, distance_cutoff: float):
    """All (parent, child) pairs with 0 < t_child - t_parent <= time_cutoff and distance <= distance_cutoff.

    Events must be sorted by time. Spatial hashing into distance_cutoff-sized cells plus a binary search
    in time within each cell: O(N log N + pairs) time and memory, never N x N. Returns parent, dt,
    d2 (squared distance) and ``start``: the pairs of child j are ``start[j]:start[j+1]`` (CSR).
    """
    n = len(t)
    ix = np.floor((x - x.min()) / distance_cutoff).astype(np.int64)
    iy = np.floor((y - y.min()) / distance_cutoff).astype(np.int64)
    ncx, ncy = int(ix.max()) + 1, int(iy.max()) + 1
    key = iy * ncx + ix
    perm = np.argsort(key, kind="stable")  # by cell, and by time within a cell (t is sorted)
    cell_start = np.zeros(ncx * ncy + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=ncx * ncy), out=cell_start[1:])
    t_cell = np.ascontiguousarray(t[perm])
    start = np.zeros(n + 1, dtype=np.int64)
    empty_i = np.empty(0, dtype=np.int64)
    empty_f = np.empty(0)
    # pairs within tcut of t_j, excluding equal times: [t_j - tcut, t_j) then dt <= tcut holds
    _pair_kernel(x, y, t, key, cell_start, perm, t_cell, ncx, ncy, float(time_cutoff),
                 float(distance_cutoff) ** 2, start, empty_i, empty_f, empty_f, False)
    np.cumsum(start, out=start)
    m = int(start[-1])
    parent = np.empty(m, dtype=np.int64)
    dt = np.empty(m)
    d2 = np.empty(m)
    _pair_kernel(x, y, t, key, cell_start, perm, t_cell, ncx, ncy, float(time_cutoff),
                 float(distance_cutoff) ** 2, start, parent, dt, d2, True)
    return parent, dt, d2, start



def _trend_edges(T: float, width: float | None) -> np.ndarray:
    """Bin edges (days) of a piecewise-constant background trend; one bin when width is None."""
    if width is None or width >= T:
        return np.array([0.0, T])
    k = max(1, int(round(T / width)))  # whole bins; the last absorbs the remainder
    edges = np.arange(k + 1) * float(width)
    edges[-1] = T
    return edges


def _observed_widths(edges: np.ndarray, observed: list[np.ndarray]) -> np.ndarray:
    """Days of each trend bin inside months any force published (the bin width when none is missing)."""
    iv = np.vstack(observed)
    lo = np.maximum(edges[:-1, None], iv[None, :, 0])
    hi = np.minimum(edges[1:, None], iv[None, :, 1])
    # union over forces: clip each force's overlap to the bin, take the widest (forces share the calendar)
    per = np.clip(hi - lo, 0.0, None)
    out = np.zeros(len(edges) - 1)
    start = 0
    for f in observed:
        k = len(f)
        out = np.maximum(out, per[:, start:start + k].sum(1))
        start += k
    return out


def _trend_levels(tbin: np.ndarray, weight: np.ndarray, edges: np.ndarray, widths: np.ndarray | None = None
                  ) -> np.ndarray:
    """Background rate in each bin relative to the period average (time-weighted mean 1), per observed
    day of the bin (a bin wholly inside unpublished months gets level 1, the average)."""
    widths = np.diff(edges) if widths is None else widths
    seen = widths > 0
    rate = np.bincount(tbin, weights=weight, minlength=len(widths)) / np.where(seen, widths, 1.0)
    avg = weight.sum() / widths.sum() if widths.sum() > 0 else 0.0
    return np.where(seen, rate / avg, 1.0) if avg > 0 else np.ones(len(widths))


def _origin_plus(origin_utc: pd.Timestamp, days: np.ndarray) -> pd.DatetimeIndex:
    """Local wall-clock times ``days`` real days after the instant ``origin_utc``."""
    from hotpatrol.localtime import to_local

    return to_local(origin_utc + pd.to_timedelta(days, unit="D"))


class ETASForecaster(EMETASForecaster):
    """Continuous space-time ETAS with a KDE background, fitted by EM (Mohler et al. 2011).

    Parameters
    ----------
    cell : grid cell (metres) when ``fit`` builds its own grid (``places=None``).
    bandwidth : background KDE bandwidth in metres (fixed Gaussian); with ``knn``, the smallest bandwidth.
    knn : variable-bandwidth background (as Mohler et al. 2011): each event's bandwidth is the distance to
        its ``knn``-th nearest neighbour, clipped to [bandwidth, 10 x bandwidth] (8 log-spaced classes).
        None (default): fixed bandwidth.
    time_cutoff, distance_cutoff : the largest parent-child gap considered (days, metres). Keep them well
        above the fitted ``1/omega_`` and ``sigma_``: ``truncated_mass_`` reports the kernel mass beyond them.
    max_iter, tol : EM stops when theta changes by less than ``tol`` and omega, sigma by less than
        ``tol / theta`` (relative).
    coarse_times : events known only to a window: ``jitter`` (default, seeded), ``midpoint``, ``start``, ``error``.
    trend_days : optional piecewise-constant temporal trend of the background, in bins of this many days
        (e.g. 28); forecasts carry the last bin's level forward. None (default): constant background.
    min_sigma : floor on sigma (metres): police.uk points are snapped to a map point so many events share
        coordinates and sigma could otherwise collapse to zero.
    initial : starting values, e.g. ``{"theta": 0.3, "omega": 0.1, "sigma": 100}``.
    random_state : seed for the jitter and for tie-breaking in ``Forecast.ranking``.

    Fitted attributes: ``theta_``, ``omega_`` (per day), ``sigma_`` (m), ``background_rate_`` (background
    events per day over the area), ``trend_`` (bins and levels) and ``trend_level_``, ``p_background_``
    (a Series indexed by the input rows used, in time order: each event's probability of being background,
    the stochastic declustering), ``loglik_``, ``n_iter_``,
    ``converged_``, ``n_pairs_``, ``truncated_mass_``, ``places_``, ``fitted_until_``, ``origin_``,
    ``n_events_``, ``notes_``.
    """

    name = "etas"

    def __init__(self, *, cell: float = 150.0, bandwidth: float = 300.0, knn: int | None = None,
                 time_cutoff: float = 120.0,
                 distance_cutoff: float = 500.0, max_iter: int = 200, tol: float = 1e-4,
                 coarse_times: str = "jitter", min_sigma: float = 5.0, trend_days: float | None = None,
                 initial: dict | None = None, random_state: int | None = None):
        self.cell = cell
        self.bandwidth = bandwidth
        self.knn = knn
        self.time_cutoff = time_cutoff
        self.distance_cutoff = distance_cutoff
        self.max_iter = max_iter
        self.tol = tol
        self.coarse_times = coarse_times
        self.min_sigma = min_sigma
        self.trend_days = trend_days
        self.initial = initial
        self.random_state = random_state

    _positive = ("cell", "bandwidth", "time_cutoff", "distance_cutoff", "min_sigma")
    _initial_keys = ("theta", "omega", "sigma")

    def _validate(self) -> None:
        super()._validate()
        if self.trend_days is not None:
            check_positive("trend_days", self.trend_days)
        if self.knn is not None:
            check_positive("knn", self.knn, integer=True)

    # ---------------------------------------------------------------- fit
    def _pairs(self, x, y, t):
        """Candidate (parent, child) pairs within the cut-offs, grouped by child (CSR)."""
        return find_pairs(x, y, t, self.time_cutoff, self.distance_cutoff)

    def _background_bandwidths(self, x, y):
        """The KDE bandwidth: fixed, or per event the distance to its knn-th neighbour in 8 log classes."""
        if self.knn is None:
            self.bandwidths_ = None
            return float(self.bandwidth), float(self.bandwidth)
        from scipy.spatial import cKDTree

        k = min(int(self.knn), len(x) - 1)
        dist = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=k + 1)[0][:, -1]
        lo, hi = float(self.bandwidth), 10.0 * float(self.bandwidth)
        bw = np.clip(dist, lo, hi)
        edges = lo * 10.0 ** np.linspace(0.0, 1.0, 9)
        klass = np.clip(np.searchsorted(edges, bw, side="right") - 1, 0, 7)
        widths = np.array([np.exp(np.log(bw[klass == c]).mean()) if (klass == c).any() else lo for c in range(8)])
        self.bandwidths_ = pd.Series(bw, name="bandwidth")
        return (klass, widths), float(bw.max())

    def fit(self, events: pd.DataFrame, *, places=None) -> "ETASForecaster":
        """Fit the background KDE and the triggering kernel by EM (Mohler et al. 2011); returns ``self``.

        Sets ``theta_``, ``omega_`` (per day), ``sigma_`` (metres), ``background_per_place_`` (events per day),
        ``trend_``, ``p_background_``, ``truncated_mass_`` and ``notes_``.
        """
        prep, notes, places = self._start_fit(events, places, "ETAS")
        x, y, t = prep["x"], prep["y"], prep["t"]
        n = len(t)
        T = float(prep["end_days"])
        group = prep["group"]
        # unpublished months: each event's background weight is scaled by T / (its force's observed days)
        scale = T / np.maximum(observed_days(prep), 1e-9)[group]
        kde_sd, max_bw = self._background_bandwidths(x, y)
        raster = _Raster.build(x, y, places, self.bandwidth, max_bw)
        parent, dt, d2, start = self._pairs(x, y, t)
        n_pairs = len(parent)

        init = dict(self.initial or {})
        theta = float(init.get("theta", 0.3))
        omega = float(init.get("omega", 1.0 / max(self.time_cutoff / 10.0, 1e-9)))
        sigma = float(init.get("sigma", self.distance_cutoff / 5.0))
        w_bg = np.full(n, 1.0 - theta)
        mass = raster.smooth(x, y, w_bg * scale, kde_sd)
        edges = _trend_edges(T, self.trend_days)
        widths = _observed_widths(edges, prep["observed"])
        tbin = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)
        level = _trend_levels(tbin, w_bg, edges, widths)
        mu = raster.sample(mass, x, y) / T * level[tbin]
        p_trig = np.empty(n_pairs)
        p_bg = np.empty(n)
        lam = np.empty(n)
        converged = False
        loglik = -np.inf
        state = (theta, omega, sigma, mass, p_bg.copy(), level)
        for it in range(1, int(self.max_iter) + 1):
            ll = _e_step(dt, d2, start, mu, theta, omega, sigma, p_trig, p_bg, lam)
            loglik = ll - float(np.sum(p_bg)) - theta * np.sum(trigger_mass(prep, t, group, omega))
            n_trig = p_trig.sum()
            if n_trig > 0:
                new_omega = n_trig / np.dot(p_trig, dt)
                new_sigma = max(math.sqrt(np.dot(p_trig, d2) / (2.0 * n_trig)), self.min_sigma)
            else:
                new_omega, new_sigma = omega, sigma
            new_theta = n_trig / np.sum(trigger_mass(prep, t, group, new_omega))
            new_mass = raster.smooth(x, y, p_bg * scale, kde_sd)
            new_level = _trend_levels(tbin, p_bg, edges, widths)
            if not (np.isfinite([new_theta, new_omega, new_sigma]).all() and np.isfinite(new_mass).all()):
                notes.append(f"EM stopped at iteration {it}: non-finite update; the last good state is kept.")
                theta, omega, sigma, mass, p_bg, level = state
                break
            # omega and sigma only matter in proportion to theta (they wander freely as theta -> 0)
            change = max(abs(new_theta - theta), theta * abs(new_omega - omega) / omega,
                         theta * abs(new_sigma - sigma) / sigma)
            state = (theta, omega, sigma, mass, p_bg.copy(), level)
            theta, omega, sigma, mass = float(new_theta), float(new_omega), float(new_sigma), new_mass
            level = new_level
            mu = raster.sample(mass, x, y) / T * level[tbin]
            if change < self.tol:
                converged = True
                break
        if not converged:
            warn_not_converged("ETAS", it)
        truncated = 1.0 - (1.0 - math.exp(-omega * self.time_cutoff)) * (
            1.0 - math.exp(-self.distance_cutoff**2 / (2.0 * sigma * sigma)))
        if truncated > 0.05:
            notes.append(f"{truncated:.0%} of the fitted triggering kernel lies beyond the cut-offs "
                         f"({self.time_cutoff:g} days, {self.distance_cutoff:g} m): raise them for a less biased fit.")
        if theta >= 1:
            notes.append(f"theta = {theta:.2f} >= 1: an explosive process; long-horizon forecasts will overshoot.")

        # background events per day in each place (raster cells nested in grid places)
        rx, ry = raster.centres()
        owner = places.assign(rx, ry)
        inside = owner >= 0
        self.background_per_place_ = np.bincount(owner[inside], weights=mass.ravel()[inside] / T,
                                                 minlength=places.n)
        # background multiplier per trend bin (mean 1 over the training period); forecasts use the last
        trend = pd.DataFrame({"from": _origin_plus(prep["origin_utc"], edges[:-1]),
                              "to": _origin_plus(prep["origin_utc"], edges[1:]), "level": level})
        return self._finish_fit(
            prep, places, notes, n_events=n, loglik=loglik, n_iter=it, converged=converged,
            theta_=theta, omega_=omega, sigma_=sigma, background_rate_=float(mass.sum() / T), trend_=trend,
            trend_level_=float(level[-1]), p_background_=pd.Series(p_bg, index=prep["index"], name="p_background"),
            n_pairs_=int(n_pairs), truncated_mass_=float(truncated), _xyt_=(x, y, t), _raster_=raster,
        )

    def summary(self):
        """Fitted parameters as a :class:`~hotpatrol.results.Summary` (text/HTML/CSV)."""
        return self._em_summary(
            "Continuous ETAS (self-exciting point process)", "expected events directly triggered by each event",
            [("sigma (m)", self.sigma_, "spatial spread of triggering (Gaussian sd)"),
             ("background rate (events/day)", self.background_rate_, self._bandwidth_text()),
             ("background share", float(self.p_background_.mean()), "mean P(background) over events")],
            [("candidate pairs", self.n_pairs_, f"within {self.time_cutoff:g} days and {self.distance_cutoff:g} m"),
             ("kernel mass beyond cut-offs", self.truncated_mass_, "")],
        )

    def _bandwidth_text(self) -> str:
        if self.knn is None:
            return f"KDE bandwidth {self.bandwidth:g} m"
        return f"variable KDE bandwidth: {self.knn}th neighbour, {self.bandwidth:g}-{10 * self.bandwidth:g} m"

    # ---------------------------------------------------------------- predict
    def triggering_per_place(self, s: float, h: float) -> np.ndarray:
        """Expected triggered events per place over [s, s + h) (model days) from events before s."""
        x, y, t = self._xyt_
        parents = t <= s
        age = s - t[parents]
        a = self.theta_ * (np.exp(-self.omega_ * age) - np.exp(-self.omega_ * (age + h)))
        keep = a > 1e-12
        px, py, a = x[parents][keep], y[parents][keep], a[keep]
        places = self.places_
        grid = getattr(places, "grid", None)
        if places.kind == "grid" and grid is not None:
            out = np.zeros(grid.n_cells)
            _gauss_cells(px, py, a, self.sigma_, grid.x0, grid.y0, grid.cell, grid.nx, grid.ny, out)
            return out[np.asarray(places.place_id, dtype=np.int64)]
        # other places (polygons, hexagons): exact Gaussian mass per raster cell, summed per place
        raster = self._raster_
        mass = np.zeros(raster.nx * raster.ny)
        _gauss_cells(px, py, a, self.sigma_, raster.x0, raster.y0, raster.cell, raster.nx, raster.ny, mass)
        rx, ry = raster.centres()
        owner = places.assign(rx, ry)
        inside = owner >= 0
        return np.bincount(owner[inside], weights=mass[inside], minlength=places.n)

    def predict(self, start, horizon) -> Forecast:
        """Expected events per place over ``[start, start + horizon)``.

        Background mass of each place times the horizon, plus every earlier event's triggering integrated
        over the window in time (analytic) and over each cell in space (erf).
        """
        self._check_fitted()
        s, h, notes, start, horizon = predict_window(self, start, horizon)
        risk = self.background_per_place_ * h * self.trend_level_ + self.triggering_per_place(s, h)
        if self.trend_days is not None:
            notes.append(f"Background trend: the last {self.trend_days:g}-day level ({self.trend_level_:.2f} x the "
                         "training average) is carried into the forecast.")
        notes = list(self.notes_) + notes + [
            f"ETAS: theta={self.theta_:.3f}, omega={self.omega_:.4f}/day (mean delay {1 / self.omega_:.1f} days), "
            f"sigma={self.sigma_:.0f} m, background {self.background_rate_:.2f} events/day ("
            f"{self._bandwidth_text()}), {self.n_iter_} EM iterations" + ("" if self.converged_ else " (NOT converged)")
            + "."
        ]
        return Forecast(model=self.name, places=self.places_, risk=risk, start=start, horizon=horizon,
                        notes=notes, random_state=self.random_state)
