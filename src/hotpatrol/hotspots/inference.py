"""Conditional permutation inference and multiple-testing correction for local statistics.

Conditional randomisation (Anselin 1995): the value at place ``i`` is held fixed and its ``k_i``
neighbours' values are replaced by ``k_i`` values drawn without replacement from the other ``n - 1``
places. Gi* and local Moran both depend on the data only through the spatial lag
``sum_j w_ij x_j`` of those neighbours, so one kernel serves both.

The kernel is numba ``prange``-parallel and reproducible: place ``i`` draws from its own
splitmix64 stream seeded from ``(seed, i)``, so results do not depend on the number of threads or
their scheduling. Draws use Floyd's algorithm (no shuffle of all ``n`` values per place). Rows whose
weights are all equal (binary, row-standardised) use an exact shortcut that suits mostly-zero crime
grids: the number of non-zero values among the ``k_i`` draws is hypergeometric (one uniform by
inverse CDF), and only that many non-zero values are drawn.

P-values are two-sided: ``p = min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (P + 1))``.
(esda reports the one-sided folded value, about half of this.)
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp

from hotpatrol.errors import HotpatrolError
from hotpatrol.text import plural, verb

CORRECTIONS = ("fdr", "holm", "none")


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _uniform(state):
    state = state + np.uint64(0x9E3779B97F4A7C15)
    return state, ((_mix(state) >> np.uint64(11)) * 1.1102230246251565e-16)  # 2**-53


@numba.njit(cache=True, inline="always")
def _floyd(state, chosen, k, m):
    """``k`` distinct integers from 0..m-1 into ``chosen[:k]`` (Floyd's algorithm)."""
    for t in range(k):
        jmax = m - k + t  # inclusive upper bound
        state, u = _uniform(state)
        r = np.int64(u * (jmax + 1))
        dup = False
        for q in range(t):
            if chosen[q] == r:
                dup = True
                break
        chosen[t] = jmax if dup else r
    return state


@numba.njit(cache=True, inline="always")
def _tally(lag, observed, tol, s1, s2, nge, nle):
    """Add one permuted lag to the running sums and to the counts at or beyond the ``observed`` lag."""
    s1 += lag
    s2 += lag * lag
    if lag >= observed - tol:
        nge += 1
    if lag <= observed + tol:
        nle += 1
    return s1, s2, nge, nle


@numba.njit(cache=True)
def _lchoose(a, b):
    return math.lgamma(a + 1.0) - math.lgamma(b + 1.0) - math.lgamma(a - b + 1.0)


@numba.njit(cache=True, parallel=True)
def _permute_lags(indptr, indices, data, equal, x, nz_idx, nz_pos, obs, permutations, seed, rows, nonneg):
    n = x.shape[0]
    n_nz = nz_idx.shape[0]
    nr = rows.shape[0]
    ge = np.zeros(nr, dtype=np.int64)
    le = np.zeros(nr, dtype=np.int64)
    mean = np.zeros(nr)
    sd = np.zeros(nr)
    base = _mix(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    sx = 0.0
    sx2 = 0.0
    for t in range(n):
        sx += x[t]
        sx2 += x[t] * x[t]
    for ii in numba.prange(nr):
        i = rows[ii]
        start = indptr[i]
        k = indptr[i + 1] - start
        if k == 0 or n < 2:
            ge[ii] = permutations
            le[ii] = permutations
            mean[ii] = obs[i]
            continue
        if k > n - 1:
            k = n - 1
        state = _mix(base ^ (np.uint64(i) * np.uint64(0xD1B54A32D192ED03)))
        chosen = np.empty(k, dtype=np.int64)
        tol = 1e-10 * (abs(obs[i]) + 1.0)
        s1 = 0.0
        s2 = 0.0
        nge = 0
        nle = 0
        m = n - 1  # the other places
        if equal[i]:
            # Equal weights in the row: only the non-zero values drawn matter. The number of them
            # among k draws is hypergeometric (inverse CDF, one uniform); then draw which ones.
            own = nz_pos[i]  # position of i among the non-zero values, -1 if x_i == 0
            pool = n_nz - (1 if own >= 0 else 0)
            cdf = np.zeros(k + 1)
            acc = 0.0
            lo = max(0, k - (m - pool))
            hi = min(k, pool)
            total = _lchoose(m, k)
            for c in range(k + 1):
                if lo <= c <= hi:
                    acc += math.exp(_lchoose(pool, c) + _lchoose(m - pool, k - c) - total)
                cdf[c] = acc
            wt = data[start]
            if nonneg and obs[i] == 0.0:
                # The observed lag is the smallest possible: every simulation is >= it, and the number
                # equal to it (no non-zero value drawn) is Binomial(P, P(c = 0)); draw that count
                # directly from a generator seeded per place. Moments are the exact ones.
                np.random.seed(np.int64(state >> np.uint64(33)))
                ge[ii] = permutations
                le[ii] = np.random.binomial(permutations, min(1.0, cdf[0] / cdf[k]))
                om = (sx - x[i]) / m
                om2 = (sx2 - x[i] * x[i]) / m - om * om
                mean[ii] = wt * k * om
                v = wt * wt * k * om2 * (m - k) / (m - 1) if m > 1 else 0.0
                sd[ii] = np.sqrt(v) if v > 0 else 0.0
                continue
            for _p in range(permutations):
                state, u = _uniform(state)
                u = u * cdf[k]
                c = 0
                while c < k and cdf[c] <= u:
                    c += 1
                lag = 0.0
                if c > 0:
                    state = _floyd(state, chosen, c, pool)
                    for t in range(c):
                        j = chosen[t]
                        if own >= 0 and j >= own:
                            j += 1
                        lag += x[nz_idx[j]]
                    lag *= wt
                s1, s2, nge, nle = _tally(lag, obs[i], tol, s1, s2, nge, nle)
        else:
            for _p in range(permutations):
                state = _floyd(state, chosen, k, m)
                lag = 0.0
                for t in range(k):
                    j = chosen[t]
                    if j >= i:
                        j += 1
                    lag += data[start + t] * x[j]
                s1, s2, nge, nle = _tally(lag, obs[i], tol, s1, s2, nge, nle)
        ge[ii] = nge
        le[ii] = nle
        mu = s1 / permutations
        mean[ii] = mu
        var = s2 / permutations - mu * mu
        sd[ii] = np.sqrt(var) if var > 0 else 0.0
    return ge, le, mean, sd


#: most permutations for places whose first test hit the floor 2 / (P + 1)
REFINE = 99_999


def auto_refine(n_places: int, n_floor: int, permutations: int) -> int:
    """Permutations for the re-test: enough that the floor places could reach 99 % after FDR.

    FDR lets ``n_floor`` places with p = 2/(R+1) pass at level ``q`` when 2/(R+1) * n / n_floor <= q;
    with q = 0.01 that is R = 200 n / n_floor. Not all of them stay at the new floor, so take
    R = 500 n / n_floor, kept between 10 P and :data:`REFINE`.
    """
    if n_floor == 0:
        return 0
    want = int(np.ceil(500.0 * n_places / n_floor))
    return int(min(REFINE, max(10 * permutations + 9, want)))


def permutation_test(x, W, *, permutations: int, seed: int, refine="auto"):
    """Conditional permutation of neighbour lags.

    Places whose observed lag beats all ``permutations`` simulations are re-tested with ``refine``
    permutations (``"auto"``: :func:`auto_refine`; an int; ``None`` to skip), so p-values can go below
    ``2 / (permutations + 1)``. The permutations used for the re-test are returned as ``refine_``
    in the fifth slot.

    ``W`` must have a zero diagonal (self weights are the caller's business). Returns
    ``(p_sim, lag_mean, lag_sd, upper)``: two-sided p-values, the mean and standard deviation of the
    simulated lags, and whether the observed lag lies in the upper tail.
    """
    permutations = check_permutations(permutations)
    W = sp.csr_matrix(W, dtype=np.float64)
    if W.diagonal().any():
        W = W.copy()
        W.setdiag(0)
        W.eliminate_zeros()
    x = np.ascontiguousarray(x, dtype=np.float64)
    obs = W @ x
    indptr = W.indptr.astype(np.int64)
    # rows whose weights are all equal (binary or row-standardised) take the sparse fast path
    has = np.diff(indptr) > 0
    row_max, row_min = row_extremes(W)
    equal = np.zeros(len(x), dtype=np.bool_)
    equal[has] = np.isclose(row_max[has], row_min[has], rtol=1e-12, atol=0)
    nz_idx = np.flatnonzero(x != 0).astype(np.int64)
    nz_pos = np.full(len(x), -1, dtype=np.int64)
    nz_pos[nz_idx] = np.arange(len(nz_idx))
    args = (indptr, W.indices.astype(np.int64), W.data, equal, x, nz_idx, nz_pos, obs)
    rows = np.arange(len(x), dtype=np.int64)
    nonneg = bool((x >= 0).all() and (W.data > 0).all())
    ge, le, mean, sd = _permute_lags(*args, int(permutations), int(seed) & 0xFFFFFFFF, rows, nonneg)
    p = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1) / (permutations + 1))
    upper = ge <= le
    at_floor = np.flatnonzero(np.minimum(ge, le) == 0)
    if refine == "auto":
        refine = auto_refine(len(x), len(at_floor), permutations)
    if refine and refine > permutations:
        # Places at the permutation floor get a fresh, larger test (sequential Monte Carlo): a valid
        # p-value on its own, fine enough for the multiple-testing correction to work on big grids.
        if len(at_floor):
            ge2, le2, _, _ = _permute_lags(*args, int(refine), (int(seed) + 0x5BD1E995) & 0xFFFFFFFF, at_floor,
                                        nonneg)
            p[at_floor] = np.minimum(1.0, 2.0 * (np.minimum(ge2, le2) + 1) / (refine + 1))
            upper[at_floor] = ge2 <= le2
    else:
        refine = 0
    return p, mean, sd, upper, int(refine)


def row_extremes(W):
    """Largest and smallest stored weight of each row of CSR ``W``, shape ``(n,)`` each (0 for empty rows).

    ``np.maximum.reduceat`` is given only the starts of non-empty rows: an empty row (an island)
    anywhere, including the last one whose start equals ``nnz``, would otherwise be out of bounds
    (last row) or take its neighbour's first value (elsewhere).
    """
    W = sp.csr_matrix(W)
    n = W.shape[0]
    has = np.diff(W.indptr) > 0
    row_max = np.zeros(n, dtype=W.data.dtype if W.nnz else float)
    row_min = np.zeros_like(row_max)
    if has.any():
        starts = W.indptr[:-1][has]
        row_max[has] = np.maximum.reduceat(W.data, starts)
        row_min[has] = np.minimum.reduceat(W.data, starts)
    return row_max, row_min


def check_permutations(permutations) -> int:
    """The validated number of conditional permutations (0 = analytical normal p-values).

    Raises
    ------
    HotpatrolError
        Not a whole number >= 0, or between 1 and 98 (too few to give p-values below 0.02).
    """
    if permutations is None or int(permutations) != permutations or permutations < 0:
        raise HotpatrolError(
            "Permutations must be a whole number >= 0 (0 uses the analytical normal p-values).",
            parameter="permutations",
            given=permutations,
        )
    if 0 < permutations < 99:
        raise HotpatrolError(
            f"{permutations} permutations cannot give p-values below {2 / (permutations + 1):.2f}.",
            parameter="permutations",
            given=permutations,
            fix="Use 999 (the default) or at least 99.",
        )
    return int(permutations)


def adjust_pvalues(p, method: str = "fdr") -> np.ndarray:
    """Benjamini-Hochberg (``fdr``), Holm (``holm``) or no (``none``) adjustment; NaNs stay NaN.

    Parameters
    ----------
    p : array_like, shape (n,)
        p-values; NaN entries (places not tested) are left out of the family and stay NaN.
    method : {"fdr", "holm", "none"}

    Returns
    -------
    ndarray, shape (n,)
        Adjusted p-values, capped at 1, from :func:`statsmodels.stats.multitest.multipletests`
        (``fdr_bh``: Benjamini & Hochberg 1995; ``holm``: Holm 1979).

    Raises
    ------
    HotpatrolError
        Unknown ``method`` (``parameter="correction"``).
    """
    from statsmodels.stats.multitest import multipletests

    if method not in CORRECTIONS:
        raise HotpatrolError("Unknown multiple-testing correction.", parameter="correction", allowed=list(CORRECTIONS), given=method)
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    if method == "none" or len(q) == 0:
        out[ok] = q
        return out
    out[ok] = multipletests(q, method={"fdr": "fdr_bh", "holm": "holm"}[method])[1]
    return out


#: (confidence, p threshold) from strongest to weakest.
LEVELS = ((99, 0.01), (95, 0.05), (90, 0.10))


def confidence_bins(p_adj, upper) -> np.ndarray:
    """ArcGIS-style bins: +3/+2/+1 hot at 99/95/90 % confidence, -1/-2/-3 cold, 0 not significant."""
    p_adj = np.asarray(p_adj, dtype=float)
    level = np.zeros(len(p_adj), dtype=np.int64)
    for rank, (_, thr) in zip((3, 2, 1), LEVELS):
        level[(level == 0) & (p_adj <= thr)] = rank
    return np.where(np.asarray(upper, dtype=bool), level, -level)


BIN_LABELS = {3: "Hot 99%", 2: "Hot 95%", 1: "Hot 90%", 0: "Not significant", -1: "Cold 90%", -2: "Cold 95%", -3: "Cold 99%"}


PVALUES = ("sim", "norm")


def choose_pvalues(p_sim, p_norm, pvalue: str, correction: str, permutations: int, refine: int | None = None):
    """The p-values the correction is applied to, and a note when permutations limit the resolution."""
    from hotpatrol.errors import check_choice

    check_choice("pvalue", pvalue, PVALUES)
    check_choice("correction", correction, CORRECTIONS)
    if pvalue == "norm" or p_sim is None:
        return p_norm, None
    m = int(np.isfinite(p_sim).sum())
    floor = 2.0 / (max(permutations, refine or 0) + 1)
    best = {"fdr": floor, "holm": floor * m, "none": floor}[correction]
    note = None
    if correction == "holm" and best > 0.05:
        note = (f"with {max(permutations, refine or 0)} permutations and {plural(m, 'place')} no Holm-adjusted p-value can fall below "
                f"{min(best, 1):.3g}: use more permutations, correction='fdr' or pvalue='norm'")
    elif correction == "fdr":
        need = int(np.ceil(floor * m / 0.05))
        note = (f"FDR with {max(permutations, refine or 0)} permutations: a place can be significant at 95 % only if at least "
                f"{plural(need, 'place')} {verb(need, 'reaches', 'reach')} the permutation floor p={floor:.3g}")
    return p_sim, note
