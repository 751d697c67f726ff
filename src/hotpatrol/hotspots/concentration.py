"""How concentrated harm is across places: Lorenz curve, Gini, and "x % of harm in y % of places".

The law of crime concentration (Weisburd 2015, *Criminology* 53(2):133-157) says about 50 % of
crime happens in 2-6 % of street segments (and about 25 % in 0.4-1.6 %). This module measures that
for any places layer and any period.

Definitions (``x`` = harm or counts per place, ``n`` places, ``N`` events, values sorted ascending
as ``x_(1) <= ... <= x_(n)``):

- **Lorenz curve**: points ``(i/n, sum_{k<=i} x_(k) / sum x)`` for ``i = 0..n``; it starts at
  (0, 0) and ends at (1, 1).
- **Gini** (the usual "biased" sample Gini, as ``DescTools::Gini(unbiased=FALSE)``):
  ``G = sum_i (2i - n - 1) x_(i) / (n sum x)``. One place holding everything gives ``1 - 1/n``.
- **Generalised Gini** (Bernasco & Steenbeek 2017, "More places than crimes", *J Quant Criminol*
  33:451-467): with fewer events than places (``N < n``, usual for months of street segments) even
  the most even spread possible, one event in each of ``N`` places, has Gini ``1 - N/n``, so the
  plain Gini overstates concentration. They compare with that *maximal equality* instead:
  ``G' = max(1, n/N) (G - 1) + 1``. It equals ``G`` when ``N >= n``, is 0 for one event per place,
  and can be read as "concentration beyond what sparseness forces". For harm values ``N`` is the
  number of events behind them (not the harm total).
- **x % in y %**: the smallest share of places that holds at least ``x`` of the harm (places taken
  from the most harmful down), and the share of harm held by the top ``y`` of places. Shares are
  given both of all places and of places with any harm (Weisburd reports both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural

DEFAULT_HARM_SHARES = (0.25, 0.5)
DEFAULT_PLACE_SHARES = (0.01, 0.05)


def _check_values(values, name: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise HotpatrolError("Concentration needs a non-empty 1-D array of per-place values.", parameter=name,
                             given=f"shape {x.shape}")
    if not np.isfinite(x).all() or (x < 0).any():
        raise HotpatrolError("Per-place values must be finite and >= 0 (counts or harm).", parameter=name)
    return x


def lorenz(values) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve: cumulative share of places (x) and of harm (y), from (0, 0) to (1, 1)."""
    x = np.sort(_check_values(values))
    n = len(x)
    total = x.sum()
    share_places = np.arange(n + 1) / n
    if total == 0:
        return share_places, share_places.copy()  # no harm: treat as equality, never divide by 0
    return share_places, np.concatenate([[0.0], np.cumsum(x) / total])


def gini(values) -> float:
    """Sample Gini ``sum (2i - n - 1) x_(i) / (n sum x)``; NaN when there is no harm at all."""
    x = np.sort(_check_values(values))
    n = len(x)
    total = x.sum()
    if total == 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * total))


def generalized_gini(values, n_events: float | None = None) -> float:
    """Bernasco-Steenbeek generalised Gini ``max(1, n/N) (G - 1) + 1`` (``N`` = events; counts: sum)."""
    x = _check_values(values)
    n_events = float(x.sum()) if n_events is None else float(n_events)
    if n_events <= 0:
        return float("nan")
    g = gini(x)
    return float(max(1.0, len(x) / n_events) * (g - 1.0) + 1.0)


def _descending(values, share: float, parameter: str, what: str) -> tuple[np.ndarray, float]:
    """Checked ``values`` sorted largest first, and their total; ``share`` must be in (0, 1]."""
    if not 0 < share <= 1:
        raise HotpatrolError(f"A {what} share must be in (0, 1].", parameter=parameter, given=share)
    x = np.sort(_check_values(values))[::-1]
    return x, x.sum()


def places_for_share(values, share: float, *, of: str = "all") -> float:
    """Smallest share of places (all places, or ``of="nonzero"``) holding at least ``share`` of harm."""
    x, total = _descending(values, share, "share", "harm")
    if total == 0:
        return float("nan")
    cum = np.cumsum(x) / total
    k = int(np.searchsorted(cum, share - 1e-12) + 1)  # first k with cum >= share (float slack)
    denom = len(x) if of == "all" else int((x > 0).sum())
    return k / denom


def share_in_top(values, place_share: float, *, of: str = "all") -> float:
    """Share of harm held by the top ``place_share`` of places (``ceil`` of the place count)."""
    x, total = _descending(values, place_share, "place_share", "place")
    if total == 0:
        return float("nan")
    denom = len(x) if of == "all" else int((x > 0).sum())
    k = int(np.ceil(place_share * denom - 1e-9))
    return float(x[:k].sum() / total)


def concentration_row(values, n_events: float | None = None, *, harm_shares=DEFAULT_HARM_SHARES,
                      place_shares=DEFAULT_PLACE_SHARES) -> dict:
    """One row of statistics for a vector of per-place values."""
    x = _check_values(values)
    n_ev = float(x.sum()) if n_events is None else float(n_events)
    row = {
        "places": len(x),
        "places_with_harm": int((x > 0).sum()),
        "events": n_ev,
        "total": float(x.sum()),
        "gini": gini(x),
        "gini_generalized": generalized_gini(x, n_ev),
        "sparse": bool(n_ev < len(x)),
    }
    for s in harm_shares:
        row[f"places_for_{_pct(s)}"] = places_for_share(x, s)
        row[f"places_for_{_pct(s)}_of_nonzero"] = places_for_share(x, s, of="nonzero")
    for s in place_shares:
        row[f"share_in_top_{_pct(s)}"] = share_in_top(x, s)
    return row


def _pct(share: float) -> str:
    return f"{share * 100:g}pct"


@dataclass(eq=False)
class ConcentrationResult(HotspotResult):
    """Concentration per period plus the whole window; ``to_frame()`` is one row per period."""

    table: pd.DataFrame
    totals: np.ndarray  # per-place values over the whole window (for the map and the Lorenz curve)
    places: object = None
    measure: str = "count"
    harm_shares: tuple = DEFAULT_HARM_SHARES
    place_shares: tuple = DEFAULT_PLACE_SHARES
    notes: list = field(default_factory=list)
    name = "concentration"
    map_column = "total"

    def to_frame(self) -> pd.DataFrame:
        """One row per period (and the whole window): events, places with harm, Gini, generalized Gini, shares."""
        return self.table.copy()

    def per_place(self) -> pd.DataFrame:
        """Per-place totals, rank and cumulative share (what the map shows)."""
        ids = np.asarray(self.places.place_id) if self.places is not None else np.arange(len(self.totals))
        order = np.argsort(-self.totals, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        total = self.totals.sum()
        cum = np.cumsum(self.totals[order]) / total if total > 0 else np.zeros(len(order))
        cum_share = np.empty(len(order))
        cum_share[order] = cum
        return pd.DataFrame({"place_id": ids, "total": self.totals, "rank": rank, "cumulative_share": cum_share})

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` places with the most harm over the whole window."""
        return self.per_place().sort_values("rank").head(n)

    def to_geodataframe(self):
        """Per-place totals over the window joined to the places' polygons (GeoDataFrame, metric CRS)."""
        import geopandas as gpd

        if self.places is None:
            raise HotpatrolError("This concentration result has no places to map.", parameter="path")
        geom = self.places.geometry[["place_id", "geometry"]]
        return gpd.GeoDataFrame(geom.merge(self.per_place(), on="place_id"), geometry="geometry", crs=self.places.crs)

    def lorenz(self, period: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lorenz curve of the whole window (or of one period when built from a cube)."""
        if period is None:
            return lorenz(self.totals)
        cube = getattr(self, "_cube", None)
        if cube is None or period not in cube.labels:
            raise HotpatrolError("Unknown period.", parameter="period",
                                 allowed=None if cube is None else cube.labels, given=period)
        return lorenz(cube.values[:, cube.labels.index(period)])

    def summary(self) -> Summary:
        """Per-period Gini and the share of places holding half the measure, with the reading notes."""
        key = f"places_for_{_pct(0.5)}"  # present when 0.5 is among harm_shares
        cols = [c for c in ("period", "places_with_harm", "events", "gini", "gini_generalized", key)
                if c in self.table.columns]
        table = self.table[cols].copy()
        for c in ("gini", "gini_generalized"):
            table[c] = table[c].round(4)
        if key in table:  # shares of places read best as percentages with a few significant digits
            table[key] = [f"{v * 100:.3g}%" if np.isfinite(v) else "" for v in table[key]]
        overall = self.table.iloc[-1]
        notes = [f"Measure: {self.measure}; {plural(int(overall['places']), 'place')}."]
        if key in overall:
            notes.append(f"Whole window: 50% of {self.measure} in {overall[key] * 100:.3g}% of places "
                         f"({overall[key + '_of_nonzero'] * 100:.3g}% of places with any); "
                         "the law of crime concentration expects 2-6% of street segments.")
        if bool(self.table["sparse"].any()):
            notes.append("Some periods have fewer events than places: read gini_generalized "
                         "(Bernasco & Steenbeek 2017), the plain Gini overstates concentration there.")
        return Summary(title=f"Concentration of {self.measure}", table=table, notes=notes + list(self.notes) + list(self.data_notes))

    def plot_lorenz(self, path, *, periods=None):
        """Lorenz curves (whole window and optional periods) with the line of perfect equality and, for
        sparse data, Bernasco & Steenbeek's line of maximal equality, as PNG (see :func:`hotpatrol.plotting.plot_lorenz`)."""
        from hotpatrol.plotting import plot_lorenz

        x, y = lorenz(self.totals)
        overall = self.table.iloc[-1]
        curves = [(f"all (Gini {overall['gini']:.3f})", x, y, {"color": "#b2182b", "linewidth": 2})]
        curves += [(str(period), *self.lorenz(period), {"linewidth": 1}) for period in periods or []]
        n, n_events = float(overall["places"]), float(overall["events"])
        max_equality = (f"maximal equality ({plural(n_events, 'event')}, {plural(n, 'place')})", 1.0 - n_events / n) \
            if 0 < n_events < n else None
        return plot_lorenz(path, curves, max_equality=max_equality, ylabel=f"share of {self.measure}")


def concentration(data, *, places=None, n_events=None, harm_shares=DEFAULT_HARM_SHARES,
                  place_shares=DEFAULT_PLACE_SHARES) -> ConcentrationResult:
    """Concentration of per-place values, per period when ``data`` is a cube.

    ``data`` is a :class:`~hotpatrol.hotspots.cube.SpaceTimeCube` (one row per period plus an
    ``"all"`` row for the whole window) or a 1-D array of per-place values (one ``"all"`` row).
    ``n_events`` (arrays only) is the number of events behind harm values, for the generalised Gini.
    """
    from hotpatrol.hotspots.cube import SpaceTimeCube

    harm_shares = tuple(float(s) for s in harm_shares)
    place_shares = tuple(float(s) for s in place_shares)
    rows = []
    if isinstance(data, SpaceTimeCube):
        # a period a force did not publish has no concentration to report: left out, and said so
        cube, missing_note = data.observed("Concentration")
        ev = cube.event_counts()
        for t, label in enumerate(cube.labels):
            row = concentration_row(cube.values[:, t], ev[:, t].sum(), harm_shares=harm_shares,
                                    place_shares=place_shares)
            rows.append({"period": label, **row})
        totals = cube.total()
        rows.append({"period": "all", **concentration_row(totals, ev.sum(), harm_shares=harm_shares,
                                                          place_shares=place_shares)})
        result = ConcentrationResult(pd.DataFrame(rows), totals, cube.places, cube.measure, harm_shares, place_shares)
        result._cube = cube
        result.data_notes = tuple(cube.meta.get("notes", ()))
        if missing_note:
            result.notes.append(missing_note)
        return result
    totals = _check_values(data, "data")
    if places is not None and places.n != len(totals):
        raise HotpatrolError("values and places differ in length.", parameter="places", given=places.n)
    rows.append({"period": "all", **concentration_row(totals, n_events, harm_shares=harm_shares,
                                                      place_shares=place_shares)})
    return ConcentrationResult(pd.DataFrame(rows), totals, places, "value", harm_shares, place_shares)
