"""Training events reduced to the per-event arrays hotpatrol's own forecasters fit on.

Each event has an occurrence window ``[t0, t1)`` in days (:mod:`hotpatrol.forecast.timeaxis`): exact-time
events have ``t1 == t0``; events known only to a window (police.uk months, "day" records, from/to
windows) keep the window and are spread uniformly over it (aoristic counting). So a 7-day forecast
trained on monthly data counts 7/30 of each month's events in a 7-day slice: the documented fallback
for month-only times, stated in each Forecast's notes. Every rate divides by the *observed* days of
the event's force (:meth:`Prepared.exposure`, :mod:`hotpatrol.forecast.exposure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import require_frame
from hotpatrol.forecast.checks import check_positive, check_weight
from hotpatrol.forecast.exposure import (
    missing_note,
    observation_period,
    published_intervals,
)
from hotpatrol.forecast.timeaxis import from_days, to_days
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer


@dataclass
class Prepared:
    """Training events reduced to what the models need (arrays aligned to each other)."""

    place: np.ndarray  # index into places (events outside places are dropped)
    t0: np.ndarray  # window start, days
    t1: np.ndarray  # window end, days (== t0 for exact times)
    w: np.ndarray  # weight (1 or harm)
    start: float  # start of the first event's day (observation_period)
    end: float  # end of the last event's day (fitted_until; observation_period)
    month_only: bool  # every event known only to a window of >= 28 days
    notes: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None  # positions of these events in the table given to fit
    # published months: events' force code, and per force the observed [a, b) day intervals
    group: np.ndarray | None = None
    forces: list[str] = field(default_factory=list)
    observed: list[np.ndarray] = field(default_factory=list)  # per force: (k, 2) day intervals
    missing: dict = field(default_factory=dict)  # force -> [Period] unpublished inside [start, end)

    @property
    def n(self) -> int:
        """Number of prepared events (after dropping those outside the places)."""
        return len(self.place)

    @property
    def n_groups(self) -> int:
        """Number of forces the published-month exposure is kept for (at least 1)."""
        return max(len(self.observed), 1)

    def _intervals(self, g: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = max(a, self.start), min(b, self.end)
        if not self.observed:
            return np.array([lo]), np.array([max(hi, lo)])
        iv = self.observed[g]
        a_i = np.maximum(iv[:, 0], lo)
        return a_i, np.maximum(np.minimum(iv[:, 1], hi), a_i)  # empty overlaps have length 0

    def exposure(self, a: float, b: float) -> np.ndarray:
        """Observed days in ``[a, b)`` per force, shape ``(n_groups,)``: the part of ``[a, b)`` inside the
        data span and inside months the force published (unpublished months are not exposure)."""
        out = np.empty(self.n_groups)
        for g in range(self.n_groups):
            lo, hi = self._intervals(g, a, b)
            out[g] = float(np.sum(hi - lo))
        return out

    def decayed_exposure(self, a: float, b: float, s: float, tau: float) -> np.ndarray:
        """``integral of exp(-(s - u) / tau) du`` over the observed days in ``[a, b)``, per force."""
        out = np.empty(self.n_groups)
        for g in range(self.n_groups):
            lo, hi = self._intervals(g, a, b)
            out[g] = float(np.sum(tau * (np.exp(-(s - hi) / tau) - np.exp(-(s - lo) / tau))))
        return out

    def event_exposure(self, per_group: np.ndarray) -> np.ndarray:
        """A per-force array (from :meth:`exposure`) spread to the events, shape ``(n,)``."""
        per_group = np.asarray(per_group, dtype=float)
        return per_group[self.group] if self.group is not None else np.full(self.n, per_group[0])

    def rate(self, n_places: int, a: float, b: float, per: float, weights: np.ndarray | None = None,
             floor: float = 1e-9) -> np.ndarray:
        """Weighted (aoristic) events per place in ``[a, b)`` per observed day of each event's force,
        times ``per`` days: a count over the window scaled to ``per`` days, gaps excluded."""
        expo = self.event_exposure(np.maximum(self.exposure(a, b), floor))
        w = (self.w if weights is None else weights) * self.fraction_in(a, b) / expo
        return np.bincount(self.place, weights=w, minlength=n_places) * per

    def missing_between(self, a: float, b: float) -> dict:
        """Unpublished months overlapping ``[a, b)``: ``{force: [Period, ...]}``."""
        if not self.missing:
            return {}
        lo, hi = from_days(a), from_days(b)
        out = {}
        for force, months in self.missing.items():
            hit = [m for m in months if m.start_time < hi and m.end_time >= lo]
            if hit:
                out[force] = hit
        return out

    def fraction_in(self, a: float, b: float) -> np.ndarray:
        """Share of each event's occurrence window inside ``[a, b)`` (exact events: 0 or 1)."""
        exact = self.t1 <= self.t0
        frac = np.empty(self.n)
        frac[exact] = ((self.t0[exact] >= a) & (self.t0[exact] < b)).astype(float)
        win = ~exact
        if win.any():
            lo = np.maximum(self.t0[win], a)
            hi = np.minimum(self.t1[win], b)
            frac[win] = np.clip(hi - lo, 0.0, None) / (self.t1[win] - self.t0[win])
        return frac

    def counts(self, n_places: int, a: float, b: float, weights: np.ndarray | None = None) -> np.ndarray:
        """Weighted (aoristic) events per place in ``[a, b)``."""
        w = (self.w if weights is None else weights) * self.fraction_in(a, b)
        return np.bincount(self.place, weights=w, minlength=n_places)

    def before(self, cut: float) -> np.ndarray:
        """Share of each event that happened before ``cut``."""
        return self.fraction_in(-np.inf, cut)

    def midpoint_before(self, cut: float) -> np.ndarray:
        """Middle of the part of each event's window before ``cut`` (exact time for exact events)."""
        return 0.5 * (self.t0 + np.minimum(np.maximum(self.t1, self.t0), cut))


def ensure_xy(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` with x/y metres: as given, or projected from lon/lat (:func:`hotpatrol.places.crs.project`);
    a :class:`~hotpatrol.errors.HotpatrolError` when neither pair of columns is there."""
    if "x" in events.columns and "y" in events.columns:
        return events
    if "lon" in events.columns and "lat" in events.columns:
        from hotpatrol.places.crs import project

        return project(events)
    raise HotpatrolError("events need x/y metres (or lon/lat to project).", parameter="events",
                         fix="Pass an events table from hotpatrol.store / hotpatrol.events.conform, "
                             "projected with hotpatrol.places.project().")


# Forecast grids: models hold several float arrays per cell and window (gbm features), so a grid over
# stray far-away points (police.uk files carry a few) must stop with a clear error, not swap.
MAX_FORECAST_CELLS = 2_000_000


def default_places(x, y, *, cell: float, crs: str | None) -> PlacesLayer:
    """The ``cell``-metre grid covering the points: every model's places when none are given."""
    return PlacesLayer.from_grid(Grid.covering(x, y, cell=cell, crs=crs or "unknown", max_cells=MAX_FORECAST_CELLS))


def prepare(
    events,
    *,
    places: PlacesLayer | None,
    cell: float,
    weight="count",
    min_events: int = 1,
    model: str = "model",
) -> tuple[Prepared, PlacesLayer]:
    """Validate ``events`` and reduce them to per-event arrays; build a ``cell`` grid when places is None.

    Rows without coordinates or time, or outside ``places``, are skipped and counted in the notes.
    """
    require_frame(events)
    if "occurred_from" not in events.columns and "occurred_at" not in events.columns:
        raise HotpatrolError("events need an occurred_at or occurred_from column.", parameter="events",
                             fix="Build the table with hotpatrol.events.conform().")
    if len(events) < min_events:
        raise HotpatrolError(
            f"{model} needs at least {min_events} events to fit; got {len(events)}.",
            parameter="events", allowed=f">= {min_events} events", given=len(events),
            fix="Use a longer training period or a broader category.",
        )
    events = ensure_xy(events)
    notes: list[str] = []
    x = events["x"].to_numpy(float)
    y = events["y"].to_numpy(float)
    at = events["occurred_at"] if "occurred_at" in events.columns else events["occurred_from"]
    if "occurred_from" in events.columns:
        at = at.fillna(events["occurred_from"]) if "occurred_at" in events.columns else events["occurred_from"]
    t_at = to_days(at)
    t0 = to_days(events["occurred_from"]) if "occurred_from" in events.columns else t_at.copy()
    t1 = to_days(events["occurred_to"]) if "occurred_to" in events.columns else np.full(len(events), np.nan)
    # exact times: a window only when occurred_to is after occurred_from
    has_win = np.isfinite(t0) & np.isfinite(t1) & (t1 > t0)
    t0 = np.where(has_win, t0, t_at)
    t1 = np.where(has_win, t1, t0)
    w = _weights(events, weight)
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(t0) & np.isfinite(w)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} event(s) without coordinates, time or weight were skipped.")
    if ok.sum() < min_events:
        raise HotpatrolError(
            f"{model} needs at least {min_events} events with coordinates and time; got {int(ok.sum())}.",
            parameter="events", allowed=f">= {min_events} usable events", given=int(ok.sum()),
        )
    if places is None:
        places = default_places(x[ok], y[ok], cell=check_positive("cell", cell), crs=events.attrs.get("crs"))
    elif not isinstance(places, PlacesLayer):
        raise HotpatrolError("places must be a PlacesLayer.", parameter="places", given=type(places).__name__,
                             fix="Build one with PlacesLayer.from_grid(Grid.covering(...)).")
    idx = np.full(len(events), -1, dtype=np.int64)
    idx[ok] = places.assign(x[ok], y[ok])
    outside = ok & (idx < 0)
    if outside.any():
        notes.append(f"{int(outside.sum())} event(s) outside the places were ignored.")
    keep = idx >= 0
    if keep.sum() < min_events:
        raise HotpatrolError(
            f"{model} needs at least {min_events} events inside the places; got {int(keep.sum())}.",
            parameter="events", allowed=f">= {min_events} events inside the places", given=int(keep.sum()),
        )
    span = t1[keep] - t0[keep]
    month_only = bool((span >= 28).all())
    if month_only:
        notes.append("Times are known only to the month: each event is spread evenly over its month "
                     "(aoristic), so forecasts shorter than a month are that share of the monthly pattern.")
    # exact duplicates (same place, same time) are kept: each is a recorded crime; flag them
    frame = pd.DataFrame({"p": idx[keep], "t": t0[keep]})
    n_dup = int(frame.duplicated().sum())
    if n_dup and not month_only:
        notes.append(f"{n_dup} event(s) share place and time with another; each is counted.")
    start, end = observation_period(t0[keep], t1[keep])
    prep = Prepared(
        place=idx[keep], t0=t0[keep], t1=t1[keep], w=w[keep], start=start, end=end,
        month_only=month_only, notes=notes, rows=np.flatnonzero(keep),
    )
    _published(prep, events, keep)
    return prep, places


def _published(prep: Prepared, events: pd.DataFrame, keep: np.ndarray) -> None:
    """Attach each event's force and the days each force published, and note the unpublished months."""
    prep.group, prep.forces, prep.observed, prep.missing = published_intervals(events, keep, prep.start, prep.end)
    if prep.missing:
        prep.notes.append(missing_note(prep.missing))


def _weights(events: pd.DataFrame, weight) -> np.ndarray:
    check_weight(weight)
    if weight is None or (isinstance(weight, str) and weight == "count"):
        return np.ones(len(events))
    from hotpatrol.harm import harm

    try:
        return np.asarray(harm(events, weight), dtype=float)
    except HotpatrolError as exc:  # name the model's parameter, keep the scheme's detail
        if exc.parameter not in (None, "scheme"):
            raise
        raise HotpatrolError(exc.message, parameter="weight", allowed=exc.allowed or ["count", "cchi"],
                             given=weight, fix=exc.fix) from None
