"""Ensembles of registered forecasters.

- ``method="mean"``: the (weighted) mean of the members' expected counts;
- ``method="rank"``: places ordered by the (weighted) mean of the members' ranks (scale-free, robust
  to one member's odd calibration); the expected counts are the members' mean counts re-assigned
  in that order, so the total over the area is unchanged.

Weights are fixed (``weights``) or, with ``validation_windows=V``, chosen from the data before the
cut-off: every member is refitted at the start of each of the last ``V`` windows of the horizon
(calendar months for month-only data with a month horizon), and the weights on a 0.1 simplex grid
that catch the most validation events, averaged over ``validation_levels``, are kept. Nothing after
the cut-off is used, so a backtest of a validated ensemble is honest. It costs ``V`` extra fits of
every member.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.events import describe_missing, with_published
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.checks import check_positive
from hotpatrol.forecast.metrics import cells_for
from hotpatrol.forecast.prepared import ensure_xy, prepare
from hotpatrol.forecast.timeaxis import from_days, parse_horizon, to_days, window_spans


@dataclass(kw_only=True, eq=False, repr=False)
class EnsembleForecaster(Forecaster):
    """Combine registered models by mean rank or mean expected count.

    Parameters
    ----------
    models : names from ``hotpatrol.forecast.MODELS`` (default naive + gbm).
    method : "rank" or "mean".
    weights : one weight per model (None: equal); ignored when ``validation_windows`` > 0.
    validation_windows : 0 (fixed weights) or the number of windows before the cut-off on which
        the weights are chosen (see the module docstring).
    validation_levels : area shares whose mean pooled hit rate the chosen weights maximise.
    horizon : passed to members that are trained for a horizon (gbm); also the validation window.
    cell, random_state : as for every model (passed to the members).

    Fitted: ``members_``, ``weights_``, ``places_``, ``fitted_until_`` and, when validating,
    ``validation_`` (a table: one row per weight vector tried, with its hit rate per level).
    """

    name: ClassVar[str] = "ensemble"

    models: tuple = ("naive", "gbm")
    method: str = "rank"
    weights: tuple | None = None
    validation_windows: int = 0
    validation_levels: tuple = (0.01, 0.05, 0.10)
    horizon: str | None = None
    cell: float = 150.0
    random_state: int | None = None

    def fit(self, events, *, places=None):
        """Fit every member model on ``events``; returns ``self``.

        With ``validation_windows`` > 0 the weights are chosen on the windows before the cut-off (the weight
        vector with the best mean pooled hit rate at ``validation_levels``). Also raises HotpatrolError for an
        empty or unknown ``models`` list or ``validation_levels`` outside (0, 1].
        """
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
        check_positive("validation_windows", self.validation_windows, integer=True, allow_zero=True)
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
        if self.validation_windows:
            self._choose_weights(events)
        return self

    def _choose_weights(self, events) -> None:
        """Weights that caught the most events in the last windows before the cut-off (see module doc)."""
        levels = [float(v) for v in np.atleast_1d(self.validation_levels)]
        for lv in levels:
            if not 0 < lv <= 1:
                raise HotpatrolError("validation_levels must be area shares in (0, 1].",
                                     parameter="validation_levels", allowed="e.g. (0.01, 0.05, 0.10)", given=lv)
        hz = parse_horizon("7D" if self.horizon is None else self.horizon)
        events = with_published(ensure_xy(events))
        end = pd.Timestamp(self.fitted_until_)
        prep = prepare(events, places=self.places_, cell=self.cell, model="ensemble")[0]
        month_only = prep.month_only
        if month_only and 28 <= hz / pd.Timedelta(days=1) <= 31:
            end = pd.Timestamp(end.year, end.month, 1) + pd.DateOffset(months=1) if end.day > 1 or end.hour else end
            spans = window_spans(end, int(self.validation_windows), "1M")
        else:
            spans = window_spans(end.ceil("D"), int(self.validation_windows), hz)
        at = events["occurred_from"] if "occurred_from" in events else events["occurred_at"]
        t = to_days(at)
        idx = self.places_.assign(events["x"].to_numpy(float), events["y"].to_numpy(float))
        n = self.places_.n
        ks = [cells_for(lv, n) for lv in levels]  # as the backtest scores them
        self.validation_notes_ = []
        # a validation window inside months a force did not publish would score every member zero: skip it
        gaps = [(a, b) for a, b in spans if prep.missing_between(*to_days([a, b]))]
        if gaps:
            if len(gaps) == len(spans):
                raise HotpatrolError(
                    f"Every validation window overlaps months with no data ({describe_missing(prep.missing)}).",
                    parameter="validation_windows", given=self.validation_windows,
                    fix="Use more validation windows or validation_windows=0 (equal weights).")
            self.validation_notes_ = [(f"{len(gaps)} validation window(s) overlap months with no data "
                                       f"({describe_missing(prep.missing)}) and were skipped.")]
            spans = [ab for ab in spans if ab not in gaps]
        risks, actuals = [], []
        for a, b in spans:
            ta, tb = to_days([a, b])
            train = events.loc[t < ta]
            if len(train) == 0:
                raise HotpatrolError(
                    "Too little history to choose the ensemble's weights.", parameter="validation_windows",
                    allowed=f"fewer than {self.validation_windows} windows for data from {from_days(np.nanmin(t))}",
                    given=self.validation_windows)
            risks.append([type(m)(**m.get_params()).fit(train, places=self.places_).predict(a, b - a)
                          for m in self.members_])
            test = (t >= ta) & (t < tb) & (idx >= 0)
            actuals.append(np.bincount(idx[test], minlength=n).astype(float))
        total = sum(a.sum() for a in actuals)
        steps = 10
        grid = [np.array(c) / steps for c in itertools.product(range(steps + 1), repeat=len(self.members_))
                if sum(c) == steps]
        rows = []
        for w in grid:
            hits = np.zeros(len(ks))
            for row, actual in zip(risks, actuals):
                order = self.combine(row, w).ranking()
                cum = np.cumsum(actual[order])
                hits += [cum[k - 1] for k in ks]
            rows.append({"weights": tuple(float(v) for v in w),
                         **{f"hit {100 * lv:g}%": h / total if total > 0 else np.nan for lv, h in zip(levels, hits)}})
        table = pd.DataFrame(rows)
        score = table.drop(columns="weights").mean(axis=1).to_numpy()
        # the best score; among equals the weights nearest to equal weighting
        spread = np.array([np.abs(w - 1 / len(w)).sum() for w in grid])
        best = int(np.lexsort((spread, -np.nan_to_num(score, nan=-1)))[0])
        self.weights_ = np.asarray(grid[best])
        self.validation_ = table.assign(score=score)

    def predict(self, start, horizon="7D") -> Forecast:
        """Members' forecasts combined by mean rank or weighted mean expected count.

        ``risk`` is the weighted mean expected events per window (``method="mean"``) or the weighted mean
        rank score (``method="rank"``); the notes name the chosen weights.
        """
        self._check_fitted()
        fc = self.combine([m.predict(start, horizon) for m in self.members_], self.weights_)
        if self.validation_windows:
            names = ", ".join(f"{nm} {w:.1f}" for nm, w in zip(self.member_names(), self.weights_))
            fc.notes.append(f"weights chosen on the {self.validation_windows} windows before the cut-off: {names}")
            fc.notes.extend(getattr(self, "validation_notes_", []))
        return fc

    def member_names(self) -> list[str]:
        """The member model names, in order (the ``models`` setting split on commas)."""
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
