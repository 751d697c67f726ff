"""Before/after with a comparison area (difference in differences) for operations that were not
randomised -- the check a claim like "93% fall in crime in Wincheap" needs.

Counts per area and period (week by default) go into a Poisson GLM with an area effect, a period
fixed effect (shared trend and seasonality) and the treated x after interaction; the interaction's
exponent is the ratio of the treated area's after/before ratio to the comparison area's. The
variance is quasi-Poisson (Pearson scale) so overdispersion widens the interval; weeks are treated
as independent given the period effects, so strong serial correlation would make it too narrow.
The raw change in the treated area alone is reported beside it, because that is the figure press
releases quote: regression to the mean after a spike, and county-wide trends, both inflate it.

Periods that overlap a month a force with events in either area did not publish
(:func:`hotpatrol.events.published_months`) are dropped for both areas (the period effects make
that exact) and named in the notes: a missing month is not a month with no crime.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hotpatrol.errors import HotpatrolError
from hotpatrol.results import Result, Summary, json_safe

FREQS = ("D", "W", "MS")


@dataclass
class BeforeAfterResult(Result):
    """Difference in differences of a treated area against a comparison area (quasi-Poisson GLM).

    ``rate_ratio`` with its 95% CI and p-value, ``raw`` totals and raw % changes, ``counts`` the
    period x area table.
    """
    counts: pd.DataFrame  # period x area counts
    rate_ratio: float
    ci_low: float
    ci_high: float
    p: float
    raw: dict  # treated/comparison totals before and after and raw % changes
    params: dict
    name: str = "before_after"

    @property
    def pct_change(self) -> float:
        """The difference-in-differences change in per cent: ``100 (rate_ratio - 1)``."""
        return 100 * (self.rate_ratio - 1)

    def to_frame(self) -> pd.DataFrame:
        """The period x area counts table."""
        return self.counts.copy()

    def headline(self) -> str:
        """One sentence: the raw change in the treated area and the difference-in-differences change with its CI."""
        r = self.raw
        return (f"Crime in the treated area changed {r['treated_pct']:+.0f}% (raw); against the comparison "
                f"area ({r['comparison_pct']:+.0f}%) the difference-in-differences change is "
                f"{self.pct_change:+.0f}% (95% CI {100 * (self.ci_low - 1):+.0f}% to {100 * (self.ci_high - 1):+.0f}%).")

    def summary(self) -> Summary:
        """Treated and comparison totals before and after, and the difference-in-differences change."""
        r = self.raw
        table = pd.DataFrame([
            ("treated", r["treated_before"], r["treated_after"], f"{r['treated_pct']:+.1f}%"),
            ("comparison", r["comparison_before"], r["comparison_after"], f"{r['comparison_pct']:+.1f}%"),
            ("difference in differences", "", "",
             f"{self.pct_change:+.1f}% (95% CI {100 * (self.ci_low - 1):+.1f}% to {100 * (self.ci_high - 1):+.1f}%, p = {self.p:.3f})"),
        ], columns=["area", "before", "after", "change"])
        notes = [f"Periods of {self.params['freq']}; quasi-Poisson GLM with area and period effects.",
                 "Not randomised: assumes the comparison area shows what would have happened (parallel trends)."]
        if self.params.get("missing_note"):
            notes.append(self.params["missing_note"])
        return Summary("Before/after with a comparison area", table, notes)

    def to_dict(self) -> dict:
        """JSON-safe rate ratio, CI, p-value, raw totals, headline and parameters."""
        return json_safe({"name": self.name, "rate_ratio": self.rate_ratio, "pct_change": self.pct_change,
                          "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p, "raw": self.raw,
                          "headline": self.headline(), "params": self.params})


def did_from_counts(counts: pd.DataFrame) -> tuple[float, float, float, float]:
    """Fit the DiD GLM on a long table ``period, treated (bool), after (bool), count``."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from threadpoolctl import threadpool_limits

    per = pd.Categorical(counts["period"])
    P = np.eye(len(per.categories))[per.codes][:, 1:]
    tr = counts["treated"].to_numpy(float)
    X = np.column_stack([tr * counts["after"].to_numpy(float), tr, np.ones(len(counts)), P])
    y = counts["count"].to_numpy(float)
    if y[tr == 1].sum() == 0 or y[tr == 0].sum() == 0:
        raise HotpatrolError("Both areas need some crime for a before/after comparison.", parameter="events")
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = GLM(y, X, family=families.Poisson()).fit(scale="X2")
    b, se = float(res.params[0]), float(res.bse[0])
    df = max(int(res.df_resid), 1)
    q = stats.t.ppf(0.975, df)
    return float(np.exp(b)), float(np.exp(b - q * se)), float(np.exp(b + q * se)), float(2 * stats.t.sf(abs(b / se), df))


def before_after(events: pd.DataFrame, treated, comparison, *, start, before: tuple | None = None,
                 after: tuple | None = None, freq: str = "W", categories=None, crs: str | None = None) -> BeforeAfterResult:
    """Difference in differences for an operation that began at ``start`` in ``treated``.

    ``treated``/``comparison``: polygons, GeoDataFrames, files, or hotspot tables (cells).
    ``before``/``after`` default to the 26 weeks each side of ``start``.
    """
    import shapely

    from hotpatrol.evaluate.displacement import _as_geometry
    from hotpatrol.evaluate.trial import event_time, event_xy
    from hotpatrol.places.crs import choose_metric_crs

    if freq not in FREQS:
        raise HotpatrolError("Unknown period length.", parameter="freq", allowed=list(FREQS), given=freq)
    start = pd.Timestamp(start)
    before = before or (start - pd.Timedelta(weeks=26), start)
    after = after or (start, start + pd.Timedelta(weeks=26))
    crs = crs or (choose_metric_crs(events["lon"], events["lat"]) if "lon" in events else None)
    geoms = []
    for name, area in (("treated", treated), ("comparison", comparison)):
        if isinstance(area, pd.DataFrame) and not hasattr(area, "geometry"):
            from hotpatrol.evaluate.trial import _geofences

            g = _geofences(area, crs)
            crs = g.crs
            geoms.append(shapely.union_all(shapely.box(g.xmin, g.ymin, g.xmax, g.ymax)))
        else:
            geom = _as_geometry(area, crs)
            if geom is None:
                raise HotpatrolError(f"The {name} area is missing.", parameter=name)
            geoms.append(geom)
    if shapely.intersects(geoms[0], geoms[1]) and shapely.area(shapely.intersection(geoms[0], geoms[1])) > 0:
        raise HotpatrolError("The treated and comparison areas overlap.", parameter="comparison",
                             fix="Choose a comparison area outside the treated area (and its buffer).")
    ev = events if categories is None else events[events["category"].isin(list(categories))]
    t = event_time(ev)
    x, y = event_xy(ev, crs)
    rows = []
    in_areas = np.zeros(len(ev), dtype=bool)
    for geom in geoms:
        in_areas |= np.asarray(shapely.contains_xy(geom, x, y), dtype=bool)
    for label, (s, e) in (("before", before), ("after", after)):
        s, e = pd.Timestamp(s), pd.Timestamp(e)
        if not e > s:
            raise HotpatrolError(f"The {label} period must end after it starts.", parameter=label)
        sel = ((t >= s) & (t < e)).to_numpy()
        idx = pd.period_range(s, e - pd.Timedelta(seconds=1), freq="M" if freq == "MS" else freq)
        for ai, geom in enumerate(geoms):
            shapely.prepare(geom)
            inside = sel & shapely.contains_xy(geom, x, y)
            per = t[inside].dt.to_period("M" if freq == "MS" else freq)
            c = per.value_counts().reindex(idx, fill_value=0)
            rows.append(pd.DataFrame({"period": idx.astype(str), "treated": ai == 0, "after": label == "after",
                                      "count": c.to_numpy()}))
    counts = pd.concat(rows, ignore_index=True)
    counts, missing_note = _drop_unpublished(counts, events, ev[in_areas], "M" if freq == "MS" else freq)
    rr, lo, hi, p = did_from_counts(counts)
    tot = counts.groupby(["treated", "after"])["count"].sum()
    raw = {"treated_before": int(tot[(True, False)]), "treated_after": int(tot[(True, True)]),
           "comparison_before": int(tot[(False, False)]), "comparison_after": int(tot[(False, True)])}
    with np.errstate(divide="ignore", invalid="ignore"):
        nb = counts[(counts.treated) & (~counts.after)].shape[0]
        na = counts[(counts.treated) & (counts.after)].shape[0]
        raw["treated_pct"] = 100 * ((raw["treated_after"] / na) / (raw["treated_before"] / nb) - 1)
        raw["comparison_pct"] = 100 * ((raw["comparison_after"] / na) / (raw["comparison_before"] / nb) - 1)
    params = {"start": str(start), "before": [str(v) for v in before], "after": [str(v) for v in after],
              "freq": {"D": "days", "W": "weeks", "MS": "months"}[freq], "missing_note": missing_note}
    return BeforeAfterResult(counts, rr, lo, hi, p, raw, params)


def _drop_unpublished(counts: pd.DataFrame, events: pd.DataFrame, area_events: pd.DataFrame, freq: str):
    """Drop the periods overlapping months a force with events in the areas did not publish."""
    from hotpatrol.events import describe_missing, forces_missing, overlaps_missing

    if len(counts) == 0:
        return counts, None
    periods = pd.PeriodIndex(counts["period"].unique(), freq=freq)
    gaps = forces_missing(events, area_events, periods.min().start_time.to_period("M"),
                          periods.max().end_time.to_period("M"))
    if not gaps:
        return counts, None
    gone = set(periods[overlaps_missing(periods, gaps)].astype(str))
    kept = counts[~counts["period"].isin(gone)].reset_index(drop=True)
    for label, after in (("before", False), ("after", True)):
        if not (kept["after"] == after).any():
            raise HotpatrolError(f"The whole {label} period falls in months with no data ({describe_missing(gaps)}).",
                                 parameter=label, fix="Choose before/after periods with published months.")
    note = (f"{len(gone)} period(s) dropped for both areas because they overlap months with no data "
            f"({describe_missing(gaps)}); a missing month is not a month with no crime.")
    return kept, note
