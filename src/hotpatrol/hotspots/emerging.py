"""Emerging hot spot analysis: Gi* per place per period, a Mann-Kendall trend, Esri's categories.

Method (as Esri's *Emerging Hot Spot Analysis*, ArcGIS Pro "How Emerging Hot Spot Analysis works"):

1. **Space-time Gi\\***. The cube's bins (place ``i``, period ``t``) are one set of ``n x T``
   observations. A bin's neighbours are its spatial neighbours (the weights ``W``) in the same period
   and, with ``time_lag = k > 0``, the same place and its spatial neighbours in the ``k`` previous
   periods (Esri's *neighborhood time step*, which looks back in time only). Gi\\* z-scores use the
   mean and variance of the whole cube. Two-sided normal p-values are corrected for multiple
   testing with the Benjamini-Hochberg false discovery rate over all bins of the analysed places
   (``fdr=True``; ArcGIS Pro also applies an FDR correction).
   A bin is a *hot spot* when ``p < alpha`` and ``z > 0``, a *cold spot* when ``p < alpha`` and
   ``z < 0``.
2. **Trend**. The Mann-Kendall test on each place's series of Gi\\* z-scores
   (:mod:`hotpatrol.hotspots.monotonic_trend`, with the ties correction), significant when ``p < trend_alpha``.
3. **Categories**. Esri's definitions, with "90 percent" read as "at least 90 % of periods":

   =====================  ===========================================================================
   New                    hot in the final period and never hot (nor cold) before
   Consecutive            one uninterrupted run of >= 2 hot periods ending in the final period, never
                          hot before that run, and fewer than 90 % of periods hot
   Intensifying           hot in >= 90 % of periods including the final one, with a significant
                          upward trend in the Gi* z-scores (clustering of high values increasing)
   Persistent             hot in >= 90 % of periods including the final one, no significant trend
   Diminishing            hot in >= 90 % of periods including the final one, significant downward trend
   Sporadic               hot in the final period, hot before on and off, fewer than 90 % hot, never cold
   Oscillating            hot in the final period, cold in some earlier period, fewer than 90 % hot
   Historical             not hot in the final period but hot in >= 90 % of periods
   (Cold spots)           the same with hot and cold swapped; an *intensifying* cold spot has a
                          significant *downward* trend in z (ever colder), a *diminishing* one upward
   No Pattern Detected    none of the above
   =====================  ===========================================================================

Where Esri's prose leaves a case open, hotpatrol decides as follows (and says so here): (a) the
final period decides the family: a place hot in the final period gets a hot category, cold gets a
cold one, neither can only be historical or no pattern; (b) persistent, like intensifying and
diminishing, needs the final period hot, because a place hot >= 90 % of the time but not now is by
Esri's own words historical; (c) any earlier cold spot makes a currently hot place with fewer than
90 % hot periods oscillating (Esri defines sporadic as never cold, so the "new"/"consecutive"
places are read the same way; sfdep's implementation does the same for new and consecutive).

The classification is vectorised over places (array operations, a loop over periods only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.hotspots import inference
from hotpatrol.hotspots.monotonic_trend import mann_kendall

HOT_PATTERNS = ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Sporadic", "Oscillating",
                "Historical")
NO_PATTERN = "No Pattern Detected"
CATEGORIES = tuple(f"{p} Hot Spot" for p in HOT_PATTERNS) + tuple(f"{p} Cold Spot" for p in HOT_PATTERNS) + (NO_PATTERN,)
# most urgent first when listing places: currently hot and growing, then other current hot spots
_DISPLAY_ORDER = tuple(f"{p} Hot Spot" for p in ("Intensifying", "New", "Consecutive", "Persistent", "Sporadic",
                                                  "Oscillating", "Diminishing", "Historical")) + CATEGORIES[8:]


def fdr_bh(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (any shape; NaN stays NaN), via :func:`inference.adjust_pvalues`."""
    p = np.asarray(p, dtype=float)
    return inference.adjust_pvalues(p.ravel(), "fdr").reshape(p.shape)


def _final_run(sig: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at the last column, per row."""
    run = np.zeros(sig.shape[0], dtype=np.int64)
    alive = np.ones(sig.shape[0], dtype=bool)
    for t in range(sig.shape[1] - 1, -1, -1):
        alive &= sig[:, t]
        run += alive
    return run


def _family(same: np.ndarray, other: np.ndarray, trend_z, trend_sig, sign: int, T: int) -> tuple[np.ndarray, ...]:
    """Category masks for one family (hot: same=hot bins, other=cold bins, sign=+1; cold: swapped, -1)."""
    n_same = same.sum(axis=1)
    final = same[:, -1]
    run = _final_run(same)
    mostly = n_same * 10 >= 9 * T  # >= 90 % of periods, in exact integer arithmetic
    ever_other = other.any(axis=1)
    up = trend_sig & (sign * trend_z > 0)
    down = trend_sig & (sign * trend_z < 0)
    intens = final & mostly & up
    dimin = final & mostly & down
    persis = final & mostly & ~up & ~down
    few = final & ~mostly
    oscil = few & ever_other
    clean = few & ~ever_other
    new = clean & (n_same == 1)
    consec = clean & (n_same == run) & (run >= 2)
    spora = clean & (n_same > run)
    hist = ~final & mostly
    return new, consec, intens, persis, dimin, spora, oscil, hist


def classify(z, p, trend_z, trend_p, *, alpha: float | None = None, trend_alpha: float = 0.05) -> np.ndarray:
    """Esri emerging hot spot category of every place.

    ``z``/``p``: Gi* z-scores and (already corrected) p-values, shape ``(n_places, n_periods)``;
    ``trend_z``/``trend_p``: Mann-Kendall z and p of each place's z series, shape ``(n_places,)``.
    Returns an array of category names (see :data:`CATEGORIES`).
    """
    alpha = float(settings.resolve("alpha", alpha))
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    if z.ndim != 2 or z.shape != p.shape:
        raise HotpatrolError("z and p must be 2-D arrays of the same shape (places x periods).",
                             parameter="z/p", given=f"{z.shape} and {p.shape}")
    n, T = z.shape
    trend_z = np.asarray(trend_z, dtype=float).reshape(n)
    trend_p = np.asarray(trend_p, dtype=float).reshape(n)
    for name, a in (("alpha", alpha), ("trend_alpha", trend_alpha)):
        if not 0 < a < 1:
            raise HotpatrolError("A significance level must be between 0 and 1.", parameter=name, given=a)
    sig = np.nan_to_num(p, nan=1.0) < alpha
    hot = sig & (z > 0)
    cold = sig & (z < 0)
    tsig = np.nan_to_num(trend_p, nan=1.0) < trend_alpha
    hot_masks = _family(hot, cold, trend_z, tsig, +1, T)
    cold_masks = _family(cold, hot, trend_z, tsig, -1, T)
    final_hot, final_cold = hot[:, -1], cold[:, -1]
    # (a): the final period picks the family; historical needs the final period neither hot nor cold
    conds, names = [], []
    for mask, name in zip(hot_masks[:-1], CATEGORIES[:7]):
        conds.append(mask & final_hot)
        names.append(name)
    for mask, name in zip(cold_masks[:-1], CATEGORIES[8:15]):
        conds.append(mask & final_cold)
        names.append(name)
    neither = ~final_hot & ~final_cold
    conds += [hot_masks[-1] & neither, cold_masks[-1] & neither]
    names += [CATEGORIES[7], CATEGORIES[15]]
    return np.select(conds, names, default=NO_PATTERN).astype(object)


def _with_self(W) -> sparse.csr_matrix:
    """``W`` with zero diagonal entries set to 1 (a place is its own neighbour, the "star" in Gi*)."""
    W = sparse.csr_matrix(W, dtype=float)
    d = W.diagonal()
    return sparse.csr_matrix(W + sparse.diags(np.where(d == 0, 1.0, 0.0)))


def _check_weights(W, time_lag):
    if not sparse.issparse(W):
        W = sparse.csr_matrix(np.asarray(W, dtype=float))
    W = sparse.csr_matrix(W, dtype=float)
    if W.shape[0] != W.shape[1]:
        raise HotpatrolError("Spatial weights must be square (places x places).", parameter="W", given=W.shape)
    if int(time_lag) != time_lag or time_lag < 0:
        raise HotpatrolError("time_lag must be a whole number >= 0.", parameter="time_lag", given=time_lag)
    return W, int(time_lag)


def space_time_weights(W, n_periods: int, time_lag: int = 1):
    """Sparse ``(n T) x (n T)`` weights of the cube flattened period by period (bin = t * n + i).

    Same period: ``W`` as given (Gi* adds the bin itself). Each of the ``time_lag`` previous periods:
    ``W`` plus the place itself (the same location earlier is a neighbour, as in Esri's space-time
    neighbourhoods). :func:`space_time_gi` gives the Gi* of exactly this matrix without building it.
    """
    W, time_lag = _check_weights(W, time_lag)
    time_lag = min(time_lag, n_periods - 1)
    blocks = sparse.kron(sparse.identity(n_periods, format="csr"), W, format="csr")
    if time_lag:
        shift = sum(sparse.eye(n_periods, k=-d, format="csr") for d in range(1, time_lag + 1))  # row t, col t-d
        blocks = blocks + sparse.kron(shift, _with_self(W), format="csr")
    return blocks.tocsr()


def space_time_gi(values, W, *, time_lag: int = 1, gi_star=None) -> np.ndarray:
    """Gi* z of every bin of a ``(n_places, n_periods)`` cube, shape ``(n_places, n_periods)``.

    The cube is one set of ``n T`` observations (mean and variance over all bins) with the
    space-time weights of :func:`space_time_weights`. By default the z-scores come from the Gi*
    formula (Getis & Ord 1992; Ord & Getis 1995) written out per period, so the ``nT x nT`` matrix is
    never built (a county grid x 36 months would need gigabytes): with ``W*`` = ``W`` plus self,
    every block of a bin's neighbourhood is ``W*``, so the local sum is a running sum over the last
    ``time_lag + 1`` periods of ``W* X``, and the weight totals scale with the number of periods in
    the window. ``gi_star(values, W) -> z`` instead scores the flattened cube with an explicit
    matrix (e.g. :func:`hotpatrol.hotspots.getis.gi_star_z`; the tests check both agree).

    Places with no *spatial* neighbour (islands of ``W``) get z = 0 in every period on both paths:
    their earlier periods alone would make the "hot spot" a restatement of their own counts.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise HotpatrolError("values must be a 2-D cube (places x periods).", parameter="values", given=x.shape)
    n, T = x.shape
    W, time_lag = _check_weights(W, time_lag)
    if W.shape[0] != n:
        raise HotpatrolError(f"The weights are for {W.shape[0]} places but the cube has {n}.", parameter="W",
                             given=W.shape)
    if gi_star is not None:
        Wst = space_time_weights(W, T, time_lag)
        flat = x.T.reshape(-1)  # period-major, matching space_time_weights
        z = np.asarray(gi_star(flat, Wst), dtype=float).reshape(T, n).T.copy()
        z[_islands(W)] = 0.0
        return z
    Ws = _with_self(W)
    lag1 = np.asarray(Ws @ x)  # (n, T): W* X per period
    csum = np.cumsum(lag1, axis=1)
    lag = csum.copy()
    k = min(time_lag, T - 1)
    if k + 1 < T:
        lag[:, k + 1:] -= csum[:, : T - k - 1]  # running sum over periods t-k..t
    periods_in = np.minimum(np.arange(T), k) + 1.0  # how many periods each window holds
    wi = np.asarray(Ws.sum(axis=1)).ravel()[:, None] * periods_in[None, :]
    s1 = np.asarray(Ws.multiply(Ws).sum(axis=1)).ravel()[:, None] * periods_in[None, :]
    N = float(n * T)
    mean = x.mean()
    sd = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    spread = np.sqrt(np.maximum(N * s1 - wi * wi, 0.0) / (N - 1.0))
    num = lag - mean * wi
    den = spread * sd
    z = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    z[_islands(W)] = 0.0
    return z


def _islands(W) -> np.ndarray:
    """Places with no spatial neighbour (an empty row of ``W`` off the diagonal)."""
    from hotpatrol.hotspots.weights import islands

    return islands(W)


@dataclass(eq=False)
class EmergingResult(HotspotResult):
    """Per-place category and trend; ``z``/``p`` keep the Gi* cube (places x periods)."""

    category: np.ndarray
    trend: object  # MannKendall
    z: np.ndarray
    p: np.ndarray
    labels: list
    place_id: np.ndarray
    analysed: np.ndarray
    places: object = None
    alpha: float = 0.05
    trend_alpha: float = 0.05
    settings: dict = field(default_factory=dict)
    measure: str = "count"
    name = "emerging"
    map_column = "category"
    map_categories = {"category": list(CATEGORIES)}

    def to_frame(self) -> pd.DataFrame:
        """One row per place: category, Mann-Kendall trend of Gi* z (z, p, tau, Sen slope), hot/cold period counts, final Gi*."""
        sig = self.p < self.alpha
        return pd.DataFrame({
            "place_id": self.place_id,
            "category": self.category,
            "trend_z": self.trend.z,
            "trend_p": self.trend.p,
            "trend_tau": self.trend.tau,
            "trend_slope": self.trend.slope,
            "hot_periods": (sig & (self.z > 0)).sum(axis=1),
            "cold_periods": (sig & (self.z < 0)).sum(axis=1),
            "final_z": self.z[:, -1],
            "final_p": self.p[:, -1],
            "analysed": self.analysed,
        })

    def top(self, n: int) -> pd.DataFrame:
        """``n`` places in category order (intensifying... first), strongest final Gi* z first."""
        frame = self.to_frame()
        order = {c: i for i, c in enumerate(_DISPLAY_ORDER)}
        key = frame["category"].map(order).fillna(len(order)).to_numpy()
        idx = np.lexsort((-np.abs(frame["final_z"].to_numpy()), key))[:n]
        return frame.iloc[idx]

    def cube_frame(self) -> pd.DataFrame:
        """Long table of every bin: place_id, period, z, p, bin (+1 hot, -1 cold, 0)."""
        n, T = self.z.shape
        sig = self.p < self.alpha
        return pd.DataFrame({
            "place_id": np.repeat(self.place_id, T),
            "period": np.tile(np.asarray(self.labels, dtype=object), n),
            "z": self.z.ravel(),
            "p": self.p.ravel(),
            "bin": (np.sign(self.z) * sig).astype(int).ravel(),
        })

    def counts(self) -> pd.DataFrame:
        """Places per category (analysed places only), in Esri's category order."""
        cats = pd.Series(self.category[self.analysed])
        counts = cats.value_counts().reindex(list(CATEGORIES), fill_value=0)
        return pd.DataFrame({"category": counts.index, "places": counts.to_numpy()})

    def plot_bins(self, path, *, periods=None, boundaries=None, ncols: int = 4, dpi: int = 110):
        """PNG small multiples of each period's hot and cold Gi* bins (see :func:`hotpatrol.plotting.plot_bins`).

        ``periods`` picks period labels (default: up to the last 12)."""
        from hotpatrol.plotting import plot_bins

        bins = (np.sign(self.z) * (self.p < self.alpha)).astype(float)
        bins[~self.analysed] = np.nan
        return plot_bins(self.places, bins, self.labels, path, periods=periods, boundaries=boundaries, ncols=ncols,
                         dpi=dpi, title=f"Gi* hot and cold spots per period (p < {self.alpha})")

    def summary(self) -> Summary:
        """Places per category and the settings (alpha, FDR, trend test)."""
        table = self.counts()
        table = table[table["places"] > 0].reset_index(drop=True)
        s = self.settings
        notes = [
            f"{int(self.analysed.sum())} of {len(self.place_id)} places analysed (those with any {self.measure}); "
            f"{len(self.labels)} periods {self.labels[0]}..{self.labels[-1]}.",
            f"Space-time Gi* (time lag {s.get('time_lag')}), bins significant at p < {self.alpha}"
            f"{' after FDR correction' if s.get('fdr') else ''}; Mann-Kendall trend on Gi* z at p < {self.trend_alpha}.",
        ]
        if len(self.labels) < 10:
            notes.append("Fewer than 10 periods: Esri recommends at least 10 for trend categories.")
        if self.island_mask is not None and self.n_islands:
            from hotpatrol.hotspots.weights import island_note

            kind = s.get("weights") or "the default"
            notes.append(island_note(self.place_id, self.island_mask, str(kind),
                                     layer_kind=getattr(self.places, "kind", None),
                                     statistic="z = 0 in every period, No Pattern Detected") + ".")
        return Summary(title="Emerging hot spots", table=table, notes=notes + list(self.data_notes))


def emerging(
    cube,
    W=None,
    *,
    weights: str | None = None,
    distance: float | None = None,
    time_lag: int = 1,
    alpha: float | None = None,
    trend_alpha: float | None = None,
    fdr: bool = True,
    gi_star=None,
    z=None,
    only_with_events: bool = True,
) -> EmergingResult:
    """Emerging hot spot analysis of a :class:`SpaceTimeCube` with spatial weights ``W``.

    ``W`` is a sparse places x places matrix; when omitted it is built from the cube's places with
    :func:`hotpatrol.hotspots.weights.build` (``weights`` kind, e.g. ``"queen"``, and ``distance`` in
    metres for distance bands), or skipped when ``z`` (precomputed Gi* z, places x periods) is given.
    ``gi_star(values, W) -> z`` is an optional explicit-matrix Gi* (see :func:`space_time_gi`;
    default: the closed form). Places with no harm in any
    period are reported as not analysed (Esri analyses locations with at least one point).
    ``alpha``/``trend_alpha`` default to the ``alpha`` setting (0.05); Esri's lowest hot spot
    confidence bin is 90 % (``alpha=0.10``).
    """
    from hotpatrol.hotspots.cube import SpaceTimeCube

    if not isinstance(cube, SpaceTimeCube):
        cube = SpaceTimeCube(np.asarray(cube, dtype=float), None)
    alpha = float(settings.get("alpha") if alpha is None else alpha)
    trend_alpha = float(alpha if trend_alpha is None else trend_alpha)
    # time-lag neighbours, the Mann-Kendall series and the "final period"/run rules all need consecutive
    # periods: a month a force did not publish cannot be dropped or read as zero, so refuse and name it
    cube.require_complete(
        "Emerging hot spot analysis",
        fix="Choose --start/--end so the window holds only published months (hotpatrol info lists them).")
    if cube.n_periods < 3:
        raise HotpatrolError("Emerging hot spots need at least 3 periods (10 or more recommended).",
                             parameter="freq/start/end", given=cube.n_periods)
    if z is None:
        if W is None:
            if cube.places is None:
                raise HotpatrolError("Spatial weights are needed for Gi*.", parameter="W",
                                     fix="Pass W (hotpatrol.hotspots.weights.build(places)) or a cube with places.")
            from hotpatrol.hotspots import weights as _weights

            W = _weights.build(cube.places, weights, distance=distance)
        z = space_time_gi(cube.values, W, time_lag=time_lag, gi_star=gi_star)
    island = None if W is None else _islands(_check_weights(W, time_lag)[0])
    z = np.asarray(z, dtype=float)
    if z.shape != cube.values.shape:
        raise HotpatrolError("z must have the cube's shape (places x periods).", parameter="z",
                             given=z.shape, allowed=cube.values.shape)
    z = np.nan_to_num(z, nan=0.0)  # Gi* is undefined for a constant cube; treat as no clustering
    p = 2.0 * (1.0 - ndtr(np.abs(z)))
    analysed = cube.values.sum(axis=1) > 0 if only_with_events else np.ones(cube.n_places, dtype=bool)
    tested = analysed if island is None else analysed & ~island  # islands are not tested (z = 0, p = 1)
    if island is not None:
        p[island] = 1.0
    if fdr:
        q = np.ones_like(p)
        q[tested] = fdr_bh(p[tested])
        p = q
    trend = mann_kendall(z)
    category = classify(z, p, trend.z, trend.p, alpha=alpha, trend_alpha=trend_alpha)
    category[~tested] = NO_PATTERN
    result = EmergingResult(category, trend, z, p, cube.labels, cube.place_id, analysed, cube.places, alpha,
                            trend_alpha, {"time_lag": time_lag, "fdr": fdr, "weights": weights, "distance": distance},
                            cube.measure)
    result.island_mask = island
    result.data_notes = tuple(cube.meta.get("notes", ()))
    return result
