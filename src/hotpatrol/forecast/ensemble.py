"""Ensembles of registered forecasters.

- ``method="mean"``: the (weighted) mean of the members' expected counts;
- ``method="rank"``: places ordered by the (weighted) mean of the members' ranks (scale-free, robust
  to one member's odd calibration); the expected counts are the members' mean counts re-assigned
  in that order, so the total over the area is unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.forecast.base import Forecast, Forecaster


class EnsembleForecaster(Forecaster):
    """Combine registered models by mean rank or mean expected count.

    Parameters
    ----------
    models : names from ``hotpatrol.forecast.MODELS`` (default naive + gbm).
    method : "rank" or "mean".
    weights : one weight per model (None: equal).
    horizon : passed to members that are trained for a horizon (gbm).
    cell, random_state : as for every model (passed to the members).
    """

    name = "ensemble"

    def __init__(self, *, models=("naive", "gbm"), method="rank", weights=None, horizon=None, cell=150.0,
                 random_state=None):
        self.models = models
        self.method = method
        self.weights = weights
        self.horizon = horizon
        self.cell = cell
        self.random_state = random_state

    def fit(self, events, *, places=None):
        from hotpatrol.forecast import MODELS

        check_choice("method", self.method, ["rank", "mean"])
        names = [m.strip() for m in self.models.split(",")] if isinstance(self.models, str) else list(self.models)
        if not names:
            raise HotpatrolError("An ensemble needs at least one model.", parameter="models", allowed=sorted(MODELS),
                                 given=self.models)
        allowed = sorted(k for k in MODELS if k != "ensemble")
        for nm in names:
            check_choice("models", nm, allowed)
        w = np.ones(len(names)) if self.weights is None else np.asarray(self.weights, dtype=float)
        if w.shape != (len(names),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise HotpatrolError("weights must be one non-negative number per model.", parameter="weights",
                                 allowed=f"{len(names)} non-negative numbers", given=self.weights)
        self.weights_ = w / w.sum()
        self.members_ = []
        for nm in names:
            m = MODELS[nm]()
            params = m.get_params()
            upd = {k: v for k, v in (("cell", self.cell), ("random_state", self.random_state),
                                     ("horizon", self.horizon)) if k in params and v is not None}
            m.set_params(**upd)
            m.fit(events, places=places)
            places = m.places_  # every member on the same places
            self.members_.append(m)
        self.places_ = places
        self.fitted_until_ = max(m.fitted_until_ for m in self.members_)
        return self

    def predict(self, start, horizon="7D") -> Forecast:
        self._check_fitted()
        return self.combine([m.predict(start, horizon) for m in self.members_], self.weights_)

    def member_names(self) -> list[str]:
        return [m.strip() for m in self.models.split(",")] if isinstance(self.models, str) else list(self.models)

    def combine(self, forecasts: list[Forecast], weights=None) -> Forecast:
        """Combine the members' forecasts (same places, start and horizon) by this ensemble's method."""
        check_choice("method", self.method, ["rank", "mean"])
        w = np.full(len(forecasts), 1.0 / len(forecasts)) if weights is None else np.asarray(weights, float)
        risks = np.vstack([f.risk for f in forecasts])
        mean = w @ risks
        notes = sorted({f"{f.model}: {n}" for f in forecasts for n in f.notes})
        if self.method == "mean":
            risk = mean
        else:
            score = w @ np.vstack([rankdata(r, method="average") for r in risks])
            order = np.argsort(-score, kind="stable")
            risk = np.empty_like(mean)
            risk[order] = np.sort(mean)[::-1]
            # places with tied scores share the same value so ranking() breaks their ties fairly
            _, inv = np.unique(-score, return_inverse=True)
            risk = (np.bincount(inv, weights=risk) / np.bincount(inv))[inv]
        f0 = forecasts[0]
        return Forecast(self.name, f0.places, risk, f0.start, f0.horizon, notes, self.random_state)
