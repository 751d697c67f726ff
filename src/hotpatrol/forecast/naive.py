"""Naive baselines: all past events, last period, moving-window average.

- ``kind="all"`` (open_cp's "naive"): the long-run rate of every past event in each place,
  i.e. count / days of data x horizon days.
- ``kind="last"``: last period's counts: events in ``[start - horizon, start)``.
- ``kind="window"``: the average of the last ``periods`` periods of the horizon's length.

``weight="cchi"`` (or any harm scheme) forecasts harm instead of counts.
"""

from __future__ import annotations

import numpy as np

from hotpatrol.errors import check_choice
from hotpatrol.forecast._common import GridModelMixin, check_positive, rate_span
from hotpatrol.forecast.base import Forecast, Forecaster

KINDS = ("all", "last", "window")


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

    name = "naive"

    def __init__(self, *, kind="all", periods=4, weight="count", cell=150.0, random_state=None):
        self.kind = kind
        self.periods = periods
        self.weight = weight
        self.cell = cell
        self.random_state = random_state

    def fit(self, events, *, places=None):
        check_choice("kind", self.kind, KINDS)
        check_positive("periods", self.periods, integer=True)
        self._prepare(events, places)
        return self

    def predict(self, start, horizon="7D") -> Forecast:
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        prep, n = self._prep_, self.places_.n
        e = min(s, prep.end)  # data that ended before start: use the latest periods there are
        if self.kind == "all":
            span = rate_span(prep, e)
            risk = prep.counts(n, -np.inf, e) / span * h
        elif self.kind == "last":
            risk = prep.counts(n, e - h, e)
        else:
            span = min(self.periods * h, rate_span(prep, e))  # the data's span when shorter (>= 1 day)
            risk = prep.counts(n, e - span, e) / span * h
        label = {"all": "naive", "last": "naive-last", "window": "naive-window"}[self.kind]
        return Forecast(label, self.places_, risk, start, horizon, notes, self.random_state)
