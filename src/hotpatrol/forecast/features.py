"""Per-place features for learned forecasters, computed "as of" a cut-off from earlier events only.

Every count feature is a rate scaled to the forecast horizon ``H`` (events per ``H`` days), so
windows of different lengths and truncated history stay comparable:

- ``rate_all``: all past events; ``rate_<L>d``: the last ``L`` days, for ``L`` in H, 2H, 4H, 8H, 16H,
  28, 91, 182 (divided by the history actually available when the data are shorter);
- ``harm_all``/``harm_<L>d``: the same for harm when a harm scheme is given;
- ``kde_all_<b>m`` / ``kde_recent_<b>m``: Gaussian kernel smooths of all-past and last-4H rates at
  several bandwidths (neighbourhood risk);
- ``nr_7d``/``nr_30d``: near-repeat intensity, events within 250 m (quartic) decayed with
  exp(-age / 7 or 30 days);
- ``active_share``/``period_cv``: share of the last 12 periods of length H with any event, and
  the coefficient of variation of those counts (persistence);
- ``days_since``: days since the place's last event (capped at the history length);
- ``cat_<i>``: all-past rate of each of the most common categories (some are more persistent);
- ``trend``: area-wide last-4H rate over the all-past rate; ``season_sin/cos``: the target
  window's time of year; ``dow_sin/cos`` for horizons under a week;
- any user covariates (a DataFrame indexed by place_id).

Rates divide by the *observed* days of the window (:meth:`Prepared.exposure`): months a force did not
publish are not zeros. A window with no observed day at all takes the place's long-run rate, and
periods with unpublished days are left out of ``active_share``/``period_cv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.exposure import rate_span
from hotpatrol.forecast.prepared import Prepared
from hotpatrol.forecast.smoothing import smooth

KDE_BANDWIDTHS = (150.0, 300.0, 600.0)


class FeatureBuilder:
    """Builds the feature matrix of every place at any cut-off from one set of prepared events."""

    def __init__(self, prep: Prepared, places, *, categories: np.ndarray | None = None, n_categories: int = 5,
                 harm: np.ndarray | None = None, covariates: pd.DataFrame | None = None):
        self.prep = prep
        self.places = places
        self.harm = harm
        self.cat_codes = None
        self.cat_names: list[str] = []
        if categories is not None and n_categories > 0:
            cats = pd.Series(categories).astype("string").fillna("(none)")
            top = cats.value_counts().index[:n_categories].tolist()
            if len(top) > 1:
                self.cat_names = [str(c) for c in top]
                self.cat_codes = pd.Categorical(cats, categories=top).codes  # -1 for the rest
        # each place's force: the force of most of its events (for windows a force did not publish)
        if prep.n_groups > 1 and prep.group is not None:
            per = np.vstack([np.bincount(prep.place[prep.group == g], minlength=places.n)
                             for g in range(prep.n_groups)])
            self.place_group = per.argmax(0)
        else:
            self.place_group = np.zeros(places.n, dtype=np.int64)
        self.cov = None
        self.cov_names: list[str] = []
        if covariates is not None:
            self.cov, self.cov_names = _align_covariates(covariates, places)

    def lags(self, h: float) -> list[float]:
        """Look-back windows in days for horizon ``h`` (days): H, 2H, 4H, 8H, 16H, 28, 91 and 182, deduplicated and
        sorted.
        """
        return sorted({round(x, 6) for x in (h, 2 * h, 4 * h, 8 * h, 16 * h, 28.0, 91.0, 182.0)})

    def build(self, cut: float, h: float) -> tuple[np.ndarray, list[str]]:
        """Feature matrix of every place as of cut-off ``cut`` for horizon ``h``.

        Parameters
        ----------
        cut : float
            Cut-off in days since the epoch (``to_days``); only events before it are used.
        h : float
            Forecast horizon in days; rates are events per ``h`` days.

        Returns
        -------
        X : numpy.ndarray, shape (n_places, n_features)
            Features described in the module docstring.
        names : list of str
            Column names of ``X``, length n_features.

        Raises
        ------
        HotpatrolError
            Covariates that do not cover every place or are not numeric.
        """
        p, n = self.prep, self.places.n
        hist = rate_span(p, cut)  # at least a day (observation_period), never the minute of one record
        before = p.before(cut)
        cols: dict[str, np.ndarray] = {}

        def rate(a, weights=None, fallback=None):
            a = max(a, p.start)
            out = p.rate(n, a, cut, h, weights)
            if fallback is not None:  # no observed day in the window: the long-run rate
                unseen = (p.exposure(a, cut) <= 0)[self.place_group]
                out = np.where(unseen, fallback, out)
            return out

        cols["rate_all"] = rate(p.start)
        for lag in self.lags(h):
            cols[f"rate_{lag:g}d"] = rate(cut - lag, fallback=cols["rate_all"])
        if self.harm is not None:
            cols["harm_all"] = rate(p.start, self.harm)
            for lag in (4 * h, 16 * h):
                cols[f"harm_{lag:g}d"] = rate(cut - lag, self.harm, fallback=cols["harm_all"])
        recent = cols[f"rate_{4 * h:g}d"]
        for b in KDE_BANDWIDTHS:
            cols[f"kde_all_{b:g}m"] = smooth(self.places, cols["rate_all"], b, "gaussian")
        cols["kde_recent_300m"] = smooth(self.places, recent, 300.0, "gaussian")
        mid = p.midpoint_before(cut)
        age = np.clip(cut - mid, 0.0, None)
        for tau in (7.0, 30.0):
            wgt = p.w * before * np.exp(-age / tau)
            cols[f"nr_{tau:g}d"] = smooth(self.places, np.bincount(p.place, weights=wgt, minlength=n), 250.0,
                                          "quartic", normalise=False)
        spans = [(cut - (i + 1) * h, cut - i * h) for i in range(12) if cut - (i + 1) * h >= p.start - h]
        periods = np.vstack([p.counts(n, a, b) for a, b in spans])
        # a period with unpublished days is unknown for the places of that force, not a quiet period
        full = np.vstack([(p.exposure(a, b) >= min(b, p.end) - max(a, p.start) - 1e-6)[self.place_group]
                          for a, b in spans])
        periods = np.where(full, periods, np.nan)
        seen_any = full.any(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.nanmean(np.where(full, periods > 0, np.nan), axis=0)
            mean = np.nanmean(periods, axis=0)
            sd = np.nanstd(periods, axis=0)
        cols["active_share"] = np.where(seen_any, share, 0.0)
        cols["period_cv"] = np.where(seen_any & (mean > 0), sd / np.where(mean > 0, mean, 1), 0.0)
        last = np.full(n, -np.inf)
        seen = before > 0
        np.maximum.at(last, p.place[seen], mid[seen])
        cols["days_since"] = np.where(np.isfinite(last), np.clip(cut - last, 0, hist), hist)
        if self.cat_codes is not None:
            for i, _ in enumerate(self.cat_names):
                cols[f"cat_{i}"] = rate(p.start, (self.cat_codes == i).astype(float))
        total_all = cols["rate_all"].sum()
        cols["trend"] = np.full(n, recent.sum() / total_all if total_all > 0 else 1.0)
        doy = 2 * np.pi * (((cut + h / 2) % 365.25) / 365.25)
        cols["season_sin"] = np.full(n, np.sin(doy))
        cols["season_cos"] = np.full(n, np.cos(doy))
        if h < 7:
            dow = 2 * np.pi * (((cut + 3) % 7) / 7)  # 1970-01-01 was a Thursday
            cols["dow_sin"] = np.full(n, np.sin(dow))
            cols["dow_cos"] = np.full(n, np.cos(dow))
        names = list(cols)
        X = np.column_stack([cols[k] for k in names])
        if self.cov is not None:
            X = np.column_stack([X, self.cov])
            names += self.cov_names
        return X, names


def _align_covariates(covariates, places) -> tuple[np.ndarray, list[str]]:
    if not isinstance(covariates, pd.DataFrame):
        raise HotpatrolError("covariates must be a DataFrame indexed by place_id.", parameter="covariates",
                             given=type(covariates).__name__)
    num = covariates.select_dtypes("number")
    if num.shape[1] == 0:
        raise HotpatrolError("covariates have no numeric columns.", parameter="covariates",
                             given=list(covariates.columns))
    aligned = num.reindex(pd.Index(places.place_id))
    missing = int(aligned.isna().all(axis=1).sum())
    if missing == len(aligned):
        raise HotpatrolError("No covariate row matches a place_id of the places.", parameter="covariates",
                             fix="Index the covariates by the places' place_id (grid cell id).")
    return aligned.to_numpy(float), [f"cov_{c}" for c in num.columns]
