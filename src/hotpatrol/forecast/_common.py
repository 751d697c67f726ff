"""Shared plumbing for hotpatrol's own forecasters: event preparation, time windows, smoothing.

Time is handled as float days since 1970-01-01. Each event has an occurrence window ``[t0, t1)``:
exact-time events have ``t1 == t0``; events known only to a window (police.uk months, "day"
records, from/to windows) keep the window and are spread uniformly over it (aoristic counting).
So a 7-day forecast trained on monthly data counts 7/30 of each month's events in a 7-day slice:
the documented fallback for month-only times, stated in each Forecast's notes.

Months a force did not publish (:func:`hotpatrol.events.published_months`) are not months with no
crime: every rate divides by the *observed* days of the event's force (:meth:`Prepared.exposure`),
so a gap neither dilutes a long-run rate nor counts as a zero window; the notes name the months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotpatrol import kernels
from hotpatrol.errors import HotpatrolError
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer
from hotpatrol.text import plural

DAY_NS = 86_400 * 10**9


def to_days(values) -> np.ndarray:
    """Datetimes -> float days since the epoch (NaT -> nan)."""
    arr = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    out = arr.to_numpy("datetime64[ns]").astype("int64").astype(float) / DAY_NS
    out[arr.isna().to_numpy()] = np.nan
    return out


def from_days(days: float) -> pd.Timestamp:
    return pd.Timestamp(int(round(days * DAY_NS)))


def parse_horizon(horizon, parameter: str = "horizon") -> pd.Timedelta:
    """A positive duration: a Timedelta, a pandas offset string ('7D', '24h') or a number of days."""
    try:
        if isinstance(horizon, (int, float, np.integer, np.floating)) and not isinstance(horizon, bool):
            value = pd.Timedelta(days=float(horizon))
        else:
            value = pd.Timedelta(horizon)
    except (ValueError, TypeError):
        raise HotpatrolError(
            "The horizon must be a duration.", parameter=parameter,
            allowed="a positive duration such as '1D', '7D', '24h' or a number of days", given=horizon,
        ) from None
    if pd.isna(value) or value <= pd.Timedelta(0):
        raise HotpatrolError("The horizon must be positive.", parameter=parameter,
                             allowed="a positive duration such as '1D' or '7D'", given=str(horizon))
    return value


def parse_start(start, parameter: str = "start") -> pd.Timestamp:
    """A timestamp, a date string, or 'today'/'tomorrow' (local midnight)."""
    if isinstance(start, str) and start.lower() in ("today", "tomorrow"):
        day = pd.Timestamp.now().normalize()
        return day + pd.Timedelta(days=1) if start.lower() == "tomorrow" else day
    try:
        value = pd.Timestamp(start)
    except (ValueError, TypeError):
        value = pd.NaT
    if pd.isna(value):
        raise HotpatrolError("The start must be a date or time.", parameter=parameter,
                             allowed="a date such as '2025-06-01', 'today' or 'tomorrow'", given=start)
    if value.tzinfo is not None:  # events hold naive local wall-clock time
        value = value.tz_localize(None)
    return value


def check_positive(name: str, value, *, integer: bool = False, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
        if integer:
            ok = ok and float(value).is_integer()
    if not ok:
        kind = "integer" if integer else "number"
        raise HotpatrolError(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} {kind}.",
            parameter=name, allowed=f"a {'non-negative' if allow_zero else 'positive'} {kind}", given=value,
        )
    return int(value) if integer else float(value)


def check_weight(weight) -> None:
    """'count' or a harm scheme (name, file path or HarmScheme)."""
    from hotpatrol.harm import HarmScheme

    if weight is None or isinstance(weight, HarmScheme):
        return
    if not isinstance(weight, str):
        raise HotpatrolError("weight must be 'count' or a harm scheme.", parameter="weight",
                             allowed=["count", "cchi", "<scheme .csv/.yaml path>"], given=weight)


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
        return len(self.place)

    @property
    def n_groups(self) -> int:
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


def window_spans(end: pd.Timestamp, windows: int, horizon) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``windows`` consecutive windows of ``horizon`` (a Timedelta, or ``"1M"`` for calendar months)
    ending at ``end``, oldest first."""
    if horizon == "1M":
        starts = [end - pd.DateOffset(months=windows - i) for i in range(windows + 1)]
    else:
        starts = [end - (windows - i) * horizon for i in range(windows + 1)]
    return [(pd.Timestamp(starts[i]), pd.Timestamp(starts[i + 1])) for i in range(windows)]


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
    if not isinstance(events, pd.DataFrame):
        raise HotpatrolError("events must be a pandas DataFrame (an events table).", parameter="events",
                             given=type(events).__name__)
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


#: the shortest observation span (days) a rate is ever divided by: one day, the day of a single event
MIN_SPAN_DAYS = 1.0


def observation_period(t0: np.ndarray, t1: np.ndarray) -> tuple[float, float]:
    """``(start, end)`` in days of the period the records cover (docs/forecast.md, "Observation span").

    Records are taken to be complete by whole days: from the start of the day of the earliest event
    (or window start) to the end of the day of the latest one. An exact time ``t`` ends its day at
    ``floor(t) + 1``; a window ends at ``t1`` rounded up to a midnight (a minute- or hour-precision
    window inside a day ends with that day; a day or month window already ends at a midnight).
    So one event gives one day of data, never a minute. Every forecaster uses this rule.
    """
    t0 = np.asarray(t0, dtype=float)
    t1 = np.asarray(t1, dtype=float)
    exact = ~(t1 > t0)
    ends = np.where(exact, np.floor(t0) + 1.0, np.ceil(np.where(exact, t0, t1)))
    return float(np.floor(np.min(t0))), float(np.max(ends))


def rate_span(prep: "Prepared", e: float) -> float:
    """Days of data before ``e`` (from the data start), at least :data:`MIN_SPAN_DAYS`.

    A window of history of ``w`` days divides by ``min(w, rate_span(prep, e))``: its own length,
    or the data's span when the data are shorter."""
    return max(e - prep.start, MIN_SPAN_DAYS)


def span_note(prep: "Prepared", e: float) -> str:
    """The observation span a forecast's rates are per, for the notes."""
    a = from_days(prep.start)
    b = from_days(e)
    days = rate_span(prep, e)
    n = prep.n
    text = (f"Rates are per day of data: {plural(n, 'event')} from {a:%Y-%m-%d %H:%M} to "
            f"{b:%Y-%m-%d %H:%M} ({plural(days, 'day')}; records are taken as complete from the start "
            f"of the first event's day to the end of the last event's day).")
    if n < FEW_EVENTS:
        text += f" With fewer than {FEW_EVENTS} events the rate is very uncertain."
    return text


#: below this many events a forecast says its rate is very uncertain
FEW_EVENTS = 10


def published_intervals(events: pd.DataFrame, keep: np.ndarray, start: float, end: float):
    """Each kept event's force and the days each force published inside ``[start, end)`` (epoch days).

    Returns ``(codes, names, observed, missing)``: ``codes`` (one int per kept event) index ``names``
    (force names) and ``observed`` (per force a ``(k, 2)`` array of published-month day intervals,
    or the whole span when the force has no month information); ``missing`` is
    ``{force: [Period]}`` of unpublished months inside the span (:func:`hotpatrol.events.published_months`).
    """
    from hotpatrol.events import event_forces, missing_months, published_months

    keep = np.asarray(keep)
    rows = np.flatnonzero(keep) if keep.dtype == bool else keep
    forces = event_forces(events).to_numpy()[rows]
    codes, names = pd.factorize(pd.Series(forces, dtype=object), sort=True)
    published = published_months(events)
    if any(str(f) not in published for f in names):  # forces the attrs do not know: from the events
        sub = events.iloc[rows].copy()
        sub.attrs = {}
        published = {**published_months(sub), **published}
    first, last = pd.Period(from_days(start), "M"), pd.Period(from_days(end - 1e-6), "M")
    observed, missing = [], {}
    for name in names:
        months = published.get(str(name), pd.PeriodIndex([], freq="M"))
        months = months[(months >= first) & (months <= last)]
        if len(months) == 0:  # no month information: the whole data span counts
            observed.append(np.array([[start, end]]))
            continue
        a = to_days(months.to_timestamp())
        b = to_days((months + 1).to_timestamp())
        observed.append(np.column_stack([np.maximum(a, start), np.minimum(b, end)]))
        missing.update(missing_months({str(name): months}, first, last))
    return codes.astype(np.int64), [str(n) for n in names], observed, missing


def missing_note(missing: dict, what: str = "rates and baselines are taken over the published months only") -> str:
    """The note every model adds when months inside its training span were not published."""
    from hotpatrol.events import describe_missing

    n_months = sum(len(v) for v in missing.values())
    return (f"No data for {describe_missing(missing)}: {plural(n_months, 'month')} inside the training span were not "
            f"published; {what} (a missing month is not counted as a month with no crime).")


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


# ---------------------------------------------------------------- spatial smoothing


def kernel_weights(d: np.ndarray, bandwidth: float, kernel: str) -> np.ndarray:
    """Unnormalised kernel of distance ``d`` (metres; the shared :func:`hotpatrol.kernels.shape`, Gaussian cut at 3 sd)."""
    return kernels.shape(d, bandwidth, kernel, cut=3.0)


def smooth(places: PlacesLayer, values: np.ndarray, bandwidth: float, kernel: str = "gaussian",
           *, normalise: bool = True, unit: float = 1.0) -> np.ndarray | list[np.ndarray]:
    """Spread per-place ``values`` with a kernel; mass-preserving when ``normalise``: each place's
    value is shared out over the places only (kernel mass that would fall past the grid's edge or on
    cells that are not places is given back to the places in reach, in proportion to the kernel), so
    ``smooth(...).sum() == values.sum()``.

    ``values`` is (n,) or (k, n). Grids use an FFT convolution over the grid; other layers a
    sparse centroid-to-centroid kernel. ``unit`` rescales distances (Bowers' cell units).
    """
    from scipy.signal import fftconvolve

    vals = np.atleast_2d(np.asarray(values, dtype=float))
    if places.kind == "grid" and places.grid is not None:
        g = places.grid
        reach = kernels.reach(bandwidth, kernel, cut=3.0)
        r = int(np.floor(reach / g.cell))
        off = np.arange(-r, r + 1) * g.cell
        dx, dy = np.meshgrid(off, off)
        k = kernel_weights(np.hypot(dx, dy) / unit, bandwidth / unit, kernel)
        inside = None
        if normalise:
            k = k / k.sum()
            # share of each source cell's kernel that lands on the places (the kernel is symmetric, so
            # this is the kernel convolved with the places' mask); sources are divided by it so that
            # no mass is lost past the grid edge or on cells that are not places
            mask = np.zeros(g.n_cells)
            mask[places.place_id] = 1.0
            if r > 0:
                inside = fftconvolve(mask.reshape(g.ny, g.nx), k, mode="same").ravel()[places.place_id]
                inside = np.where(inside > 1e-12, inside, 1.0)
        out = np.empty_like(vals)
        for i, v in enumerate(vals):
            full = np.zeros(g.n_cells)
            full[places.place_id] = v if inside is None else v / inside
            arr = full.reshape(g.ny, g.nx)
            conv = fftconvolve(arr, k, mode="same") if r > 0 else arr * k[0, 0]
            out[i] = np.clip(conv.ravel()[places.place_id], 0.0, None)
    else:
        from scipy import sparse
        from scipy.spatial import cKDTree

        reach = kernels.reach(bandwidth, kernel, cut=3.0)
        tree = cKDTree(np.column_stack([places.x, places.y]))
        dist = tree.sparse_distance_matrix(tree, reach, output_type="coo_matrix")
        rows = np.concatenate([dist.row, np.arange(places.n)])
        cols = np.concatenate([dist.col, np.arange(places.n)])
        d = np.concatenate([dist.data, np.zeros(places.n)])
        keep = (rows != cols) | (d == 0)
        pairs = pd.DataFrame({"r": rows[keep], "c": cols[keep], "d": d[keep]}).drop_duplicates(["r", "c"])
        kw = kernel_weights(pairs["d"].to_numpy() / unit, bandwidth / unit, kernel)
        mat = sparse.csr_matrix((kw, (pairs["r"], pairs["c"])), shape=(places.n, places.n))
        if normalise:
            colsum = np.asarray(mat.sum(axis=0)).ravel()
            mat = mat @ sparse.diags(1.0 / np.where(colsum > 0, colsum, 1.0))
        out = np.asarray((mat @ vals.T).T)
    return out[0] if np.ndim(values) == 1 else out


class GridModelMixin:
    """fit/predict plumbing shared by hotpatrol's grid models (naive, KDE, prospective, gbm)."""

    _min_events = 1

    def _prepare(self, events, places):
        prep, places = prepare(events, places=places, cell=getattr(self, "cell", 150.0),
                               weight=getattr(self, "weight", "count"), min_events=self._min_events,
                               model=type(self).__name__)
        self.places_ = places
        self.fitted_until_ = from_days(prep.end)
        self.data_start_ = from_days(prep.start)
        self.n_events_ = prep.n
        self.notes_ = list(prep.notes)
        self._prep_ = prep
        return prep

    def _predict_setup(self, start, horizon):
        self._check_fitted()
        start = parse_start(start)
        horizon = parse_horizon(horizon)
        s = float(to_days([start])[0])
        notes = list(self.notes_)
        prep: Prepared = self._prep_
        if s <= prep.start:
            raise HotpatrolError("The forecast start is before the training data begin.", parameter="start",
                                 allowed=f"after {self.data_start_}", given=str(start))
        if s < prep.end:
            notes.append(f"Forecast from {start} uses only the training events before it.")
        elif s > prep.end + 1:
            notes.append(f"The data end {s - prep.end:.0f} days before the forecast start; "
                         "the latest data are used as they are.")
        h = horizon / pd.Timedelta(days=1)
        notes.append(span_note(prep, min(s, prep.end)))
        if h > (min(s, prep.end) - prep.start):
            notes.append("The horizon is longer than the training data: the rate is extrapolated.")
        return start, horizon, s, h, notes
