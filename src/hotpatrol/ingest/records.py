"""A force's own records (exact times, x/y or lon/lat) -> events rows, driven by a :class:`Mapping`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import CRS

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest import checks as C
from hotpatrol.ingest.mapping import Mapping
from hotpatrol.ingest.parsed import Parsed, content_ids
from hotpatrol.places.crs import to_lonlat

def check_mapping_columns(mapping: Mapping, raw: pd.DataFrame, path: str) -> None:
    """Every column the mapping names must exist in the CSV."""
    for key, col in mapping.used_columns().items():
        if col not in raw.columns:
            raise HotpatrolError(
                f"The mapping names column {col!r} ({key}) but the CSV has no such column.",
                file=path, row=1, column=col, parameter=f"mapping.{key}", allowed=[str(c) for c in raw.columns],
                given=col, fix="Fix the column name in the mapping (names are case-sensitive).")


def _text(raw: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    return C.clean_text(raw[col])


def _parse_instant(series: pd.Series, fmt: str | None, timezone: str | None, column: str, path: str,
                   checks: C.Checks | None = None) -> pd.Series:
    """Naive local times (checks.local_times): values with a UTC offset are converted to ``timezone``
    (required then), values without one are taken as already local; when a column mixes both, the
    rows without an offset are noted."""
    text = C.clean_text(series)
    has = text.str.contains(C.OFFSET, na=False).to_numpy(dtype=bool)
    if has.any() and timezone is None:
        raise HotpatrolError(
            "Times in this column carry a UTC offset, so the local time zone is needed.",
            file=path, column=column, parameter="mapping.time.timezone", given=str(text[has].iloc[0]),
            fix="Add time: {timezone: <IANA zone>} e.g. Europe/London or America/Toronto.")
    try:
        out, has = C.local_times(text, timezone, fmt)
    except (ValueError, TypeError) as exc:
        raise HotpatrolError(f"Cannot read times: {exc}", file=path, column=column,
                             parameter="mapping.time.format", given=fmt) from None
    if checks is not None and has.any() and not has.all():
        checks.note(C.NO_OFFSET, ~has & out.notna().to_numpy())
    return out


def _whole(series: pd.Series, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    values, _ = C.numeric(series)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < lo) | (values > hi)
    return np.where(bad, 0, values).astype("int64"), bad


def parse_records(raw: pd.DataFrame, path: str, mapping: Mapping, *, boundary=None, first_row: int = 2,
                  group=None) -> Parsed:
    """Parse a force's records export with a column ``mapping`` into the events table (``first_row`` is the file row of the first data row, for error messages)."""
    check_mapping_columns(mapping, raw, path)
    checks = C.Checks(len(raw))
    t = mapping.time
    fmt, tz = t.get("format"), t.get("timezone")

    # --- time
    if "timestamp" in t:
        start = _parse_instant(raw[t["timestamp"]], fmt, tz, t["timestamp"], path, checks)
        checks.flag(start.isna().to_numpy(), C.BAD_DATE, t["timestamp"], "unparseable timestamp")
        end, precision = start + pd.Timedelta(minutes=1), "minute"
    elif "from" in t:
        start = _parse_instant(raw[t["from"]], fmt, tz, t["from"], path, checks)
        end = _parse_instant(raw[t["to"]], fmt, tz, t["to"], path)
        checks.flag(start.isna().to_numpy(), C.BAD_DATE, t["from"], "unparseable 'from' time")
        checks.flag(end.isna().to_numpy(), C.BAD_DATE, t["to"], "unparseable 'to' time")
        checks.flag((end < start).fillna(False).to_numpy(dtype=bool), C.BAD_DATE, t["to"], "'to' is before 'from'")
        end = end.where(end > start, start + pd.Timedelta(minutes=1))  # zero-length windows: one minute
        precision = "window"
    else:
        if "date" in t:
            day = _parse_instant(raw[t["date"]], fmt, tz, t["date"], path).dt.normalize()
            checks.flag(day.isna().to_numpy(), C.BAD_DATE, t["date"], "unparseable date")
        else:
            parts = {}
            for key, lo, hi in (("year", 1, 9999), ("month", 1, 12), ("day", 1, 31)):
                parts[key], bad = _whole(raw[t[key]], lo, hi)
                checks.flag(bad, C.BAD_DATE, t[key], f"{key} is not a whole number in {lo}..{hi}")
            day = pd.to_datetime(pd.DataFrame(parts), errors="coerce")  # bad parts are 0 -> NaT
            checks.flag(day.isna().to_numpy(), C.BAD_DATE, t["day"], "not a calendar date")
        start, precision, step = day, "day", pd.Timedelta(days=1)
        if "hour" in t:
            hour, bad = _whole(raw[t["hour"]], 0, 23)
            checks.flag(bad, C.BAD_DATE, t["hour"], "hour is not a whole number in 0..23")
            start = start + pd.to_timedelta(hour, unit="h")
            precision, step = "hour", pd.Timedelta(hours=1)
        if "minute" in t:
            minute, bad = _whole(raw[t["minute"]], 0, 59)
            checks.flag(bad, C.BAD_DATE, t["minute"], "minute is not a whole number in 0..59")
            start = start + pd.to_timedelta(minute, unit="min")
            precision, step = "minute", pd.Timedelta(minutes=1)
        end = start + step

    # --- category
    if mapping.category is not None:
        category = _text(raw, mapping.category)
        checks.flag(category.isna().to_numpy(), C.UNKNOWN_CATEGORY, mapping.category, "empty category")
        if isinstance(mapping.categories, dict):
            lookup = {str(k): str(v) for k, v in mapping.categories.items()}
            mapped = category.map(lookup)
            checks.flag(mapped.isna().to_numpy() & category.notna().to_numpy(), C.UNKNOWN_CATEGORY,
                        mapping.category, "category not in the mapping's categories")
            category = mapped.astype("string")
        elif isinstance(mapping.categories, list):
            known = category.isin([str(c) for c in mapping.categories]).to_numpy(dtype=bool)
            checks.flag(~known, C.UNKNOWN_CATEGORY, mapping.category, "category not in the mapping's categories")
    else:
        category = pd.Series(mapping.category_value, index=raw.index, dtype="string")

    # --- place
    if mapping.lon is not None:
        lon, lat = C.check_coordinates(checks, raw[mapping.lon], raw[mapping.lat], x_col=mapping.lon,
                                       y_col=mapping.lat, lonlat=True)
        if mapping.crs is not None and not CRS.from_user_input(mapping.crs).equals(CRS.from_epsg(4326)):
            lon, lat = to_lonlat(lon, lat, mapping.crs)
    else:
        crs = CRS.from_user_input(mapping.crs)
        x, y = C.check_coordinates(checks, raw[mapping.x], raw[mapping.y], x_col=mapping.x, y_col=mapping.y,
                                   lonlat=crs.is_geographic)
        if crs.is_geographic and crs.equals(CRS.from_epsg(4326)):
            lon, lat = x, y
        else:
            with np.errstate(invalid="ignore"):
                lon, lat = to_lonlat(x, y, mapping.crs)
        lon = np.where(np.isfinite(lon), lon, np.nan)
        lat = np.where(np.isfinite(lat), lat, np.nan)
        C.check_lonlat_range(checks, lon, lat, f"{mapping.x}/{mapping.y}")
    pair = f"{mapping.lon or mapping.x}/{mapping.lat or mapping.y}"
    if boundary is not None:
        checks.flag(checks.ok & ~boundary.contains(lon, lat), C.OUTSIDE_BOUNDARY, pair, "outside the study-area boundary")

    # --- id
    if mapping.id is not None:
        ids = _text(raw, mapping.id)
        checks.flag(ids.isna().to_numpy(), C.MISSING_ID, mapping.id, "empty id")
        event_id = (mapping.name + ":" + ids).astype("string")
    else:
        event_id = content_ids(raw, prefix=f"{mapping.name}:h", group=group)

    force = _text(raw, mapping.force_column) if mapping.force_column else mapping.force
    month = start.dt.strftime("%Y-%m").astype("string")
    lsoa = _text(raw, mapping.lsoa_code)
    frame = pd.DataFrame({
        "event_id": event_id,
        "source": mapping.name,
        "force": force,
        "month": month,
        "occurred_at": start,
        "occurred_from": start,
        "occurred_to": end,
        "time_precision": precision,
        "lon": np.asarray(lon, dtype=float),
        "lat": np.asarray(lat, dtype=float),
        "category": category,
        "offence_code": _text(raw, mapping.offence_code),
        "location": _text(raw, mapping.location),
        "lsoa_code": lsoa,
        "lsoa_name": _text(raw, mapping.lsoa_name),
    }, index=raw.index)
    return Parsed("events", "event_id", frame, checks, raw, first_row, mapping.name)
