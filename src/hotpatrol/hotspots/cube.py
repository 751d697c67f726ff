"""The space-time cube: harm (or counts) per place per period, shape ``(n_places, n_periods)``.

Every temporal hotspot method (concentration per period, stability, emerging hot spots, change)
starts from a cube. :func:`build_cube` makes one from an events table and a
:class:`~hotpatrol.places.layer.PlacesLayer` of any kind (grid, H3, locations, polygons), with an
optional category filter, date window and harm scheme; :class:`SpaceTimeCube` can also be built
directly from an array (tests, other tools).

Periods are pandas periods (``"M"`` months by default, ``"Q"``, ``"Y"``, ``"W"``, ``"D"``). Every
period between the first and last is present, including empty ones, so a month with no events is a
column of zeros rather than a missing column (trends need the gaps).

A period overlapping a month that a force in the cube did not publish
(:func:`hotpatrol.events.published_months`) is *missing*, not zero: :attr:`SpaceTimeCube.missing`
lists such periods (``meta["missing"]``, with ``meta["missing_note"]`` naming force and months).
Each method decides what that means (docs/hotspots-trends.md): concentration and stability drop
the missing periods and say so, change takes rates over the published periods of each window,
emerging hot spots refuses (its time-lag neighbours and run rules need consecutive periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

FREQUENCIES = ("M", "Q", "Y", "W", "D")


@dataclass(eq=False)
class SpaceTimeCube:
    """``values[i, t]`` = harm (or count) at place ``i`` in period ``t``.

    ``events[i, t]`` is the number of events behind each value (equal to ``values`` for counts);
    the generalised Gini needs it when values are harm.
    """

    values: np.ndarray
    periods: pd.PeriodIndex
    places: object = None  # PlacesLayer or None
    events: np.ndarray | None = None
    measure: str = "count"  # "count" or the harm scheme's name
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check the values are (places x periods) and the periods and places match them."""
        values = np.asarray(self.values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise HotpatrolError("A cube's values must be 2-D (places x periods).", parameter="values",
                                 given=f"{values.ndim}-D array")
        if not np.isfinite(values).all():
            raise HotpatrolError("A cube's values must be finite (use 0 for no events).", parameter="values")
        self.values = values
        if not isinstance(self.periods, pd.PeriodIndex):
            self.periods = _as_periods(self.periods, values.shape[1])
        if len(self.periods) != values.shape[1]:
            raise HotpatrolError(
                f"The cube has {values.shape[1]} period columns but {len(self.periods)} period labels.",
                parameter="periods", given=len(self.periods),
            )
        if self.places is not None and self.places.n != values.shape[0]:
            raise HotpatrolError(
                f"The cube has {values.shape[0]} rows but the places layer has {self.places.n} places.",
                parameter="places", given=self.places.n,
            )
        if self.events is not None:
            self.events = np.asarray(self.events, dtype=float).reshape(values.shape)

    @property
    def missing(self) -> pd.PeriodIndex:
        """Periods of this cube with months a force did not publish (no data, not zero)."""
        labels = self.meta.get("missing") or []
        if not labels:
            return self.periods[:0]
        missing = pd.PeriodIndex([pd.Period(x, freq=self.periods.freq) for x in labels])
        return self.periods[self.periods.isin(missing)]

    def missing_text(self) -> str:
        """The missing periods (and the forces' missing months when known), for notes and errors."""
        labels = ", ".join(str(p) for p in self.missing)
        note = self.meta.get("missing_note")
        return f"{labels} (not published: {note})" if note else labels

    def observed(self, method: str) -> tuple["SpaceTimeCube", str | None]:
        """This cube without its missing periods, and a note naming them (None when nothing is missing)."""
        gone = self.missing
        if len(gone) == 0:
            return self, None
        keep = ~self.periods.isin(gone)
        if not keep.any():
            raise HotpatrolError(f"Every period of the cube is missing: no data for {self.missing_text()}.",
                                 parameter="start/end", fix="Choose a window with published months.")
        ev = None if self.events is None else self.events[:, keep]
        meta = {**self.meta, "missing": [], "dropped_missing": [str(p) for p in gone]}
        cube = SpaceTimeCube(self.values[:, keep], self.periods[keep], self.places, ev, self.measure, meta)
        return cube, (f"{method}: {len(gone)} period(s) left out because they have no data ({self.missing_text()}); "
                      "a missing period is not a period with no crime.")

    def require_complete(self, method: str, fix: str) -> None:
        """Raise a HotpatrolError naming the missing periods when the method needs every period."""
        if len(self.missing):
            raise HotpatrolError(
                f"{method} needs every period but the cube has periods with no data: {self.missing_text()}. "
                "A missing month is not a month with no crime.", parameter="start/end",
                given=[str(p) for p in self.missing], fix=fix)

    @property
    def n_places(self) -> int:
        """Number of places (rows)."""
        return self.values.shape[0]

    @property
    def n_periods(self) -> int:
        """Number of periods (columns)."""
        return self.values.shape[1]

    @property
    def place_id(self) -> np.ndarray:
        """Place ids of the rows (the layer's ids, else 0..n-1)."""
        if self.places is not None:
            return np.asarray(self.places.place_id)
        return np.arange(self.n_places)

    @property
    def labels(self) -> list[str]:
        """Period labels as text (``2024-03``)."""
        return [str(p) for p in self.periods]

    def event_counts(self) -> np.ndarray:
        """Events per place per period (the values themselves for a count cube)."""
        return self.values if self.events is None else self.events

    def total(self) -> np.ndarray:
        """Sum over all periods, shape (n_places,)."""
        return self.values.sum(axis=1)

    def select(self, start=None, end=None) -> "SpaceTimeCube":
        """The periods from ``start`` to ``end`` inclusive (labels like ``"2024-01"`` or Periods)."""
        mask = np.ones(self.n_periods, dtype=bool)
        freq = self.periods.freq
        if start is not None:
            mask &= self.periods >= _period(start, freq, "start")
        if end is not None:
            mask &= self.periods <= _period(end, freq, "end")
        if not mask.any():
            raise HotpatrolError(
                "No periods of the cube fall in that window.", parameter="start/end",
                allowed=f"{self.labels[0]} .. {self.labels[-1]}", given=f"{start} .. {end}",
            )
        ev = None if self.events is None else self.events[:, mask]
        return SpaceTimeCube(self.values[:, mask], self.periods[mask], self.places, ev, self.measure, dict(self.meta))

    def window_sum(self, start=None, end=None) -> tuple[np.ndarray, np.ndarray, str]:
        """Values and event counts summed over a window, and its label (for change between periods)."""
        sub = self.select(start, end)
        label = sub.labels[0] if sub.n_periods == 1 else f"{sub.labels[0]}..{sub.labels[-1]}"
        return sub.values.sum(axis=1), sub.event_counts().sum(axis=1), label


def _missing_periods(events: pd.DataFrame, frame: pd.DataFrame, periods: pd.PeriodIndex) -> dict:
    """Periods overlapping months a force in ``frame`` did not publish (rule: published_months of the
    whole ``events`` table, or its ``attrs`` from the store)."""
    from hotpatrol.events import describe_missing, forces_missing, overlaps_missing

    if len(periods) == 0:
        return {"missing": [], "missing_note": None}
    gaps = forces_missing(events, frame, periods[0].start_time.to_period("M"), periods[-1].end_time.to_period("M"))
    if not gaps:
        return {"missing": [], "missing_note": None}
    hit = overlaps_missing(periods, gaps)
    return {"missing": [str(p) for p in periods[hit]], "missing_note": describe_missing(gaps)}


def _as_periods(labels, n: int) -> pd.PeriodIndex:
    if labels is None:
        return pd.period_range("2000-01", periods=n, freq="M")
    try:
        return pd.PeriodIndex(labels)
    except (TypeError, ValueError):
        return pd.PeriodIndex([pd.Period(str(x)) for x in labels])


def _period(value, freq, name: str) -> pd.Period:
    try:
        return pd.Period(value, freq=freq)
    except (TypeError, ValueError):
        raise HotpatrolError(f"Cannot read {value!r} as a period.", parameter=name, given=str(value),
                             fix="Use e.g. 2024-01 for months or 2024 for years.") from None


def build_cube(
    events: pd.DataFrame,
    places,
    *,
    freq: str = "M",
    scheme: str | None = "count",
    categories=None,
    start=None,
    end=None,
    drop_empty: bool = False,
) -> SpaceTimeCube:
    """Aggregate ``events`` into a cube over ``places`` by period.

    ``scheme`` is ``"count"`` (every event weighs 1) or a harm scheme accepted by
    :func:`hotpatrol.harm.harm` (``"cchi"``, a CSV/YAML path). ``categories`` keeps only those
    crime types; ``start``/``end`` (dates or periods, inclusive) limit the window, rounded to whole
    periods (``start="2024-02"`` with ``freq="Q"`` starts at 2024Q1). Events outside
    every place are not counted, and the number left out is kept in ``cube.meta["outside"]``.
    When the window spans a police.uk category change (September 2011, May 2013) that splits the chosen
    ``categories`` from labels left out, ``cube.meta["notes"]`` says so
    (:func:`hotpatrol.events.category_change_notes`) and every temporal result repeats it in its summary.
    ``drop_empty=True`` keeps only places with at least one (filtered) event, as a subset layer: a
    county-wide 150 m grid has millions of cells but a few thousand with crime, and Esri's emerging
    hot spot analysis, stability and change only look at places with data.
    """
    from hotpatrol.events import category_change_notes, occurred_at, with_legacy
    from hotpatrol.harm import harm
    from hotpatrol.places.crs import project

    freq = str(freq).upper()
    if freq not in FREQUENCIES:
        raise HotpatrolError("Unknown period length.", parameter="freq", allowed=list(FREQUENCIES), given=freq)
    if not isinstance(events, pd.DataFrame):
        raise HotpatrolError("events must be an events table (DataFrame).", parameter="events",
                             given=type(events).__name__)
    frame = events
    if categories is not None:
        cats = [categories] if isinstance(categories, str) else list(categories)
        known = set(frame["category"].dropna().astype(str)) if "category" in frame.columns else set()
        unknown = [c for c in cats if c not in known]
        if unknown and not (set(with_legacy(cats)) & known):
            raise HotpatrolError(
                f"No events have category {unknown}.", parameter="categories",
                allowed=sorted(known)[:20], given=cats,
            )
        frame = frame[frame["category"].isin(with_legacy(cats))]  # + pre-2013 renamed labels
    when = occurred_at(frame) if len(frame) else pd.Series([], dtype="datetime64[ns]")
    per = when.dt.to_period(freq)
    keep = per.notna().to_numpy().copy()
    if start is not None:
        keep &= (per >= _period(start, freq, "start")).to_numpy()
    if end is not None:
        keep &= (per <= _period(end, freq, "end")).to_numpy()
    frame = frame[keep]
    per = per[keep]
    if len(frame) == 0:
        raise HotpatrolError(
            "No events left after the category and date filters.", parameter="categories/start/end",
            fix="Widen the date window or check the category names (hotpatrol events are police.uk categories).",
        )
    if {"x", "y"} <= set(frame.columns) and frame.attrs.get("crs") == places.crs:  # already projected
        x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    else:
        proj = project(frame, crs=places.crs)
        x, y = proj["x"].to_numpy(float), proj["y"].to_numpy(float)
    weights = np.ones(len(frame)) if scheme in (None, "count") else harm(frame, scheme)
    idx = places.assign(x, y)
    if drop_empty:
        active = np.unique(idx[idx >= 0])
        if len(active) == 0:
            raise HotpatrolError("No events fall in any place.", parameter="places",
                                 fix="Check the places layer covers the events (same area, same CRS).")
        lookup = np.full(places.n, -1, dtype=np.int64)
        lookup[active] = np.arange(len(active))
        idx = np.where(idx >= 0, lookup[np.maximum(idx, 0)], -1)
        places = places.subset(active)
    lo = _period(start, freq, "start") if start is not None else per.min()
    hi = _period(end, freq, "end") if end is not None else per.max()
    periods = pd.period_range(lo, hi, freq=freq)
    t = per.array.asi8 - lo.ordinal  # period ordinals: 0..T-1
    ok = idx >= 0
    flat = idx[ok] * len(periods) + t[ok]
    size = places.n * len(periods)
    values = np.bincount(flat, weights=weights[ok], minlength=size).reshape(places.n, len(periods))
    counts = np.bincount(flat, minlength=size).reshape(places.n, len(periods)).astype(float)
    measure = "count" if scheme in (None, "count") else str(getattr(scheme, "name", scheme))
    meta = {"outside": int((~ok).sum()), "events": int(ok.sum()), "freq": freq, "drop_empty": bool(drop_empty),
            "categories": None if categories is None else ([categories] if isinstance(categories, str) else list(categories))}
    meta["notes"] = category_change_notes(meta["categories"], lo.asfreq("M", "start"), hi.asfreq("M", "end"))
    meta.update(_missing_periods(events, frame, periods))
    return SpaceTimeCube(values, periods, places, counts, measure, meta)
