"""A learned forecaster: Poisson gradient boosting on per-place features.

Training rows are (place, past window) pairs: for ``n_windows`` cut-offs ``c`` going back from the
end of the training data in steps of the horizon, the features of every place as of ``c``
(:mod:`hotpatrol.forecast.features`, earlier events only) are paired with the events in
``[c, c + horizon)``. scikit-learn's ``HistGradientBoostingRegressor(loss="poisson")`` learns the
expected count, so the prediction is already integrated over the horizon.

Month-only data (police.uk): with a horizon of 28-31 days the cut-offs step by calendar months;
shorter horizons use aoristic (fractional) targets, stated in the notes.

Months a force did not publish (:func:`hotpatrol.events.published_months`): training windows whose
target period overlaps them are skipped (spare older windows take their place) and the notes name
the months; rate features divide by observed days only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import describe_missing
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.checks import check_positive
from hotpatrol.forecast.features import FeatureBuilder
from hotpatrol.forecast.gridmodel import GridModelMixin
from hotpatrol.forecast.timeaxis import from_days, parse_horizon, to_days


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
    baseline : "naive" (default): boost a multiplicative correction of a baseline rate (half the place's
        long-run rate, half its 300 m neighbourhood's), i.e. a Poisson offset, so the trees refine the
        long-run ranking instead of flattening the top places into shared leaves; None: plain counts.
    weight, cell, random_state : as for every model.
    """

    name = "gbm"
    _min_events = 10

    def __init__(self, *, horizon=None, n_windows=None, harm=None, n_categories=5, covariates=None, max_iter=100,
                 learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=100, l2_regularization=1.0,
                 max_rows=200_000, baseline="naive", weight="count", cell=150.0, random_state=None):
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
        self.baseline = baseline
        self.weight = weight
        self.cell = cell
        self.random_state = random_state

    def _cutoffs(self, prep, h: float) -> list[tuple[float, float]]:
        """Training windows ``(cut, end)``, newest first, each with some history before it."""
        n_windows = 2 * self.n_windows_  # spare windows replace those skipped for unpublished months
        min_hist = max(1.5 * h, 14.0)
        if prep.month_only and 28 <= h <= 31:
            end = from_days(prep.end).normalize()
            month_end = pd.Timestamp(end.year, end.month, 1)
            starts = [month_end - pd.DateOffset(months=k) for k in range(0, n_windows + 1)]
            pairs = [(float(to_days([a])[0]), float(to_days([b])[0])) for b, a in zip(starts[:-1], starts[1:])]
        else:
            last = prep.end - h
            pairs = [(last - k * h, last - k * h + h) for k in range(n_windows)]
        pairs = [(a, b) for a, b in pairs if a - prep.start >= min_hist and b <= prep.end + 1e-9]
        # a target window with unpublished months would teach zeros that are not zeros: skip it
        gaps = [(a, b) for a, b in pairs if prep.missing_between(a, b)]
        if gaps:
            self.notes_.append(
                f"{len(gaps)} training window(s) overlap months with no data "
                f"({describe_missing(prep.missing_between(min(a for a, _ in gaps), max(b for _, b in gaps)))}) "
                "and were skipped.")
        return [(a, b) for a, b in pairs if (a, b) not in gaps][:self.n_windows_]

    def _baseline(self, X: np.ndarray, names: list[str]) -> np.ndarray:
        """The offset: half the place's long-run rate, half its 300 m neighbourhood's, plus a floor."""
        mu = 0.5 * X[:, names.index("rate_all")] + 0.5 * X[:, names.index("kde_all_300m")]
        return mu + self.baseline_floor_

    def fit(self, events, *, places=None):
        """Train the Poisson booster on the ``n_windows`` past windows of length ``horizon``; returns ``self``.

        The booster is scikit-learn's ``HistGradientBoostingRegressor(loss="poisson")`` on the features of
        :class:`~hotpatrol.forecast.features.FeatureBuilder`. Also raises HotpatrolError for non-positive
        ``n_windows`` or negative ``n_categories``.
        """
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
        if self.baseline is not None:
            from hotpatrol.errors import check_choice

            check_choice("baseline", self.baseline, ["naive", None])
        prep = self._prepare(events, places)
        h = hz / pd.Timedelta(days=1)
        cuts = self._cutoffs(prep, h)
        if len(cuts) < 3:
            span = prep.end - prep.start
            raise HotpatrolError(
                f"gbm needs at least 3 past windows of the horizon to learn from; {span:.0f} days of data give "
                f"{len(cuts)} (the horizon is too long for the data"
                + (f"; windows overlapping months with no data ({describe_missing(prep.missing)}) cannot be used"
                   if prep.missing else "") + ").",
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
        # a small floor so places without history can still be forecast (1 % of the mean busy rate)
        self.baseline_floor_ = 0.01 * float(y_all.mean()) if len(y_all) else 1e-6
        self.baseline_floor_ = max(self.baseline_floor_, 1e-9)
        self._busy_col_ = busy_col
        self.model_ = HistGradientBoostingRegressor(
            loss="poisson", learning_rate=self.learning_rate, max_iter=int(self.max_iter),
            max_leaf_nodes=int(self.max_leaf_nodes), min_samples_leaf=int(self.min_samples_leaf),
            l2_regularization=self.l2_regularization, early_stopping=False, random_state=self.random_state,
        )
        if len(y_all) < 2 or y_all.sum() <= 0:
            raise HotpatrolError("gbm has no past window with events to learn from.", parameter="events",
                                 given=int(prep.n), fix="Use more history or a model without training (naive).")
        self.bin_edges_ = _bin_edges(X_all)
        Xb = _apply_bins(X_all, self.bin_edges_)
        with _one_thread():
            if self.baseline == "naive":  # learn a multiplicative correction of the baseline rate
                mu0 = self._baseline(X_all, names)
                self.model_.fit(Xb, y_all / mu0, sample_weight=mu0)
            else:
                self.model_.fit(Xb, y_all)
        if prep.month_only and h < 28:
            self.notes_.append("Month-only times with a horizon under a month: trained on fractional "
                               "(aoristic) window counts.")
        return self

    def predict(self, start, horizon=None) -> Forecast:
        """Expected events (or harm) per place over ``[start, start + horizon)``.

        ``horizon=None`` uses the horizon the model was trained for; another horizon rescales the
        prediction linearly (said in the notes).
        """
        horizon = self.horizon_ if horizon is None and hasattr(self, "horizon_") else (horizon or "7D")
        start, horizon, s, h, notes = self._predict_setup(start, horizon)
        h_fit = self.horizon_ / pd.Timedelta(days=1)
        X, _ = self.features_.build(min(s, self._prep_.end), h_fit)
        busy = X[:, self._busy_col_] > 0
        risk = np.full(len(X), self.quiet_rate_)
        if busy.any():
            with _one_thread():
                pred = self.model_.predict(_apply_bins(X[busy], self.bin_edges_))
            if self.baseline == "naive":
                pred = pred * self._baseline(X[busy], self.feature_names_)
            risk[busy] = np.clip(pred, 0.0, None)
        if abs(h - h_fit) > 1e-6 * h_fit and not (self._prep_.month_only and 28 <= h <= 31 and 28 <= h_fit <= 31):
            notes.append(f"Trained for {self.horizon_}; the {horizon} forecast is rescaled by {h / h_fit:.3g}.")
            risk = risk * (h / h_fit)
        return Forecast(self.name, self.places_, risk, start, horizon, notes, self.random_state)


def _bin_edges(X: np.ndarray, bins: int = 255) -> list[np.ndarray]:
    """Unweighted quantile edges per feature (so the booster's own binning never needs weighted quantiles)."""
    q = np.linspace(0, 1, bins + 1)[1:-1]
    return [np.unique(np.quantile(col, q)) for col in X.T]


def _apply_bins(X: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    return np.column_stack([np.searchsorted(e, col, side="left") for col, e in zip(X.T, edges)]).astype(float)


def _one_thread():
    """OpenMP threads spin and crawl on a busy shared machine; one thread is faster and reproducible."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")
