"""Kernel density forecasts: retrospective (space only) and space-time (decaying) KDE.

Both spread past events over nearby places with a spatial kernel and turn the result into an
expected count over the horizon (mass-preserving kernel / days of data x horizon days).

- :class:`RetrospectiveForecaster` (the "retrospective hotspot" of open_cp): a quartic kernel of
  radius ``bandwidth`` over all past events (or the last ``window``), every event weighing the same.
- :class:`KDEForecaster`: a Gaussian kernel of standard deviation ``bandwidth`` with events weighted
  ``exp(-age / time_scale)`` (``time_scale=None``: no decay). The decay-weighted count is divided by
  the decay-weighted length of the data, so a constant rate is forecast without bias.

The length of the data is the days of the months each event's force published: an unpublished month
(:func:`hotpatrol.events.published_months`) is not a month with no crime.

Month-only times: the age of an event is measured from the middle of its month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hotpatrol.errors import check_choice
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.checks import check_positive
from hotpatrol.forecast.exposure import MIN_SPAN_DAYS
from hotpatrol.forecast.gridmodel import GridModelMixin
from hotpatrol.forecast.smoothing import smooth


class _KernelBase(GridModelMixin, Forecaster):
    name: ClassVar[str] = "kde"
    _kernel: ClassVar[str] = "gaussian"

    def _validate(self):
        check_positive("bandwidth", self.bandwidth)

    def fit(self, events, *, places=None):
        self.kernel_ = self._kernel
        self._validate()
        self._prepare(events, places)
        return self

    def _decay(self, prep, s, e):
        """Per-event weight and the matching effective length of the data (days) of the event's force:
        only the months the force published count (:meth:`Prepared.exposure`), at least one day."""
        return prep.before(e), prep.event_exposure(np.maximum(prep.exposure(prep.start, e), MIN_SPAN_DAYS))

    def predict(self, start, horizon="7D") -> Forecast:
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        prep, places = self._prep_, self.places_
        e = min(s, prep.end)
        w, length = self._decay(prep, s, e)
        # one length (one force): divide after smoothing, as the kernel sees whole counts
        scale = float(length[0]) if len(length) and np.ptp(length) == 0 else 1.0
        rates = np.bincount(prep.place, weights=prep.w * w * (scale / length), minlength=places.n)
        risk = smooth(places, rates, self.bandwidth, self.kernel_) / scale * h
        return Forecast(self.name, places, risk, start, horizon, notes, self.random_state)


@dataclass(kw_only=True, eq=False, repr=False)
class RetrospectiveForecaster(_KernelBase):
    """Quartic-kernel density of past events (no time decay).

    Parameters
    ----------
    bandwidth : quartic kernel radius in metres (default 300).
    window : days of history used (None: all past events).
    weight, cell, random_state : as for every model.
    """

    name: ClassVar[str] = "retrospective"
    _kernel: ClassVar[str] = "quartic"

    bandwidth: float = 300.0
    window: float | None = None
    weight: str = "count"
    cell: float = 150.0
    random_state: int | None = None

    def _validate(self):
        check_positive("bandwidth", self.bandwidth)
        if self.window is not None:
            check_positive("window", self.window)

    def _decay(self, prep, s, e):
        if self.window is None:
            return super()._decay(prep, s, e)
        a = max(e - self.window, prep.start)
        # the window's published days; a short-data floor of one day, never more than the window itself
        floor = min(float(self.window), MIN_SPAN_DAYS)
        return prep.fraction_in(a, e), prep.event_exposure(np.maximum(prep.exposure(a, e), floor))


@dataclass(kw_only=True, eq=False, repr=False)
class KDEForecaster(_KernelBase):
    """Gaussian space kernel x exponential time decay.

    Parameters
    ----------
    bandwidth : Gaussian standard deviation in metres (default 200).
    kernel : "gaussian" or "quartic".
    time_scale : e-folding age in days of the time decay (default 60; None: no decay).
    weight, cell, random_state : as for every model.
    """

    name: ClassVar[str] = "kde"

    bandwidth: float = 200.0
    kernel: str = "gaussian"
    time_scale: float | None = 60.0
    weight: str = "count"
    cell: float = 150.0
    random_state: int | None = None

    def _validate(self):
        check_positive("bandwidth", self.bandwidth)
        check_choice("kernel", self.kernel, ["gaussian", "quartic"])
        if self.time_scale is not None:
            check_positive("time_scale", self.time_scale)
        self.kernel_ = self.kernel

    def _decay(self, prep, s, e):
        if self.time_scale is None:
            return super()._decay(prep, s, e)
        age = np.clip(s - prep.midpoint_before(e), 0.0, None)
        w = prep.before(e) * np.exp(-age / self.time_scale)
        tau = self.time_scale
        # integral of exp(-(s - u)/tau) du over the published days of the event's force in [start, e], and
        # never less than over the one day before e (observation_period: one event is a day of data)
        length = prep.decayed_exposure(prep.start, e, s, tau)
        one_day = tau * (np.exp(-(s - e) / tau) - np.exp(-(s - (e - MIN_SPAN_DAYS)) / tau))
        return w, prep.event_exposure(np.maximum(length, one_day))
