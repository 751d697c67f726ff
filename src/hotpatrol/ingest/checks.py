"""Row checks shared by every input kind: each bad row gets exactly one quarantine reason.

Checks run in a fixed order and a row keeps the first reason it fails, so counts per reason add up
to the quarantined total. All checks are vectorised over the file's rows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

BAD_DATE = "bad-date"
UNKNOWN_CATEGORY = "unknown-category"
MISSING_ID = "missing-id"
NO_COORDINATES = "no-coordinates"
BAD_COORDINATES = "bad-coordinates"
AT_ORIGIN = "at-0-0"
OUTSIDE_BOUNDARY = "outside-boundary"
DUPLICATE_ID = "duplicate-id"

#: reason -> meaning (docs/ingest.md lists these)
REASONS = {
    BAD_DATE: "date/month missing or unparseable",
    UNKNOWN_CATEGORY: "crime type / category missing or not a known category",
    MISSING_ID: "outcome row without a Crime ID (cannot be linked)",
    NO_COORDINATES: "longitude/latitude (or x/y) empty",
    BAD_COORDINATES: "coordinates not numeric, or outside the valid lon/lat range after conversion",
    AT_ORIGIN: "coordinates exactly 0,0 (a placeholder for 'unknown' or 'withheld')",
    OUTSIDE_BOUNDARY: "point outside the study-area boundary (--boundary)",
    DUPLICATE_ID: "id already stored, or seen earlier in the same file",
}


#: notes on stored rows (not quarantine reasons): key -> meaning (docs/ingest.md lists these)
NO_OFFSET = "time-without-offset"
NOTES = {
    NO_OFFSET: "timestamp without a UTC offset, read as local wall-clock time (police.uk: Europe/London)",
}

#: a timestamp ending in a UTC offset or Z (2021-03-28T01:30:00+00:00, 2017/02/28 05:00:00+00, ...Z)
OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def local_times(text: pd.Series, timezone: str | None, fmt: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Timestamps as naive local wall-clock time in ``timezone``, and which carried a UTC offset.

    The one rule for every input: a value with a UTC offset (or ``Z``) names an instant and is
    converted to ``timezone``'s wall clock; a value without one is already local wall-clock time
    and is kept as written (never read as UTC). Unparseable values are NaT. Vectorised.
    """
    text = text.astype("string").str.strip()
    has = text.str.contains(OFFSET, na=False).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if has.any():
        aware = pd.to_datetime(text[has], format=fmt or "ISO8601", utc=True, errors="coerce")
        out[has] = aware.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
    if (~has).any():
        rest = text[~has]
        naive = pd.to_datetime(rest, format=fmt, errors="coerce") if fmt else pd.to_datetime(rest, errors="coerce")
        out[~has] = naive.astype("datetime64[ns]")
    return out, has


class Checks:
    """Per-row quarantine state for one file, plus per-row notes on rows that are kept."""

    def __init__(self, n: int) -> None:
        """State for ``n`` rows, all accepted."""
        self.n = n
        self.ok = np.ones(n, dtype=bool)
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)
        self.notes: dict[str, np.ndarray] = {}

    def note(self, key: str, mask) -> None:
        """Mark rows in ``mask`` with note ``key`` (one of :data:`NOTES`); counted over stored rows."""
        self.notes[key] = np.asarray(mask, dtype=bool)

    def note_counts(self) -> dict[str, int]:
        """Stored rows per note (rows quarantined for another reason are not counted)."""
        out = {k: int((m & self.ok).sum()) for k, m in self.notes.items()}
        return {k: v for k, v in out.items() if v}

    def flag(self, mask, reason: str, column: str, detail) -> None:
        """Quarantine rows in ``mask`` not already quarantined. ``detail`` is a string or per-row array."""
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        self.reason[mask] = reason
        self.column[mask] = column
        if isinstance(detail, str):
            self.detail[mask] = detail
        else:
            self.detail[mask] = np.asarray(detail, dtype=object)[mask]
        self.ok[mask] = False

    def slice(self, start: int, stop: int) -> "Checks":
        """The checks of rows ``start:stop`` (views: flagging the slice flags the parent)."""
        out = Checks.__new__(Checks)
        out.n = stop - start
        out.ok = self.ok[start:stop]
        out.reason = self.reason[start:stop]
        out.column = self.column[start:stop]
        out.detail = self.detail[start:stop]
        out.notes = {k: m[start:stop] for k, m in self.notes.items()}
        return out

    def counts(self) -> dict[str, int]:
        """Quarantined rows per reason."""
        bad = self.reason[~self.ok]
        values, counts = np.unique(bad.astype(str), return_counts=True) if len(bad) else ([], [])
        return {str(v): int(c) for v, c in zip(values, counts)}


def blank(series: pd.Series) -> np.ndarray:
    """True where a raw value is missing or only whitespace."""
    s = series
    if s.dtype.kind in "fiub":
        return s.isna().to_numpy()
    isna = s.isna().to_numpy()
    text = s.astype("string").str.strip()
    return isna | (text == "").fillna(True).to_numpy(dtype=bool)


def clean_text(series: pd.Series) -> pd.Series:
    """Strings with surrounding whitespace removed; empty -> missing."""
    if series.dtype.kind in "fiub":
        out = series.astype("string")
    else:
        out = series.astype("string").str.strip()
    return out.mask(out == "")


def numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values as float, True where a non-blank value is not a number)."""
    if series.dtype.kind in "fiu":
        return series.to_numpy(dtype=float), np.zeros(len(series), dtype=bool)
    values = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").to_numpy(dtype=float)
    return values, np.isnan(values) & ~blank(series)


def check_coordinates(checks: Checks, x_raw: pd.Series, y_raw: pd.Series, *, x_col: str, y_col: str,
                      lonlat: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Flag empty, non-numeric and 0,0 coordinates; return the numeric x, y."""
    x, x_bad = numeric(x_raw)
    y, y_bad = numeric(y_raw)
    pair = f"{x_col}/{y_col}"
    missing = blank(x_raw) | blank(y_raw)
    checks.flag(missing, NO_COORDINATES, pair, "no coordinates")
    checks.flag(x_bad, BAD_COORDINATES, x_col, f"{x_col} is not a number")
    checks.flag(y_bad, BAD_COORDINATES, y_col, f"{y_col} is not a number")
    checks.flag((x == 0) & (y == 0), AT_ORIGIN, pair, "coordinates are 0,0")
    if lonlat:
        check_lonlat_range(checks, x, y, pair)
    return x, y


def check_lonlat_range(checks: Checks, lon: np.ndarray, lat: np.ndarray, column: str) -> None:
    """Quarantine rows whose lon/lat are outside [-180, 180] x [-90, 90] (reason ``bad-coordinates``)."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(lon) <= 180) | ~(np.abs(lat) <= 90)
    checks.flag(bad & checks.ok, BAD_COORDINATES, column, "not a valid longitude/latitude")
