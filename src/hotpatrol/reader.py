"""One events reader for every caller: the CLI, the evaluate plan loader and the web layer.

:func:`read` takes a store (URL, SQLite file path or :class:`~hotpatrol.store.Store`), an events
table file (CSV, gzipped CSV or Parquet, as written by ``DataFrame.to_csv`` of an events table) or
an events :class:`pandas.DataFrame`, and returns a conformed events table
(:func:`hotpatrol.events.conform`) filtered by time window, category and force.

Time windows (the same meaning in the library, the CLI and the web API)
-----------------------------------------------------------------------
- A **period label** -- ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a string, or a ``datetime.date``) --
  names a whole year, month or day and is **inclusive at both ends**: ``start="2021-03",
  end="2022-02"`` keeps March 2021 through February 2022 (twelve months); ``end="2021-06-15"``
  keeps all of 15 June.
- An **instant** -- a string with a time of day (``"2021-06-15 18:00"``), a ``pandas.Timestamp``,
  ``datetime.datetime`` or ``numpy.datetime64`` -- bounds a **half-open** window ``[start, end)``.
- An event is in the window when its best instant (:func:`hotpatrol.events.occurred_at`: the exact
  time when known, else the start of its occurrence window) is. For police.uk data that is the
  first instant of the event's month, so month windows select whole months.

This module sits in the core next to :mod:`hotpatrol.events` (it is not inside it because
:mod:`hotpatrol.store` imports :mod:`hotpatrol.events`; reading a store from there would make an
import cycle). It imports only core modules: errors, settings, events, store and places.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.events import conform, occurred_at, with_legacy
from hotpatrol.localtime import to_local

__all__ = ["read", "window", "EVENTS_FILE_SUFFIXES"]

#: File name endings read as events tables.
EVENTS_FILE_SUFFIXES = (".csv", ".csv.gz", ".gz", ".parquet")

_TIME_COLUMNS = ("occurred_at", "occurred_from", "occurred_to")
_PERIOD = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")
_ISO_INSTANT = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$")


def _bound(value: Any, parameter: str) -> pd.Timestamp | None:
    """``value`` as the instant a window ``[start, end)`` starts (``start``) or stops (``end``) at."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    fix = "Use a month YYYY-MM, a day YYYY-MM-DD or a time 'YYYY-MM-DD HH:MM'."
    period = None
    if isinstance(value, str):
        m = _PERIOD.match(value)
        if m is not None:
            period = "day" if m.group(3) else "month" if m.group(2) else "year"
        elif not _ISO_INSTANT.match(value):  # no guessing ('March' would be this year's March)
            raise HotpatrolError(f"{parameter} is not a date or month.", parameter=parameter, given=value, fix=fix)
    elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        period = "day"
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise HotpatrolError(f"{parameter} is not a date or month.", parameter=parameter, given=str(value),
                             fix=fix) from None
    if ts is pd.NaT or pd.isna(ts):
        raise HotpatrolError(f"{parameter} is not a date or month.", parameter=parameter, given=str(value), fix=fix)
    if ts.tzinfo is not None:  # events hold naive local time: an instant with an offset is converted to it
        ts = to_local([ts])[0]
    if parameter == "end" and period is not None:  # a period label: the whole period is included
        step = {"year": pd.DateOffset(years=1), "month": pd.DateOffset(months=1), "day": pd.Timedelta(days=1)}
        ts = ts + step[period]
    return ts


def window(start: Any = None, end: Any = None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The half-open instants ``[lo, hi)`` meant by ``start`` and ``end`` (see the module docstring).

    Parameters
    ----------
    start, end : str, date, datetime, pandas.Timestamp or None
        Period labels (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``: inclusive) or instants (half-open).
        ``None`` leaves that side open.

    Returns
    -------
    (lo, hi) : tuple of pandas.Timestamp or None
        Keep an instant ``t`` when ``lo <= t < hi``.

    Raises
    ------
    HotpatrolError
        ``parameter="start"``/``"end"`` when a value is not a date, month or time, or when the
        window is empty (``end`` before ``start``).

    Examples
    --------
    >>> window("2021-03", "2022-02")
    (Timestamp('2021-03-01 00:00:00'), Timestamp('2022-03-01 00:00:00'))
    >>> window("2021-06-15 18:00", "2021-06-15 20:00")
    (Timestamp('2021-06-15 18:00:00'), Timestamp('2021-06-15 20:00:00'))
    """
    lo, hi = _bound(start, "start"), _bound(end, "end")
    if lo is not None and hi is not None and hi <= lo:
        raise HotpatrolError("The window is empty: end is not after start.", parameter="end",
                             given={"start": str(start), "end": str(end)},
                             fix="Months and days are inclusive: --start 2021-03 --end 2021-03 is March 2021.")
    return lo, hi


def _names(value: str | Iterable[str] | None, parameter: str) -> list[str] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        return None
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad:
        raise HotpatrolError(f"{parameter} must be names (strings).", parameter=parameter, given=[str(b) for b in bad])
    return names


def _is_store_url(text: str) -> bool:
    return "://" in text


def _read_file(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if not path.exists():
        raise HotpatrolError("Events file not found.", parameter="events", file=str(path),
                             fix="Give an events table file (.csv/.parquet) or a store URL (sqlite:///file.db).")
    if path.is_dir():
        raise HotpatrolError("The events source is a folder, not an events table file.", parameter="events",
                             file=str(path), fix="Ingest the folder first: hotpatrol ingest FOLDER, then use --db.")
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        elif name.endswith((".csv", ".gz")):
            frame = pd.read_csv(path, low_memory=False)
        else:
            raise HotpatrolError("Unknown events file type.", parameter="events", file=str(path),
                                 allowed=list(EVENTS_FILE_SUFFIXES))
    except HotpatrolError:
        raise
    except Exception as exc:  # unreadable bytes, empty file, bad parquet
        raise HotpatrolError(f"Cannot read the events file: {exc}", parameter="events", file=str(path)) from None
    for col in _TIME_COLUMNS:
        if col in frame.columns:
            parsed = pd.to_datetime(frame[col], format="ISO8601", errors="coerce")
            bad = parsed.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise HotpatrolError(f"Column {col} has a value that is not a date/time.", file=str(path),
                                     row=row + 2, column=col, given=str(frame[col].iloc[row]))
            frame[col] = parsed
    return _as_events(frame, str(path))


def _as_events(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check the columns every stage needs and conform (filling ids and times that can be derived)."""
    has_xy = {"x", "y"} <= set(frame.columns)
    missing = [c for c in ("lon", "lat") if c not in frame.columns and not has_xy]
    if not any(c in frame.columns for c in ("occurred_from", "occurred_at")):
        missing.append("occurred_from")
    if missing:
        raise HotpatrolError(f"The events table lacks column(s) {missing}.", parameter="events", file=name,
                             column=missing[0], given=list(map(str, frame.columns))[:20],
                             fix="Write events tables with DataFrame.to_csv of hotpatrol.reader.read() output.")
    frame = frame.copy()
    if "occurred_from" not in frame.columns:
        frame["occurred_from"] = frame["occurred_at"]
    if "event_id" not in frame.columns:  # the file's row numbers (header = row 1) are a stable key
        frame["event_id"] = [f"row{i + 2}" for i in range(len(frame))]
    return conform(frame)


def read(
    source: Any = None,
    *,
    start: Any = None,
    end: Any = None,
    categories: str | Iterable[str] | None = None,
    force: str | Iterable[str] | None = None,
    crs: str | None = None,
) -> pd.DataFrame:
    """Read events from a store, an events table file or a DataFrame, filtered the same way for all.

    Parameters
    ----------
    source : str, pathlib.Path, hotpatrol.store.Store, pandas.DataFrame or None
        - ``None``: the store at the ``db`` setting (``HOTPATROL_DB``);
        - a string with ``://``: a store URL (``sqlite:///hotpatrol.db``, ``postgresql+psycopg://...``);
        - a path ending ``.db``/``.sqlite``/``.sqlite3``: an SQLite store (it must exist);
        - a path ending ``.csv``, ``.csv.gz`` or ``.parquet``: an events table file (columns of
          :data:`hotpatrol.events.EVENT_COLUMNS`; at least ``lon, lat`` (or projected ``x, y``
          in metres) and ``occurred_from`` or ``occurred_at``; a missing ``event_id`` becomes ``row<N>``, the file row number with the
          header as row 1; other missing columns are null);
        - a :class:`~hotpatrol.store.Store` or an events :class:`pandas.DataFrame` (not modified).
    start, end : str, date, datetime, pandas.Timestamp or None
        Time window. Period labels (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) are inclusive at both
        ends (``start="2021-03", end="2022-02"`` is twelve months); instants bound a half-open
        window ``[start, end)``. See :func:`window`.
    categories : str or list of str, optional
        Keep only these categories (exact names, e.g. police.uk ``"Burglary"``); a label police.uk
        renamed in May 2013 brings its other name too (:func:`hotpatrol.events.with_legacy`).
    force : str or list of str, optional
        Keep only these forces (police.uk "Falls within", e.g. ``"Kent Police"``).
    crs : str, optional
        Also add ``x``/``y`` in metres in this projected CRS (``"auto"``: chosen from the events'
        extent, :func:`hotpatrol.places.choose_metric_crs`); the CRS is in ``attrs["crs"]``.
        ``None`` (default): WGS84 ``lon``/``lat`` only. A table with ``x``/``y`` but no
        ``lon``/``lat`` keeps its ``x``/``y``, taken to be in ``crs`` when one is named.

    Returns
    -------
    pandas.DataFrame
        An events table, one row per event, canonical columns first (extra file columns kept),
        ordered as read (stores: by ``occurred_from`` then ``event_id``), index ``0..n-1``.
        It may be empty: callers that need events say so in their own terms.

    Raises
    ------
    HotpatrolError
        ``parameter="events"`` for a missing/unreadable file or one lacking required columns
        (naming the file, row and column); ``parameter="db"`` for a bad store URL or a missing
        SQLite file; ``parameter="start"``/``"end"`` for a bad window; ``parameter="crs"`` for a
        CRS that is not projected.
    """
    lo, hi = window(start, end)
    cats = with_legacy(_names(categories, "categories"))  # + pre-May-2013 renamed labels
    forces = _names(force, "force")
    frame = _load(source, lo, hi, cats, forces)
    keep = np.ones(len(frame), dtype=bool)
    if cats is not None:
        keep &= frame["category"].isin(cats).to_numpy()
    if forces is not None:
        keep &= frame["force"].isin(forces).to_numpy()
    if lo is not None or hi is not None:
        when = occurred_at(frame)
        if lo is not None:
            keep &= (when >= lo).to_numpy()
        if hi is not None:
            keep &= (when < hi).to_numpy()
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    if crs is not None:
        from hotpatrol.places.crs import project

        if frame["lon"].isna().all() and {"x", "y"} <= set(frame.columns):  # already in metres
            if crs != "auto":
                frame.attrs["crs"] = crs
        elif len(frame) == 0:
            frame = frame.assign(x=pd.Series(dtype=float), y=pd.Series(dtype=float))
            frame.attrs["crs"] = None if crs == "auto" else crs
        else:
            frame = project(frame, None if crs == "auto" else crs)
    return frame


def _load(source, lo, hi, cats, forces) -> pd.DataFrame:
    from hotpatrol.store import Store

    if isinstance(source, pd.DataFrame):
        return _as_events(source, "DataFrame")
    if isinstance(source, Store):
        return _from_store(source, lo, hi, cats, forces)
    if source is None:
        return _from_store(_open_store(settings.get("db")), lo, hi, cats, forces)
    if isinstance(source, (str, Path)):
        text = str(source)
        if isinstance(source, str) and _is_store_url(text):
            return _from_store(_open_store(text), lo, hi, cats, forces)
        if text.lower().endswith((".db", ".sqlite", ".sqlite3")):
            if not Path(text).is_file():
                raise HotpatrolError("Store file not found.", parameter="db", given=text,
                                     fix="Ingest first (hotpatrol ingest FILES --db FILE) or check the path.")
            return _from_store(_open_store(text), lo, hi, cats, forces)
        return _read_file(Path(text))
    raise HotpatrolError("Cannot read events from this source.", parameter="source", given=type(source).__name__,
                         allowed=["store URL", "events CSV/Parquet path", "Store", "DataFrame"])


def _open_store(url: str):
    from hotpatrol.store import Store

    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_file():  # opening would create an empty store and hide the typo
            raise HotpatrolError("Store file not found.", parameter="db", given=url,
                                 fix="Ingest first (hotpatrol ingest FILES --db URL) or check the path.")
    return Store(url)


def _from_store(store, lo, hi, cats, forces) -> pd.DataFrame:
    # stored events have occurred_at == occurred_from (ingest sets the best instant to the window
    # start), so the window can be pushed down to the database on occurred_from
    return store.load_events(force=forces, categories=cats, start=lo, end=hi)
