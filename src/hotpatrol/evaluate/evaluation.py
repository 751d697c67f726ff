"""The trial evaluation a commander reads: :func:`evaluate_trial` -> :class:`EvaluationResult`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.evaluate.displacement import DisplacementResult, displacement as displacement_fn
from hotpatrol.evaluate.trial import TrialEstimates, build_panel, estimate_trial
from hotpatrol.results import Result, Summary, json_safe


def _pct(rr: float) -> float:
    return 100.0 * (rr - 1.0)


def _fmt_pct(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:+.1f}%".replace("-", "\u2212")


@dataclass
class EvaluationResult(Result):
    """Patrol days vs non-patrol days, per hotspot and pooled, with dosage and displacement."""

    estimates: TrialEstimates
    params: dict
    compliance: dict | None = None
    dosage_per_hotspot: pd.DataFrame | None = None
    displacement: DisplacementResult | None = None
    label: str = "crime"
    name: str = "evaluation"
    _figures: dict = field(default_factory=dict, repr=False)

    # ---- numbers -------------------------------------------------------------------------
    def pooled_frame(self) -> pd.DataFrame:
        """One row per outcome (count, harm): pooled rate ratio, % change with 95% CI, GLM and randomisation p-values."""
        rows = []
        for out, f in self.estimates.pooled.items():
            e = f["patrolled"]
            ri = self.estimates.randomisation.get(out, {})
            rows.append({"outcome": out, "model": f["model"], "rate_ratio": e["rate_ratio"],
                         "pct_change": _pct(e["rate_ratio"]), "ci_low_pct": _pct(e["ci_low"]),
                         "ci_high_pct": _pct(e["ci_high"]), "p_glm": e["p"], "p_randomisation": ri.get("p", np.nan),
                         "permutations": ri.get("permutations", 0), "hotspot_days": f["n"], "clusters": f["clusters"]})
        return pd.DataFrame(rows)

    def headline(self) -> str:
        """One sentence: the pooled change on patrol days with its CI and randomisation p-value (and harm)."""
        p = self.pooled_frame().set_index("outcome")
        parts = []
        if "count" in p.index:
            r = p.loc["count"]
            s = (f"{self.label[:1].upper() + self.label[1:]} {_fmt_pct(r['pct_change'])} on patrol days "
                 f"(95% CI {_fmt_pct(r['ci_low_pct'])} to {_fmt_pct(r['ci_high_pct'])}")
            s += f"; randomisation p = {r['p_randomisation']:.3f})" if np.isfinite(r["p_randomisation"]) else ")"
            parts.append(s)
        if "harm" in p.index:
            r = p.loc["harm"]
            parts.append(f"harm {_fmt_pct(r['pct_change'])} (95% CI {_fmt_pct(r['ci_low_pct'])} to "
                         f"{_fmt_pct(r['ci_high_pct'])})")
        return "; ".join(parts) + "."

    def to_frame(self) -> pd.DataFrame:
        """The per-hotspot table (counts, harm, rate ratio with exact CI, dosage/compliance if known)."""
        t = self.estimates.per_hotspot.copy()
        if self.dosage_per_hotspot is not None and len(self.dosage_per_hotspot):
            d = self.dosage_per_hotspot.copy()
            d["hotspot_id"] = d["hotspot_id"].astype(str)
            keep = [c for c in ("hotspot_id", "minutes", "koper_visits", "compliance", "contaminated_days") if c in d]
            t = t.merge(d[keep].rename(columns={"minutes": "minutes_total"}), on="hotspot_id", how="left")
        return t

    def summary(self) -> Summary:
        """The pooled estimates per outcome, with the headline, model and compliance/displacement notes."""
        p = self.pooled_frame()
        table = pd.DataFrame({
            "outcome": p["outcome"], "rate ratio": p["rate_ratio"].round(3),
            "change": p["pct_change"].map(_fmt_pct),
            "95% CI": [f"{_fmt_pct(a)} to {_fmt_pct(b)}" for a, b in zip(p["ci_low_pct"], p["ci_high_pct"])],
            "p (GLM)": p["p_glm"].map(lambda v: f"{v:.4f}"),
            "p (randomisation)": p["p_randomisation"].map(lambda v: "n/a" if not np.isfinite(v) else f"{v:.4f}"),
        })
        notes = [self.headline(),
                 f"{int(p['hotspot_days'].iloc[0])} hotspot-days, {int(p['clusters'].iloc[0])} hotspots; "
                 "Poisson (quasi-likelihood) GLM with hotspot and day-of-week fixed effects, "
                 "cluster-robust SEs by hotspot, t(G-1) intervals.",
                 "Randomisation inference re-draws the stored allocation scheme (Mantel-Haenszel statistic)."]
        if self.compliance:
            c = self.compliance
            if "compliance" in c:
                notes.append(f"Compliance {c['compliance']:.0%} of planned hotspot-days delivered; "
                             f"{c['contaminated_hotspot_days']} control hotspot-days contaminated.")
        if self.displacement is not None:
            q = self.displacement.wdq
            notes.append(f"Displacement: WDQ {q['wdq']:.2f} ({q['reading']}); "
                         f"WDD {self.displacement.wdd['wdd']:.1f} (p = {self.displacement.wdd['p']:.3f}).")
        return Summary("Patrol days vs non-patrol days", table, notes)

    def to_dict(self) -> dict:
        """JSON-safe headline, pooled and per-hotspot estimates, compliance and displacement."""
        e = self.estimates
        out = {"name": self.name, "headline": self.headline(), "params": self.params,
               "pooled": self.pooled_frame().to_dict(orient="records"), "glm": e.pooled,
               "randomisation": e.randomisation, "residual_deterrence": e.residual,
               "dose_response": e.dose, "dose_bands": None if e.dose_bands is None else e.dose_bands.to_dict(orient="records"),
               "per_hotspot": self.to_frame().to_dict(orient="records"), "compliance": self.compliance,
               "displacement": None if self.displacement is None else self.displacement.to_dict()}
        return json_safe(out)

    # ---- pictures ------------------------------------------------------------------------
    def figures(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the commander's charts as PNGs; returns name -> path."""
        from hotpatrol.evaluate import charts

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self._figures = charts.draw_all(self, out_dir)
        return self._figures

    def write_report(self, out_dir: str | Path, *, pdf: bool = True) -> dict[str, str]:
        """Write report.html (charts embedded), report.pdf (weasyprint), evaluation.json,
        per_hotspot.csv and the chart PNGs into ``out_dir``."""
        from hotpatrol.evaluate.evaluation_report import render_html

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        figs = self.figures(out_dir / "charts")
        html = render_html(self, figs)
        paths = {"html": out_dir / "report.html", "json": out_dir / "evaluation.json",
                 "per_hotspot": out_dir / "per_hotspot.csv"}
        paths["html"].write_text(html, encoding="utf-8")
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2, default=str))
        self.to_frame().to_csv(paths["per_hotspot"], index=False)
        if pdf:
            from weasyprint import HTML

            paths["pdf"] = out_dir / "report.pdf"
            HTML(string=html, base_url=str(out_dir)).write_pdf(paths["pdf"])
        out = {k: str(v) for k, v in paths.items()}
        out.update({f"chart_{k}": str(v) for k, v in figs.items()})
        return out


def evaluate_trial(events: pd.DataFrame, hotspots, allocation: pd.DataFrame, *,
                   redraw: Callable[[int], pd.DataFrame] | None = None, dosage=None, categories=None,
                   scheme=None, model: str = "poisson", permutations: int | None = None, seed: int | None = None,
                   day_start: str = "06:00", lags: int = 3, displacement: bool = True, buffer: float = 100.0,
                   control=None, label: str = "crime", crs: str | None = None) -> EvaluationResult:
    """Evaluate a randomised patrol trial (patrol days vs non-patrol days).

    ``events``: events table (lon/lat, occurred_at, category); ``hotspots``: hotspot table/file or
    Geofences; ``allocation``: the plan (``day, hotspot_id, patrolled``); ``redraw(seed)`` re-draws
    the same allocation scheme for randomisation inference (skipped when None); ``dosage``: a
    :class:`~hotpatrol.patrol.dosage.DosageResult` or its hotspot-day table, for dose-response and
    compliance. ``displacement`` computes WDQ/WDD for the whole trial against a pre-trial period of
    the same length when the events reach back that far.
    """
    scheme, permutations = settings.resolve("scheme", scheme), settings.resolve("permutations", permutations)
    seed = settings.resolve("seed", seed)
    from hotpatrol.patrol.dosage import DosageResult

    if hasattr(allocation, "redraw_matrix"):  # a design.Allocation: use it for the re-draws too
        from hotpatrol.evaluate.plan_io import allocation_redraw

        redraw = redraw or allocation_redraw(allocation)
        allocation = allocation.to_frame()

    if permutations < 1 and redraw is not None:
        raise HotpatrolError("permutations must be >= 1.", parameter="permutations", given=permutations)
    dos_table = compliance = dos_hot = None
    if isinstance(dosage, DosageResult):
        dos_table, compliance, dos_hot = dosage.table, dosage.compliance(), dosage.per_hotspot()
    elif isinstance(dosage, pd.DataFrame):
        dos_table = dosage
        if {"planned", "delivered", "contamination"} <= set(dosage.columns):
            planned = dosage["planned"].astype(bool)
            delivered = dosage["delivered"].astype(bool)
            contam = dosage["contamination"].astype(bool)
            compliance = {"planned_hotspot_days": int(planned.sum()),
                          "delivered_hotspot_days": int((planned & delivered).sum()),
                          "compliance": float((planned & delivered).sum() / max(planned.sum(), 1)),
                          "contaminated_hotspot_days": int(contam.sum()),
                          "mean_minutes_planned": float(dosage.loc[planned, "minutes"].mean())}
            g = dosage.assign(_d=planned & delivered, _c=contam).groupby("hotspot_id")
            dos_hot = pd.DataFrame({"minutes": g["minutes"].sum(), "koper_visits": g["koper_visits"].sum()
                                    if "koper_visits" in dosage else np.nan,
                                    "compliance": g["_d"].sum() / g["planned"].sum().where(g["planned"].sum() > 0),
                                    "contaminated_days": g["_c"].sum()}).reset_index()
    panel, quarantine = build_panel(events, hotspots, allocation, dosage=dos_table, categories=categories,
                                    scheme=scheme, day_start=day_start, lags=lags, crs=crs)
    est = estimate_trial(panel, redraw=redraw, permutations=permutations, seed=seed, model=model, lags=lags)
    est.quarantine = quarantine
    start, end = panel["day"].min(), panel["day"].max() + pd.Timedelta(days=1)
    disp = None
    if displacement:
        from hotpatrol.evaluate.trial import event_time

        length = end - start
        t = event_time(events)
        if len(t) and t.min() <= start - length + pd.Timedelta(days=1):
            off = pd.Timedelta(hours=int(day_start.split(":")[0]), minutes=int(day_start.split(":")[1]))
            disp = displacement_fn(events, hotspots, before=(start - length + off, start + off),
                                   after=(start + off, end + off), buffer=buffer, control=control,
                                   categories=categories, crs=crs)
    params = {"categories": None if categories is None else list(categories), "scheme": str(scheme),
              "model": model, "permutations": permutations if redraw is not None else 0, "seed": seed,
              "day_start": day_start, "start": str(start.date()), "end": str((end - pd.Timedelta(days=1)).date()),
              "events_quarantined": int(len(quarantine)), "buffer": buffer}
    return EvaluationResult(estimates=est, params=params, compliance=compliance, dosage_per_hotspot=dos_hot,
                            displacement=disp, label=label)
