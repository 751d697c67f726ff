"""The charts a commander reads (matplotlib PNGs drawn through :mod:`hotpatrol.plotting`, embedded in the report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.plotting import new_figure, save_figure

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
PATROL, OTHER = "#1f6fb4", "#b0b7bf"


def _save(fig, path: Path) -> Path:
    """Tight layout, then the figure as a picture at ``path`` (110 dpi, as every evaluation chart)."""
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def forest(result, path: Path) -> Path:
    """Forest plot: each hotspot's patrol-day rate ratio with its exact 95% CI (log scale) and the pooled estimate; PNG at ``path``."""
    t = result.estimates.per_hotspot.sort_values("rate_ratio", na_position="first")
    pooled = result.estimates.pooled["count"]["patrolled"]
    fig, ax = new_figure(figsize=(7, 0.28 * len(t) + 1.6))
    y = np.arange(len(t))
    rr = t["rate_ratio"].to_numpy(float)
    lo = np.clip(t["ci_low"].to_numpy(float), 0.02, 50)
    hi = np.clip(t["ci_high"].to_numpy(float), 0.02, 50)
    ok = np.isfinite(rr) & (rr > 0)
    ax.hlines(y, lo, hi, color="#555", lw=1)
    ax.plot(np.where(ok, rr, np.nan), y, "s", color=PATROL, ms=5)
    ax.axvline(1, color="k", lw=0.8)
    ax.axvspan(pooled["ci_low"], pooled["ci_high"], color=PATROL, alpha=0.15, label="pooled 95% CI")
    ax.axvline(pooled["rate_ratio"], color=PATROL, lw=1.5, label=f"pooled {pooled['rate_ratio']:.2f}")
    ax.set_xscale("log")
    ax.set_yticks(y, t["hotspot_id"])
    ax.set_xlabel("rate ratio, patrol days / other days (log scale, exact 95% CI)")
    ax.set_title(f"{result.label[:1].upper() + result.label[1:]} on patrol days, by hotspot")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def by_weekday(result, path: Path) -> Path:
    """Mean crimes per hotspot-day on patrol and other days, by day of week; PNG at ``path``."""
    p = result.estimates.panel
    m = p.groupby(["dow", "patrolled"])["count"].mean().unstack()
    fig, ax = new_figure(figsize=(7, 3.2))
    x = np.arange(7)
    ax.bar(x - 0.2, m.reindex(range(7)).get(True, pd.Series(np.nan, index=range(7))), 0.4, color=PATROL, label="patrol days")
    ax.bar(x + 0.2, m.reindex(range(7)).get(False, pd.Series(np.nan, index=range(7))), 0.4, color=OTHER, label="other days")
    ax.set_xticks(x, DAYS)
    ax.set_ylabel("mean crimes per hotspot-day")
    ax.set_title("Patrol days vs other days, by day of week")
    ax.legend(fontsize=8)
    return _save(fig, path)


def dose(result, path: Path) -> Path | None:
    """Mean crimes per hotspot-day by band of patrol minutes delivered (descriptive); PNG at ``path``, None without dose bands."""
    b = result.estimates.dose_bands
    if b is None:
        return None
    fig, ax = new_figure(figsize=(7, 3.2))
    ax.bar(b["dose"].astype(str), b["mean_count"], color=PATROL)
    for i, n in enumerate(b["hotspot_days"]):
        ax.text(i, 0, f"n={n}", ha="center", va="bottom", fontsize=8, color="white")
    ax.set_xlabel("minutes of patrol delivered that day")
    ax.set_ylabel("mean crimes per hotspot-day")
    ax.set_title("Dose-response (descriptive: minutes are not randomised)")
    return _save(fig, path)


def compliance(result, path: Path) -> Path | None:
    """Share of planned days delivered per hotspot; PNG at ``path``, None without dosage."""
    d = result.dosage_per_hotspot
    if d is None or "compliance" not in d:
        return None
    d = d.sort_values("hotspot_id")
    fig, ax = new_figure(figsize=(7, 3.2))
    ax.bar(d["hotspot_id"].astype(str), 100 * d["compliance"].astype(float), color=PATROL)
    ax.axhline(100, color="k", lw=0.8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of planned days delivered")
    ax.set_title("Compliance by hotspot (at least one Koper visit, >= 10 min)")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    return _save(fig, path)


def residual(result, path: Path) -> Path | None:
    """Rate ratios (95% CI) on the patrol day and the following days (residual deterrence); PNG at ``path``, None without lags."""
    r = result.estimates.residual.get("count")
    if not r:
        return None
    terms = [k for k in r if k == "patrolled" or k.startswith("lag")]
    fig, ax = new_figure(figsize=(7, 2.8))
    labels = ["same day" if t == "patrolled" else f"{t[3:]} day(s) after" for t in terms]
    rr = [r[t]["rate_ratio"] for t in terms]
    lo = [r[t]["ci_low"] for t in terms]
    hi = [r[t]["ci_high"] for t in terms]
    x = np.arange(len(terms))
    ax.errorbar(x, rr, yerr=[np.subtract(rr, lo), np.subtract(hi, rr)], fmt="o", color=PATROL, capsize=4)
    ax.axhline(1, color="k", lw=0.8)
    ax.set_xticks(x, labels)
    ax.set_ylabel("rate ratio (95% CI)")
    ax.set_title("Residual deterrence: effect on the following days")
    return _save(fig, path)


def displacement(result, path: Path) -> Path | None:
    """Crimes before and during the trial in the response, buffer and control areas; PNG at ``path``, None without displacement."""
    d = result.displacement
    if d is None:
        return None
    c = d.counts
    fig, ax = new_figure(figsize=(7, 3.0))
    x = np.arange(len(c))
    ax.bar(x - 0.2, c["before"], 0.4, color=OTHER, label="before")
    ax.bar(x + 0.2, c["after"], 0.4, color=PATROL, label="during trial")
    ax.set_xticks(x, c["area"])
    ax.set_ylabel("crimes")
    ax.set_title(f"Displacement check (WDQ {d.wdq['wdq']:.2f})" if np.isfinite(d.wdq["wdq"]) else "Displacement check")
    ax.legend(fontsize=8)
    return _save(fig, path)


def draw_all(result, out_dir: Path) -> dict[str, Path]:
    """Every chart that applies to ``result`` in ``out_dir``; returns chart name -> PNG path."""
    out = {}
    for name, fn in (("forest", forest), ("weekday", by_weekday), ("dose", dose), ("compliance", compliance),
                     ("residual", residual), ("displacement", displacement)):
        p = fn(result, out_dir / f"{name}.png")
        if p is not None:
            out[name] = p
    return out
