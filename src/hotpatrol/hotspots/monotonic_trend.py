"""The Mann-Kendall trend test, vectorised over many series at once.

For a series ``x_1..x_n`` (Mann 1945; Kendall 1975; Gilbert 1987, ch. 16):

- ``S = sum_{k<j} sign(x_j - x_k)``;
- ``var(S) = [n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18`` where ``t_g`` is the size of the
  ``g``-th group of tied values (the ties correction);
- ``z = (S - 1)/sqrt(var S)`` if ``S > 0``, ``0`` if ``S = 0``, ``(S + 1)/sqrt(var S)`` if ``S < 0``
  (continuity correction);
- two-sided ``p = 2 (1 - Phi(|z|))``; Kendall's ``tau = S / (n(n-1)/2)``;
- Sen's slope: the median of ``(x_j - x_k)/(j - k)`` over all pairs ``k < j``.

These are the same definitions as ``pymannkendall.original_test`` (tests check S, var S, z and p
agree to 1e-10). Here the rows of a 2-D array are the series: every place of a space-time cube is
tested in one call, looping only over the ``n - 1`` lags, never over places. Missing values (NaN)
are left out pair by pair, and each row's ``n`` and ties are counted over its finite values, as
pymannkendall does when it skips missing values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy.special import ndtr

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError


@dataclass
class MannKendall:
    """Per-series results, each an array of shape (n_series,)."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray
    slope: np.ndarray
    n: np.ndarray

    def trend(self, alpha: float | None = None) -> np.ndarray:
        """``"increasing"``, ``"decreasing"`` or ``"no trend"`` at two-sided level ``alpha``."""
        alpha = float(settings.resolve("alpha", alpha))
        sig = self.p < alpha
        return np.where(sig & (self.z > 0), "increasing", np.where(sig & (self.z < 0), "decreasing", "no trend"))

    def to_frame(self) -> pd.DataFrame:
        """One row per series: S, Var(S), z, p, Kendall's tau, Sen's slope and n."""
        return pd.DataFrame({"s": self.s, "var_s": self.var_s, "z": self.z, "p": self.p, "tau": self.tau,
                             "slope": self.slope, "n": self.n})


def mann_kendall(x, *, slope: bool = True) -> MannKendall:
    """Mann-Kendall test of every row of ``x`` (shape ``(n_series, n_times)`` or ``(n_times,)``).

    ``slope=False`` skips Sen's slope (the costliest part: a median over all pairs per row).
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise HotpatrolError("Mann-Kendall needs a 1-D series or a 2-D array of series (rows).",
                             parameter="x", given=f"{arr.ndim}-D array")
    m, T = arr.shape
    if T < 3:
        raise HotpatrolError("A trend test needs at least 3 time steps.", parameter="x", given=T,
                             fix="Use more periods (Esri recommends at least 10 for emerging hot spots).")
    finite = np.isfinite(arr)
    n = finite.sum(axis=1).astype(float)
    s = np.zeros(m)
    for d in range(1, T):  # lag d compares x[:, j] with x[:, j - d]
        diff = arr[:, d:] - arr[:, :-d]
        s += np.nansum(np.sign(diff), axis=1)  # NaN pairs drop out
    # ties: each value in a tie group of size t adds (t-1)(2t+5); a group adds t(t-1)(2t+5) in total
    ties = np.zeros(m)
    for j in range(T):
        same = (arr == arr[:, j:j + 1]).sum(axis=1).astype(float)  # NaN == NaN is False -> 0
        ok = finite[:, j]
        ties += np.where(ok, (same - 1.0) * (2.0 * same + 5.0), 0.0)
    var_s = (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var_s)
        z = np.where(s > 0, (s - 1.0) / sd, np.where(s < 0, (s + 1.0) / sd, 0.0))
        z = np.where(var_s > 0, z, 0.0)  # a constant series has no trend
        p = 2.0 * (1.0 - ndtr(np.abs(z)))
        tau = s / (0.5 * n * (n - 1.0))
    sen = sen_slope(arr) if slope else np.full(m, np.nan)
    return MannKendall(s=s, var_s=var_s, z=z, p=p, tau=tau, slope=sen, n=n)


def sen_slope(x) -> np.ndarray:
    """Sen's (Theil-Sen) slope of every row: the median pairwise slope, per time step.

    Compiled with numba (a median per row over the ``n(n-1)/2`` pairs, pairs with a NaN left out);
    about 6x faster than a chunked numpy median and with no big temporary array.
    """
    arr = np.ascontiguousarray(np.asarray(x, dtype=float))
    if arr.ndim == 1:
        arr = arr[None, :]
    return _sen_rows(arr)


@numba.njit(cache=True)
def _sen_rows(arr):  # pragma: no cover - compiled
    m, T = arr.shape
    out = np.empty(m)
    buf = np.empty(T * (T - 1) // 2)
    for r in range(m):
        k = 0
        for i in range(T - 1):
            a = arr[r, i]
            if np.isnan(a):
                continue
            for j in range(i + 1, T):
                b = arr[r, j]
                if not np.isnan(b):
                    buf[k] = (b - a) / (j - i)
                    k += 1
        out[r] = np.median(buf[:k]) if k > 0 else np.nan
    return out
