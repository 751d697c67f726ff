"""Prospective hotspotting (Bowers, Johnson & Pease 2004, *Br. J. Criminol.* 44(5):641-658).

Each past event within ``bandwidth`` metres and ``window`` weeks adds ``1/(1+d) * 1/(1+t)`` to a
place, with ``d`` the distance in cell units (distance / ``cell``, so the event's own cell has d
close to 0) and ``t`` the event's age in whole weeks before the forecast start. Defaults follow the
paper: 400 m and 8 weeks.

The score is a ranking, not a count, so it is rescaled to expected events over the horizon:
the scores are shared out in proportion to the long-run event rate of the area. When no event
falls in the window the forecast falls back to all past events (stated in the notes).
Month-only times: ages run from the middle of each month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.checks import check_positive
from hotpatrol.forecast.exposure import MIN_SPAN_DAYS
from hotpatrol.forecast.gridmodel import GridModelMixin
from hotpatrol.forecast.smoothing import smooth
from hotpatrol.text import plural


@dataclass(kw_only=True, eq=False, repr=False)
class ProspectiveForecaster(GridModelMixin, Forecaster):
    """Bowers-Johnson-Pease prospective hotspots.

    Parameters
    ----------
    bandwidth : metres (default 400).
    window : weeks of history (default 8).
    weight, cell, random_state : as for every model; ``cell`` is also the unit of ``d``.
    """

    name: ClassVar[str] = "prospective"

    bandwidth: float = 400.0
    window: int = 8
    weight: str = "count"
    cell: float = 150.0
    random_state: int | None = None

    def fit(self, events, *, places=None):
        """Validate ``bandwidth``, ``window`` and ``cell`` and keep the prepared events; returns ``self``."""
        check_positive("bandwidth", self.bandwidth)
        check_positive("window", self.window, integer=True)
        check_positive("cell", self.cell)
        self._prepare(events, places)
        return self

    def predict(self, start, horizon="7D") -> Forecast:
        """Prospective hotspot scores (Bowers, Johnson & Pease 2004) for ``[start, start + horizon)``.

        Each event of the last ``window`` weeks within ``bandwidth`` metres adds the Bowers distance kernel
        (distance in cells) times ``1 / (1 + w)`` (``w`` age in whole weeks); the scores are rescaled to sum to
        the area's long-run rate over the window (events per window).
        """
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        prep, places = self._prep_, self.places_
        e = min(s, prep.end)
        before = prep.before(e)
        age_weeks = np.floor(np.clip(s - prep.midpoint_before(e), 0.0, None) / 7.0)
        use = (before > 0) & (age_weeks < self.window)
        unit = places.grid.cell if places.grid is not None else float(self.cell)
        score = np.zeros(places.n)
        for k in np.unique(age_weeks[use]).astype(int):  # at most `window` passes
            sel = use & (age_weeks == k)
            counts = np.bincount(prep.place[sel], weights=(prep.w * before)[sel], minlength=places.n)
            score += smooth(places, counts, self.bandwidth, "bowers", normalise=False, unit=unit) / (1.0 + k)
        total = np.bincount(prep.place, weights=prep.w * before, minlength=places.n)
        # long-run rate over the months each force published (an unpublished month is not a zero month)
        expo = prep.event_exposure(np.maximum(prep.exposure(prep.start, e), MIN_SPAN_DAYS))
        rate = float(np.sum(prep.w * before / expo))
        if score.sum() <= 0:
            notes.append(f"No events in the last {plural(self.window, 'week')}: fell back to all past events.")
            score = total
        risk = score / score.sum() * rate * h if score.sum() > 0 else score
        return Forecast(self.name, places, risk, start, horizon, notes, self.random_state)
