"""Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995) hot and cold spots.

For place ``i`` with weights ``w_ij`` *including* ``w_ii`` (the "star"):

    Gi* = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1)))

with ``xbar`` the mean, ``s^2 = sum (x - xbar)^2 / n``, ``W_i = sum_j w_ij`` and
``S1_i = sum_j w_ij^2``. This is the z-score R ``spdep::localG`` returns for a ``listw`` built with
``include.self()`` (checked in ``tests/test_hotspots_reference.py``). Significance comes from the
normal approximation or conditional permutations (``permutations=999`` by default), then a
multiple-testing correction (FDR by default) and 90/95/99 % hot/cold classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots import inference, weights as wts
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural


def with_self(W, self_weight: float = 1.0) -> sp.csr_matrix:
    """``W`` with its zero diagonal entries set to ``self_weight`` (non-zero ones are kept)."""
    W = sp.csr_matrix(W, dtype=np.float64)
    d = W.diagonal()
    add = np.where(d == 0, self_weight, 0.0)
    return sp.csr_matrix(W + sp.diags(add))


def gi_star_z(values, W, *, star: bool = True) -> np.ndarray:
    """Analytical Gi* z-scores of ``values`` (shape ``(n,)`` or ``(n, T)``) under weights ``W``.

    ``W`` is an ``n x n`` sparse matrix; with ``star=True`` a zero diagonal is replaced by 1 (the
    place counts itself). A 2-D ``values`` is one column per period (a space-time cube slice per
    column): all columns are scored with one sparse matrix product. Columns that are constant
    (e.g. a month with no events) have no variance and get z = 0, and so do places with no
    neighbour other than themselves (islands): their Gi* would only restate their own value.
    """
    X = np.asarray(values, dtype=np.float64)
    if X.ndim not in (1, 2):
        raise HotpatrolError("values must have shape (n,) or (n, T).", parameter="values", given=X.shape)
    n = X.shape[0]
    if not sp.issparse(W) or W.shape != (n, n):
        raise HotpatrolError(
            f"W must be a sparse {n} x {n} weights matrix.", parameter="W", given=getattr(W, "shape", type(W).__name__),
            fix="Build it with hotpatrol.hotspots.weights.build(places).",
        )
    if n < 3:
        raise HotpatrolError("Gi* needs at least 3 places.", parameter="values", given=n)
    Ws = with_self(W) if star else sp.csr_matrix(W, dtype=np.float64)
    X2 = X.reshape(n, -1)
    mean = X2.mean(axis=0)
    s = np.sqrt(np.maximum((X2 * X2).mean(axis=0) - mean * mean, 0.0))
    wi = np.asarray(Ws.sum(axis=1)).ravel()
    s1 = np.asarray(Ws.multiply(Ws).sum(axis=1)).ravel()
    spread = np.sqrt(np.maximum(n * s1 - wi * wi, 0.0) / (n - 1))
    lag = np.asarray(Ws @ X2)
    num = lag - np.outer(wi, mean)
    den = np.outer(spread, s)
    z = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    z[wts.islands(W)] = 0.0  # no neighbour but itself: no local cluster to measure (defined as 0)
    return z.ravel() if X.ndim == 1 else z


@dataclass(kw_only=True, eq=False, repr=False)
class GiResult(HotspotResult):
    """Per-place Gi* z-scores, p-values (normal and permutation), adjusted p-values and classes.

    Built by :func:`getis_ord`; every field has one entry per place except ``params`` (the settings).
    """

    name = "gi"
    map_categories = {"label": [inference.BIN_LABELS[k] for k in (3, 2, 1, 0, -1, -2, -3)]}

    places: Any = field()  # PlacesLayer (required: HotspotResult's class default is None)
    values: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    p_adj: np.ndarray
    bins: np.ndarray  # -3..3
    params: dict
    counts: np.ndarray | None = None

    @property
    def hot(self) -> np.ndarray:
        """Places that are hot spots at the 95 % level or better (after correction)."""
        return self.bins >= 2

    def to_frame(self) -> pd.DataFrame:
        """One row per place: ``place_id``, ``x``/``y`` (metres), ``value``, ``count``, ``gi_z``, ``p_norm``,
        ``p_sim``, ``p_adj``, ``gi_bin`` (-3..3) and its ``label``, ``island``.
        """
        return self._place_frame(gi_z=self.z, p_norm=self.p_norm, p_sim=self.p_sim, p_adj=self.p_adj,
                                 gi_bin=self.bins, label=pd.Series(self.bins).map(inference.BIN_LABELS).to_numpy())

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` places with the highest Gi* z-scores."""
        return self.to_frame().sort_values(["gi_z", "value"], ascending=False, kind="stable").head(n)

    def summary(self) -> Summary:
        """Places and share of the value in each Gi* class, from 99 % hot spot to 99 % cold spot, with the run's
        parameters as notes.
        """
        return _class_summary(
            f"Getis-Ord Gi* hot spots ({plural(self.places.n, 'place')})", self.bins, self.values, inference.BIN_LABELS,
            range(3, -4, -1), self.params,
        )


def _class_summary(title, bins, values, labels, order, params) -> Summary:
    total = float(np.sum(values)) or 1.0
    rows = []
    for b in order:
        mask = bins == b
        rows.append({"class": labels[b], "places": int(mask.sum()), "value": float(values[mask].sum()),
                     "share_of_value": round(float(values[mask].sum()) / total, 4)})
    notes = [f"{k}: {v}" for k, v in params.items()]
    return Summary(title, pd.DataFrame(rows), notes)


def getis_ord(
    values,
    places,
    *,
    weights="queen",
    distance: float | None = None,
    permutations: int | None = None,
    correction: str = "fdr",
    pvalue: str = "sim",
    refine="auto",
    seed: int | None = None,
    counts=None,
) -> GiResult:
    """Gi* hot/cold spots of per-place ``values`` (harm or counts aligned with ``places``).

    ``weights`` is ``queen``/``rook``/``distance`` (see :mod:`hotpatrol.hotspots.weights`) or a
    ready sparse matrix. ``permutations=0`` uses only the normal approximation. P-values are
    two-sided, adjusted by ``correction`` (``fdr``, ``holm`` or ``none``) before binning.

    Places with no neighbour (islands, :func:`hotpatrol.hotspots.weights.islands`) get z = 0,
    p = 1 and "Not significant", are left out of the correction, and are named in
    ``result.islands_`` / ``result.n_islands`` and the summary notes, wherever they sit in the table.
    """
    values = _check_values(values, places)
    permutations = settings.get("permutations") if permutations is None else permutations
    permutations = inference.check_permutations(permutations)
    seed = settings.get("seed") if seed is None else seed
    W, kind = _weights(places, weights, distance)
    z = gi_star_z(values, W)
    p_norm = 2 * norm.sf(np.abs(z))
    p_sim = None
    upper = z > 0
    if permutations:
        off = sp.csr_matrix(W, dtype=float, copy=True)
        off.setdiag(0)
        off.eliminate_zeros()
        p_sim, _, _, upper, refine = inference.permutation_test(values, off, permutations=permutations, seed=seed,
                                                                  refine=refine)
    island = wts.islands(W)
    upper, p_norm = upper & ~island, np.where(island, 1.0, p_norm)
    if p_sim is not None:
        p_sim = np.where(island, 1.0, p_sim)
    p_use, note = inference.choose_pvalues(p_sim, p_norm, pvalue, correction, permutations,
                                           refine if p_sim is not None else None)
    p_adj = adjust_without_islands(p_use, island, correction)
    bins = inference.confidence_bins(p_adj, upper)
    params = {"weights": kind, "permutations": permutations, "correction": correction, "pvalue": "sim" if p_sim is not None and pvalue == "sim" else "norm", "seed": seed,
              "islands": int(island.sum())}
    if p_sim is not None:
        params["refine_permutations"] = refine
    if note:
        params["note"] = note
    inote = wts.island_note(places.place_id, island, kind, layer_kind=places.kind)
    if inote:
        params["islands_note"] = inote
    result = GiResult(places=places, values=values, z=z, p_norm=p_norm, p_sim=p_sim, p_adj=p_adj, bins=bins,
                      params=params, counts=counts)
    result.island_mask = island
    return result


def adjust_without_islands(p, island, correction) -> np.ndarray:
    """Adjusted p-values with islands left out of the correction (they are not tested) and set to 1."""
    p = np.where(island, np.nan, np.asarray(p, dtype=float))
    return np.where(island, 1.0, inference.adjust_pvalues(p, correction))


def _check_values(values, places) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) != places.n:
        raise HotpatrolError(
            f"values must have one entry per place ({places.n}).", parameter="values", given=values.shape
        )
    if not np.isfinite(values).all():
        raise HotpatrolError("values contain NaN or infinite entries.", parameter="values")
    if values.sum() == 0 or np.ptp(values) == 0:
        raise HotpatrolError(
            "Every place has the same value (no events in the chosen period/categories?), so there are no hot spots to find.",
            parameter="values",
            fix="Widen --start/--end or --category, or check the events were loaded.",
        )
    return values


def _weights(places, weights, distance):
    if sp.issparse(weights):
        if weights.shape != (places.n, places.n):
            raise HotpatrolError("The weights matrix does not match the places.", parameter="weights",
                                 given=weights.shape, allowed=f"({places.n}, {places.n})")
        return sp.csr_matrix(weights, dtype=float), "user matrix"
    kind = weights or wts.default_kind(places)
    W = wts.build(places, kind, distance=distance)
    label = kind if kind != "distance" else f"distance band {distance or 1.5 * places.grid.cell:g} m"
    return W, label
