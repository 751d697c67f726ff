"""HTML (and, via weasyprint, PDF) report of a trial evaluation, charts embedded as data URIs."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol import __version__
from hotpatrol.render import render_template, trusted

METHOD = [
    "Unit: hotspot-day; operational days start at the configured hour (06:00 by default).",
    "Pooled effect: Poisson quasi-likelihood GLM with hotspot and day-of-week fixed effects; cluster-robust "
    "standard errors by hotspot; 95% intervals from t with (hotspots - 1) degrees of freedom. Harm (CCHI days) "
    "uses the same quasi-Poisson model: consistent for a skewed continuous outcome, with robust variance.",
    "Randomisation inference: the stored allocation scheme is re-drawn many times; the p-value is the share of "
    "re-draws whose hotspot-stratified Mantel-Haenszel rate ratio is at least as far from 1 as the observed one.",
    "Per hotspot: rate ratio with an exact conditional (Clopper-Pearson) 95% interval.",
    "Comparison is patrol (planned) days vs other days: an intention-to-treat effect, diluted by missed patrols "
    "and by patrols in control hotspot-days (contamination).",
    "Dose-response is descriptive: minutes delivered were not randomised.",
    "Displacement: Weighted Displacement Quotient (Bowers & Johnson 2003) and Difference (Ratcliffe & Breen 2011; "
    "variance Wheeler & Ratcliffe 2018) for the whole trial against a pre-trial period of equal length.",
]


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _table(frame: pd.DataFrame, digits: int = 3):
    f = frame.copy()
    for c in f.columns:
        if pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].map(lambda v: "" if v is None or not np.isfinite(v) else f"{v:.{digits}g}")
    return trusted(f.to_html(index=False, border=0, escape=True))  # pandas escaped every cell


def render_html(result, figures: dict[str, Path]) -> str:
    """The evaluation report page (charts from ``figures``, name -> PNG path, embedded as data URIs)."""
    comp_html = None
    if result.compliance:
        rows = [(k.replace("_", " "), (f"{v:.1%}" if k in ("compliance", "any_presence_rate") else
                                       (f"{v:.1f}" if isinstance(v, float) else v)))
                for k, v in result.compliance.items() if not isinstance(v, dict)]
        comp_html = _table(pd.DataFrame(rows, columns=["measure", "value"]).astype(str))
    residual_html = None
    r = result.estimates.residual.get("count")
    if r:
        terms = [k for k in r if k == "patrolled" or k.startswith("lag")]
        residual_html = _table(pd.DataFrame({
            "term": ["same day" if t == "patrolled" else f"{t[3:]} day(s) after a patrol" for t in terms],
            "rate ratio": [r[t]["rate_ratio"] for t in terms], "95% CI low": [r[t]["ci_low"] for t in terms],
            "95% CI high": [r[t]["ci_high"] for t in terms], "p": [r[t]["p"] for t in terms]}))
    disp_html = trusted(result.displacement.summary().as_html()) if result.displacement is not None else None
    per = result.to_frame()
    cols = [c for c in ("hotspot_id", "patrol_days", "other_days", "count_patrol", "count_other", "rate_ratio",
                        "ci_low", "ci_high", "harm_ratio", "harm_ci_low", "harm_ci_high", "minutes_patrol_days",
                        "compliance") if c in per]
    return render_template(
        "hotpatrol.evaluate", "report.html",
        title=f"Hotspot patrol trial: {result.label}", version=__version__,
        period=f"{result.params.get('start')} to {result.params.get('end')}",
        headline=result.headline(), summary_html=trusted(result.summary().as_html()),
        charts={k: _data_uri(v) for k, v in figures.items()}, compliance_html=comp_html,
        residual_html=residual_html, displacement_html=disp_html, per_hotspot_html=_table(per[cols]),
        method=METHOD)
