"""Shared plumbing of the self-exciting models: event times in days, coarse-time handling, predict windows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.events import occurred_at
from hotpatrol.forecast.base import Forecaster
from hotpatrol.forecast.exposure import observation_period
from hotpatrol.forecast.prepared import default_places
from hotpatrol.localtime import to_local, to_utc
from hotpatrol.text import plural, verb

DAY = pd.Timedelta(days=1)
COARSE_TIMES = ("jitter", "midpoint", "start", "error")
#: below this many events an EM fit of background + triggering is not worth reporting
MIN_EVENTS = 20


def check_positive(name: str, value, *, integer: bool = False, below_one: bool = False) -> None:
    """Raise a HotpatrolError naming ``name``, what is allowed and what was given unless value fits."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value)) and value > 0
    if ok and integer:
        ok = float(value).is_integer()
    if ok and below_one:
        ok = value < 1
    if not ok:
        allowed = ("a whole number >= 1" if integer else
                   "a number between 0 and 1 (exclusive)" if below_one else "a positive number")
        raise HotpatrolError(f"{name} must be {allowed}.", parameter=name, allowed=allowed, given=value)


def _check_initial(initial, keys: tuple[str, ...]) -> None:
    if initial is None:
        return
    if not isinstance(initial, dict) or set(initial) - set(keys):
        raise HotpatrolError("initial must be a dict of starting values.", parameter="initial",
                             allowed=f"a dict with keys among {list(keys)}", given=initial)
    for key, value in initial.items():
        check_positive(f"initial[{key!r}]", value)


class ConvergenceWarning(UserWarning):
    """EM stopped at max_iter before its parameters settled (converged_ is False)."""


def _valid_times(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_datetime(frame[col], errors="coerce") if col in frame.columns else pd.Series(pd.NaT, index=frame.index)


def prepare_events(events, *, coarse_times: str, rng: np.random.Generator, model: str,
                   tz: str | None = None) -> dict:
    """x, y (metres) and times (float days since ``origin``) of an events table, plus notes.

    Times are real elapsed days: the naive local times of the events table are read as instants in
    ``tz`` (the ``timezone`` setting) by :func:`hotpatrol.localtime.to_utc` before any difference is
    taken, so two crimes either side of a clock change are their real distance apart. ``origin`` and
    ``fitted_until`` are given back as local times (``origin_utc`` is the instant).

    Events whose time is a window (police.uk month, a date, an hour, a from/to window) are placed by
    ``coarse_times``: ``jitter`` (uniform in the window, seeded), ``midpoint``, ``start``, or ``error``.
    Rows without coordinates or time are left out and counted in the notes.
    """
    check_choice("coarse_times", coarse_times, COARSE_TIMES)
    if not isinstance(events, pd.DataFrame):
        raise HotpatrolError("events must be an events table (pandas DataFrame).", parameter="events",
                             given=type(events).__name__)
    if "x" not in events.columns or "y" not in events.columns:
        raise HotpatrolError(f"{model} needs event coordinates x/y in metres.", parameter="events",
                             fix="Project first: events = hotpatrol.places.project(events).")
    if "occurred_from" not in events.columns and "occurred_at" not in events.columns:
        raise HotpatrolError(f"{model} needs event times (occurred_at or occurred_from).", parameter="events",
                             fix="Build the table with hotpatrol.events.conform() or the store.")
    frame = events
    start = pd.to_datetime(occurred_at(frame) if "occurred_from" in frame.columns else frame["occurred_at"],
                           errors="coerce")
    lo = _valid_times(frame, "occurred_from").fillna(start)
    hi = _valid_times(frame, "occurred_to")
    # differences on instants: local wall-clock times -> UTC (repeated hour: first occurrence)
    start, lo, hi = (to_utc(s, tz) for s in (start, lo, hi))
    if "time_precision" in frame.columns:
        prec = frame["time_precision"].astype("string").fillna("minute").to_numpy(dtype=object)
    else:
        prec = np.full(len(frame), "minute", dtype=object)
    coarse = (prec != "minute") & hi.notna().to_numpy() & (hi > lo).fillna(False).to_numpy()
    notes: list[str] = []
    n_coarse = int(coarse.sum())
    t_ns = start.to_numpy("datetime64[ns]").astype("int64").astype(float)
    t_ns[start.isna().to_numpy()] = np.nan
    if n_coarse:
        kinds = pd.Series(prec[coarse]).value_counts()
        what = ", ".join(f"{v} {k}" for k, v in kinds.items())
        if coarse_times == "error":
            raise HotpatrolError(
                f"{model} needs exact times but {plural(n_coarse, 'event')} {verb(n_coarse, 'has', 'have')} only a time window ({what}).",
                parameter="coarse_times", given="error", allowed=list(COARSE_TIMES),
                fix="Use coarse_times='jitter' (spread within the window) or a model for binned data "
                    "(grid-etas with coarse_times='midpoint').",
            )
        lo_ns = lo.to_numpy("datetime64[ns]").astype("int64")[coarse].astype(float)
        hi_ns = hi.to_numpy("datetime64[ns]").astype("int64")[coarse].astype(float)
        if coarse_times == "jitter":
            u = rng.random(n_coarse)
            t_ns[coarse] = lo_ns + u * (hi_ns - lo_ns)
            how = "spread uniformly within their window (seeded jitter)"
        elif coarse_times == "midpoint":
            t_ns[coarse] = 0.5 * (lo_ns + hi_ns)
            how = "placed at the middle of their window (ties between them are handled analytically)"
        else:
            t_ns[coarse] = lo_ns
            how = "placed at the start of their window"
        notes.append(f"{plural(n_coarse, 'event')} {verb(n_coarse, 'has', 'have')} only a time window ({what}): {how}.")
        if (kinds.get("month", 0) > 0.5 * len(frame)) and coarse_times == "jitter":
            notes.append("Monthly times: triggering faster than about a month cannot be identified from these "
                         "data; the fitted decay reflects the jitter as much as the crimes.")
    x = frame["x"].to_numpy(dtype=float)
    y = frame["y"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(t_ns)
    if (~ok).any():
        n_bad = int((~ok).sum())
        notes.append(f"{plural(n_bad, 'event')} without coordinates or time {verb(n_bad, 'was', 'were')} left out.")
    x, y, t_ns = x[ok], y[ok], t_ns[ok]
    if len(x) < MIN_EVENTS:
        raise HotpatrolError(
            f"Too few events to fit {model}: {len(x)} usable (at least {MIN_EVENTS} needed).",
            parameter="events", given=len(x), fix="Use a longer training period, a wider area or more categories.",
        )
    # the training period: first window start .. last window end (or last instant)
    lo_all = lo.to_numpy("datetime64[ns]").astype("int64")[ok].astype(float)
    end_ns = np.where(coarse[ok], hi.to_numpy("datetime64[ns]").astype("int64")[ok].astype(float), t_ns)
    first_ns = np.minimum(lo_all, t_ns)
    if not float(np.nanmax(end_ns)) > float(np.nanmin(first_ns)):
        raise HotpatrolError(f"All events fall at one instant: {model} needs a training period that spans time.",
                             parameter="events", fix="Give events from a period of at least a few weeks.")
    # the observation period: whole local days, as for every forecaster (forecast.exposure.observation_period);
    # the day boundaries are local midnights, turned back into UTC instants for the differences
    day_ns = float(DAY.value)
    first_local, end_local = (to_local(pd.to_datetime(v.astype("int64")), tz).asi8.astype(float)
                              for v in (first_ns, end_ns))
    first_day, end_day = observation_period(first_local / day_ns, end_local / day_ns)
    origin, fitted_until = (pd.Timestamp(int(round(d * day_ns))) for d in (first_day, end_day))
    origin_utc, end_utc = to_utc([origin, fitted_until], tz)
    origin_ns, end = float(origin_utc.value), float(end_utc.value)
    notes.append(f"Training period {origin:%Y-%m-%d} to {fitted_until:%Y-%m-%d %H:%M} "
                 f"({plural(end_day - first_day, 'day')}: records are taken as complete from the start of the first "
                 f"event's day to the end of the last event's day).")
    t = (t_ns - origin_ns) / day_ns
    order = np.argsort(t, kind="stable")
    x, y, t = x[order], y[order], t[order]
    # exact duplicates (same instant, same point) cannot trigger one another: both count, neither is a parent
    key = pd.DataFrame({"x": x, "y": y, "t": t})
    n_dup = int(key.duplicated().sum())
    if n_dup:
        notes.append(f"{plural(n_dup, 'event')} {verb(n_dup, 'duplicates', 'duplicate')} another's time and place: kept, and never treated as "
                     "triggering one another (zero time apart).")
    # months a force did not publish: per force, the observed [a, b) intervals in model days
    from hotpatrol.forecast.exposure import missing_note, published_intervals
    from hotpatrol.forecast.timeaxis import DAY_NS

    rows = np.flatnonzero(ok)[order]
    group, forces, observed, missing = published_intervals(events, rows, origin_ns / DAY_NS, end / DAY_NS)
    observed = [_merge(iv - origin_ns / DAY_NS) for iv in observed]
    if missing:
        notes.append(missing_note(missing, "the background rate and the triggering compensator use the "
                                           "published months only"))
    return {
        "x": x,
        "y": y,
        "t": t,
        "group": group,
        "forces": forces,
        "observed": observed,
        "missing": missing,
        "origin": origin,
        "origin_utc": origin_utc,
        "end_days": (end - origin_ns) / day_ns,
        "fitted_until": fitted_until,
        "notes": notes,
        "n_duplicates": n_dup,
        "index": frame.index[np.flatnonzero(ok)[order]],  # caller's row labels, in model (time) order
    }


def _merge(iv: np.ndarray) -> np.ndarray:
    """Sorted ``(k, 2)`` intervals with touching ones merged (one interval when nothing is missing)."""
    iv = iv[np.argsort(iv[:, 0])]
    out = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= out[-1][1] + 1e-9:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.array(out, dtype=float)


def observed_days(prep: dict) -> np.ndarray:
    """Observed (published) days of each force in the training period, shape ``(n_forces,)``."""
    return np.array([float(np.sum(iv[:, 1] - iv[:, 0])) for iv in prep["observed"]])


def trigger_mass(prep: dict, t: np.ndarray, group: np.ndarray, omega: float) -> np.ndarray:
    """Share of each event's exponential triggering kernel ``omega * exp(-omega * dt)`` that falls in
    observed time after it (``1 - exp(-omega * (T - t))`` when no month is missing), shape ``(n,)``."""
    out = np.empty(len(t))
    for g, iv in enumerate(prep["observed"]):
        sel = group == g
        tg = t[sel][:, None]
        a = np.maximum(iv[:, 0][None, :] - tg, 0.0)
        b = np.maximum(iv[:, 1][None, :] - tg, 0.0)
        out[sel] = np.sum(np.exp(-omega * a) - np.exp(-omega * b), axis=1)
    return out


def predict_window(model, start, horizon) -> tuple[float, float, list[str], pd.Timestamp, pd.Timedelta]:
    """(start, end) in model days plus notes about gaps or overlap with the training period."""
    if isinstance(start, str) and start.lower() in ("today", "tomorrow"):
        start = pd.Timestamp.now().normalize() + pd.Timedelta(days=start.lower() == "tomorrow")
    try:
        start = pd.Timestamp(start)
    except (TypeError, ValueError):
        start = pd.NaT
    if pd.isna(start):
        raise HotpatrolError("start must be a date/time.", parameter="start", given=str(start),
                             allowed="a date such as '2025-06-01', 'today' or 'tomorrow'")
    if start.tzinfo is not None:  # events hold naive local wall-clock time
        start = to_local([start])[0]
    try:
        if isinstance(horizon, (int, float, np.integer, np.floating)) and not isinstance(horizon, bool):
            horizon = pd.Timedelta(days=float(horizon))  # a bare number is days
        else:
            horizon = pd.Timedelta(horizon)
    except (TypeError, ValueError):
        horizon = pd.NaT
    if pd.isna(horizon) or horizon <= pd.Timedelta(0):
        raise HotpatrolError("horizon must be a positive duration.", parameter="horizon", given=str(horizon),
                             allowed="a duration such as '7D', '24h' or a number of days")
    # model days are real days from the first instant: measure the start the same way
    origin_utc = getattr(model, "origin_utc_", None)
    if origin_utc is None:
        origin_utc = to_utc([model.origin_])[0]
    s = (to_utc([start])[0] - origin_utc) / DAY
    h = horizon / DAY
    notes = []
    gap = (start - model.fitted_until_) / DAY
    if gap > 1.0:  # the last event rarely falls on the boundary itself: only a real gap is worth a note
        notes.append(f"The forecast starts {gap:.1f} days after the training data end: events in that gap are "
                     "unknown to the model and assumed absent (triggering has decayed by then).")
    elif gap < -1e-6:
        notes.append(f"The forecast starts {-gap:.1f} days before the training data end: only events before "
                     "the start act as triggers.")
    return s, h, notes, start, horizon


def warn_not_converged(model: str, n_iter: int) -> None:
    warnings.warn(f"{model}: EM did not converge in {n_iter} iterations; returning the last state "
                  "(converged_=False). Raise max_iter or loosen tol.", ConvergenceWarning, stacklevel=3)


def fit_rows(model) -> list[tuple]:
    """Summary rows every EM-fitted ETAS shares: log-likelihood and the training data."""
    return [("log-likelihood", model.loglik_, ""),
            ("events", model.n_events_, f"{model.training_days_:.0f} days to {model.fitted_until_}")]


def parameter_summary(title: str, rows: list[tuple], notes):
    """(parameter, value, meaning) rows, values to 6 significant digits, as a Summary."""
    from hotpatrol.results import Summary

    rows = [(k, v if isinstance(v, (int, np.integer)) else float(f"{v:.6g}"), m) for k, v, m in rows]
    table = pd.DataFrame(rows, columns=["parameter", "value", "meaning"], dtype=object)
    return Summary(title=title, table=table, notes=list(notes))


class EMETASForecaster(Forecaster):
    """What the two EM-fitted ETAS models share: settings checks, the start of ``fit`` and its bookkeeping.

    Subclasses set ``_positive`` (settings that must be > 0) and ``_initial_keys`` (the starting values
    ``initial`` may give), and have the settings ``cell`` (metres), ``max_iter``, ``tol``,
    ``coarse_times``, ``initial`` and ``random_state``.
    """

    _positive: tuple[str, ...] = ("cell",)
    _initial_keys: tuple[str, ...] = ("theta", "omega")

    def _validate(self) -> None:
        for name in self._positive:
            check_positive(name, getattr(self, name))
        check_positive("max_iter", self.max_iter, integer=True)
        check_positive("tol", self.tol, below_one=True)
        check_choice("coarse_times", self.coarse_times, COARSE_TIMES)
        _check_initial(self.initial, self._initial_keys)

    def _start_fit(self, events, places, model: str):
        """Validate, prepare the events (seeded for jitter) and build the default grid: ``(prep, notes, places)``."""
        self._validate()
        rng = np.random.default_rng(self.random_state)
        prep = prepare_events(events, coarse_times=self.coarse_times, rng=rng, model=model)
        if places is None:
            places = default_places(prep["x"], prep["y"], cell=self.cell,
                                    crs=getattr(events, "attrs", {}).get("crs"))
        return prep, list(prep["notes"]), places

    def _finish_fit(self, prep: dict, places, notes: list[str], *, n_events: int, loglik: float, n_iter: int,
                    converged: bool, **fitted) -> "EMETASForecaster":
        """Set the fitted attributes both models have, then ``fitted`` (name -> value); returns ``self``."""
        for name, value in fitted.items():
            setattr(self, name, value)
        self.loglik_ = float(loglik)
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.n_events_ = n_events
        self.origin_ = prep["origin"]
        self.origin_utc_ = prep["origin_utc"]
        self.fitted_until_ = prep["fitted_until"]
        self.training_days_ = float(prep["end_days"])
        self.notes_ = notes
        self.places_ = places  # last: marks the model fitted
        return self

    def _em_summary(self, title: str, theta_meaning: str, model_rows: list[tuple], fit_detail_rows=()):
        """Fitted parameters as a Summary: theta, omega, mean delay, ``model_rows``, fit rows, EM iterations."""
        self._check_fitted()
        rows = [
            ("theta", self.theta_, theta_meaning),
            ("omega", self.omega_, "triggering decay per day"),
            ("mean delay (days)", 1.0 / self.omega_, "1 / omega"),
            *model_rows,
            *fit_rows(self),
            *fit_detail_rows,
            ("EM iterations", self.n_iter_, "converged" if self.converged_ else "NOT converged"),
        ]
        return parameter_summary(title, rows, self.notes_)
