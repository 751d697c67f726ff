"""Knox test for space-time clustering (near repeats), banded like Ratcliffe's Near Repeat Calculator.

Every pair of events is put in a (spatial band, temporal band) cell; the observed table is compared with
tables from Monte Carlo permutations of the event times over the fixed locations (the null hypothesis:
where and when are independent). The Knox ratio of a cell is observed / mean of the permuted tables and
its p-value ``(#{permuted >= observed} + 1) / (permutations + 1)``.

Bands are half-open intervals ``[lo, hi)``:

- spatial: ``[0, same_location)`` ("same location"), ``[same_location, b)``, ``[b, 2b)``, ..., ``[n b, inf)``;
- temporal (days): ``[0, t)``, ``[t, 2t)``, ..., ``[n t, inf)``.

That is exactly what the Near Repeat Calculator 1.3 computes: its bands labelled "1 to 100 m" and "8 to 14
days" hold pairs 1 <= d < 100 m and 7 <= dt < 14 days (Steenbeek's NearRepeat R package documents that
the NRC labels are shifted by one unit; we label the intervals as computed). The NRC's default distance is
Manhattan, so is ours.

Speed: only pairs closer than the outermost finite spatial edge are enumerated (cKDTree ``query_pairs``);
the "beyond" row is the all-pairs temporal histogram (permutation invariant, from sorted times) minus the
near rows. Permutations are counted in a numba kernel, in parallel over permutations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.results import Result, Summary, json_safe
from hotpatrol.text import plural, verb

METRICS = ("manhattan", "euclidean")
DAY = np.timedelta64(1, "D")


@numba.njit(cache=True)
def _band(value, edges):
    # edges: finite inner edges ascending (first is > 0); returns 0..len(edges)
    k = 0
    while k < edges.shape[0] and value >= edges[k]:
        k += 1
    return k


@numba.njit(cache=True)
def _count_table(i_idx, j_idx, sband, times, tedges, n_s, n_t):
    out = np.zeros((n_s, n_t), dtype=np.int64)
    for p in range(i_idx.shape[0]):
        dt = abs(times[i_idx[p]] - times[j_idx[p]])
        out[sband[p], _band(dt, tedges)] += 1
    return out


@numba.njit(parallel=True, cache=True)
def _count_permutations(i_idx, j_idx, sband, times, perms, tedges, n_s, n_t):
    n_perm = perms.shape[0]
    out = np.zeros((n_perm, n_s, n_t), dtype=np.int64)
    for r in numba.prange(n_perm):
        perm = perms[r]
        for p in range(i_idx.shape[0]):
            dt = abs(times[perm[i_idx[p]]] - times[perm[j_idx[p]]])
            out[r, sband[p], _band(dt, tedges)] += 1
    return out


def _all_pairs_temporal(times: np.ndarray, tedges: np.ndarray) -> np.ndarray:
    """Number of pairs (i<j) per temporal band over ALL pairs, from sorted times in O(n log n)."""
    t = np.sort(times)
    n = len(t)
    idx = np.arange(n)
    # pairs with dt < c: for each i, later events j>i with t_j < t_i + c
    below = [0]
    for c in tedges:
        below.append(int((np.searchsorted(t, t + c, side="left") - idx - 1).clip(min=0).sum()))
    below.append(n * (n - 1) // 2)
    return np.diff(np.asarray(below, dtype=np.int64))


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass
class KnoxResult(Result):
    """Observed and permuted pair counts per (spatial band, temporal band), Knox ratios and p-values."""

    observed: np.ndarray  # (n_s, n_t) int
    expected: np.ndarray  # mean of the permuted tables
    expected_median: np.ndarray
    p_values: np.ndarray
    spatial_edges: np.ndarray  # n_s + 1 edges, last is inf (metres)
    temporal_edges: np.ndarray  # n_t + 1 edges, last is inf (days)
    metric: str
    permutations: int
    n_events: int
    random_state: int | None = None
    simulations: np.ndarray | None = field(default=None, repr=False)  # (permutations, n_s, n_t)
    notes: list[str] = field(default_factory=list)
    name: str = "knox"

    @property
    def ratio(self) -> np.ndarray:
        """Observed over mean expected (the Knox ratio); NaN where nothing is expected."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    @property
    def ratio_median(self) -> np.ndarray:
        """Observed / median permuted pair count per band pair, shape (n_s, n_t); NaN where the median is 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected_median > 0, self.observed / self.expected_median, np.nan)

    @property
    def spatial_labels(self) -> list[str]:
        """Labels of the n_s spatial bands in metres (``same location`` first, open-ended last)."""
        e = self.spatial_edges
        labels = [f"same location [0, {_fmt(e[1])}) m"]
        labels += [f"[{_fmt(e[k])}, {_fmt(e[k + 1])}) m" for k in range(1, len(e) - 2)]
        labels.append(f">= {_fmt(e[-2])} m")
        return labels

    @property
    def temporal_labels(self) -> list[str]:
        """Labels of the n_t temporal bands in days (open-ended last)."""
        e = self.temporal_edges
        labels = [f"[{_fmt(e[k])}, {_fmt(e[k + 1])}) days" for k in range(len(e) - 2)]
        labels.append(f">= {_fmt(e[-2])} days")
        return labels

    def table(self, what: str = "ratio") -> pd.DataFrame:
        """One of observed | expected | ratio | ratio_median | p_values as a labelled band x band table."""
        check_choice("what", what, ["observed", "expected", "ratio", "ratio_median", "p_values"])
        values = getattr(self, what)
        return pd.DataFrame(values, index=self.spatial_labels, columns=self.temporal_labels)

    def to_frame(self) -> pd.DataFrame:
        """One row per (spatial band, temporal band)."""
        n_s, n_t = self.observed.shape
        s, t = np.divmod(np.arange(n_s * n_t), n_t)
        return pd.DataFrame(
            {
                "spatial_band": np.asarray(self.spatial_labels)[s],
                "temporal_band": np.asarray(self.temporal_labels)[t],
                "distance_from": self.spatial_edges[s],
                "distance_to": self.spatial_edges[s + 1],
                "days_from": self.temporal_edges[t],
                "days_to": self.temporal_edges[t + 1],
                "observed": self.observed.ravel(),
                "expected": self.expected.ravel(),
                "knox_ratio": self.ratio.ravel(),
                "p_value": self.p_values.ravel(),
            }
        )

    def significant(self, alpha: float = 0.05, min_ratio: float = 1.0) -> pd.DataFrame:
        """Bands with p <= alpha and Knox ratio > min_ratio (the over-represented space-time ranges)."""
        f = self.to_frame()
        return f[(f["p_value"] <= alpha) & (f["knox_ratio"] > min_ratio)].reset_index(drop=True)

    def summary(self, alpha: float | None = None) -> Summary:
        """Table of observed/expected pairs, Knox ratios and p-values, with repeats and near repeats named.

        Parameters
        ----------
        alpha : float, optional
            Significance level for the notes; default ``1 / (permutations + 1)``, never below 0.05.

        Returns
        -------
        Summary
            One row per (spatial band, temporal band); notes list the over-represented band pairs
            (Knox 1964; near-repeat calculator of Ratcliffe 2009).
        """
        alpha = 1.0 / (self.permutations + 1) if alpha is None else alpha
        alpha = max(alpha, 0.05)
        f = self.to_frame()
        table = f[["spatial_band", "temporal_band", "observed", "expected", "knox_ratio", "p_value"]].copy()
        table["expected"] = table["expected"].round(2)
        table["knox_ratio"] = table["knox_ratio"].round(2)
        table["p_value"] = table["p_value"].round(3)
        sig = self.significant(alpha)
        near = sig[(sig["distance_from"] > 0) & np.isfinite(sig["distance_to"])]
        same = sig[sig["distance_from"] == 0]
        notes = [
            f"{plural(self.n_events, 'event')}, {plural(self.n_events * (self.n_events - 1) // 2, 'pair')}, {self.metric} distance, "
            f"{self.permutations} permutations of the dates (smallest possible p = {1 / (self.permutations + 1):.3g}).",
            f"Repeats (same location) over-represented (p <= {alpha:g}): "
            + (", ".join(same["temporal_band"]) if len(same) else "none") + ".",
            f"Near repeats over-represented (p <= {alpha:g}): "
            + ("; ".join(f"{a} x {b} (ratio {r:.2f})" for a, b, r in
                         zip(near["spatial_band"], near["temporal_band"], near["knox_ratio"])) if len(near) else "none")
            + ".",
        ] + list(self.notes)
        return Summary(title="Knox test for space-time clustering (near repeats)", table=table, notes=notes)

    def plot(self, path, *, alpha: float = 0.05, title: str | None = None):
        """Heat map of the Knox ratios (cells with p <= alpha shaded by ratio), saved to ``path`` (.png/.pdf/.svg)."""
        from pathlib import Path

        from hotpatrol.plotting import new_figure, save_figure

        path = Path(path)
        if path.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise HotpatrolError("Unknown picture format.", parameter="path", allowed=[".png", ".pdf", ".svg"],
                                 given=str(path))
        ratio = np.nan_to_num(self.ratio, nan=0.0)
        shade = np.where((self.p_values <= alpha) & (ratio > 1), np.minimum(ratio, 5.0), np.nan)
        fig, ax = new_figure(figsize=(1.6 + 1.5 * ratio.shape[1], 1.0 + 0.6 * ratio.shape[0]))
        ax.imshow(shade, cmap="Reds", vmin=0.5, vmax=5.0, aspect="auto")
        for (r, c), v in np.ndenumerate(ratio):
            star = "*" if self.p_values[r, c] <= alpha else ""
            ax.text(c, r, f"{v:.2f}{star}", ha="center", va="center", fontsize=9)
        ax.set_xticks(range(ratio.shape[1]), self.temporal_labels, fontsize=8)
        ax.set_yticks(range(ratio.shape[0]), self.spatial_labels, fontsize=8)
        ax.set_title(title or f"Knox ratios (* p <= {alpha:g}, {self.permutations} permutations)", fontsize=10)
        fig.tight_layout()
        return save_figure(fig, path, dpi=120)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: bands, edges (metres, days), observed/expected tables (n_s x n_t), ratios (None when
        undefined), p-values and notes.
        """
        return json_safe({
            "name": self.name,
            "n_events": self.n_events,
            "metric": self.metric,
            "permutations": self.permutations,
            "random_state": self.random_state,
            "spatial_bands": self.spatial_labels,
            "temporal_bands": self.temporal_labels,
            "spatial_edges": [float(v) for v in self.spatial_edges],
            "temporal_edges": [float(v) for v in self.temporal_edges],
            "observed": self.observed.tolist(),
            "expected": self.expected.tolist(),
            "knox_ratio": [[None if not np.isfinite(v) else float(v) for v in row] for row in self.ratio],
            "p_value": self.p_values.tolist(),
            "notes": list(self.notes),
        })


def _as_days(time, tz: str | None = None) -> tuple[np.ndarray, bool]:
    """Times as float days since the first event; True when all times fall on whole days.

    Dates (every time at local midnight) are calendar labels: differences are whole calendar days, as
    the Near Repeat Calculator counts them. Times of day are naive local wall-clock times read as
    instants (:func:`hotpatrol.localtime.elapsed_days`): differences are real elapsed days, so two
    events either side of a clock change are their real distance apart.
    """
    from hotpatrol.localtime import elapsed_days, to_local

    arr = np.asarray(time) if not isinstance(time, pd.Series) else time
    if isinstance(arr, pd.Series) or np.issubdtype(arr.dtype, np.datetime64) or arr.dtype == object:
        ts = pd.to_datetime(pd.Series(arr), errors="coerce")
        if ts.isna().all():
            raise HotpatrolError("No time could be read as a date.", parameter="time",
                                 fix="Give dates/timestamps (or numbers of days) for the events.")
        local = to_local(ts, tz) if ts.dt.tz is not None else ts  # zone-aware: the wall clock in tz
        ns = local.to_numpy("datetime64[ns]")
        dates = bool((local.dropna() == local.dropna().dt.normalize()).all())
        if dates:
            days = (ns - local.min().to_datetime64()) / DAY  # NaT -> NaN, left out below
        else:
            days = elapsed_days(ts, tz=tz)
    else:
        days = arr.astype(float)
    days = np.asarray(days, dtype=float)
    return days, bool(np.all(days == np.round(days)))


def knox(
    x,
    y,
    time,
    *,
    spatial_band: float = 100.0,
    n_spatial: int = 3,
    temporal_band: float = 7.0,
    n_temporal: int = 3,
    same_location: float = 0.01,
    metric: str = "manhattan",
    permutations: int = 99,
    random_state: int | None = None,
    single_precision: bool = False,
    keep_simulations: bool = False,
    tz: str | None = None,
) -> KnoxResult:
    """Knox test on coordinates (metres) and times (datetimes, or numbers of days).

    ``spatial_band``/``n_spatial`` and ``temporal_band``/``n_temporal`` follow the Near Repeat Calculator's
    "bandwidth" and "number of bands"; a same-location band ``[0, same_location)`` and the "beyond" bands
    are added, giving ``n_spatial + 2`` x ``n_temporal + 1`` cells.

    ``same_location`` (metres) is the width of the same-location band: the NRC counts only identical
    coordinates, so the default is a centimetre. ``single_precision=True`` rounds coordinates to 32-bit
    floats first, as the NRC 1.3 does (that moves pairs lying within a few centimetres of a band edge);
    only needed to reproduce its tables to the last pair.

    ``time``: dates (all at midnight) are compared in whole calendar days; times of day are naive
    local wall-clock times in ``tz`` (the ``timezone`` setting, Europe/London) or zone-aware, and are
    compared as real elapsed days on UTC instants (:mod:`hotpatrol.localtime`: 00:30 and 03:30 on the
    day the clocks go back are 4 hours apart).
    """
    check_choice("metric", metric, METRICS)
    for name, value in (("spatial_band", spatial_band), ("temporal_band", temporal_band)):
        if not np.isfinite(value) or value <= 0:
            raise HotpatrolError(f"{name} must be a positive number.", parameter=name, given=value)
    for name, value in (("n_spatial", n_spatial), ("n_temporal", n_temporal)):
        if int(value) != value or value < 1:
            raise HotpatrolError(f"{name} must be a whole number >= 1.", parameter=name, given=value)
    if not (0 < same_location < spatial_band):
        raise HotpatrolError("same_location must be > 0 and smaller than spatial_band.",
                             parameter="same_location", given=same_location,
                             fix="Use the default 1 m (the Near Repeat Calculator's same-location band).")
    if int(permutations) != permutations or permutations < 1:
        raise HotpatrolError("permutations must be a whole number >= 1.", parameter="permutations",
                             given=permutations, fix="Use 99 (p down to 0.01) or 999 (p down to 0.001).")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if single_precision:
        x, y = x.astype(np.float32).astype(float), y.astype(np.float32).astype(float)
    days, _whole = _as_days(time, tz)
    if not (len(x) == len(y) == len(days)):
        raise HotpatrolError("x, y and time must have the same length.", parameter="x/y/time",
                             given=[len(x), len(y), len(days)])
    bad = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(days))
    notes = []
    if bad.any():
        notes.append(f"{int(bad.sum())} event(s) without coordinates or a readable time were left out.")
        x, y, days = x[~bad], y[~bad], days[~bad]
    n = len(x)
    if n < 3:
        raise HotpatrolError("The Knox test needs at least 3 events with coordinates and a time.",
                             parameter="events", given=n)

    n_spatial, n_temporal, permutations = int(n_spatial), int(n_temporal), int(permutations)
    s_inner = np.concatenate([[same_location], spatial_band * np.arange(1, n_spatial + 1)])
    t_inner = temporal_band * np.arange(1, n_temporal + 1, dtype=float)
    s_edges = np.concatenate([[0.0], s_inner, [np.inf]])
    t_edges = np.concatenate([[0.0], t_inner, [np.inf]])
    n_s, n_t = len(s_edges) - 1, len(t_edges) - 1
    r_max = s_inner[-1]

    xy = np.column_stack([x, y])
    pairs = cKDTree(xy).query_pairs(r_max, p=1 if metric == "manhattan" else 2, output_type="ndarray")
    diff = xy[pairs[:, 0]] - xy[pairs[:, 1]]
    dist = np.abs(diff).sum(1) if metric == "manhattan" else np.hypot(diff[:, 0], diff[:, 1])
    near = dist < r_max  # query_pairs includes d == r_max, which belongs to the beyond band
    pairs, dist = pairs[near], dist[near]
    i_idx = np.ascontiguousarray(pairs[:, 0], dtype=np.int64)
    j_idx = np.ascontiguousarray(pairs[:, 1], dtype=np.int64)
    sband = np.searchsorted(s_inner, dist, side="right").astype(np.int64)  # 0..n_s-2

    marginal = _all_pairs_temporal(days, t_inner)

    def full_table(near_counts: np.ndarray) -> np.ndarray:
        tab = np.zeros((n_s, n_t), dtype=np.int64)
        tab[: n_s - 1] = near_counts[: n_s - 1]
        tab[n_s - 1] = marginal - near_counts[: n_s - 1].sum(axis=0)
        return tab

    observed = full_table(_count_table(i_idx, j_idx, sband, days, t_inner, n_s, n_t))

    rng = np.random.default_rng(random_state)
    sims = np.empty((permutations, n_s, n_t), dtype=np.int64)
    chunk = max(1, min(permutations, 20_000_000 // max(n, 1)))
    for start in range(0, permutations, chunk):
        stop = min(permutations, start + chunk)
        perms = np.argsort(rng.random((stop - start, n)), axis=1)
        counts = _count_permutations(i_idx, j_idx, sband, days, perms, t_inner, n_s, n_t)
        for k in range(stop - start):
            sims[start + k] = full_table(counts[k])

    expected = sims.mean(axis=0)
    p_values = ((sims >= observed[None]).sum(axis=0) + 1) / (permutations + 1)
    return KnoxResult(
        observed=observed,
        expected=expected,
        expected_median=np.median(sims, axis=0),
        p_values=p_values,
        spatial_edges=s_edges,
        temporal_edges=t_edges,
        metric=metric,
        permutations=permutations,
        n_events=n,
        random_state=random_state,
        simulations=sims if keep_simulations else None,
        notes=notes + (["Coordinates rounded to 32-bit floats (as the Near Repeat Calculator 1.3)."]
                       if single_precision else []),
    )


def knox_test(events: pd.DataFrame, **kwargs) -> KnoxResult:
    """Knox test on an events table with ``x``/``y`` metres (see :func:`hotpatrol.places.project`).

    Times are ``occurred_at`` (or ``occurred_from``). police.uk data give only the month, which makes any
    temporal band shorter than a month meaningless: refused with a HotpatrolError.
    """
    from hotpatrol.events import occurred_at, require_frame

    require_frame(events)
    if "x" not in events.columns or "y" not in events.columns:
        raise HotpatrolError("The Knox test needs x/y in metres.", parameter="events",
                             fix="Project first: hotpatrol.places.project(events).")
    if "time_precision" in events.columns:
        prec = events["time_precision"].astype("string")
        monthly = (prec == "month").fillna(False).to_numpy()
        if monthly.mean() > 0.5:
            raise HotpatrolError(
                f"{int(monthly.sum())} of {plural(len(events), 'event')} {verb(int(monthly.sum()), 'is', 'are')} dated only to the month (police.uk): "
                "the Knox test needs dates to the day.",
                parameter="events", given="time_precision=month",
                fix="Use force records with dates/times (ingest a force-records CSV).",
            )
    return knox(events["x"].to_numpy(float), events["y"].to_numpy(float), occurred_at(events).to_numpy(),
                **kwargs)
