"""fit/predict plumbing shared by hotpatrol's grid forecasters (naive, KDE, prospective, gbm).
"""

from __future__ import annotations

import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.exposure import span_note
from hotpatrol.forecast.prepared import Prepared, prepare
from hotpatrol.forecast.timeaxis import from_days, parse_horizon, parse_start, to_days


class GridModelMixin:
    """fit/predict plumbing shared by hotpatrol's grid models (naive, KDE, prospective, gbm)."""

    _min_events = 1

    def _prepare(self, events, places):
        prep, places = prepare(events, places=places, cell=getattr(self, "cell", 150.0),
                               weight=getattr(self, "weight", "count"), min_events=self._min_events,
                               model=type(self).__name__)
        self.places_ = places
        self.fitted_until_ = from_days(prep.end)
        self.data_start_ = from_days(prep.start)
        self.n_events_ = prep.n
        self.notes_ = list(prep.notes)
        self._prep_ = prep
        return prep

    def _predict_setup(self, start, horizon):
        self._check_fitted()
        start = parse_start(start)
        horizon = parse_horizon(horizon)
        s = float(to_days([start])[0])
        notes = list(self.notes_)
        prep: Prepared = self._prep_
        if s <= prep.start:
            raise HotpatrolError("The forecast start is before the training data begin.", parameter="start",
                                 allowed=f"after {self.data_start_}", given=str(start))
        if s < prep.end:
            notes.append(f"Forecast from {start} uses only the training events before it.")
        elif s > prep.end + 1:
            notes.append(f"The data end {s - prep.end:.0f} days before the forecast start; "
                         "the latest data are used as they are.")
        h = horizon / pd.Timedelta(days=1)
        notes.append(span_note(prep, min(s, prep.end)))
        if h > (min(s, prep.end) - prep.start):
            notes.append("The horizon is longer than the training data: the rate is extrapolated.")
        return start, horizon, s, h, notes
