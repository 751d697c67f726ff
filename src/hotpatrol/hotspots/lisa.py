"""Local Moran's I (Anselin 1995, LISA) with HH/LL/HL/LH clusters and permutation inference.

With ``z = x - xbar`` and ``m2 = sum z^2 / n``: ``I_i = (z_i / m2) sum_j w_ij z_j`` using
row-standardised weights by default. The expectation and variance are the conditional (on ``z_i``)
moments of Sokal et al. (1998) that R ``spdep::localmoran`` reports by default
(``conditional=TRUE, mlvar=TRUE``)::

    E[I_i]   = -z_i^2 W_i / ((n - 1) m2)
    Var[I_i] = (z_i / m2)^2 n / (n - 2) (S1_i - W_i^2 / (n - 1)) (m2 - z_i^2 / (n - 1))

Quadrants follow esda/GeoDa: HH (high value, high neighbours), LH, LL, HL from the signs of
``z_i`` and its lag; a place is a significant cluster/outlier when its adjusted p-value is at most
``alpha`` (permutation p by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.hotspots import inference, weights as wts
from hotpatrol.hotspots.getis import _check_values, _weights, adjust_without_islands
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural

QUADRANTS = ("HH", "LH", "LL", "HL")
#: quadrant of a place with no neighbour (its lag is undefined; I = 0, p = 1, never a cluster)
ISLAND = "Island"


def local_moran_stats(values, W):
    """``(I, E[I], Var[I], Z)`` of spdep::localmoran (conditional, mlvar) for weights ``W`` as given."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    W = sp.csr_matrix(W, dtype=np.float64)
    z = x - x.mean()
    m2 = float(np.sum(z * z) / n)
    if m2 == 0:
        raise HotpatrolError("Every place has the same value, so local Moran is undefined.", parameter="values")
    lz = W @ z
    I = (z / m2) * lz
    wi = np.asarray(W.sum(axis=1)).ravel()
    wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
    e = -(z * z * wi) / ((n - 1) * m2)
    var = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi * wi / (n - 1)) * (m2 - z * z / (n - 1))
    zs = np.divide(I - e, np.sqrt(np.maximum(var, 0)), out=np.zeros_like(I), where=var > 0)
    island = wts.islands(W)  # lag 0 by definition (spdep zero.policy=TRUE, esda): I = E = Var = z = 0
    for arr in (I, e, var, zs):
        arr[island] = 0.0
    return I, e, var, zs


class LisaResult(HotspotResult):
    """Per-place local Moran I, z, p-values and HH/LL/HL/LH cluster labels."""

    name = "lisa"
    map_categories = {"cluster": ["HH", "HL", "LH", "LL", "Not significant"]}

    def __init__(self, *, places, values, I, e, var, z, p_norm, p_sim, p_adj, quadrant, cluster, params, counts=None):
        self.places = places
        self.values = values
        self.counts = counts
        self.I, self.e, self.var, self.z = I, e, var, z
        self.p_norm, self.p_sim, self.p_adj = p_norm, p_sim, p_adj
        self.quadrant = quadrant
        self.cluster = cluster
        self.params = params

    def to_frame(self) -> pd.DataFrame:
        """One row per place: ``place_id``, ``x``/``y`` (metres), ``value``, ``count``, ``moran_i``, its conditional
        ``e_i``/``var_i``/``z_i`` (Sokal et al. 1998), ``p_norm``, ``p_sim``, ``p_adj``, ``quadrant``, ``cluster``,
        ``island``.
        """
        return self._place_frame(moran_i=self.I, e_i=self.e, var_i=self.var, z_i=self.z, p_norm=self.p_norm,
                                 p_sim=self.p_sim, p_adj=self.p_adj, quadrant=self.quadrant, cluster=self.cluster)

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` strongest high-high places (significant clusters first, then by local I)."""
        f = self.to_frame()
        f = f[f["quadrant"] == "HH"].assign(_sig=lambda d: d["cluster"] == "HH")
        return f.sort_values(["_sig", "moran_i"], ascending=False, kind="stable").drop(columns="_sig").head(n)

    def summary(self) -> Summary:
        """Places and share of the value in each LISA cluster (HH, LH, LL, HL, not significant), with the run's
        parameters as notes.
        """
        total = float(np.sum(self.values)) or 1.0
        rows = []
        for lab in QUADRANTS + ("Not significant",):
            mask = self.cluster == lab
            rows.append({"cluster": lab, "places": int(mask.sum()), "value": float(self.values[mask].sum()),
                         "share_of_value": round(float(self.values[mask].sum()) / total, 4)})
        notes = [f"{k}: {v}" for k, v in self.params.items()]
        return Summary(f"Local Moran (LISA) clusters ({plural(self.places.n, 'place')})", pd.DataFrame(rows), notes)


def local_moran(
    values,
    places,
    *,
    weights="queen",
    distance: float | None = None,
    transform: str = "r",
    permutations: int | None = None,
    correction: str = "fdr",
    pvalue: str = "sim",
    refine="auto",
    alpha: float | None = None,
    seed: int | None = None,
    counts=None,
) -> LisaResult:
    """LISA of per-place ``values``. ``transform`` ``r`` (row-standardised, default) or ``b`` (binary).

    Places with no neighbour (islands) get I = 0, z = 0, p = 1, quadrant ``"Island"`` and cluster
    "Not significant", are left out of the multiple-testing correction, and are named in
    ``result.islands_`` / ``result.n_islands`` and the summary notes, wherever they sit in the table.
    """
    values = _check_values(values, places)
    check_choice("transform", transform, ("r", "b"))
    permutations = settings.get("permutations") if permutations is None else permutations
    permutations = inference.check_permutations(permutations)
    seed = settings.get("seed") if seed is None else seed
    alpha = settings.get("alpha") if alpha is None else float(alpha)
    if not 0 < alpha < 1:
        raise HotpatrolError("alpha must be between 0 and 1.", parameter="alpha", given=alpha)
    W, kind = _weights(places, weights, distance)
    W = sp.csr_matrix(W, dtype=float, copy=True)
    W.setdiag(0)
    W.eliminate_zeros()
    if transform == "r":
        W = wts.row_standardise(W)
    I, e, var, z = local_moran_stats(values, W)
    island = wts.islands(W)
    p_norm = np.where(island, 1.0, 2 * norm.sf(np.abs(z)))
    p_sim = None
    if permutations:
        p_sim, _, _, _, refine = inference.permutation_test(values, W, permutations=permutations, seed=seed,
                                                                  refine=refine)
        p_sim = np.where(island, 1.0, p_sim)
    p_use, note = inference.choose_pvalues(p_sim, p_norm, pvalue, correction, permutations,
                                           refine if p_sim is not None else None)
    p_adj = adjust_without_islands(p_use, island, correction)
    zc = values - values.mean()
    lag = W @ zc
    quadrant = np.where(zc > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL")).astype(object)
    quadrant[island] = ISLAND
    cluster = np.where(p_adj <= alpha, quadrant, "Not significant").astype(object)
    params = {"weights": kind, "transform": transform, "permutations": permutations, "correction": correction, "pvalue": "sim" if p_sim is not None and pvalue == "sim" else "norm",
              "alpha": alpha, "seed": seed, "islands": int(island.sum())}
    if p_sim is not None:
        params["refine_permutations"] = refine
    if note:
        params["note"] = note
    inote = wts.island_note(places.place_id, island, kind, layer_kind=places.kind, statistic="I = 0, z = 0, p = 1")
    if inote:
        params["islands_note"] = inote
    result = LisaResult(places=places, values=values, I=I, e=e, var=var, z=z, p_norm=p_norm, p_sim=p_sim,
                        p_adj=p_adj, quadrant=quadrant, cluster=cluster, params=params, counts=counts)
    result.island_mask = island
    return result
