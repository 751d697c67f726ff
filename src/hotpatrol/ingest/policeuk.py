"""data.police.uk street, outcomes and stop-and-search CSVs -> rows for the store, vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.events import LEGACY_CATEGORIES, POLICE_UK_CATEGORIES
from hotpatrol.ingest import checks as C
from hotpatrol.ingest.forces import FORCES, force_name
from hotpatrol.ingest.parsed import Parsed, content_ids, month_window, require_columns
from hotpatrol.store.schema import STOP_SEARCH_COLUMNS

SOURCE = "police.uk"
#: every street crime type police.uk has used (LEGACY_CATEGORIES: before May 2013, see hotpatrol.events)
KNOWN_CATEGORIES = frozenset(POLICE_UK_CATEGORIES) | frozenset(LEGACY_CATEGORIES)


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    # police.uk text is clean: read_csv already turned empty fields into missing values
    if name in raw.columns:
        col = raw[name]
        return col if col.dtype.kind not in "fiub" else col.astype("string")
    return pd.Series(pd.NA, index=raw.index, dtype="string")


def _force(raw: pd.DataFrame, slug) -> pd.Series:
    """'Falls within', else the force named by the file name (``slug``: one per batch or one per row)."""
    force = _col(raw, "Falls within")
    if slug is None or isinstance(slug, str):
        fallback = force_name(slug)
        return force.fillna(fallback) if fallback else force
    slugs = pd.Series(slug, index=raw.index, dtype=object)
    names = slugs.map(FORCES).fillna(slugs).astype("string")
    return force.fillna(names)


REQUIRED = {
    "street": ["Crime ID", "Month", "Longitude", "Latitude", "Crime type"],
    "outcomes": ["Crime ID", "Month", "Outcome type"],
    "stop-and-search": ["Date", "Latitude", "Longitude"],
}


def parse_street(raw: pd.DataFrame, path: str, *, force_slug=None, boundary=None, group=None) -> Parsed:
    """Parse a police.uk street-level crime CSV into the events table (one row per raw row, bad rows quarantined with reasons)."""
    require_columns(raw, REQUIRED["street"], path, what="street")
    checks = C.Checks(len(raw))
    start, end, bad_month, month = month_window(raw["Month"])
    checks.flag(bad_month, C.BAD_DATE, "Month", "Month is not YYYY-MM")
    category = _col(raw, "Crime type")
    checks.flag(~category.isin(KNOWN_CATEGORIES).to_numpy(dtype=bool), C.UNKNOWN_CATEGORY, "Crime type",
                "not a police.uk crime type")
    lon, lat = C.check_coordinates(checks, raw["Longitude"], raw["Latitude"], x_col="Longitude", y_col="Latitude")
    if boundary is not None:
        checks.flag(checks.ok & ~boundary.contains(lon, lat), C.OUTSIDE_BOUNDARY, "Longitude/Latitude",
                    "outside the study-area boundary")
    crime_id = _col(raw, "Crime ID")
    event_id = crime_id.copy()
    no_id = crime_id.isna().to_numpy()
    if no_id.any():  # ASB rows have no Crime ID: key them by content
        event_id[no_id] = content_ids(raw.loc[no_id], group=None if group is None else np.asarray(group)[no_id])
    lsoa = _col(raw, "LSOA code")
    frame = pd.DataFrame({
        "event_id": event_id,
        "source": SOURCE,
        "force": _force(raw, force_slug),
        "month": month,
        "occurred_at": start,
        "occurred_from": start,
        "occurred_to": end,
        "time_precision": "month",
        "lon": lon,
        "lat": lat,
        "category": category,
        "location": _col(raw, "Location"),
        "lsoa_code": lsoa,
        "lsoa_name": _col(raw, "LSOA name"),
        # the street file's own last outcome; replaced by the latest linked outcome row if any
        "outcome": _col(raw, "Last outcome category"),
    })
    return Parsed("events", "event_id", frame, checks, raw, 2, SOURCE)


def parse_outcomes(raw: pd.DataFrame, path: str, *, force_slug=None, boundary=None, group=None) -> Parsed:
    """Parse a police.uk outcomes CSV into the outcomes table (bad rows quarantined with reasons)."""
    require_columns(raw, REQUIRED["outcomes"], path, what="outcomes")
    checks = C.Checks(len(raw))
    crime_id = _col(raw, "Crime ID")
    checks.flag(crime_id.isna().to_numpy(), C.MISSING_ID, "Crime ID", "no Crime ID to link the outcome to")
    _, _, bad_month, month = month_window(raw["Month"])
    checks.flag(bad_month, C.BAD_DATE, "Month", "Month is not YYYY-MM")
    outcome = _col(raw, "Outcome type")
    checks.flag(outcome.isna().to_numpy(), C.UNKNOWN_CATEGORY, "Outcome type", "empty Outcome type")
    lon, _ = C.numeric(raw["Longitude"]) if "Longitude" in raw else (np.full(len(raw), np.nan), None)
    lat, _ = C.numeric(raw["Latitude"]) if "Latitude" in raw else (np.full(len(raw), np.nan), None)
    lsoa = _col(raw, "LSOA code")
    frame = pd.DataFrame({
        "outcome_key": crime_id + "|" + month + "|" + outcome,
        "crime_id": crime_id,
        "month": month,
        "force": _force(raw, force_slug),
        "lon": lon,
        "lat": lat,
        "location": _col(raw, "Location"),
        "lsoa_code": lsoa,
        "lsoa_name": _col(raw, "LSOA name"),
        "outcome_type": outcome,
    })
    return Parsed("outcomes", "outcome_key", frame, checks, raw, 2, SOURCE)


def parse_stop_search(raw: pd.DataFrame, path: str, *, force_slug=None, boundary=None, group=None,
                      timezone: str = "Europe/London") -> Parsed:
    """Parse a police.uk stop-and-search CSV into the stop-search table (local times in ``timezone``; bad rows quarantined)."""
    require_columns(raw, REQUIRED["stop-and-search"], path, what="stop-and-search")
    checks = C.Checks(len(raw))
    # police.uk writes some Dates with a UTC offset and some without: offsets are converted to local
    # time, times without one are already Europe/London wall-clock time (checks.local_times); the
    # stored times are naive local wall clock, as events are, and rows without an offset are counted
    local, has_offset = C.local_times(raw["Date"], timezone, "ISO8601")
    checks.flag(local.isna().to_numpy(), C.BAD_DATE, "Date", "Date is not an ISO 8601 timestamp")
    checks.note(C.NO_OFFSET, ~has_offset)
    lon, lat = C.check_coordinates(checks, raw["Longitude"], raw["Latitude"], x_col="Longitude", y_col="Latitude")
    if boundary is not None:
        checks.flag(checks.ok & ~boundary.contains(lon, lat), C.OUTSIDE_BOUNDARY, "Longitude/Latitude",
                    "outside the study-area boundary")
    frame = pd.DataFrame({
        "search_id": content_ids(raw, prefix="ss", group=group),
        "force": _force(raw, force_slug),
        "month": local.dt.strftime("%Y-%m").astype("string"),
        "occurred_at": local,
        "lon": lon,
        "lat": lat,
    })
    for src, dst in STOP_SEARCH_COLUMNS.items():
        frame[dst] = _col(raw, src)
    return Parsed("stop_search", "search_id", frame, checks, raw, 2, SOURCE)


PARSERS = {"street": parse_street, "outcomes": parse_outcomes, "stop-and-search": parse_stop_search}
