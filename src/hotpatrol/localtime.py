"""Local wall-clock time and absolute instants: the one rule every stage uses to measure time.

hotpatrol stores event times as **naive local wall-clock time** (UK data: the Europe/London clock; see
:mod:`hotpatrol.events`), because that is what police records and patrol plans show. A naive wall
clock is not a time line: on the last Sunday of March the clock jumps from 01:00 to 02:00 (the day
has 23 hours) and on the last Sunday of October 01:00-01:59 happens twice (the day has 25 hours).
So every duration, gap, speed or time difference is measured on **absolute instants** (UTC), and
local time is used only to *label* things (the operational day, the hour of the week, a shift).

Reading a naive local time as an instant needs a rule for the two kinds of impossible clock time.
hotpatrol follows RFC 5545 section 3.3.5 (iCalendar; also Python's ``fold=0`` of PEP 495):

- **ambiguous** (the repeated hour when the clocks go back, e.g. 01:30 on 27 Oct 2019 in London):
  the *first* occurrence, i.e. the earlier instant (01:30 BST = 00:30 UTC);
- **non-existent** (the skipped hour when the clocks go forward, e.g. 01:30 on 31 Mar 2019):
  read with the UTC offset in force *before* the gap (01:30 GMT = 01:30 UTC, shown as 02:30 BST).

Data that carry a UTC offset or "Z" are never ambiguous: they are converted exactly. The zone is
the ``timezone`` setting (``Europe/London``; ``HOTPATROL_TIMEZONE`` or the ``tz=`` argument of each
function to change it, e.g. ``America/Vancouver`` for Vancouver's open data).

Everything here is vectorised (pandas ``tz_localize`` with arrays, numpy); nothing loops per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

NS_PER_DAY = 86_400 * 1_000_000_000
NS_PER_HOUR = 3_600 * 1_000_000_000


def default_tz() -> str:
    """The zone of naive local times: the ``timezone`` setting (Europe/London unless overridden)."""
    from hotpatrol import settings

    return str(settings.get("timezone"))


def check_tz(tz: str | None) -> str:
    """``tz`` (or the ``timezone`` setting when None) checked as an IANA zone; HotpatrolError if unknown."""
    tz = default_tz() if tz is None else str(tz)
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:  # noqa: BLE001 -- pytz/zoneinfo raise different types for an unknown zone
        raise HotpatrolError("Unknown time zone.", parameter="tz", given=tz,
                             allowed="an IANA zone name such as Europe/London") from None
    return tz


def _index(values) -> pd.DatetimeIndex:
    if isinstance(values, pd.Series):
        values = values.to_numpy() if not isinstance(values.dtype, pd.DatetimeTZDtype) else values.array
    return pd.DatetimeIndex(pd.to_datetime(values, errors="coerce")).as_unit("ns")


@dataclass
class Resolved:
    """Naive local times read as instants: ``utc`` (naive UTC, datetime64[ns]) and which were odd.

    ``ambiguous``: in the repeated hour (resolved to the first occurrence); ``nonexistent``: in the
    skipped hour (read with the offset before the gap). Boolean arrays of the input's length.
    """

    utc: pd.DatetimeIndex
    ambiguous: np.ndarray
    nonexistent: np.ndarray

    def note(self, what: str = "times") -> str | None:
        """A sentence counting the ambiguous and non-existent local times and the rule used, or None."""
        na, nn = int(self.ambiguous.sum()), int(self.nonexistent.sum())
        if not (na or nn):
            return None
        parts = []
        if na:
            parts.append(f"{na:,} {what} fall in the repeated hour when the clocks go back and were read as "
                         "the first occurrence (summer time)")
        if nn:
            parts.append(f"{nn:,} {what} fall in the hour skipped when the clocks go forward and were read "
                         "with the offset before the change (RFC 5545)")
        return "; ".join(parts) + "."


def resolve_local(local, tz: str | None = None) -> Resolved:
    """Read naive local wall-clock times in ``tz`` as absolute instants (the module's rule).

    Parameters
    ----------
    local : array-like of datetimes, shape (n,). Naive values are wall-clock time in ``tz``;
        zone-aware values are converted exactly (never ambiguous). NaT stays NaT.
    tz : IANA zone; the ``timezone`` setting when None.

    Returns
    -------
    Resolved
        ``utc`` as a naive-UTC :class:`pandas.DatetimeIndex` of shape (n,), and boolean masks of the
        ambiguous and non-existent inputs.

    Raises
    ------
    HotpatrolError
        if ``tz`` is not a known zone.
    """
    tz = check_tz(tz)
    idx = _index(local)
    n = len(idx)
    none = np.zeros(n, dtype=bool)
    if idx.tz is not None:
        return Resolved(idx.tz_convert("UTC").tz_localize(None).as_unit("ns"), none, none.copy())
    # both readings of every time; they differ only in the repeated hour
    a = idx.tz_localize(tz, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT").tz_convert("UTC").asi8
    b = idx.tz_localize(tz, ambiguous=np.zeros(n, dtype=bool), nonexistent="NaT").tz_convert("UTC").asi8
    nat = np.iinfo(np.int64).min
    valid_in = idx.asi8 != nat
    nonexistent = valid_in & (a == nat)
    ambiguous = valid_in & ~nonexistent & (a != b)
    out = np.where(ambiguous, np.minimum(a, b), a)
    if nonexistent.any():
        naive = idx[nonexistent]
        edge = naive.tz_localize(tz, nonexistent="shift_forward")  # the first instant after the gap
        before = (edge - pd.Timedelta(1, "ns")).tz_convert(tz)
        offset = before.tz_localize(None).asi8 - before.tz_convert("UTC").tz_localize(None).asi8
        out[nonexistent] = naive.asi8 - offset
    return Resolved(pd.DatetimeIndex(out.view("datetime64[ns]")), ambiguous, nonexistent)


_OFFSET = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)\s*$"


def parse_instants(values, tz: str | None = None) -> Resolved:
    """Parse ISO 8601 times, some with a UTC offset or "Z" and some without, as instants.

    Times with an offset are converted exactly; naive ones are local wall time in ``tz`` read by
    :func:`resolve_local`. Unreadable values become NaT. Already-parsed datetimes are accepted.
    Returns a :class:`Resolved` of shape (n,).
    """
    if isinstance(values, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        ser = pd.Series(values) if not isinstance(values, pd.Series) else values
    else:
        raise HotpatrolError("Times must be a column of date-times.", parameter="times", given=type(values).__name__)
    if pd.api.types.is_datetime64_any_dtype(ser):
        return resolve_local(ser, tz)
    try:  # fast path: all naive, or all with offsets that pandas can put in one zone
        parsed = pd.to_datetime(ser, format="ISO8601", errors="coerce")
        if parsed.dtype != object:
            return resolve_local(parsed, tz)
    except (ValueError, TypeError):
        pass
    text = ser.astype("string")
    has_off = text.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
    out = resolve_local(pd.to_datetime(ser.where(~has_off), format="ISO8601", errors="coerce"), tz)
    exact = pd.to_datetime(ser[has_off], format="ISO8601", errors="coerce", utc=True)
    utc = out.utc.asi8.copy()
    utc[has_off] = pd.DatetimeIndex(exact).tz_localize(None).as_unit("ns").asi8
    return Resolved(pd.DatetimeIndex(utc.view("datetime64[ns]")), out.ambiguous, out.nonexistent)


def to_utc(local, tz: str | None = None):
    """Naive local times (or zone-aware times) -> naive UTC instants, by the module's rule.

    A :class:`pandas.Series` comes back as a Series with the same index; anything else as a
    :class:`pandas.DatetimeIndex`. See :func:`resolve_local` for the rule and the errors raised.
    """
    utc = resolve_local(local, tz).utc
    if isinstance(local, pd.Series):
        return pd.Series(utc, index=local.index, name=local.name)
    return utc


def to_local(utc, tz: str | None = None, *, aware: bool = False):
    """Instants (naive UTC or zone-aware) -> local wall-clock time in ``tz``.

    Naive local output (``aware=False``) is what the events table and labels use; ``aware=True``
    keeps the UTC offset so that the repeated hour stays unambiguous (for visit tables and exports).
    A Series keeps its index.
    """
    tz = check_tz(tz)
    idx = _index(utc)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx
    out = idx.tz_convert(tz)
    if not aware:
        out = out.tz_localize(None)
    if isinstance(utc, pd.Series):
        return pd.Series(out.as_unit("ns"), index=utc.index, name=utc.name)
    return out.as_unit("ns")


def elapsed_days(local, origin=None, tz: str | None = None) -> np.ndarray:
    """Real days (float, shape (n,)) from ``origin`` (default: the earliest time) to each local time.

    Both are read by :func:`resolve_local`, so two events on either side of a clock change are their
    real distance apart (00:30 and 03:30 on the autumn change day: 4 h, not 3). NaT -> NaN.
    """
    r = resolve_local(local, tz).utc
    utc = r.asi8.astype(float)
    utc[r.isna()] = np.nan
    if origin is None:
        o = np.nanmin(utc) if np.isfinite(utc).any() else 0.0
    else:
        o = float(resolve_local([pd.Timestamp(origin)], tz).utc.asi8[0])
    return (utc - o) / NS_PER_DAY


def day_hours(days, day_start: str | float = "00:00", tz: str | None = None) -> np.ndarray:
    """Real length in hours of each local (operational) day starting at ``day_start`` on ``days``.

    24 on ordinary days, 23 on the day the clocks go forward and 25 on the day they go back (when the
    change falls inside the day). ``day_start`` is "HH:MM" or hours after midnight. Shape (n,).
    """
    if isinstance(day_start, str):
        hh, _, mm = day_start.partition(":")
        off = pd.Timedelta(hours=int(hh), minutes=int(mm or 0))
    else:
        off = pd.Timedelta(hours=float(day_start))
    d = _index(days).normalize().as_unit("ns")
    start = resolve_local(d + off, tz).utc.asi8
    end = resolve_local(d + pd.Timedelta(days=1) + off, tz).utc.asi8
    return (end - start) / NS_PER_HOUR
