"""The events table: the object ingest hands to every later stage.

An events table is a :class:`pandas.DataFrame` with one row per recorded crime or incident and
the columns in :data:`EVENT_COLUMNS`. Coordinates are stored as WGS84 ``lon``/``lat``; a stage that
needs metres calls :func:`hotpatrol.places.project` which adds ``x``/``y`` in a metric CRS.

Time is held as a window ``[occurred_from, occurred_to)`` plus ``time_precision``:

- police.uk files give only the month: ``occurred_from`` is the first instant of the month,
  ``occurred_to`` the first instant of the next, precision ``"month"``;
- force records give a date (``"day"``), date + hour (``"hour"``), a timestamp (``"minute"``) or
  a from/to window (``"window"``; aoristic methods spread such an event over the window).

``occurred_at`` is the best single instant: the exact time when known, else the window start.
Times are naive local time (UK data: Europe/London wall clock; the zone is the ``timezone``
setting). Local time labels things (the day, the hour of the week, a shift); every time *difference*
(Knox, ETAS, aoristic windows, day lengths) is taken on instants from
:func:`hotpatrol.localtime.to_utc`, whose one rule reads a time in the repeated hour of the autumn
clock change as its first occurrence and a time in the skipped spring hour with the offset before
the change (RFC 5545 section 3.3.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

#: column name -> (pandas dtype, description). The order is the canonical column order.
EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "event_id": ("string", "Stable unique key: police.uk Crime ID, a content hash for ASB rows, or the force's id"),
    "source": ("string", "'police.uk' or 'force-records' (or another ingest's name)"),
    "force": ("string", "Force name, e.g. 'Kent Police' (police.uk 'Falls within')"),
    "month": ("string", "YYYY-MM of occurrence (police.uk 'Month')"),
    "occurred_at": ("datetime64[ns]", "Best single instant (exact time or window start)"),
    "occurred_from": ("datetime64[ns]", "Start of the occurrence window"),
    "occurred_to": ("datetime64[ns]", "End of the occurrence window (exclusive)"),
    "time_precision": ("string", "month | day | hour | minute | window"),
    "lon": ("float64", "WGS84 longitude"),
    "lat": ("float64", "WGS84 latitude"),
    "category": ("string", "police.uk crime type or the force's category"),
    "offence_code": ("string", "Home Office offence code where known"),
    "location": ("string", "police.uk location text ('On or near ...') or address"),
    "lsoa_code": ("string", "LSOA code (2011 or 2021 vintage, as given)"),
    "lsoa_name": ("string", "LSOA name"),
    "outcome": ("string", "Latest outcome category linked by Crime ID"),
    "outcome_month": ("string", "YYYY-MM of the latest outcome"),
}

TIME_PRECISIONS = ("month", "day", "hour", "minute", "window")

#: The 14 police.uk street crime types.
POLICE_UK_CATEGORIES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)


def empty_events() -> pd.DataFrame:
    """An events table with no rows and the canonical dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, (d, _) in EVENT_COLUMNS.items()})


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every event column present, in order, with canonical dtypes.

    Missing optional columns are filled with nulls; extra columns are kept after the canonical ones.
    """
    out = pd.DataFrame(index=frame.index)
    for col, (dtype, _) in EVENT_COLUMNS.items():
        if col in frame.columns:
            out[col] = frame[col].astype(dtype)
        else:
            out[col] = pd.Series(pd.NA if dtype == "string" else np.nan, index=frame.index).astype(dtype)
    extra = [c for c in frame.columns if c not in EVENT_COLUMNS]
    for col in extra:
        out[col] = frame[col]
    return out.reset_index(drop=True)


def validate_events(frame: pd.DataFrame, *, name: str = "events") -> pd.DataFrame:
    """Check that ``frame`` is an events table; raise a HotpatrolError naming the bad column/row."""
    if not isinstance(frame, pd.DataFrame):
        raise HotpatrolError(
            f"{name} must be a pandas DataFrame (an events table).",
            parameter=name,
            given=type(frame).__name__,
        )
    required = ("event_id", "occurred_from", "lon", "lat", "category")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise HotpatrolError(
            f"{name} is missing required column(s) {missing}.",
            parameter=name,
            fix="Build it with hotpatrol.store.load_events(), hotpatrol.ingest or hotpatrol.events.conform().",
        )
    if frame["event_id"].duplicated().any():
        row = int(np.flatnonzero(frame["event_id"].duplicated().to_numpy())[0])
        raise HotpatrolError(
            f"{name} has duplicate event_id {frame['event_id'].iloc[row]!r}.", row=row, column="event_id"
        )
    return frame


def occurred_at(frame: pd.DataFrame) -> pd.Series:
    """The best single instant of each event (``occurred_at`` or, failing that, ``occurred_from``)."""
    if "occurred_at" in frame.columns and frame["occurred_at"].notna().any():
        return frame["occurred_at"].fillna(frame["occurred_from"])
    return frame["occurred_from"]
