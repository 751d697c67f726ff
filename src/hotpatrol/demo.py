"""The main job on built-in data: ``hotpatrol demo``.

Generates the synthetic county ("Synthshire"), ingests its police.uk files through the real ingest
path, ranks the 20 highest-harm 150 m cells over the last 12 months, writes them as GeoPackage,
GeoJSON and CSV with a map picture, builds the monthly performance report for the last three months,
simulates a randomised patrol trial on the county's top cells and evaluates it, and writes a one-page
HTML summary linking everything.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError


@dataclass
class DemoResult:
    """What :func:`run_demo` wrote: the output folder, the top places and the files by name."""
    out: Path
    top: pd.DataFrame
    files: dict[str, Path]
    ingest: dict
    seconds: dict[str, float] = field(default_factory=dict)
    headline: str = ""

    def to_dict(self) -> dict:
        """The demo's outputs as a dict: folder, files, ingest summary, top places, trial headline, seconds."""
        return {
            "out": str(self.out),
            "files": {k: str(v) for k, v in self.files.items()},
            "ingest": self.ingest,
            "top": self.top.to_dict(orient="records"),
            "trial_headline": self.headline,
            "seconds": self.seconds,
        }


def run_demo(
    out: str | Path | None = None,
    *,
    scale: float = 0.1,
    seed: int | None = None,
    top: int | None = None,
    cell: float | None = None,
    trial: bool = True,
    pdf: bool = True,
    progress: bool = False,
) -> DemoResult:
    """Run the whole demo into ``out`` and return what it made.

    ``out``, ``seed``, ``top`` and ``cell`` left at ``None`` take the settings of those names.
    """
    from hotpatrol.hotspots import prepare
    from hotpatrol.plotting import plot_result
    from hotpatrol.hotspots.rank import rank_places
    from hotpatrol.ingest import ingest
    from hotpatrol.reader import read
    from hotpatrol.report import performance_report
    from hotpatrol.report.render import write_report
    from hotpatrol.store import Store
    from hotpatrol.synthetic import generate_county

    seed, cell, top = settings.resolve("seed", seed), settings.resolve("cell", cell), settings.resolve("top", top)
    out = Path(settings.resolve("out", out))
    if out.exists() and not out.is_dir():
        raise HotpatrolError("The output path exists and is not a folder.", parameter="out", given=str(out))
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 2)
        clock = now

    county = generate_county(scale=scale, years=3, seed=seed)
    data = county.write(out / "data")
    lap("generate")

    db_path = out / "hotpatrol.db"
    if db_path.exists():
        db_path.unlink()  # a fresh store each run: the demo shows what one ingest does
    db = f"sqlite:///{db_path}"
    summary = ingest([data["police_uk"]], db=db, progress=progress)
    lap("ingest")

    store = Store(db)
    events = read(store)
    last = pd.Period(str(events["month"].max()), "M")
    first = last - 11
    recent = read(events, start=str(first), end=str(last))  # the last twelve months, both ends included
    prepared = prepare(recent, "harm", cell=cell)
    ranking = rank_places(prepared.values, prepared.places, top=top, counts=prepared.counts)
    files: dict[str, Path] = {}
    for suffix in ("gpkg", "geojson", "csv"):
        files[f"top_{suffix}"] = ranking.write(out / f"top{top}.{suffix}")
    files["map"] = plot_result(ranking, out / f"top{top}.png", column="value", boundaries=data["districts"],
                               boundary_label="LAD_NM",
                               title=f"Synthshire: {top} highest-harm {cell:g} m cells, {first} to {last}")
    top_table = ranking.to_frame()
    lap("hotspots")

    report = performance_report(events, months=f"{last - 2}..{last}")
    paths = write_report(report, out / "report" / "performance.html", pdf=pdf, boundaries=data["districts"])
    files["performance_report"] = paths["html"]
    lap("report")

    headline = ""
    if trial:
        from hotpatrol.evaluate.evaluation import evaluate_trial
        from hotpatrol.evaluate.simulate import simulate_trial

        sim = simulate_trial(n=top, k=max(1, top * 2 // 5), days=90, effect=-0.4, seed=seed,
                             start=str((last + 1).start_time.date()), county=county)
        from hotpatrol.patrol.dosage import dosage

        sim_paths = sim.write(out / "trial")
        delivered = dosage(sim.pings, hotspots=sim.hotspots, allocation=sim.allocation, crs=sim.crs)
        files["trial_dosage"] = delivered.write(out / "trial" / "dosage.csv")
        result = evaluate_trial(sim.events, sim.hotspots, sim.allocation, redraw=sim.redraw,
                                dosage=delivered.table, permutations=199, seed=seed, label="violent crime")
        eval_paths = result.write_report(out / "trial" / "evaluation", pdf=pdf)
        files["trial_events"] = Path(sim_paths.get("events", out / "trial"))
        files["trial_report"] = Path(eval_paths["html"])
        headline = result.headline()
        lap("trial")

    files["summary"] = _write_summary(out, top_table, summary.to_dict(), files, headline, seconds, first, last, cell)
    return DemoResult(out=out, top=top_table, files=files, ingest=summary.to_dict(), seconds=seconds, headline=headline)


def _write_summary(out: Path, top: pd.DataFrame, ingest: dict, files: dict, headline: str, seconds: dict,
                   first, last, cell) -> Path:
    import base64

    png = base64.b64encode(Path(files["map"]).read_bytes()).decode("ascii")
    cols = [c for c in ("rank", "place_id", "value", "count", "share", "cumulative_share") if c in top.columns]
    table = top[cols].rename(columns={"value": "harm (CCHI days)"}).to_html(index=False, border=0,
                                                                           float_format=lambda v: f"{v:,.3f}")
    reasons = ", ".join(f"{k}: {v:,}" for k, v in ingest.get("reasons", {}).items()) or "none"

    def link(key: str, label: str) -> str:
        path = files.get(key)
        return f'<li><a href="{html.escape(str(Path(path).relative_to(out)))}">{label}</a></li>' if path else ""

    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hotpatrol demo</title>
<style>body{{font-family:"DejaVu Sans",Arial,sans-serif;max-width:62em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;font-size:.85em}}td,th{{border:1px solid #bbb;padding:.2em .5em;text-align:right}}
img{{max-width:100%}}</style></head><body>
<h1>hotpatrol demo: Synthshire</h1>
<p>A synthetic county generated by <code>hotpatrol.synthetic</code>, ingested from police.uk-format files:
{ingest['rows']:,} rows, {ingest['stored']:,} stored, {ingest['quarantined']:,} quarantined ({html.escape(reasons)}).</p>
<h2>The {len(top)} highest-harm {cell:g} m cells, {first} to {last}</h2>
<img src="data:image/png;base64,{png}" alt="map of the top cells">
{table}
<h2>Also made</h2><ul>
{link('top_gpkg', 'GeoPackage (opens in QGIS)')}{link('top_geojson', 'GeoJSON')}{link('top_csv', 'CSV')}
{link('performance_report', 'Monthly performance report (HTML; PDF beside it)')}
{link('trial_report', 'Simulated patrol trial: evaluation report')}</ul>
{f'<p><b>Simulated trial (true effect −40% on patrol days):</b> {html.escape(headline)}</p>' if headline else ''}
<p style="color:#666;font-size:.85em">Timings (s): {html.escape(json.dumps(seconds))}</p>
</body></html>"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
