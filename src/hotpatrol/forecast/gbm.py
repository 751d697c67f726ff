"""A learned forecaster: Poisson gradient boosting on per-place features.

Training rows are (place, past window) pairs: for ``n_windows`` cut-offs ``c`` going back from the
end of the training data in steps of the horizon, the features of every place as of ``c``
(:mod:`hotpatrol.forecast.features`, earlier events only) are paired with the events in
``[c, c + horizon)``. scikit-learn's ``HistGradientBoostingRegressor(loss="poisson")`` learns the
expected count, so the prediction is already integrated over the horizon.

Month-only data (police.uk): with a horizon of 28-31 days the cut-offs step by calendar months;
shorter horizons use aoristic (fractional) targets, stated in the notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast._common import (
    GridModelMixin,
    check_positive,
    from_days,
    parse_horizon,
    to_days,
)
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.features import FeatureBuilder


class GBMForecaster(GridModelMixin, Forecaster):
    """Poisson gradient-boosted trees on lagged counts, KDEs, near-repeat and seasonal features.

    Parameters
    ----------
    horizon : the window length the model is trained for (default None = "7D"; backtests set it).
        Predicting another horizon rescales linearly (noted).
    n_windows : past windows used as training examples (fewer when the data are short); None: 12 for
        horizons of a week or more, about 12 weeks' worth of shorter windows (at most 60).
    harm : a harm scheme to add harm features (None: counts only).
    n_categories : per-category rate features for the most common categories (0: none).
    covariates : optional DataFrame indexed by place_id with numeric columns.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization : boosting settings.
    max_rows : cap on training rows (a uniform random subsample beyond it). Places with no event
        within about 2 km are not learnt from; they get the pooled rate of such places.
    weight, cell, random_state : as for every model.
    """

    name = "gbm"
    _min_events = 10

    def __init__(self, *, horizon=None, n_windows=None, harm=None, n_categories=5, covariates=None, max_iter=100,
                 learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=100, l2_regularization=1.0,
                 max_rows=200_000, weight="count", cell=150.0, random_state=None):
        self.horizon = horizon
        self.n_windows = n_windows
        self.harm = harm
        self.n_categories = n_categories
        self.covariates = covariates
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_rows = max_rows
        self.weight = weight
        self.cell = cell
        self.random_state = random_state

    def _cutoffs(self, prep, h: float) -> list[tuple[float, float]]:
        """Training windows ``(cut, end)``, newest first, each with some history before it."""
        n_windows = self.n_windows_
        min_hist = max(1.5 * h, 14.0)
        if prep.month_only and 28 <= h <= 31:
            end = from_days(prep.end).normalize()
            month_end = pd.Timestamp(end.year, end.month, 1)
            starts = [month_end - pd.DateOffset(months=k) for k in range(0, n_windows + 1)]
            pairs = [(float(to_days([a])[0]), float(to_days([b])[0])) for b, a in zip(starts[:-1], starts[1:])]
        else:
            last = prep.end - h
            pairs = [(last - k * h, last - k * h + h) for k in range(n_windows)]
        return [(a, b) for a, b in pairs if a - prep.start >= min_hist and b <= prep.end + 1e-9]

    def fit(self, events, *, places=None):
        from sklearn.ensemble import HistGradientBoostingRegressor

        hz = parse_horizon("7D" if self.horizon is None else self.horizon)
        if self.n_windows is not None:
            check_positive("n_windows", self.n_windows, integer=True)
        h = hz / pd.Timedelta(days=1)
        self.n_windows_ = int(self.n_windows or min(60, max(12, round(84 / h))))
        check_positive("n_categories", self.n_categories, integer=True, allow_zero=True)
        check_positive("max_iter", self.max_iter, integer=True)
        check_positive("learning_rate", self.learning_rate)
        check_positive("max_leaf_nodes", self.max_leaf_nodes, integer=True)
        check_positive("min_samples_leaf", self.min_samples_leaf, integer=True)
        check_positive("l2_regularization", self.l2_regularization, allow_zero=True)
        check_positive("max_rows", self.max_rows, integer=True)
        prep = self._prepare(events, places)
        h = hz / pd.Timedelta(days=1)
        cuts = self._cutoffs(prep, h)
        if len(cuts) < 3:
            span = prep.end - prep.start
            raise HotpatrolError(
                f"gbm needs at least 3 past windows of the horizon to learn from; {span:.0f} days of data give "
                f"{len(cuts)} (the horizon is too long for the data).",
                parameter="horizon", allowed=f"at most about {span / 5:.0f} days for these data", given=str(hz),
                fix="Use a shorter horizon or more history, or a model that needs no training windows (naive, kde).",
            )
        rows = prep.rows
        cats = events["category"].to_numpy()[rows] if "category" in events.columns and self.n_categories else None
        harm = None
        if self.harm is not None:
            from hotpatrol.harm import harm as harm_fn

            harm = np.asarray(harm_fn(events, self.harm), dtype=float)[rows]
        self.features_ = FeatureBuilder(prep, self.places_, categories=cats, n_categories=int(self.n_categories),
                                        harm=harm, covariates=self.covariates)
        n = self.places_.n
        rng = np.random.default_rng(self.random_state)
        Xs, ys = [], []
        quiet_sum = quiet_rows = 0.0
        busy_col = None
        for c, c_end in cuts:
            X, names = self.features_.build(c, h)
            y = prep.counts(n, c, c_end)
            busy_col = names.index("kde_all_600m")
            # places with no event within ~2 km so far are not learnt from; they get the pooled rate
            # of such places (large areas of empty cells would otherwise swamp the trees)
            busy = X[:, busy_col] > 0
            quiet_sum += float(y[~busy].sum())
            quiet_rows += float((~busy).sum())
            Xs.append(X[busy])
            ys.append(y[busy])
        X_all, y_all = np.vstack(Xs), np.concatenate(ys)
        if len(y_all) > self.max_rows:  # a uniform subsample keeps the fit unbiased without weights
            pick = np.sort(rng.choice(len(y_all), int(self.max_rows), replace=False))
            X_all, y_all = X_all[pick], y_all[pick]
            self.notes_.append(f"gbm learnt from a random {int(self.max_rows):,} of its training rows.")
        self.feature_names_ = names
        self.train_cutoffs_ = [from_days(c) for c, _ in cuts]
        self.horizon_ = hz
        self.quiet_rate_ = quiet_sum / quiet_rows if quiet_rows else 0.0
        self._busy_col_ = busy_col
        self.model_ = HistGradientBoostingRegressor(
            loss="poisson", learning_rate=self.learning_rate, max_iter=int(self.max_iter),
            max_leaf_nodes=int(self.max_leaf_nodes), min_samples_leaf=int(self.min_samples_leaf),
            l2_regularization=self.l2_regularization, early_stopping=False, random_state=self.random_state,
        )
        if len(y_all) < 2 or y_all.sum() <= 0:
            raise HotpatrolError("gbm has no past window with events to learn from.", parameter="events",
                                 given=int(prep.n), fix="Use more history or a model without training (naive).")
        with _one_thread():
            self.model_.fit(X_all, y_all)
        if prep.month_only and h < 28:
            self.notes_.append("Month-only times with a horizon under a month: trained on fractional "
                               "(aoristic) window counts.")
        return self

    def predict(self, start, horizon=None) -> Forecast:
        horizon = self.horizon_ if horizon is None and hasattr(self, "horizon_") else (horizon or "7D")
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        h_fit = self.horizon_ / pd.Timedelta(days=1)
        X, _ = self.features_.build(min(s, self._prep_.end), h_fit)
        busy = X[:, self._busy_col_] > 0
        risk = np.full(len(X), self.quiet_rate_)
        if busy.any():
            with _one_thread():
                risk[busy] = np.clip(self.model_.predict(X[busy]), 0.0, None)
        if abs(h - h_fit) > 1e-6 * h_fit and not (self._prep_.month_only and 28 <= h <= 31 and 28 <= h_fit <= 31):
            notes.append(f"Trained for {self.horizon_}; the {horizon} forecast is rescaled by {h / h_fit:.3g}.")
            risk = risk * (h / h_fit)
        return Forecast(self.name, self.places_, risk, start, horizon, notes, self.random_state)


def _one_thread():
    """OpenMP threads spin and crawl on a busy shared machine; one thread is faster and reproducible."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")
