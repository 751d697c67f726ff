"""Time-of-day and day-of-week risk profiles per hotspot, and the share of risk in each shift.

How each event's time is used depends on what is known (``time_precision`` of the events table):

- ``minute``/``hour``: the exact clock time (``occurred_at``) puts all the event's mass in its hour;
- ``window``/``day``: only a from/to window is known (e.g. "between 23:00 Friday and 07:30
  Saturday"); *aoristic* weighting spreads the event's mass over the hours of the week in
  proportion to how much of the window falls in each hour (Ratcliffe's aoristic method);
- ``month`` (police.uk): there is **no time of day**. Such events are counted but not used; when no
  event in the data has a time, every profile is the default (uniform unless you pass one), and the
  profile says so in its ``notes``.

A place's profile is its own hour-of-week distribution shrunk towards the force-wide profile of all
timed events (a prior worth ``prior`` events), so a hotspot with three timed crimes is not planned
around those three hours alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotpatrol.errors import HotpatrolError

HOURS_PER_WEEK = 168
#: Reference Monday 00:00 so that hour-of-week 0 is Monday 00:00-00:59.
_EPOCH = pd.Timestamp("1970-01-05")
#: Default shifts (name, start, end); a shift may run past midnight.
DEFAULT_SHIFTS: tuple[tuple[str, str, str], ...] = (("early", "06:00", "14:00"), ("late", "14:00", "22:00"),
                                                    ("night", "22:00", "06:00"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _check_windows(start, end):
    s = _hours(start)
    e = _hours(end)
    if s.shape != e.shape:
        raise HotpatrolError("start and end must have the same length.", parameter="end")
    bad = ~np.isfinite(s) | ~np.isfinite(e) | (e < s)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise HotpatrolError("Every window needs a start and an end not before it.", row=row,
                             column="occurred_to")
    return s, e


def _local_bin(hour: np.ndarray, period: int) -> np.ndarray:
    """Local hour-of-week (mod ``period``) of the real hours ``hour`` (whole hours since ``_EPOCH`` UTC)."""
    from hotpatrol.localtime import NS_PER_HOUR, to_local

    ns = _EPOCH.value + np.asarray(hour, dtype=np.int64) * NS_PER_HOUR
    loc = to_local(ns.view("datetime64[ns]"))
    return np.mod(loc.dayofweek.to_numpy() * 24 + loc.hour.to_numpy(), period).astype(np.int64)


def _utc_offset_hours(hour: np.ndarray) -> np.ndarray:
    """Local UTC offset, in hours, at the real hours ``hour`` (float hours since ``_EPOCH`` UTC)."""
    from hotpatrol.localtime import NS_PER_HOUR, to_local

    ns = _EPOCH.value + np.floor(np.asarray(hour, dtype=float)).astype(np.int64) * NS_PER_HOUR
    return (to_local(ns.view("datetime64[ns]")).asi8 - ns) / NS_PER_HOUR


def _aoristic_pieces(s: np.ndarray, e: np.ndarray, period: int):
    """Yield (rows, bins, shares): each event's share of its window in each clock hour it touches.

    ``s``/``e`` are real hours (UTC) since ``_EPOCH``; each real hour is binned by the local hour of the
    week it starts in, so a window across the autumn change spreads over the 01:00 hour twice, and one
    across the spring change never lands in the skipped hour. Loops over the hour offset k within a
    window (at most the longest window in hours), each step vectorised over the events still open at
    that offset; an exact time (end == start) gives share 1.
    """
    a = np.floor(s + 1e-7)  # an exact o'clock time is in its own hour despite float rounding
    width = e - s
    exact = width <= 0
    rows = np.flatnonzero(exact)
    if len(rows):
        yield rows, _local_bin(a[rows], period), np.ones(len(rows))
    a = np.floor(s)
    rows = np.flatnonzero(~exact)
    # one UTC offset for the whole window (nearly every event): bins by arithmetic; the few windows
    # holding a clock change are binned hour by hour through the zone
    off = np.zeros(len(s))
    same = np.zeros(len(s), dtype=bool)
    if len(rows):
        o0, o1 = _utc_offset_hours(s[rows]), _utc_offset_hours(e[rows])
        off[rows], same[rows] = o0, o0 == o1
    k = 0
    while len(rows):
        lo = np.maximum(s[rows], a[rows] + k)
        hi = np.minimum(e[rows], a[rows] + k + 1)
        share = np.clip(hi - lo, 0.0, None) / width[rows]
        bins = np.mod(np.floor(a[rows] + k + off[rows]), period).astype(np.int64)
        change = ~same[rows]
        if change.any():
            bins[change] = _local_bin(a[rows][change] + k, period)
        yield rows, bins, share
        k += 1
        rows = rows[a[rows] + k < e[rows]]


def aoristic_weights(start, end, *, period: int = 24) -> np.ndarray:
    """Share of each event's window ``[start, end)`` falling in each hour bin of a ``period``-hour cycle.

    ``period=24`` gives hour of day, ``period=168`` hour of week (0 = Monday 00:00). An event with
    ``end == start`` (an exact time) gets all its mass in the hour containing ``start``. Rows sum to 1.
    Times are naive local times; the window is measured in real time, so ``[00:00, 04:00)`` on the day
    the clocks go back is 5 hours (2/5 of the mass in the 01:00 bin) and on the day they go forward 3
    (nothing in the skipped 01:00 hour).
    Returns a dense (n, period) array; :func:`aoristic_sum` totals by group without that memory.
    """
    s, e = _check_windows(start, end)
    out = np.zeros((len(s), period), dtype=float)
    for rows, bins, share in _aoristic_pieces(s, e, period):
        out[rows, bins] += share  # one bin per row per piece: no repeated indices
    return out


def aoristic_sum(start, end, groups, n_groups: int, *, weights=None, period: int = 168) -> np.ndarray:
    """(n_groups, period) totals of aoristic weights (times ``weights``) of events by group index.

    Events with a negative group are ignored. Memory is O(events + n_groups x period).
    """
    s, e = _check_windows(start, end)
    g = np.asarray(groups, dtype=np.int64)
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)
    keep = g >= 0
    s, e, g, w = s[keep], e[keep], g[keep], w[keep]
    total = np.zeros(n_groups * period)
    for rows, bins, share in _aoristic_pieces(s, e, period):
        total += np.bincount(g[rows] * period + bins, weights=share * w[rows], minlength=n_groups * period)
    return total.reshape(n_groups, period)


def _hours(values) -> np.ndarray:
    """Real hours since ``_EPOCH`` (UTC) of naive local times, read by :mod:`hotpatrol.localtime`."""
    from hotpatrol.localtime import to_utc

    ts = to_utc(pd.to_datetime(pd.Series(values), errors="coerce"))
    return ((ts - _EPOCH) / pd.Timedelta(hours=1)).to_numpy(dtype=float)


def clock_hours(value: str | dt.time) -> float:
    """Hours after midnight (float, 0-24) of a clock time ``"HH:MM"`` or a :class:`datetime.time`.

    Raises
    ------
    HotpatrolError
        When the value is not ``HH:MM`` between 00:00 and 24:00 (parameter ``shifts``).
    """
    if isinstance(value, dt.time):
        return value.hour + value.minute / 60
    try:
        hh, mm = str(value).split(":")
        h = int(hh) + int(mm) / 60
    except ValueError:
        h = -1
    if not 0 <= h <= 24:
        raise HotpatrolError("Clock times must be HH:MM.", parameter="shifts", given=value)
    return h


def parse_shift(shift, parameter: str = "shift") -> tuple[str, str, str]:
    """A shift: a name from DEFAULT_SHIFTS, ``"name=HH:MM-HH:MM"``, or a (name, start, end) tuple."""
    if isinstance(shift, (tuple, list)) and len(shift) == 3:
        name, a, b = shift
    elif isinstance(shift, str) and "=" in shift:
        name, _, span = shift.partition("=")
        a, _, b = span.partition("-")
    elif isinstance(shift, str):
        known = {s[0]: s for s in DEFAULT_SHIFTS}
        if shift not in known:
            raise HotpatrolError("Unknown shift.", parameter=parameter,
                                 allowed=sorted(known) + ["name=HH:MM-HH:MM"], given=shift)
        return known[shift]
    else:
        raise HotpatrolError("A shift is a name or name=HH:MM-HH:MM.", parameter=parameter, given=repr(shift))
    try:
        ta, tb = clock_hours(a.strip()), clock_hours(b.strip())
    except (ValueError, HotpatrolError):
        raise HotpatrolError("Shift times must be HH:MM.", parameter=parameter, allowed="e.g. late=14:00-22:00",
                             given=shift) from None
    if ta == tb:
        raise HotpatrolError("A shift must have a length.", parameter=parameter, given=shift)
    return (name.strip(), a.strip(), b.strip())


def event_windows(events: pd.DataFrame, *, max_window_hours: float = 168.0):
    """Per event: (start, end, kind) where kind is 'exact', 'window' or 'none' (no time of day).

    ``month`` precision and windows longer than ``max_window_hours`` carry no time-of-day information.
    """
    n = len(events)
    prec = (events["time_precision"].astype("string").fillna("") if "time_precision" in events
            else pd.Series([""] * n, dtype="string", index=events.index)).to_numpy()
    frm = pd.to_datetime(events["occurred_from"]) if "occurred_from" in events else pd.Series(pd.NaT, index=events.index)
    to = pd.to_datetime(events["occurred_to"]) if "occurred_to" in events else pd.Series(pd.NaT, index=events.index)
    at = pd.to_datetime(events["occurred_at"]) if "occurred_at" in events else frm
    at = at.fillna(frm)
    exact = np.isin(prec, ["hour", "minute"]) & at.notna().to_numpy()
    if "time_precision" not in events:
        # no precision given: exact when there is no window, else aoristic over the window
        exact = (to.isna() | (to == frm)).to_numpy() & at.notna().to_numpy()
    day = prec == "day"
    to = to.where(~(pd.Series(day, index=events.index) & to.isna()), frm + pd.Timedelta(days=1))
    start = np.where(exact, at.to_numpy(), frm.to_numpy())
    end = np.where(exact, at.to_numpy(), to.to_numpy())
    start = pd.to_datetime(pd.Series(start))
    end = pd.to_datetime(pd.Series(end))
    width = ((end - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    windowed = ~exact & (prec != "month") & np.isfinite(width) & (width > 0) & (width <= max_window_hours)
    kind = np.where(exact, "exact", np.where(windowed, "window", "none"))
    return start, end, kind


def assign_events(x, y, hotspots: pd.DataFrame, *, cell: float | None = None, radius: float = 75.0) -> np.ndarray:
    """Index into ``hotspots`` (rows with x/y centroids) of the hotspot containing each point, -1 for none.

    With ``cell`` the hotspots are squares of that side (grid cells); otherwise a point belongs to the
    nearest hotspot centroid within ``radius`` metres.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    out = np.full(len(x), -1, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any() or len(hotspots) == 0:
        return out
    tree = cKDTree(np.column_stack([hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)]))
    pts = np.column_stack([x[ok], y[ok]])
    if cell:
        d, i = tree.query(pts, p=np.inf, distance_upper_bound=cell / 2)
    else:
        d, i = tree.query(pts, distance_upper_bound=radius)
    i = np.where(np.isfinite(d), i, -1)
    out[ok] = i
    return out


@dataclass
class TimeProfile:
    """Hour-of-week risk (rows sum to 1) per place, plus the force-wide profile and provenance."""

    place_ids: list
    weekly: np.ndarray  # (n, 168), hour-of-week 0 = Monday 00:00
    force: np.ndarray  # (168,)
    n_timed: np.ndarray  # effective timed events per place
    n_untimed: np.ndarray  # events at the place with no time of day
    notes: list[str] = field(default_factory=list)

    def _row(self, place_id) -> int:
        try:
            return [str(p) for p in self.place_ids].index(str(place_id))
        except ValueError:
            raise HotpatrolError("No time profile for this place.", parameter="place_id", given=place_id) from None

    def hourly(self) -> pd.DataFrame:
        """Hour-of-day profile (places x 24), summed over the days of the week."""
        h = self.weekly.reshape(len(self.place_ids), 7, 24).sum(axis=1)
        return pd.DataFrame(h, index=pd.Index(self.place_ids, name="place_id"), columns=range(24))

    def daily(self) -> pd.DataFrame:
        """Day-of-week profile (places x Mon..Sun): the share of each place's risk on each weekday."""
        d = self.weekly.reshape(len(self.place_ids), 7, 24).sum(axis=2)
        return pd.DataFrame(d, index=pd.Index(self.place_ids, name="place_id"), columns=list(WEEKDAYS))

    def slot_risk(self, place_id, day, *, day_start: str = "06:00", slot_minutes: int = 15) -> np.ndarray:
        """Risk of each ``slot_minutes`` slot of an operational day (starting ``day_start``) at the place.

        Uses the hour-of-week profile, so a Friday night differs from a Monday night; sums to ~1/7.
        """
        w = self.weekly[self._row(place_id)]
        day = pd.Timestamp(day)
        t0 = day.weekday() * 24 + clock_hours(day_start)
        t = t0 + np.arange(0, 24 * 60, slot_minutes) / 60.0
        return w[np.floor(np.mod(t, HOURS_PER_WEEK)).astype(int)] * (slot_minutes / 60.0)

    def risk_at(self, place_id, times, *, slot_minutes: float = 15) -> np.ndarray:
        """Risk of ``slot_minutes`` slots starting at local wall-clock ``times`` (naive, shape (n,)).

        Each slot takes the risk of the hour of the week its wall-clock start falls in, times its share
        of an hour. On the day the clocks go back the repeated hour's slots both get that hour's risk
        (a 25-hour day sums to ~25/24 of an ordinary day's 1/7); on the spring day the skipped hour has
        no slots.
        """
        w = self.weekly[self._row(place_id)]
        t = pd.DatetimeIndex(times)
        how = (t.dayofweek.to_numpy() * 24 + t.hour.to_numpy()).astype(int)
        return w[how] * (slot_minutes / 60.0)

    def shift_shares(self, shifts=DEFAULT_SHIFTS, *, by_weekday: bool = False) -> pd.DataFrame:
        """Share of each place's risk falling in each shift: the shift-specific risk surface.

        Returns columns place_id, (weekday,) shift, start, end, share. Shares over shifts that tile the
        day sum to 1 per place (per weekday with ``by_weekday``).
        """
        n = len(self.place_ids)
        rows = []
        prof = self.weekly.reshape(n, 7, 24)
        blocks = [(None, prof.sum(axis=1))] if not by_weekday else [(WEEKDAYS[d], prof[:, d, :]) for d in range(7)]
        for wd, p in blocks:
            total = p.sum(axis=1)
            cum = np.concatenate([np.zeros((n, 1)), np.cumsum(p, axis=1)], axis=1)

            def c(t):  # integral of the piecewise-constant hourly profile over [0, t)
                h = min(int(np.floor(t)), 23)
                return cum[:, h] + (t - h) * p[:, h]

            for name, a, b in shifts:
                ta, tb = clock_hours(a), clock_hours(b)
                share = c(tb) - c(ta) if tb > ta else (cum[:, 24] - c(ta)) + c(tb)
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(total > 0, share / total, np.nan)
                for pid, s in zip(self.place_ids, share):
                    row = {"place_id": pid, "shift": name, "start": a, "end": b, "share": float(s)}
                    if wd is not None:
                        row = {"weekday": wd, **row}
                    rows.append(row)
        return pd.DataFrame(rows)

    def peak_hours(self, top: int = 3) -> pd.DataFrame:
        """The ``top`` hours of day with most risk at each place."""
        h = self.hourly().to_numpy()
        order = np.argsort(-h, axis=1, kind="stable")[:, :top]
        return pd.DataFrame({"place_id": self.place_ids,
                             "peak_hours": [", ".join(f"{int(x):02d}:00" for x in r) for r in order]})

    def to_frame(self) -> pd.DataFrame:
        """Long table: place_id, weekday (0=Mon), hour, risk."""
        n = len(self.place_ids)
        return pd.DataFrame({
            "place_id": np.repeat(np.array(self.place_ids, dtype=object), HOURS_PER_WEEK),
            "weekday": np.tile(np.repeat(np.arange(7), 24), n),
            "hour": np.tile(np.arange(24), 7 * n),
            "risk": self.weekly.ravel(),
        })

    def save(self, path: str | Path) -> Path:
        """Write the profile as CSV (one row per place x hour of week: ``risk``, ``n_timed``, ``n_untimed``,
        ``force``) plus ``<path>.notes.txt``; returns ``path``. Read back with :meth:`load`."""
        path = Path(path)
        frame = self.to_frame()
        frame["n_timed"] = np.repeat(self.n_timed, HOURS_PER_WEEK)
        frame["n_untimed"] = np.repeat(self.n_untimed, HOURS_PER_WEEK)
        frame["force"] = np.tile(self.force, len(self.place_ids))
        frame.to_csv(path, index=False)
        path.with_suffix(".notes.txt").write_text("\n".join(self.notes) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path, place_ids=None) -> "TimeProfile":
        """Read a profile written by :meth:`save`; ``place_ids`` (optional) restores the ids' original types.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        """
        path = Path(path)
        frame = pd.read_csv(path, dtype={"place_id": str})
        ids = list(dict.fromkeys(frame["place_id"]))
        if place_ids is not None:
            by_str = {str(p): p for p in place_ids}
            ids_out = [by_str.get(i, i) for i in ids]
        else:
            ids_out = ids
        n = len(ids)
        notes_path = path.with_suffix(".notes.txt")
        notes = notes_path.read_text().splitlines() if notes_path.exists() else []
        return cls(ids_out, frame["risk"].to_numpy().reshape(n, HOURS_PER_WEEK),
                   frame["force"].to_numpy()[:HOURS_PER_WEEK] if n else np.full(HOURS_PER_WEEK, 1 / 168),
                   frame["n_timed"].to_numpy()[::HOURS_PER_WEEK], frame["n_untimed"].to_numpy()[::HOURS_PER_WEEK],
                   [n for n in notes if n])


def uniform_profile(place_ids, note: str | None = None) -> TimeProfile:
    """Every hour of the week equally risky (used when no event has a time of day)."""
    n = len(place_ids)
    flat = np.full(HOURS_PER_WEEK, 1.0 / HOURS_PER_WEEK)
    return TimeProfile(list(place_ids), np.tile(flat, (n, 1)), flat, np.zeros(n), np.zeros(n),
                       [note or "No timed events: uniform profile (every hour equally risky)."])


def time_profile(events: pd.DataFrame, hotspots: pd.DataFrame, *, cell: float | None = None,
                 radius: float = 75.0, weights=None, prior: float = 5.0, default=None,
                 max_window_hours: float = 168.0) -> TimeProfile:
    """Risk profile by hour of week for each hotspot.

    Parameters
    ----------
    events : events table with x/y (metres, same CRS as the hotspots; projected if only lon/lat and
        ``hotspots.attrs["crs"]`` is set) and occurred_from/occurred_to/occurred_at/time_precision.
    hotspots : frame with place_id, x, y (the selection).
    cell, radius : how events are matched to hotspots (see :func:`assign_events`).
    weights : optional per-event weight (e.g. harm); counts by default.
    prior : strength, in events, of the force-wide profile each place is shrunk towards.
    default : 168-vector (or 24-vector, repeated over the week) used when *no* event is timed;
        uniform if None.
    """
    ids = hotspots["place_id"].tolist()
    if "x" not in events.columns or "y" not in events.columns:
        if {"lon", "lat"} <= set(events.columns):
            from hotpatrol.places.crs import project

            events = project(events, hotspots.attrs.get("crs"))
        else:
            raise HotpatrolError("Events need x/y or lon/lat columns.", parameter="events")
    if prior < 0:
        raise HotpatrolError("prior must be >= 0.", parameter="prior", given=prior)
    w = np.ones(len(events)) if weights is None else np.asarray(weights, float)
    start, end, kind = event_windows(events, max_window_hours=max_window_hours)
    timed = kind != "none"
    place = assign_events(events["x"], events["y"], hotspots, cell=cell, radius=radius)
    n = len(ids)
    n_untimed = np.bincount(place[(place >= 0) & ~timed], minlength=n).astype(float)
    notes = []
    n_none = int((~timed).sum())
    if n_none:
        notes.append(f"{n_none:,} of {len(events):,} events have no usable time of day (police.uk monthly data "
                     f"or windows over {max_window_hours:g} h) and are not used for timing.")
    if not timed.any():
        if default is None:
            prof = uniform_profile(ids, "No event has a time of day (e.g. police.uk data is monthly): every "
                                        "profile is uniform; load force records with times for timed patrols.")
        else:
            d = np.asarray(default, float)
            d = np.tile(d, 7) if d.size == 24 else d
            if d.size != HOURS_PER_WEEK or (d < 0).any() or d.sum() <= 0:
                raise HotpatrolError("default must be 24 or 168 non-negative weights.", parameter="default")
            d = d / d.sum()
            prof = TimeProfile(ids, np.tile(d, (n, 1)), d, np.zeros(n), np.zeros(n),
                               ["No event has a time of day: every profile is the supplied default profile."])
        prof.n_untimed = n_untimed
        prof.notes = notes + prof.notes
        return prof
    pt = place[timed]
    # force-wide profile over all timed events, and per hotspot, without an (events x 168) array
    force = aoristic_sum(start[timed], end[timed], np.zeros(int(timed.sum()), dtype=np.int64), 1,
                         weights=w[timed])[0]
    force = force / force.sum()
    per_place = aoristic_sum(start[timed], end[timed], pt, n, weights=w[timed])
    n_timed = np.bincount(pt[pt >= 0], minlength=n).astype(float)
    # prior worth `prior` events of the place's mean weight (1 for counts), spread as the force profile
    mean_w = np.where(n_timed > 0, per_place.sum(axis=1) / np.maximum(n_timed, 1), 1.0)
    weekly = per_place + prior * mean_w[:, None] * force[None, :]
    empty = weekly.sum(axis=1) <= 0
    weekly[empty] = force
    weekly = weekly / weekly.sum(axis=1, keepdims=True)
    n_window = int((kind == "window").sum())
    notes.append(f"{int(timed.sum()):,} timed events ({n_window:,} spread aoristically over their window); "
                 f"each place is shrunk towards the force-wide profile with a prior of {prior:g} events.")
    thin = int((n_timed < prior).sum())
    if thin:
        notes.append(f"{thin} of {n} hotspots have fewer than {prior:g} timed events: their profile is mostly force-wide.")
    return TimeProfile(ids, weekly, force, n_timed, n_untimed, notes)
