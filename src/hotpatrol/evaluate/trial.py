"""Patrol days vs non-patrol days: the evaluation of a randomised hotspot patrol trial.

The unit is the hotspot-day (operational day from ``day_start``, 06:00). For counts and harm:

- **Pooled rate ratio** from a Poisson GLM with hotspot and day-of-week fixed effects and
  cluster-robust (by hotspot) standard errors, t-based with ``G - 1`` degrees of freedom
  (``G`` hotspots) because trials have few clusters. The Poisson quasi-likelihood is consistent
  for any mean-model-correct outcome, so the same estimator serves overdispersed counts and harm
  (a continuous, heavily skewed sum of CCHI weights: quasi-Poisson, Wooldridge 1999); the
  cluster-robust variance carries the overdispersion and within-hotspot correlation.
  ``model="negbin"`` fits NB2 instead for counts (same fixed effects and clustering).
- **Randomisation inference**: the allocation scheme is re-drawn (``redraw(seed)``) ``permutations``
  times; the statistic is the Mantel-Haenszel rate ratio stratified by hotspot. The p-value is
  exact under the sharp null of no effect on any hotspot-day, whatever the outcome distribution.
- **Per hotspot**: rate ratio with an exact conditional (Clopper-Pearson) interval: given the
  total, patrol-day counts are binomial.
- **Dose-response**: the same GLM on minutes delivered (per 15 minutes) -- minutes are not
  randomised (officers stay longer where it is busy), so read it as descriptive -- and mean
  crime by dose band.
- **Residual deterrence**: patrol indicators for the same hotspot on the previous 1-3 days
  (also randomised) in the same GLM.

**Clock changes.** Events are put on operational days by their local wall-clock time (a label), so a
crime at 01:30 in the repeated hour belongs to the day it happened on either way. The operational day
holding the spring change is 23 real hours long and the one holding the autumn change 25
(:func:`hotpatrol.localtime.day_hours`, column ``hours`` of the panel): the GLMs use ``log(hours / 24)``
as an exposure offset, so a 25-hour day is not read as 4% more crime. The randomisation test and the
per-hotspot intervals count days (they are exact whatever the day lengths, and patrol and control
hotspots share every day). Dosage minutes are real minutes (:mod:`hotpatrol.patrol.dosage`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.harm import harm as harm_of
from hotpatrol.localtime import day_hours
from hotpatrol.patrol.dosage import normalise_allocation, operational_day
from hotpatrol.patrol.geofence import Geofences

DOSE_BANDS = (0, 0.001, 10, 15, 20, np.inf)
DOSE_LABELS = ("none", "<10 min", "10-15 min", "15-20 min", "20+ min")


def _geofences(hotspots, crs=None) -> Geofences:
    if isinstance(hotspots, Geofences):
        return hotspots.with_margin(0.0)
    if isinstance(hotspots, str) or hasattr(hotspots, "__fspath__"):
        from hotpatrol.patrol.geofence import read_hotspots

        return read_hotspots(hotspots, margin=0.0, crs=crs)
    return Geofences.from_frame(hotspots, margin=0.0, crs=crs)


def event_time(events: pd.DataFrame) -> pd.Series:
    """Best single instant of each event: ``occurred_at``, else ``occurred_from``."""
    if "occurred_at" in events.columns:
        t = pd.to_datetime(events["occurred_at"])
        if "occurred_from" in events.columns:
            t = t.fillna(pd.to_datetime(events["occurred_from"]))
        return t
    if "occurred_from" in events.columns:
        return pd.to_datetime(events["occurred_from"])
    raise HotpatrolError("Events need occurred_at or occurred_from.", parameter="events", given=list(events.columns))


def event_xy(events: pd.DataFrame, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Event coordinates in ``crs`` (from lon/lat, or x/y already in that CRS)."""
    if "lon" in events.columns and "lat" in events.columns and events["lon"].notna().any():
        from hotpatrol.places.crs import from_lonlat

        return from_lonlat(events["lon"].to_numpy(float), events["lat"].to_numpy(float), crs)
    if "x" in events.columns and "y" in events.columns:
        return events["x"].to_numpy(float), events["y"].to_numpy(float)
    raise HotpatrolError("Events need lon/lat (or x/y in the hotspots' CRS).", parameter="events",
                         given=list(events.columns))


def prepare_events(events: pd.DataFrame, *, categories: Iterable[str] | None = None, scheme=None,
                   day_start: str = "06:00") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Filter to ``categories``, add ``harm`` and operational ``day``; quarantine events whose time
    is too coarse to place on a day (month precision or no time)."""
    scheme = settings.resolve("scheme", scheme)
    if not isinstance(events, pd.DataFrame):
        raise HotpatrolError("events must be an events table (DataFrame).", parameter="events",
                             given=type(events).__name__)
    ev = events
    if categories is not None:
        cats = list(categories)
        ev = ev[ev["category"].isin(cats)]
    t = event_time(ev) if len(ev) else pd.Series([], dtype="datetime64[ns]")
    coarse = t.isna().to_numpy().copy()
    if "time_precision" in ev.columns:
        coarse |= ev["time_precision"].astype(str).isin(["month"]).to_numpy()
    quarantine = pd.DataFrame({"event_id": ev.loc[coarse, "event_id"].astype(str).to_numpy() if "event_id" in ev else [],
                               "reason": "time_too_coarse_for_a_day"})
    ev = ev[~coarse].copy()
    ev["day"] = operational_day(t[~coarse], day_start).to_numpy()
    ev["harm"] = harm_of(ev, scheme) if len(ev) else np.zeros(0)
    return ev, quarantine


def build_panel(events: pd.DataFrame, hotspots, allocation: pd.DataFrame, *, dosage: pd.DataFrame | None = None,
                categories=None, scheme=None, day_start: str = "06:00", lags: int = 3,
                crs: str | None = None, tz: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per planned hotspot-day: ``day, hotspot_id, patrolled, count, harm, dow, hours, minutes``
    and lagged patrol indicators ``lag1..lagN``. Returns ``(panel, quarantined events)``.

    ``hours`` is the real length of the operational day in ``tz`` (the ``timezone`` setting): 24, or
    23/25 on the days holding a clock change.
    """
    scheme = settings.resolve("scheme", scheme)
    g = _geofences(hotspots, crs)
    alloc = normalise_allocation(allocation)
    unknown = sorted(set(alloc["hotspot_id"]) - set(g.hotspot_id))
    if unknown:
        raise HotpatrolError(f"The allocation names hotspots not in the hotspots table: {unknown[:5]}.",
                             parameter="allocation", fix="Use the hotspots the plan was made from.")
    ev, quarantine = prepare_events(events, categories=categories, scheme=scheme, day_start=day_start)
    x, y = event_xy(ev, g.crs)
    idx = g.assign(x, y, margin=0.0)
    ev = ev.assign(hotspot_id=np.where(idx >= 0, g.hotspot_id[np.maximum(idx, 0)], None))
    ev = ev[idx >= 0]
    agg = ev.groupby(["day", "hotspot_id"]).agg(count=("harm", "size"), harm=("harm", "sum")).reset_index()
    panel = alloc.merge(agg, on=["day", "hotspot_id"], how="left")
    panel["count"] = panel["count"].fillna(0).astype(int)
    panel["harm"] = panel["harm"].fillna(0.0)
    panel["dow"] = panel["day"].dt.dayofweek
    panel["hours"] = day_hours(panel["day"], day_start, tz) if len(panel) else np.zeros(0)
    if dosage is not None:
        d = dosage[["day", "hotspot_id", "minutes"]].copy()
        d["day"] = pd.to_datetime(d["day"]).astype("datetime64[ns]")
        d["hotspot_id"] = d["hotspot_id"].astype(str)
        panel = panel.merge(d.groupby(["day", "hotspot_id"], as_index=False)["minutes"].sum(),
                            on=["day", "hotspot_id"], how="left")
        panel["minutes"] = panel["minutes"].fillna(0.0)
    panel = panel.sort_values(["hotspot_id", "day"]).reset_index(drop=True)
    for lag in range(1, lags + 1):
        prev = panel[["day", "hotspot_id", "patrolled"]].copy()
        prev["day"] = prev["day"] + pd.Timedelta(days=lag)
        panel = panel.merge(prev.rename(columns={"patrolled": f"lag{lag}"}), on=["day", "hotspot_id"], how="left")
    panel.attrs["crs"] = g.crs
    return panel, quarantine


def _design(panel: pd.DataFrame, terms: list[str]) -> tuple[np.ndarray, list[str]]:
    cols = [panel[t].astype(float).to_numpy() for t in terms]
    hs = pd.Categorical(panel["hotspot_id"])
    dow = pd.Categorical(panel["dow"], categories=range(7))
    H = np.eye(len(hs.categories))[hs.codes][:, 1:]
    D = np.eye(7)[dow.codes][:, 1:]
    D = D[:, D.any(axis=0)]
    X = np.column_stack(cols + [np.ones(len(panel)), H, D])
    return X, terms


def fit_glm(panel: pd.DataFrame, outcome: str, terms: list[str], *, model: str = "poisson") -> dict:
    """Fit ``outcome ~ terms + hotspot FE + day-of-week FE``; cluster-robust by hotspot; t(G-1) CIs.

    With an ``hours`` column (the real length of each operational day) ``log(hours / 24)`` is the
    exposure offset, so the 23- and 25-hour days of the clock changes are compared per real hour.

    Hotspots whose outcome is zero on every day carry no information about a ratio (their fixed
    effect runs to minus infinity) and are left out; the count of them is returned.
    """
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    tot = panel.groupby("hotspot_id")[outcome].transform("sum")
    used = panel[(tot > 0).to_numpy()].dropna(subset=terms)
    n_dropped = panel["hotspot_id"].nunique() - used["hotspot_id"].nunique()
    G = used["hotspot_id"].nunique()
    base = {"outcome": outcome, "model": model, "n": int(len(used)), "clusters": int(G),
            "hotspots_all_zero": int(n_dropped)}
    if G < 2 or used[terms].astype(float).std().min() == 0:
        return base | {t: _nan_row() for t in terms} | {"error": "too little data to fit"}
    X, _ = _design(used, terms)
    y = used[outcome].to_numpy(float)
    groups = pd.Categorical(used["hotspot_id"]).codes
    offset = np.log(used["hours"].to_numpy(float) / 24.0) if "hours" in used.columns else None
    if model not in ("poisson", "negbin"):
        raise HotpatrolError("Unknown model.", parameter="model", allowed=["poisson", "negbin"], given=model)
    if model == "negbin" and outcome != "count":
        raise HotpatrolError("Negative binomial needs counts; harm uses the quasi-Poisson fit.",
                             parameter="model", allowed=["poisson"], given=model)
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    # small dense problems: multi-threaded BLAS only adds contention (10-30x slower on a busy box)
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model == "poisson":
            res = GLM(y, X, family=families.Poisson(), offset=offset).fit(**kw)
        else:
            res = NegativeBinomial(y, X, loglike_method="nb2", offset=offset).fit(**kw, disp=0, maxiter=500)
    converged = not any("converge" in str(w.message).lower() for w in caught)
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    tq = stats.t.ppf(0.975, G - 1)
    out = dict(base, converged=converged)
    for i, t in enumerate(terms):
        b, se = float(params[i]), float(np.sqrt(cov[i, i]))
        out[t] = {"coef": b, "se": se, "rate_ratio": float(np.exp(b)), "ci_low": float(np.exp(b - tq * se)),
                  "ci_high": float(np.exp(b + tq * se)), "p": float(2 * stats.t.sf(abs(b / se), G - 1)) if se > 0 else np.nan}
    return out


def _nan_row():
    return {"coef": np.nan, "se": np.nan, "rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan}


def mh_rate_ratio(y: np.ndarray, patrolled: np.ndarray) -> np.ndarray:
    """Mantel-Haenszel rate ratio stratified by hotspot.

    ``y`` is (days, hotspots); ``patrolled`` is (days, hotspots) or (R, days, hotspots) for many
    allocations at once. Returns a scalar or (R,) array.
    """
    P = patrolled.astype(float)
    N = P.shape[-2]
    n1 = P.sum(axis=-2)
    n0 = N - n1
    a = (P * y).sum(axis=-2)
    b = y.sum(axis=0) - a
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a * n0 / N).sum(axis=-1) / (b * n1 / N).sum(axis=-1)


def allocation_draws(redraw: Callable[[int], pd.DataFrame], days: pd.DatetimeIndex, hotspots: pd.Index, *,
                     permutations: int | None = None, seed: int | None = None) -> np.ndarray:
    """``permutations`` re-drawn allocations as a (R, days, hotspots) boolean array."""
    permutations, seed = settings.resolve("permutations", permutations), settings.resolve("seed", seed)
    if permutations < 1:
        raise HotpatrolError("permutations must be >= 1.", parameter="permutations", given=permutations)
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, permutations)
    draws = np.zeros((permutations, len(days), len(hotspots)), dtype=bool)
    design = redraw if hasattr(redraw, "redraw_matrix") else getattr(redraw, "allocation", None)
    if design is not None and hasattr(design, "redraw_matrix"):
        # fast path: hotpatrol.patrol.design.Allocation draws the (days, n) matrix directly
        di = days.get_indexer(pd.DatetimeIndex(pd.to_datetime(design.days)))
        hi = hotspots.get_indexer(pd.Index([str(h) for h in design.hotspot_ids]))
        if (di < 0).any() or (hi < 0).any() or len(di) != len(days) or len(hi) != len(hotspots):
            raise HotpatrolError("The allocation scheme covers different days or hotspots from the data.",
                                 parameter="redraw", fix="Re-draw the same scheme the trial used (Allocation.redraw).")
        for r, s in enumerate(seeds):
            draws[r][np.ix_(di, hi)] = design.redraw_matrix(int(s))
        return draws
    cache_d = cache_h = None
    for r, s in enumerate(seeds):
        a = redraw(int(s))
        a = a.frame if hasattr(a, "frame") else a
        d_raw, h_raw = np.asarray(a["day"]), np.asarray(a["hotspot_id"])
        # schemes usually return rows in the same order: look the positions up once
        if cache_d is None or not (np.array_equal(d_raw, cache_d[0]) and np.array_equal(h_raw, cache_h[0])):
            di = days.get_indexer(pd.DatetimeIndex(pd.to_datetime(d_raw)).normalize())
            hi = hotspots.get_indexer(pd.Index(h_raw).astype(str))
            cache_d, cache_h = (d_raw, di), (h_raw, hi)
        di, hi = cache_d[1], cache_h[1]
        if (di < 0).any() or (hi < 0).any() or len(a) != len(days) * len(hotspots):
            raise HotpatrolError("redraw() returned an allocation over different days or hotspots.",
                                 parameter="redraw", fix="Re-draw the same scheme the trial used (Allocation.redraw).")
        draws[r, di, hi] = np.asarray(a["patrolled"], dtype=bool)
    return draws


def randomisation_test(panel: pd.DataFrame, outcome: str, redraw: Callable[[int], pd.DataFrame] | None = None, *,
                       permutations: int | None = None, seed: int | None = None, draws: np.ndarray | None = None) -> dict:
    """Re-draw the allocation ``permutations`` times; two-sided p for the hotspot-stratified MH ratio.

    Pass ``draws`` (from :func:`allocation_draws`) to reuse one set of re-draws for several outcomes.
    """
    permutations, seed = settings.resolve("permutations", permutations), settings.resolve("seed", seed)
    wide_y = panel.pivot(index="day", columns="hotspot_id", values=outcome)
    days, hs = pd.DatetimeIndex(wide_y.index), wide_y.columns.astype(str)
    Y = wide_y.to_numpy(float)
    P0 = panel.pivot(index="day", columns="hotspot_id", values="patrolled").reindex(index=wide_y.index,
                                                                                     columns=wide_y.columns)
    observed = float(mh_rate_ratio(Y, P0.to_numpy(bool)))
    if draws is None:
        if redraw is None:
            raise HotpatrolError("Randomisation inference needs redraw() or draws.", parameter="redraw")
        draws = allocation_draws(redraw, days, pd.Index(hs), permutations=permutations, seed=seed)
    null = mh_rate_ratio(Y, draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, ln = np.abs(np.log(observed)), np.abs(np.log(null))
    extreme = np.sum(np.nan_to_num(ln, nan=0.0) >= lo - 1e-12)
    R = len(draws)
    return {"statistic": "Mantel-Haenszel rate ratio by hotspot", "observed": observed,
            "p": float((1 + extreme) / (R + 1)), "permutations": int(R),
            "null_q025": float(np.nanquantile(null, 0.025)), "null_q975": float(np.nanquantile(null, 0.975))}


def per_hotspot(panel: pd.DataFrame) -> pd.DataFrame:
    """Per-hotspot counts, harm and rate ratio with an exact conditional 95% interval; harm ratio
    with a delta-method interval on the log scale (blank when either arm has no harm)."""
    g = panel.groupby("hotspot_id")
    t = pd.DataFrame({
        "patrol_days": g["patrolled"].sum(), "other_days": g["patrolled"].size() - g["patrolled"].sum(),
        "count_patrol": g.apply(lambda d: d.loc[d["patrolled"], "count"].sum(), include_groups=False),
        "count_other": g.apply(lambda d: d.loc[~d["patrolled"], "count"].sum(), include_groups=False),
        "harm_patrol": g.apply(lambda d: d.loc[d["patrolled"], "harm"].sum(), include_groups=False),
        "harm_other": g.apply(lambda d: d.loc[~d["patrolled"], "harm"].sum(), include_groups=False),
    })
    if "minutes" in panel.columns:
        t["minutes_patrol_days"] = g.apply(lambda d: d.loc[d["patrolled"], "minutes"].mean(), include_groups=False)
    T1, T0 = t["patrol_days"].to_numpy(float), t["other_days"].to_numpy(float)
    a, b = t["count_patrol"].to_numpy(float), t["count_other"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["rate_patrol"] = a / T1
        t["rate_other"] = b / T0
        t["rate_ratio"] = t["rate_patrol"] / t["rate_other"]
        n = a + b
        plo = np.where(a > 0, stats.beta.ppf(0.025, a, n - a + 1), 0.0)
        phi = np.where(a < n, stats.beta.ppf(0.975, a + 1, n - a), 1.0)
        # p = RR*T1 / (RR*T1 + T0)  =>  RR = p T0 / ((1-p) T1)
        t["ci_low"] = np.where(n > 0, plo * T0 / ((1 - plo) * T1), np.nan)
        t["ci_high"] = np.where(n > 0, np.where(phi < 1, phi * T0 / ((1 - phi) * T1), np.inf), np.nan)
        t["harm_ratio"] = (t["harm_patrol"] / T1) / (t["harm_other"] / T0)
        # harm is a skewed sum of weights: delta-method interval on the log ratio of mean daily harm
        v = panel.assign(_p=panel["patrolled"].astype(bool)).groupby(["hotspot_id", "_p"])["harm"].var(ddof=1)
        v1 = v.xs(True, level="_p").reindex(t.index).to_numpy(float) if True in v.index.get_level_values(1) else np.nan
        v0 = v.xs(False, level="_p").reindex(t.index).to_numpy(float) if False in v.index.get_level_values(1) else np.nan
        m1, m0 = t["harm_patrol"].to_numpy(float) / T1, t["harm_other"].to_numpy(float) / T0
        se = np.sqrt(v1 / (T1 * m1 ** 2) + v0 / (T0 * m0 ** 2))
        t["harm_ci_low"] = np.where((m1 > 0) & (m0 > 0), t["harm_ratio"] * np.exp(-1.96 * se), np.nan)
        t["harm_ci_high"] = np.where((m1 > 0) & (m0 > 0), t["harm_ratio"] * np.exp(1.96 * se), np.nan)
    t["pct_change"] = 100 * (t["rate_ratio"] - 1)
    t["harm_pct_change"] = 100 * (t["harm_ratio"] - 1)
    return t.reset_index()


def dose_bands(panel: pd.DataFrame) -> pd.DataFrame:
    """Mean crime and harm per hotspot-day by minutes delivered."""
    band = pd.cut(panel["minutes"], DOSE_BANDS, right=False, labels=DOSE_LABELS)
    g = panel.groupby(band, observed=False)
    return pd.DataFrame({"hotspot_days": g.size(), "mean_count": g["count"].mean(), "mean_harm": g["harm"].mean()}
                        ).reset_index().rename(columns={"minutes": "dose"})


@dataclass
class TrialEstimates:
    """The trial estimates: pooled GLM and randomisation results per outcome, per-hotspot rate ratios, residual deterrence and dose-response."""
    pooled: dict  # outcome -> GLM dict
    randomisation: dict  # outcome -> RI dict
    per_hotspot: pd.DataFrame
    dose: dict | None
    dose_bands: pd.DataFrame | None
    residual: dict  # outcome -> GLM dict with lag terms
    panel: pd.DataFrame = field(repr=False)
    quarantine: pd.DataFrame = field(repr=False, default=None)


def estimate_trial(panel: pd.DataFrame, *, redraw: Callable[[int], pd.DataFrame] | None = None,
                   permutations: int | None = None, seed: int | None = None, model: str = "poisson",
                   outcomes=("count", "harm"), lags: int = 3) -> TrialEstimates:
    """All the trial estimates from a panel made by :func:`build_panel`."""
    permutations, seed = settings.resolve("permutations", permutations), settings.resolve("seed", seed)
    pooled, ri, residual = {}, {}, {}
    draws = None
    if redraw is not None:
        wide = panel.pivot(index="day", columns="hotspot_id", values="patrolled")
        draws = allocation_draws(redraw, pd.DatetimeIndex(wide.index), wide.columns.astype(str),
                                 permutations=permutations, seed=seed)
    for out in outcomes:
        pooled[out] = fit_glm(panel, out, ["patrolled"], model=model if out == "count" else "poisson")
        if draws is not None:
            ri[out] = randomisation_test(panel, out, draws=draws)
        lag_terms = [f"lag{i}" for i in range(1, lags + 1) if f"lag{i}" in panel.columns]
        if lag_terms:
            residual[out] = fit_glm(panel, out, ["patrolled"] + lag_terms)
    dose = bands = None
    if "minutes" in panel.columns:
        p = panel.assign(per15=panel["minutes"] / 15.0)
        dose = {out: fit_glm(p, out, ["per15"]) for out in outcomes}
        bands = dose_bands(panel)
    return TrialEstimates(pooled, ri, per_hotspot(panel), dose, bands, residual, panel)
