"""Observation span and published exposure: what a forecast's rates are per.

Records are taken as complete by whole days (:func:`observation_period`), rates divide by at least
:data:`MIN_SPAN_DAYS`, and months a force did not publish (:func:`hotpatrol.events.published_months`)
are not months with no crime: :func:`published_intervals` gives each force's observed days so every
rate divides by them, and :func:`missing_note` names the gap in the notes (docs/forecast.md,
"Observation span").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.forecast.timeaxis import from_days, to_days
from hotpatrol.text import plural


#: the shortest observation span (days) a rate is ever divided by: one day, the day of a single event
MIN_SPAN_DAYS = 1.0


def observation_period(t0: np.ndarray, t1: np.ndarray) -> tuple[float, float]:
    """``(start, end)`` in days of the period the records cover (docs/forecast.md, "Observation span").

    Records are taken to be complete by whole days: from the start of the day of the earliest event
    (or window start) to the end of the day of the latest one. An exact time ``t`` ends its day at
    ``floor(t) + 1``; a window ends at ``t1`` rounded up to a midnight (a minute- or hour-precision
    window inside a day ends with that day; a day or month window already ends at a midnight).
    So one event gives one day of data, never a minute. Every forecaster uses this rule.
    """
    t0 = np.asarray(t0, dtype=float)
    t1 = np.asarray(t1, dtype=float)
    exact = ~(t1 > t0)
    ends = np.where(exact, np.floor(t0) + 1.0, np.ceil(np.where(exact, t0, t1)))
    return float(np.floor(np.min(t0))), float(np.max(ends))


def rate_span(prep, e: float) -> float:
    """Days of data before ``e`` (from the data start of ``prep``, a
    :class:`~hotpatrol.forecast.prepared.Prepared`), at least :data:`MIN_SPAN_DAYS`.

    A window of history of ``w`` days divides by ``min(w, rate_span(prep, e))``: its own length,
    or the data's span when the data are shorter."""
    return max(e - prep.start, MIN_SPAN_DAYS)


def span_note(prep, e: float) -> str:
    """The observation span a forecast's rates are per, for the notes (``prep`` a
    :class:`~hotpatrol.forecast.prepared.Prepared`, ``e`` the end in epoch days)."""
    a = from_days(prep.start)
    b = from_days(e)
    days = rate_span(prep, e)
    n = prep.n
    text = (f"Rates are per day of data: {plural(n, 'event')} from {a:%Y-%m-%d %H:%M} to "
            f"{b:%Y-%m-%d %H:%M} ({plural(days, 'day')}; records are taken as complete from the start "
            f"of the first event's day to the end of the last event's day).")
    if n < FEW_EVENTS:
        text += f" With fewer than {FEW_EVENTS} events the rate is very uncertain."
    return text


#: below this many events a forecast says its rate is very uncertain
FEW_EVENTS = 10


def published_intervals(events: pd.DataFrame, keep: np.ndarray, start: float, end: float):
    """Each kept event's force and the days each force published inside ``[start, end)`` (epoch days).

    Returns ``(codes, names, observed, missing)``: ``codes`` (one int per kept event) index ``names``
    (force names) and ``observed`` (per force a ``(k, 2)`` array of published-month day intervals,
    or the whole span when the force has no month information); ``missing`` is
    ``{force: [Period]}`` of unpublished months inside the span (:func:`hotpatrol.events.published_months`).
    """
    from hotpatrol.events import event_forces, missing_months, published_months

    keep = np.asarray(keep)
    rows = np.flatnonzero(keep) if keep.dtype == bool else keep
    forces = event_forces(events).to_numpy()[rows]
    codes, names = pd.factorize(pd.Series(forces, dtype=object), sort=True)
    published = published_months(events)
    if any(str(f) not in published for f in names):  # forces the attrs do not know: from the events
        sub = events.iloc[rows].copy()
        sub.attrs = {}
        published = {**published_months(sub), **published}
    first, last = pd.Period(from_days(start), "M"), pd.Period(from_days(end - 1e-6), "M")
    observed, missing = [], {}
    for name in names:
        months = published.get(str(name), pd.PeriodIndex([], freq="M"))
        months = months[(months >= first) & (months <= last)]
        if len(months) == 0:  # no month information: the whole data span counts
            observed.append(np.array([[start, end]]))
            continue
        a = to_days(months.to_timestamp())
        b = to_days((months + 1).to_timestamp())
        observed.append(np.column_stack([np.maximum(a, start), np.minimum(b, end)]))
        missing.update(missing_months({str(name): months}, first, last))
    return codes.astype(np.int64), [str(n) for n in names], observed, missing


def missing_note(missing: dict, what: str = "rates and baselines are taken over the published months only") -> str:
    """The note every model adds when months inside its training span were not published."""
    from hotpatrol.events import describe_missing

    n_months = sum(len(v) for v in missing.values())
    return (f"No data for {describe_missing(missing)}: {plural(n_months, 'month')} inside the training span were not "
            f"published; {what} (a missing month is not counted as a month with no crime).")
