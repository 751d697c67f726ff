"""Rolling-origin backtests: many models, many windows, pooled and per-window metrics with CIs.

For window ``i`` of ``windows`` consecutive windows ending at ``end`` (default: the end of the
data), every model is fitted on all events before the window's start (the cut-off) and predicts
the whole window. The events in the window are counted per place and scored at each area share
(``levels``) and top-N with :mod:`hotpatrol.forecast.metrics`.

*Area* is the places layer: by default every ``cell``-metre cell of the grid bounding all the
events passed (``area="box"``), or only the cells with at least one event before the first
cut-off (``area="active"``), or any PlacesLayer you pass. Pooled figures sum hits and events over
windows. Confidence intervals are percentile bootstraps, resampling windows (``ci="windows"``) or
events (``ci="events"``); ``ci="auto"`` uses windows when there are 8 or more, else events.

Horizons are durations ('7D', '1D') or ``'1M'`` for calendar months (the natural window for
police.uk data, whose times are known only to the month).

A window that overlaps months a force did not publish (:func:`hotpatrol.events.published_months`)
is skipped, not scored as a window with no crime; the notes and the run record
(``skipped_windows``) name it and the months. When every window falls in such months the backtest
raises a HotpatrolError naming them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.events import describe_missing, with_published
from hotpatrol.forecast.base import Forecast, Forecaster
from hotpatrol.forecast.metrics import (
    _levels,
    chance_oracle,
    counts_at,
    coverage_curve,
    metrics_from_counts,
)
from hotpatrol.forecast.prepared import ensure_xy, prepare
from hotpatrol.forecast.shifts import place_profiles, shift_forecast
from hotpatrol.forecast.timeaxis import from_days, parse_horizon, to_days, window_spans
from hotpatrol.places.layer import PlacesLayer
from hotpatrol.results import Result, Summary, json_safe
from hotpatrol.text import plural
from hotpatrol.timeprofile import parse_shift

MONTH_HORIZONS = ("1M", "month", "1MS")


def resolve_models(models, random_state=None) -> dict[str, Forecaster]:
    """Names ('naive,kde'), a list of names/instances, or a dict label -> instance/params."""
    from hotpatrol.forecast import MODELS

    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if isinstance(models, Forecaster):
        models = [models]
    items = models.items() if isinstance(models, dict) else [(None, m) for m in models]
    out: dict[str, Forecaster] = {}
    for label, m in items:
        if isinstance(m, str) or (isinstance(m, dict) and "model" in m):
            name = m if isinstance(m, str) else m["model"]
            if name not in MODELS:
                raise HotpatrolError(f"Unknown or unavailable forecasting model {name!r}.", parameter="models",
                                     allowed=sorted(MODELS), given=name)
            inst = MODELS[name]()
            if isinstance(m, dict):
                inst.set_params(**m.get("params", {}))
            label = label or name
        elif isinstance(m, Forecaster):
            inst = type(m)(**m.get_params())  # a fresh, unfitted copy
            label = label or getattr(m, "name", type(m).__name__)
        else:
            raise HotpatrolError("A model must be a name or a Forecaster.", parameter="models",
                                 allowed=sorted(MODELS), given=repr(m))
        if random_state is not None and "random_state" in inst.get_params() and inst.random_state is None:
            inst.set_params(random_state=random_state)
        if label in out:
            raise HotpatrolError("Model labels must be unique.", parameter="models", given=label)
        out[label] = inst
    if not out:
        raise HotpatrolError("No models to backtest.", parameter="models", allowed=sorted(MODELS), given=models)
    return out


@dataclass
class BacktestResult(Result):
    """Per-window and pooled accuracy of several models over the same windows and places."""

    windows: pd.DataFrame  # one row per model x window x level
    pooled: pd.DataFrame  # one row per model x level, with bootstrap CI of the hit rate
    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # pooled coverage curves
    timings: pd.DataFrame  # model, fit_seconds, predict_seconds
    record: dict[str, Any]  # everything needed to re-run
    notes: list[str] = field(default_factory=list)
    places: Any = None

    name = "backtest"

    def to_frame(self, per: str = "pooled") -> pd.DataFrame:
        """The comparison table: ``per="pooled"`` (model x level) or ``"window"`` (model x window x level)."""
        check_choice("per", per, ["pooled", "window"])
        return (self.pooled if per == "pooled" else self.windows).copy()

    def table(self) -> pd.DataFrame:
        """Wide comparison: one row per model, hit rate % [CI] and PAI per level, plus seconds.

        PEI, PEI* and RRI are in :meth:`to_frame`."""
        rows = []
        for model, g in self.pooled.groupby("model", sort=False):
            row: dict[str, Any] = {"model": model}
            for _, r in g.iterrows():
                lv = r["level"]
                row[f"hit {lv}"] = f"{100 * r['hit_rate']:.1f}"
                if np.isfinite(r.get("ci_low", np.nan)):
                    row[f"hit {lv}"] += f" [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]"
                row[f"PAI {lv}"] = round(float(r["pai"]), 2)
            t = self.timings[self.timings["model"] == model]
            row["seconds"] = round(float(t["fit_seconds"].sum() + t["predict_seconds"].sum()), 2) if len(t) else None
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """Pooled hit rates per model and level with their bootstrap CIs (:class:`Summary`: text/HTML/CSV);
        the notes say what the oracle and hindsight rows knew, and name skipped windows."""
        r = self.record
        title = (f"Backtest: {r['windows']} window(s) of {r['horizon']} to {r['end']}, "
                 f"{plural(r['n_places'], 'place')} (area={r['area']})")
        models = set(self.pooled["model"])
        head = (f"Hit rate % pooled over windows, {r['ci']} bootstrap 95% CI ({r['n_boot']} resamples, "
                f"seed {r['random_state']})")
        if "oracle" in models:
            head += "; 'oracle' knew the window's events, 'hindsight' every place's mean over all test windows"
        notes = [head + "."] + self.notes
        return Summary(title, self.table(), notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"name", "summary", "pooled", "windows", ...}``: the pooled table, one row per model
        x window x level, and the run record (ISO 8601 times, NaN -> null)."""
        return json_safe({
            "name": self.name,
            "summary": self.summary().title,
            "pooled": json.loads(self.pooled.to_json(orient="records")),
            "windows": json.loads(self.windows.to_json(orient="records", date_format="iso")),
            "timings": json.loads(self.timings.to_json(orient="records")),
            "record": self.record,
            "notes": self.notes,
        })

    def plot_coverage(self, path: str | Path) -> Path:
        """Pooled coverage curves (share of events vs share of area) as a PNG."""
        from hotpatrol.plotting import new_figure, save_figure

        fig, (ax, ax2) = new_figure(1, 2, figsize=(11, 4.5))
        for model, (x, y) in self.curves.items():
            style = {"color": "black", "ls": {"oracle": "--", "hindsight": ":"}[model]} \
                if model in ("oracle", "hindsight") else {}
            ax.plot(100 * x, 100 * y, label=model, **style)
            sel = x <= 0.2
            ax2.plot(100 * x[sel], 100 * y[sel], label=model, **style)
        for a, lim in ((ax, 100), (ax2, 20)):
            a.set_xlabel("% of area (places, highest forecast risk first)")
            a.set_ylabel("% of events captured (pooled)")
            a.set_xlim(0, lim)
            a.grid(alpha=0.3)
        ax.plot([0, 100], [0, 100], color="grey", lw=0.5)
        ax2.set_title("first 20 % of area")
        ax.legend(fontsize=8)
        fig.suptitle(self.summary().title, fontsize=9)
        fig.tight_layout()
        return save_figure(fig, path, dpi=110)

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write run.json (the re-runnable record), summary.csv/.html/.txt, windows.csv, coverage.png."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "run": out / "run.json", "summary_csv": out / "summary.csv", "summary_html": out / "summary.html",
            "summary_txt": out / "summary.txt", "windows": out / "windows.csv", "coverage": out / "coverage.png",
        }
        paths["run"].write_text(json.dumps(self.record, indent=2, default=str))
        s = self.summary()
        paths["summary_csv"].write_text(self.pooled.to_csv(index=False))
        paths["summary_html"].write_text(s.as_html())
        paths["summary_txt"].write_text(s.as_text() + "\n")
        self.windows.to_csv(paths["windows"], index=False)
        self.plot_coverage(paths["coverage"])
        return paths


def backtest(
    events: pd.DataFrame,
    models="naive,kde,prospective",
    *,
    windows: int = 8,
    horizon="7D",
    end=None,
    places: PlacesLayer | None = None,
    cell: float = 150.0,
    area: str = "box",
    levels=(0.01, 0.05, 0.10),
    top_n=(20,),
    ci: str = "auto",
    n_boot: int = 1000,
    random_state: int | None = 0,
    oracle: bool = True,
    baseline: str | None = "auto",
    shift=None,
    data: dict | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``models`` on ``events``; see the module docstring.

    ``data`` is free-form provenance stored in the run record (db URL, category filter, ...).
    ``baseline`` (a model label; ``"auto"``: naive when backtested; None: none): every other model's
    pooled hit rate minus the baseline's, with a paired bootstrap CI (``vs_baseline``, ``vs_low``,
    ``vs_high`` in :meth:`BacktestResult.to_frame`), and a note naming the models whose CI lies
    wholly above or below it.
    ``shift`` (a name such as ``"night"`` or ``"night=22:00-06:00"``): score only the test events
    whose exact time falls in the shift, and give every model's forecast the shift's share of each
    place's hour-of-week profile (:mod:`hotpatrol.forecast.shifts`), built from the training events
    of each window. The baseline is also scored unadjusted (``"<baseline> (all hours)"``), so the
    paired comparison shows what the time profiles add. Needs exact (hour or minute) test times.
    """
    from hotpatrol import __version__

    if not isinstance(windows, (int, np.integer)) or isinstance(windows, bool) or windows < 1:
        raise HotpatrolError("windows must be a positive integer.", parameter="windows",
                             allowed="an integer >= 1", given=windows)
    check_choice("area", area, ["box", "active"])
    check_choice("ci", ci, ["auto", "windows", "events", "none"])
    month = isinstance(horizon, str) and horizon.strip() in MONTH_HORIZONS
    hz: Any = "1M" if month else parse_horizon(horizon)
    model_map = resolve_models(models, random_state)
    reserved = sorted({"oracle", "hindsight"} & set(model_map)) if oracle else []
    if reserved:
        raise HotpatrolError("'oracle' and 'hindsight' are the backtest's own rows; label the model otherwise.",
                             parameter="models", given=reserved)
    events = with_published(ensure_xy(events))  # published months derived once, not per training subset
    # one preparation of the full table gives grid, times and the test counts of every window
    prep_all, grid_places = prepare(events, places=places, cell=cell, model="backtest")
    if places is None:
        places = grid_places
    t0_all = to_days(events["occurred_at"].fillna(events["occurred_from"])) if "occurred_at" in events else \
        to_days(events["occurred_from"])
    if end is None:
        last = from_days(prep_all.end)
        end = last if prep_all.month_only else last.ceil("D")
    end = pd.Timestamp(end)
    spans = window_spans(end, int(windows), hz)
    first_cut = spans[0][0]
    # windows whose scored period overlaps unpublished months are skipped, not scored as empty
    skipped = {(a, b): prep_all.missing_between(*to_days([a, b])) for a, b in spans}
    skipped = {k: v for k, v in skipped.items() if v}
    if skipped and len(skipped) == len(spans):
        raise HotpatrolError(
            f"Every backtest window overlaps months with no data ({describe_missing(prep_all.missing)}); "
            "an unpublished month cannot be scored.", parameter="end", given=str(end),
            fix="Move --end or change --windows so the windows fall in published months.")
    if to_days([first_cut])[0] <= prep_all.start:
        raise HotpatrolError(
            "The backtest windows reach back before the data begin: the horizon x windows is longer than the data.",
            parameter="windows", allowed=f"fewer windows or a shorter horizon (data start {from_days(prep_all.start)})",
            given=f"{windows} x {horizon}",
        )
    xs, ys = events["x"].to_numpy(float), events["y"].to_numpy(float)
    idx_all = places.assign(xs, ys)
    if area == "active":
        t_first = to_days([first_cut])[0]
        active = np.unique(idx_all[(idx_all >= 0) & (t0_all < t_first)])
        places = places.subset(active)
        idx_all = places.assign(xs, ys)
    n = places.n
    # event windows (for train/test membership)
    tf = to_days(events["occurred_from"]) if "occurred_from" in events else t0_all
    tt = to_days(events["occurred_to"]) if "occurred_to" in events else np.full(len(events), np.nan)
    win = np.isfinite(tt) & np.isfinite(tf) & (tt > tf)
    ev_start = np.where(win, tf, t0_all)
    ev_end = np.where(win, tt, t0_all)
    # share of events known only to a window longer than the horizon (e.g. police.uk months in 7-day windows)
    h_days = 31.0 if month else hz / pd.Timedelta(days=1)
    coarse = float(np.mean(win & (ev_end - ev_start > h_days + 1e-6)))
    label_levels = _levels(levels, top_n, n)
    rows, event_rows, timing = [], [], []
    curves_sum: dict[str, np.ndarray] = {}
    curve_x = np.linspace(0, 1, 201)
    last_notes: dict[str, list[str]] = {}  # each model's notes on the last window (the most data)
    baseline_label = ("naive" if "naive" in model_map else None) if baseline == "auto" else baseline
    if baseline_label is not None and baseline_label not in model_map:
        raise HotpatrolError("The baseline must be one of the backtested models.", parameter="baseline",
                             allowed=sorted(model_map), given=baseline)
    shift_spec, in_shift, exact_time = None, None, None
    if shift is not None:
        shift_spec, in_shift, exact_time = _shift_membership(events, shift)
    skipped_notes = [f"Window {a:%Y-%m-%d} to {b:%Y-%m-%d} skipped: no data for {describe_missing(gap)} "
                     "(months not published, not months without crime)." for (a, b), gap in skipped.items()]
    spans = [ab for ab in spans if ab not in skipped]
    masks = []  # every window's train/test membership first: the hindsight rate needs all test counts
    for wi, (a, b) in enumerate(spans):
        ta, tb = to_days([a, b])
        train_mask = np.where(win, ev_end <= ta, ev_start < ta)
        test_mask = (ev_start >= ta) & (ev_start < tb) & (idx_all >= 0)
        if shift_spec is not None:
            vague = int((test_mask & ~exact_time).sum())
            if vague:
                raise HotpatrolError(
                    f"{vague} test event(s) have no exact time of day, so they cannot be placed in a shift.",
                    parameter="shift", allowed="events with hour or minute times", given=shift,
                    fix="Backtest shifts on force records with times, or drop --shift.")
            test_mask = test_mask & in_shift
        if (test_mask & win & (ev_end - ev_start > (tb - ta) + 1e-6)).any() or (wi == 0 and coarse > 0.05):
            raise HotpatrolError(
                "Some test events are known only to a window longer than the forecast horizon "
                "(e.g. police.uk months with a 7-day horizon), so hits cannot be scored.",
                parameter="horizon", allowed="'1M' for month-only data", given=str(horizon),
                fix="Use --horizon 1M with police.uk data.",
            )
        masks.append((train_mask, test_mask, np.bincount(idx_all[test_mask], minlength=n).astype(float)))
    test_rate = np.sum([m[2] for m in masks], axis=0) / len(masks)
    for wi, (a, b) in enumerate(spans):
        train_mask, test_mask, actual = masks[wi]
        train = events.loc[train_mask]
        reference = np.bincount(idx_all[train_mask & (idx_all >= 0)], minlength=n).astype(float)
        test_idx = idx_all[test_mask]
        forecasts: dict[str, Forecast] = {}
        for label, proto in model_map.items():
            reuse = _reusable_members(proto, model_map, forecasts)
            if reuse is not None:  # an ensemble of models already run on this window: combine, don't refit
                t1 = time.perf_counter()
                forecasts[label] = proto.combine(reuse, _ensemble_weights(proto))
                timing.append({"model": label, "window": wi, "fit_seconds": 0.0,
                               "predict_seconds": time.perf_counter() - t1})
                continue
            model = type(proto)(**proto.get_params())
            if model.get_params().get("horizon", "") is None:  # models trained for one horizon
                model.set_params(horizon=b - a)
            t1 = time.perf_counter()
            model.fit(train, places=places)
            t2 = time.perf_counter()
            fc = model.predict(a, b - a)
            t3 = time.perf_counter()
            forecasts[label] = fc
            timing.append({"model": label, "window": wi, "fit_seconds": t2 - t1, "predict_seconds": t3 - t2})
            last_notes[label] = list(fc.notes)
        if shift_spec is not None:
            profile = place_profiles(train, places)
            all_hours = forecasts.get(baseline_label)  # shift_forecast returns new forecasts
            forecasts = {label: shift_forecast(fc, profile, shift_spec) for label, fc in forecasts.items()}
            if all_hours is not None:
                forecasts[f"{baseline_label} (all hours)"] = all_hours
        if oracle:
            forecasts["hindsight"] = Forecast("hindsight", places, test_rate, a, b - a, [], random_state)
            forecasts["oracle"] = Forecast("oracle", places, actual, a, b - a, [], random_state)
        for label, fc in forecasts.items():
            if fc.risk.shape != (n,):
                raise HotpatrolError(f"Model {label!r} returned a risk of the wrong shape.", parameter="models",
                                     allowed=f"({n},)", given=fc.risk.shape)
            order = fc.ranking()
            rank = np.empty(n, dtype=np.int64)
            rank[order] = np.arange(n)
            for lv, k in label_levels:
                c = counts_at(order, actual, k, reference)
                rows.append({"model": label, "window": wi, "start": a, "end": b, "level": lv, **c,
                             **metrics_from_counts(c)})
            event_rows.append((label, wi, rank[test_idx]))
            _, y = coverage_curve(order, actual)
            curves_sum.setdefault(label, np.zeros_like(curve_x))
            curves_sum[label] = curves_sum[label] + np.nan_to_num(y) * actual.sum()
    by_text: dict[str, list[str]] = {}
    for label, texts in last_notes.items():
        for text in texts:
            by_text.setdefault(text, []).append(label)
    notes = skipped_notes + [f"{', '.join(labels)} (last window): {text}" for text, labels in by_text.items()]
    per_window = pd.DataFrame(rows)
    totals = per_window.drop_duplicates(["model", "window"]).groupby("model", sort=False)["total"].sum()
    curves = {m: (curve_x, v / totals[m] if totals[m] > 0 else v) for m, v in curves_sum.items()}
    ci_kind = ("windows" if len(spans) >= 8 else "events") if ci == "auto" else ci
    baseline = baseline_label
    pooled = _pool(per_window, event_rows, label_levels, ci_kind, n_boot, random_state, baseline)
    notes.extend(_against_baseline(pooled, baseline))
    tim = pd.DataFrame(timing).groupby("model", sort=False)[["fit_seconds", "predict_seconds"]].sum().reset_index() \
        if timing else pd.DataFrame(columns=["model", "fit_seconds", "predict_seconds"])
    chance = _chance(pooled, test_rate, [m[2].sum() for m in masks], label_levels, random_state) \
        if oracle and test_rate.sum() > 0 else {}
    if chance:
        notes.append(chance["note"])
    record = {
        "hotpatrol_version": __version__,
        "created": pd.Timestamp.now().isoformat(timespec="seconds"),
        "models": {lb: {"model": getattr(m, "name", type(m).__name__), "class": type(m).__name__,
                        "params": _jsonable_params(m.get_params())} for lb, m in model_map.items()},
        "windows": int(windows), "horizon": "1M" if month else str(horizon), "end": str(end),
        "cutoffs": [[str(a), str(b)] for a, b in spans],
        "skipped_windows": [{"start": str(a), "end": str(b), "missing": describe_missing(gap)}
                            for (a, b), gap in skipped.items()],
        "cell": float(places.grid.cell) if places.grid is not None else None,
        "area": area, "n_places": int(n), "levels": list(levels), "top_n": [int(t) for t in top_n],
        "ci": ci_kind, "n_boot": int(n_boot), "random_state": random_state, "baseline": baseline,
        "shift": list(shift_spec) if shift_spec is not None else None,
        "data": {**(data or {}), "n_events": int(len(events)), "first": str(from_days(prep_all.start)),
                 "last": str(from_days(prep_all.end)), "crs": places.crs},
        "chance": {k: v for k, v in chance.items() if k != "note"},
    }
    return BacktestResult(per_window, pooled, curves, tim, record, notes, places)


def _shift_membership(events, shift):
    """(shift, in_shift, exact): whether each event's clock time lies in the shift, and has one."""
    from hotpatrol.timeprofile import clock_hours, event_windows

    spec = parse_shift(shift)
    start, _, kind = event_windows(events)
    exact = kind == "exact"
    clock = (start.dt.hour + start.dt.minute / 60.0).to_numpy(dtype=float)
    ta, tb = clock_hours(spec[1]), clock_hours(spec[2])
    inside = (clock >= ta) & (clock < tb) if tb > ta else (clock >= ta) | (clock < tb)
    return spec, exact & inside, exact


def _against_baseline(pooled, baseline) -> list[str]:
    if baseline is None or "vs_low" not in pooled:
        return []
    rows = pooled[pooled["model"].ne(baseline) & ~pooled["model"].isin(["oracle", "hindsight"])]
    notes = []
    for word, sel in (("above", rows["vs_low"] > 0), ("below", rows["vs_high"] < 0)):
        hits = [f"{r.model} at {r.level} ({100 * r.vs_baseline:+.1f} points, CI {100 * r.vs_low:+.1f} to "
                f"{100 * r.vs_high:+.1f})" for r in rows[sel].itertuples()]
        if hits:
            notes.append(f"Significantly {word} {baseline} (paired bootstrap): " + "; ".join(hits) + ".")
    if not notes and len(rows):
        notes.append(f"No model differs from {baseline} beyond its paired 95% CI at any level.")
    return notes


def _chance(pooled, test_rate, totals, label_levels, seed) -> dict[str, Any]:
    """Hindsight and oracle beside the oracle expected from Poisson chance around the hindsight rate."""
    ks = [k for _, k in label_levels]
    sim = chance_oracle(test_rate, totals, ks, random_state=seed)
    hit = pooled.set_index(["model", "level"])["hit_rate"]
    labels = [lv for lv, _ in label_levels]
    out = {"levels": labels, "hindsight": [float(hit[("hindsight", lv)]) for lv in labels],
           "oracle": [float(hit[("oracle", lv)]) for lv in labels], "oracle_if_chance": [float(v) for v in sim]}
    pct = {key: "/".join(f"{100 * v:.1f}" for v in out[key]) for key in ("hindsight", "oracle", "oracle_if_chance")}
    lead = out["oracle"][0] - out["hindsight"][0]
    explained = min(1.0, max(0.0, (out["oracle_if_chance"][0] - out["hindsight"][0]) / lead)) if lead > 0 else 0.0
    share = "" if lead <= 0 else (
        f" At {labels[0]} chance accounts for {explained:.0%} of the oracle's lead over hindsight; that part is "
        f"luck no forecast made before the window can reach.")
    out["note"] = (f"hindsight ranked places by their mean count over all test windows, which no forecast can know "
                   f"(hit % {pct['hindsight']} at {'/'.join(labels)}); if each window were Poisson chance around "
                   f"that rate the oracle would score {pct['oracle_if_chance']} (observed {pct['oracle']})." + share)
    return out


def _reusable_members(proto, model_map, forecasts) -> list[Forecast] | None:
    """The members' forecasts of this window when ``proto`` is an ensemble whose members (with the
    settings the ensemble would give them) were all backtested already; else None."""
    from hotpatrol.forecast import MODELS
    from hotpatrol.forecast.ensemble import EnsembleForecaster

    if not isinstance(proto, EnsembleForecaster) or proto.validation_windows:
        return None  # validated weights need the members refitted before each cut-off
    out = []
    for name in proto.member_names():
        done = model_map.get(name)
        if name not in MODELS or done is None or type(done) is not MODELS[name] or name not in forecasts:
            return None
        expect = MODELS[name]().get_params()
        for key in ("cell", "random_state", "horizon"):
            if key in expect and getattr(proto, key) is not None:
                expect[key] = getattr(proto, key)
        got = done.get_params()
        if "horizon" in expect and expect["horizon"] is None:
            got = {**got, "horizon": None}
        if _jsonable_params(got) != _jsonable_params(expect):
            return None
        out.append(forecasts[name])
    return out


def _ensemble_weights(proto):
    n = len(proto.member_names())
    w = np.ones(n) if proto.weights is None else np.asarray(proto.weights, dtype=float)
    return w / w.sum()


def _jsonable_params(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if v is None or isinstance(v, (str, int, float, bool)):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(i, (str, int, float, bool)) for i in v):
            out[k] = list(v)
        else:
            out[k] = str(v)
    return out


def _pool(per_window, event_rows, label_levels, ci_kind, n_boot, seed, baseline=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sums = ["hits", "total", "oracle_hits", "a_star", "ref_hits", "ref_total"]
    ranks = {lb: np.concatenate([r for m, _, r in event_rows if m == lb]) for lb in {m for m, _, _ in event_rows}}
    base = per_window[per_window["model"] == baseline].set_index(["level", "window"]) if baseline else None
    out = []
    for (model, level), g in per_window.groupby(["model", "level"], sort=False):
        c = {s: float(g[s].sum()) for s in sums}
        c["k"] = int(g["k"].iloc[0])
        c["n"] = int(g["n"].iloc[0])
        # pooled a* must be recomputed per window; use the sum of per-window a* against windows x k
        m = metrics_from_counts(c)
        m["pei_star"] = c["a_star"] / (c["k"] * len(g)) if c["total"] > 0 else np.nan
        lo = hi = np.nan
        # paired difference in hit rate from the baseline model: the same resamples for both
        other = None
        if base is not None and model != baseline:
            other = base.loc[level].reindex(g["window"])["hits"].to_numpy()
        row = {}
        if ci_kind == "windows" and len(g) > 1 and n_boot > 0:
            hits, tot = g["hits"].to_numpy(), g["total"].to_numpy()
            pick = rng.integers(0, len(g), size=(n_boot, len(g)))
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = hits[pick].sum(1) / tot[pick].sum(1)
                lo, hi = np.nanpercentile(boot, [2.5, 97.5])
                if other is not None:
                    row["vs_low"], row["vs_high"] = np.nanpercentile(
                        (hits[pick].sum(1) - other[pick].sum(1)) / tot[pick].sum(1), [2.5, 97.5])
        elif ci_kind == "events" and n_boot > 0:
            k = c["k"]
            caught = ranks[model] < k if model in ranks else np.array([])
            if len(caught):
                pick = rng.integers(0, len(caught), size=(n_boot, len(caught)))
                boot = caught[pick].mean(1)
                lo, hi = np.percentile(boot, [2.5, 97.5])
                if other is not None and baseline in ranks:
                    diff = caught.astype(float) - (ranks[baseline] < k)
                    row["vs_low"], row["vs_high"] = np.percentile(diff[pick].mean(1), [2.5, 97.5])
        if other is not None:
            row["vs_baseline"] = (c["hits"] - float(other.sum())) / c["total"] if c["total"] > 0 else np.nan
        out.append({"model": model, "level": level, "k": c["k"], "n": c["n"], "windows": len(g),
                    "hits": c["hits"], "total": c["total"], **m, "ci_low": lo, "ci_high": hi, **row})
    return pd.DataFrame(out)


def rerun(record: dict | str | Path, events: pd.DataFrame, **overrides) -> BacktestResult:
    """Re-run a backtest from its run record (run.json) on ``events`` (the same data window)."""
    if not isinstance(record, dict):
        try:
            record = json.loads(Path(record).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise HotpatrolError(f"Cannot read the run record: {exc}", parameter="rerun", given=str(record)) from None
    need = ["models", "windows", "horizon", "end", "area", "levels", "top_n", "ci", "n_boot", "random_state"]
    missing = [k for k in need if k not in record]
    if missing:
        raise HotpatrolError(f"The run record lacks {missing}.", parameter="rerun",
                             fix="Pass a run.json written by hotpatrol forecast backtest --out.")
    from hotpatrol.forecast import MODELS

    models = {}
    for label, spec in record["models"].items():
        cls = next((c for c in MODELS.values() if c.__name__ == spec["class"]), None)
        if cls is None:
            raise HotpatrolError(f"The run record names an unavailable model {spec['class']!r}.", parameter="rerun",
                                 allowed=sorted(MODELS), given=spec["class"])
        models[label] = cls(**spec["params"])
    kw = dict(windows=record["windows"], horizon=record["horizon"], end=record["end"], area=record["area"],
              levels=tuple(record["levels"]), top_n=tuple(record["top_n"]), ci=record["ci"],
              n_boot=record["n_boot"], random_state=record["random_state"], data=record.get("data"),
              cell=record.get("cell") or 150.0, baseline=record.get("baseline", "auto"),
              shift=record.get("shift"))
    kw.update(overrides)
    return backtest(events, models, **kw)

