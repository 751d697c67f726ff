"""Naive baselines: all past events, last period, moving-window average.

- ``kind="all"`` (open_cp's "naive"): the long-run rate of every past event in each place,
  i.e. count / days of data x horizon days.
- ``kind="last"``: last period's counts: events in ``[start - horizon, start)``.
- ``kind="window"``: the average of the last ``periods`` periods of the horizon's length.

Every rate is events per *observed* day of the event's force: months the force did not publish
(:func:`hotpatrol.events.published_months`) are left out of the denominator, not counted as months
with no crime; a window entirely inside such months is an error naming them.

``weight="cchi"`` (or any harm scheme) forecasts harm instead of counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.events import describe_missing
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.checks import check_positive
from hotpatrol.forecast.exposure import MIN_SPAN_DAYS, rate_span
from hotpatrol.forecast.gridmodel import GridModelMixin
from hotpatrol.forecast.timeaxis import from_days

KINDS = ("all", "last", "window")


@dataclass(kw_only=True, eq=False, repr=False)
class NaiveForecaster(GridModelMixin, Forecaster):
    """Past counts (or harm) per place as the forecast.

    Parameters
    ----------
    kind : "all" | "last" | "window"
    periods : number of horizon-length periods averaged when ``kind="window"``.
    weight : "count" or a harm scheme ("cchi", a CSV/YAML path).
    cell : grid cell (metres) used when ``fit`` gets no places.
    random_state : seed for fair tie-breaking in the Forecast ranking.
    """

    name: ClassVar[str] = "naive"

    kind: str = "all"
    periods: int = 4
    weight: str = "count"
    cell: float = 150.0
    random_state: int | None = None

    def fit(self, events, *, places=None):
        """Validate ``kind`` and ``periods`` and keep the prepared events for ``predict``; returns ``self``."""
        check_choice("kind", self.kind, KINDS)
        check_positive("periods", self.periods, integer=True)
        self._prepare(events, places)
        return self

    def predict(self, start, horizon="7D") -> Forecast:
        """Past rate per place scaled to the window ``[start, start + horizon)``.

        ``kind="all"`` uses every past observed day, ``"last"`` the last horizon-length period and ``"window"``
        the mean of the last ``periods`` periods; days a force did not publish are not exposure.
        """
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        prep, n = self._prep_, self.places_.n
        e = min(s, prep.end)  # data that ended before start: use the latest periods there are
        # rates per observed day of each event's force: months the force did not publish are not exposure
        if self.kind == "all":
            a = prep.start
            risk = prep.rate(n, a, e, h, floor=MIN_SPAN_DAYS)
        elif self.kind == "last":
            # the last period's count; only its days in months a force did not publish are not exposure
            # (days before the data start count as observed, as in the count itself)
            a = e - h
            inside = max(min(e, prep.end) - max(a, prep.start), 0.0)
            unpublished = inside - prep.exposure(a, e)
            expo = prep.event_exposure(np.maximum(h - unpublished, 1e-9))
            risk = np.bincount(prep.place, weights=prep.w * prep.fraction_in(a, e) / expo, minlength=n) * h
        else:
            # the window's own length, or the data's span when shorter (>= 1 day); gaps are not exposure
            a = e - min(self.periods * h, rate_span(prep, e))
            risk = prep.rate(n, a, e, h, floor=1e-9)
        gaps = prep.missing_between(a, e)
        if gaps:
            if not (prep.exposure(a, e) > 0).any():
                raise HotpatrolError(
                    f"The {self.kind!r} window {from_days(a):%Y-%m-%d} to {from_days(e):%Y-%m-%d} falls entirely in "
                    f"months with no data ({describe_missing(gaps)}): there is nothing to take a rate from.",
                    parameter="start", given=str(start),
                    fix="Forecast from the end of a published month, or use kind='all'.")
            if self.kind != "all":  # kind='all' already says so in the fit notes
                notes.append(f"The {self.kind!r} window lacks {describe_missing(gaps)}: the rate is taken over "
                             "the published days of the window only.")
        label = {"all": "naive", "last": "naive-last", "window": "naive-window"}[self.kind]
        return Forecast(label, self.places_, risk, start, horizon, notes, self.random_state)
