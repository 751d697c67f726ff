"""The forecasters' time axis: float days since 1970-01-01, and parsing of forecast starts, horizons and windows.

Time is handled as float days since the epoch (naive local wall-clock time, as events hold it);
:func:`to_days` and :func:`from_days` convert, :func:`parse_start` and :func:`parse_horizon` read the
user's start and horizon with a clear :class:`~hotpatrol.errors.HotpatrolError`, and :func:`window_spans`
cuts consecutive windows (backtests, ensembles).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

DAY_NS = 86_400 * 10**9


def to_days(values) -> np.ndarray:
    """Datetimes -> float days since the epoch (NaT -> nan)."""
    arr = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    out = arr.to_numpy("datetime64[ns]").astype("int64").astype(float) / DAY_NS
    out[arr.isna().to_numpy()] = np.nan
    return out


def from_days(days: float) -> pd.Timestamp:
    """Float days since the epoch -> naive ``Timestamp`` (nanosecond-rounded inverse of :func:`to_days`)."""
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


def window_spans(end: pd.Timestamp, windows: int, horizon) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``windows`` consecutive windows of ``horizon`` (a Timedelta, or ``"1M"`` for calendar months)
    ending at ``end``, oldest first."""
    if horizon == "1M":
        starts = [end - pd.DateOffset(months=windows - i) for i in range(windows + 1)]
    else:
        starts = [end - (windows - i) * horizon for i in range(windows + 1)]
    return [(pd.Timestamp(starts[i]), pd.Timestamp(starts[i + 1])) for i in range(windows)]
