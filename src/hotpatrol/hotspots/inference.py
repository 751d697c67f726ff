"""Conditional permutation inference and multiple-testing correction for local statistics.

Conditional randomisation (Anselin 1995): the value at place ``i`` is held fixed and its ``k_i``
neighbours' values are replaced by ``k_i`` values drawn without replacement from the other ``n - 1``
places. Gi* and local Moran both depend on the data only through the spatial lag
``sum_j w_ij x_j`` of those neighbours, so one kernel serves both.

The kernel is numba ``prange``-parallel and reproducible: place ``i`` draws from its own
splitmix64 stream seeded from ``(seed, i)``, so results do not depend on the number of threads or
their scheduling. Draws use Floyd's algorithm (no shuffle of all ``n`` values per place).

P-values are two-sided: ``p = min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (P + 1))``.
(esda reports the one-sided folded value, about half of this.)
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from hotpatrol.errors import HotpatrolError

CORRECTIONS = ("fdr", "holm", "none")


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, parallel=True)
def _permute_lags(indptr, indices, data, x, obs, permutations, seed):
    n = x.shape[0]
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    mean = np.zeros(n)
    sd = np.zeros(n)
    base = _mix(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    for i in numba.prange(n):
        start = indptr[i]
        k = indptr[i + 1] - start
        if k == 0 or n < 2:
            ge[i] = permutations
            le[i] = permutations
            mean[i] = obs[i]
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
        m = n - 1  # draw from 0..n-2, then skip i
        for _p in range(permutations):
            # Floyd: k distinct values from 0..m-1
            for t in range(k):
                jmax = m - k + t  # inclusive upper bound
                state = state + np.uint64(0x9E3779B97F4A7C15)
                u = _mix(state)
                r = np.int64(((u >> np.uint64(11)) * 1.1102230246251565e-16) * (jmax + 1))  # 2**-53
                dup = False
                for q in range(t):
                    if chosen[q] == r:
                        dup = True
                        break
                chosen[t] = jmax if dup else r
            lag = 0.0
            for t in range(k):
                j = chosen[t]
                if j >= i:
                    j += 1
                lag += data[start + t] * x[j]
            s1 += lag
            s2 += lag * lag
            if lag >= obs[i] - tol:
                nge += 1
            if lag <= obs[i] + tol:
                nle += 1
        ge[i] = nge
        le[i] = nle
        mu = s1 / permutations
        mean[i] = mu
        var = s2 / permutations - mu * mu
        sd[i] = np.sqrt(var) if var > 0 else 0.0
    return ge, le, mean, sd


def permutation_test(x, W, *, permutations: int, seed: int):
    """Conditional permutation of neighbour lags.

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
    ge, le, mean, sd = _permute_lags(
        W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data, x, obs, int(permutations), int(seed) & 0xFFFFFFFF
    )
    p = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1) / (permutations + 1))
    return p, mean, sd, ge <= le


def check_permutations(permutations) -> int:
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
    """Benjamini-Hochberg (``fdr``), Holm (``holm``) or no (``none``) adjustment; NaNs stay NaN."""
    if method not in CORRECTIONS:
        raise HotpatrolError("Unknown multiple-testing correction.", parameter="correction", allowed=list(CORRECTIONS), given=method)
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = len(q)
    if method == "none" or m == 0:
        out[ok] = q
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    ranks = np.arange(1, m + 1)
    if method == "fdr":
        adj = np.minimum.accumulate((ranked * m / ranks)[::-1])[::-1]
    else:  # holm
        adj = np.maximum.accumulate(ranked * (m - ranks + 1))
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
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


def choose_pvalues(p_sim, p_norm, pvalue: str, correction: str, permutations: int):
    """The p-values the correction is applied to, and a note when permutations limit the resolution."""
    from hotpatrol.errors import check_choice

    check_choice("pvalue", pvalue, PVALUES)
    check_choice("correction", correction, CORRECTIONS)
    if pvalue == "norm" or p_sim is None:
        return p_norm, None
    m = int(np.isfinite(p_sim).sum())
    floor = 2.0 / (permutations + 1)
    best = {"fdr": floor, "holm": floor * m, "none": floor}[correction]
    note = None
    if correction == "holm" and best > 0.05:
        note = (f"with {permutations} permutations and {m:,} places no Holm-adjusted p-value can fall below "
                f"{min(best, 1):.3g}: use more permutations, correction='fdr' or pvalue='norm'")
    elif correction == "fdr":
        need = int(np.ceil(floor * m / 0.05))
        note = (f"FDR with {permutations} permutations: a place can be significant at 95 % only if at least "
                f"{need:,} places reach the permutation floor p={floor:.3g}")
    return p_sim, note
