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


def require_frame(frame: object, name: str = "events") -> None:
    """Raise a HotpatrolError naming ``name`` (and the type given) unless ``frame`` is a pandas DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise HotpatrolError(f"{name} must be a pandas DataFrame (an events table).", parameter=name,
                             given=type(frame).__name__)


def validate_events(frame: pd.DataFrame, *, name: str = "events") -> pd.DataFrame:
    """Check that ``frame`` is an events table; raise a HotpatrolError naming the bad column/row."""
    require_frame(frame, name)
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


# ---------------------------------------------------------------- published months

#: ``events.attrs`` key holding ``{force: ["YYYY-MM", ...]}``: the months each force published, set by
#: :meth:`hotpatrol.store.Store.load_events` from the whole store so that a category or date filter
#: cannot make a month look unpublished.
PUBLISHED_ATTR = "published_months"

#: force label used for events without a force
UNKNOWN_FORCE = "(no force)"


def event_months(frame: pd.DataFrame) -> pd.PeriodIndex:
    """Each event's month (``month`` text, else the month of its best instant), vectorised: the few
    distinct month texts are parsed once.

    Returns a monthly ``PeriodIndex`` of length ``len(frame)`` (``NaT`` where the month is unknown).
    """
    return pd.PeriodIndex.from_ordinals(_month_ordinals(frame), freq="M")


def _month_ordinals(frame: pd.DataFrame) -> np.ndarray:
    """Monthly period ordinals of the events (int64; NaT ordinal for unknown months)."""
    nat = pd.PeriodIndex([pd.NaT], freq="M").asi8[0]
    if "month" in frame.columns and frame["month"].notna().all():
        codes, uniques = pd.factorize(frame["month"].astype(str))
        ords = pd.PeriodIndex(list(uniques), freq="M").asi8
        return ords[codes]
    if "occurred_at" not in frame.columns and "occurred_from" not in frame.columns:
        return np.full(len(frame), nat, dtype=np.int64)
    at = pd.to_datetime(occurred_at(frame) if "occurred_from" in frame.columns else frame["occurred_at"])
    ok = at.notna().to_numpy()
    out = np.full(len(frame), nat, dtype=np.int64)
    out[ok] = ((at.dt.year.to_numpy()[ok] - 1970) * 12 + at.dt.month.to_numpy()[ok] - 1).astype(np.int64)
    return out


def event_forces(frame: pd.DataFrame) -> pd.Series:
    """Each event's force code (object Series on ``frame.index``); ``UNKNOWN_FORCE`` where the
    ``force`` column is missing or empty, so forces without a code share one publication record."""
    if "force" not in frame.columns:
        return pd.Series(UNKNOWN_FORCE, index=frame.index, dtype=object)
    return frame["force"].astype(object).where(frame["force"].notna(), UNKNOWN_FORCE)


def published_months(events: pd.DataFrame) -> dict[str, pd.PeriodIndex]:
    """The months each force published: ``{force: sorted monthly PeriodIndex}``.

    The rule (docs/store.md, "Published months"):

    - police.uk (``time_precision == "month"``): police.uk publishes one street file per force per
      month, so a month is published for a force when the data hold at least one of its events in
      that month. A month between two published months with no event at all is a month the force
      did not publish (e.g. Greater Manchester, July 2019 to 2020), not a month with no crime.
    - exact-time force records (any other precision; without ``time_precision``: windows shorter than
      28 days, or exact times; a table with only a ``month`` column counts as police.uk): a records
      extract is continuous, so every
      month from the force's first to its last record is published (a month with no record inside
      it is a real zero); gaps are not inferred from them.

    A force with both kinds gets the union. Events without a force are grouped as ``"(no force)"``.
    When ``events.attrs["published_months"]`` is set (the store sets it from all stored events of
    the loaded forces, whatever the category or date filter) it is used instead; months outside the
    data are kept, so callers clip to the span they analyse.

    Parameters
    ----------
    events : events table with ``month`` (or ``occurred_from``), optional ``force`` and
        ``time_precision``.

    Returns
    -------
    dict of force name -> ``pd.PeriodIndex`` (freq "M"), sorted, without duplicates.
    """
    given = events.attrs.get(PUBLISHED_ATTR) if isinstance(events, pd.DataFrame) else None
    if given:
        return {str(f): pd.PeriodIndex(sorted(set(m)), freq="M") for f, m in given.items()}
    if not isinstance(events, pd.DataFrame) or len(events) == 0:
        return {}
    ords = _month_ordinals(events)
    nat = pd.PeriodIndex([pd.NaT], freq="M").asi8[0]
    ok = ords != nat
    precise = "time_precision" in events.columns and events["time_precision"].notna().all()
    if precise:
        monthly = np.zeros(len(events), dtype=bool)
    elif {"occurred_from", "occurred_to"} <= set(events.columns):  # month windows without a precision
        monthly = ((events["occurred_to"] - events["occurred_from"]) >= pd.Timedelta(days=28)).fillna(False)
        monthly = monthly.to_numpy(dtype=bool)
    else:  # only a month column: police.uk-like; exact times without windows: records
        only_month = "occurred_at" not in events.columns and "occurred_from" not in events.columns
        monthly = np.full(len(events), only_month, dtype=bool)
    if "time_precision" in events.columns:
        precision = events["time_precision"]
        known = precision.notna().to_numpy()
        monthly = np.where(known, (precision == "month").to_numpy(dtype=bool, na_value=False), monthly)
    if "force" in events.columns:
        fcodes, fnames = pd.factorize(events["force"], sort=True)  # missing force -> -1
        fnames = list(map(str, fnames)) + [UNKNOWN_FORCE]
        fcodes = np.where(fcodes < 0, len(fnames) - 1, fcodes)
    else:
        fcodes, fnames = np.zeros(len(events), dtype=np.int64), [UNKNOWN_FORCE]
    # the few distinct (force, month, kind) triples (one packed int64 each), then a loop over forces
    m = ords[ok]
    base = int(m.min()) if len(m) else 0
    packed = pd.unique((fcodes[ok].astype(np.int64) << 32) | ((m - base) << 1) | monthly[ok].astype(np.int64))
    combo = pd.DataFrame({"f": packed >> 32, "m": ((packed & 0xFFFFFFFF) >> 1) + base, "k": (packed & 1) == 1})
    out: dict[str, pd.PeriodIndex] = {}
    for f, grp in combo.groupby("f", sort=True):
        sel = grp["k"].to_numpy(dtype=bool)
        months = set(grp["m"].to_numpy()[sel].tolist())
        exact = grp["m"].to_numpy()[~sel]
        if len(exact):
            months |= set(range(int(exact.min()), int(exact.max()) + 1))
        out[str(fnames[f])] = pd.PeriodIndex.from_ordinals(sorted(months), freq="M")
    return out


def with_published(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` with ``attrs["published_months"]`` set (a shallow copy; unchanged if already set), so
    stages that fit on many subsets (backtests, validation windows) derive the months once."""
    if events.attrs.get(PUBLISHED_ATTR):
        return events
    out = events.copy(deep=False)
    out.attrs[PUBLISHED_ATTR] = {f: [str(m) for m in v] for f, v in published_months(events).items()}
    return out


def published_set(events: pd.DataFrame) -> set[pd.Period]:
    """Months published by at least one force of ``events`` (:func:`published_months`, pooled): the
    months a multi-force table has any data for. Empty for an empty table."""
    out: set[pd.Period] = set()
    for months in published_months(events).values():
        out.update(months)
    return out


def missing_months(published: dict[str, pd.PeriodIndex], first, last) -> dict[str, list[pd.Period]]:
    """Months in ``first..last`` (inclusive, anything ``pd.Period(..., "M")`` reads) each force did not
    publish: ``{force: [Period, ...]}``, only forces with at least one missing month."""
    lo, hi = pd.Period(first, "M"), pd.Period(last, "M")
    span = pd.period_range(lo, hi, freq="M")
    out = {}
    for force, months in published.items():
        gap = span.difference(months)
        if len(gap):
            out[force] = list(gap)
    return out


def forces_missing(events: pd.DataFrame, subset: pd.DataFrame, first, last) -> dict[str, list[pd.Period]]:
    """:func:`missing_months` in ``first..last`` of the forces with events in ``subset`` (a part of
    ``events`` being analysed), each force's months taken from the whole ``events`` table
    (:func:`published_months`, so its ``attrs`` from the store are used): ``{force: [Period, ...]}``."""
    forces = set(event_forces(subset).astype(str))
    published = {f: m for f, m in published_months(events).items() if f in forces}
    return missing_months(published, first, last) if published else {}


def overlaps_missing(periods: pd.PeriodIndex, missing: dict[str, list[pd.Period]]) -> np.ndarray:
    """Which ``periods`` (any frequency) overlap a month in ``missing`` (``{force: [Period]}``, as from
    :func:`missing_months`): boolean array of shape ``(len(periods),)``. Loops over the few missing months."""
    hit = np.zeros(len(periods), dtype=bool)
    starts = periods.start_time.to_numpy()
    ends = periods.end_time.to_numpy()
    for m in sorted({m for v in missing.values() for m in v}):
        hit |= (starts <= m.end_time.to_datetime64()) & (ends >= m.start_time.to_datetime64())
    return hit


def describe_missing(missing: dict[str, list[pd.Period]]) -> str:
    """``"2019-02..2019-05 (City of London Police)"``: the missing months of each force, as text for
    notes and errors."""
    parts = []
    for force, months in missing.items():
        label = ", ".join(_runs(months))
        parts.append(label if force == UNKNOWN_FORCE else f"{label} ({force})")
    return "; ".join(parts)


def _runs(months: list[pd.Period]) -> list[str]:
    """Consecutive months as ranges: [2019-02, 2019-03, 2019-05] -> ["2019-02..2019-03", "2019-05"]."""
    ords = sorted(m.ordinal for m in months)
    out, i = [], 0
    while i < len(ords):
        j = i
        while j + 1 < len(ords) and ords[j + 1] == ords[j] + 1:
            j += 1
        a, b = pd.Period(ordinal=ords[i], freq="M"), pd.Period(ordinal=ords[j], freq="M")
        out.append(str(a) if i == j else f"{a}..{b}")
        i = j + 1
    return out
