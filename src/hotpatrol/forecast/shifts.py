"""Shift-specific forecasts: the part of a forecast that falls in one shift's hours.

A forecast gives each place's expected events over ``[start, start + horizon)``. Each place's
hour-of-week profile (:func:`hotpatrol.timeprofile.time_profile`, aoristic where only a window is
known, shrunk towards the force-wide profile) says how that risk spreads over the hours of the week.
The shift forecast of a place is its forecast times the share of its profile, over the hours of
the horizon, that lies in the shift:

    risk_shift = risk * sum_h w[h] * in_shift[h] / sum_h w[h]      (h: hours of the horizon)

So the shifts that tile the day add up to the whole forecast, and a Friday-night horizon uses the
Friday-night part of each profile. With police.uk data (no time of day) every profile is uniform
and the share is just the shift's share of the hours; the notes say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.base import Forecast
from hotpatrol.timeprofile import (
    HOURS_PER_WEEK,
    TimeProfile,
    clock_hours,
    parse_shift,
    time_profile,
)


def hour_weights(start, horizon, shift=None, tz: str | None = None) -> np.ndarray:
    """How much of each hour of the week (168 bins, Monday 00:00 first) lies in the window, and in
    the shift when given. Fractions at the window's and the shift's edges are kept.

    The window runs from ``start`` to ``start + horizon`` on the local clock (``tz``, the ``timezone``
    setting) and is walked in *real* hours, each binned by the local hour of the week it starts in: a
    window holding the autumn change counts the 01:00 hour twice (169 hours in a week), one holding the
    spring change skips it (167). Shape (168,), in hours.
    """
    from hotpatrol.localtime import NS_PER_HOUR, to_local, to_utc

    start = pd.Timestamp(start)
    if start.tzinfo is not None:
        start = to_local([start], tz)[0]
    end = start + pd.Timedelta(horizon)
    u0, u1 = to_utc([start, end], tz).asi8
    h0, h1 = u0 / NS_PER_HOUR, u1 / NS_PER_HOUR  # real hours since 1970 (UTC)
    first, last = int(np.floor(h0)), int(np.ceil(h1))
    hours = np.arange(first, last)
    overlap = np.minimum(hours + 1, h1) - np.maximum(hours, h0)  # fraction of each real hour in the window
    local = to_local((hours * NS_PER_HOUR).astype("datetime64[ns]"), tz)
    clock = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
    how = (local.dayofweek.to_numpy() * 24 + local.hour.to_numpy()).astype(np.int64)
    if shift is not None:
        _, a, b = parse_shift(shift)
        ta, tb = clock_hours(a), clock_hours(b)
        lo, hi = clock, clock + 1.0
        if tb > ta:
            inside = np.clip(np.minimum(hi, tb) - np.maximum(lo, ta), 0, 1)
        else:  # past midnight: [ta, 24) and [0, tb)
            inside = np.clip(np.minimum(hi, 24.0) - np.maximum(lo, ta), 0, 1) + np.clip(np.minimum(hi, tb) - lo, 0, 1)
        overlap = np.minimum(overlap, inside)
    return np.bincount(how, weights=np.clip(overlap, 0, None), minlength=HOURS_PER_WEEK)


def shift_forecast(forecast: Forecast, profile: TimeProfile, shift) -> Forecast:
    """The part of ``forecast`` in ``shift``'s hours, by each place's hour-of-week ``profile``.

    ``profile`` must have one row per forecast place, in the same order (see :func:`place_profiles`).
    """
    name, a, b = parse_shift(shift)
    if profile.weekly.shape != (forecast.places.n, HOURS_PER_WEEK):
        raise HotpatrolError("The time profile must have one row per forecast place.", parameter="profile",
                             allowed=f"({forecast.places.n}, {HOURS_PER_WEEK})", given=profile.weekly.shape)
    every = hour_weights(forecast.start, forecast.horizon)
    part = hour_weights(forecast.start, forecast.horizon, (name, a, b))
    total = profile.weekly @ every
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, (profile.weekly @ part) / total, 0.0)
    notes = list(forecast.notes) + [f"Shift {name} ({a}-{b}): each place's forecast times the share of its "
                                    f"hour-of-week profile in the shift's hours ({100 * share.mean():.0f}% on average)."]
    notes += [n for n in profile.notes if n not in notes]
    return Forecast(f"{forecast.model} ({name})", forecast.places, forecast.risk * share, forecast.start,
                    forecast.horizon, notes, forecast.random_state)


def place_profiles(events: pd.DataFrame, places, **options) -> TimeProfile:
    """Hour-of-week profiles for every place of a forecast (grid cells or any places layer)."""
    frame = pd.DataFrame({"place_id": list(places.place_id), "x": np.asarray(places.x, float),
                          "y": np.asarray(places.y, float)})
    frame.attrs["crs"] = places.crs
    cell = places.grid.cell if getattr(places, "grid", None) is not None else None
    return time_profile(events, frame, cell=cell, **options)
