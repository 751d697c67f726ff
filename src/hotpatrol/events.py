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


# --- police.uk category history ---------------------------------------------------------------------------
#
# police.uk changed its street crime types twice (police.uk "About the data"; the same notes appear in the
# tooltips of public dashboards and in R's lamp "six / eleven / fourteen" category sets):
#
# - September 2011: five categories were split out of "Other crime" (Criminal damage and arson, Drugs,
#   Other theft, Shoplifting, Public disorder and weapons); before that month police.uk had six types.
# - May 2013: "Violent crime" was renamed "Violence and sexual offences" and took in sexual offences,
#   which had sat in "Other crime"; "Public disorder and weapons" was split into "Public order" and
#   "Possession of weapons"; "Bicycle theft" and "Theft from the person" were split out of "Other theft".
#
# Each change is a *family* of labels whose combined count is the same crime before and after. A set of
# categories (a report group, a ``--category`` filter) that holds the whole family, or none of it, compares
# like with like across the change; one that holds part of it does not.

#: police.uk street crime types used before May 2013, still found in old archives.
LEGACY_CATEGORIES = ("Violent crime", "Public disorder and weapons")

#: legacy label -> the current label that continues its series (a rename, see CATEGORY_CHANGES for caveats).
LEGACY_RENAMES = {"Violent crime": "Violence and sexual offences"}


class CategoryChange:
    """One change of the police.uk category scheme.

    ``month`` is the first month published with the new labels; ``family`` is every label (old and new)
    whose combined count is comparable across the change. ``severity`` says what happens to a set of
    categories that holds only part of the family: ``"break"`` (the counts are not comparable: a category
    was split out of another, so the part before the change is unknown) or ``"caveat"`` (comparable with a
    note: a small part of the offences moved between categories).
    """

    def __init__(self, month: str, family: tuple[str, ...], severity: str, note: str):
        self.month = pd.Period(month, "M")
        self.family = frozenset(family)
        self.severity = severity
        self.note = note

    def __repr__(self) -> str:
        return f"CategoryChange({str(self.month)!r}, {sorted(self.family)}, {self.severity!r})"


CATEGORY_CHANGES = (
    CategoryChange("2011-09", ("Other crime", "Criminal damage and arson", "Drugs", "Other theft", "Shoplifting",
                               "Public disorder and weapons"), "break",
                   "before September 2011 police.uk published criminal damage and arson, drugs, other theft, "
                   "shoplifting and public disorder and weapons inside 'Other crime'"),
    CategoryChange("2013-05", ("Public disorder and weapons", "Public order", "Possession of weapons"), "break",
                   "before May 2013 public order and possession of weapons were one police.uk category, "
                   "'Public disorder and weapons'"),
    CategoryChange("2013-05", ("Other theft", "Bicycle theft", "Theft from the person"), "break",
                   "before May 2013 bicycle theft and theft from the person were part of police.uk's 'Other theft'"),
    CategoryChange("2013-05", ("Violent crime", "Violence and sexual offences", "Other crime"), "caveat",
                   "before May 2013 police.uk's 'Violent crime' did not include sexual offences, which sat in "
                   "'Other crime'; 'Violent crime' is counted as 'Violence and sexual offences'"),
)


def with_legacy(categories):
    """``categories`` plus the labels that continue them across May 2013 (``"Violence and sexual offences"``
    brings ``"Violent crime"`` and the reverse), so a category filter keeps the same crimes on both sides.
    ``None`` and a single string are accepted; the order is kept."""
    if categories is None:
        return None
    cats = [categories] if isinstance(categories, str) else list(categories)
    extra = [old for old, new in LEGACY_RENAMES.items() if new in cats and old not in cats]
    extra += [new for old, new in LEGACY_RENAMES.items() if old in cats and new not in cats + extra]
    return cats + extra


def category_changes(categories, first, last) -> list[tuple[CategoryChange, str]]:
    """The police.uk category changes that make counts of ``categories`` unlike between ``first`` and ``last``.

    Parameters
    ----------
    categories : iterable of str
        The categories counted together (a report group, a filter); ``None`` means all (no change matters).
    first, last : month-like (``"2012-06"``, ``pd.Period``, ``pd.Timestamp``)
        The first and last month of the span compared (inclusive).

    Returns
    -------
    list of (CategoryChange, severity)
        Each change with part of the span before it (``first < change.month``: inside the span, or after
        it, when the categories did not exist yet in the police.uk scheme of that span) of whose family
        ``categories`` hold some but not all labels; severity ``"break"`` or ``"caveat"``
        (:class:`CategoryChange`). Empty when the counts compare like with like.
    """
    if categories is None:
        return []
    cats = {str(c) for c in ([categories] if isinstance(categories, str) else categories)}
    first, last = pd.Period(first, "M"), pd.Period(last, "M")
    out = []
    for change in CATEGORY_CHANGES:
        if not first < change.month:
            continue
        held = cats & change.family
        if held and held != change.family:
            out.append((change, change.severity))
    return out


def category_change_notes(categories, first, last) -> list[str]:
    """Plain-language notes for :func:`category_changes` (empty when nothing changed in the span)."""
    notes = []
    last = pd.Period(last, "M")
    for change, severity in category_changes(categories, first, last):
        when = change.month.strftime("%B %Y")
        if last < change.month:  # the whole span is under the older scheme
            lead = (f"Category definitions before {when} differ from today's" if severity == "break"
                    else f"Caveat: the data predate {when}")
        else:
            lead = (f"Category definitions differ across {when}" if severity == "break"
                    else f"Caveat: the series spans {when}")
        notes.append(f"{lead}: {change.note}.")
    return notes
