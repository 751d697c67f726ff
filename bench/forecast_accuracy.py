"""Forecast accuracy benchmark: hotpatrol's models beside open_cp's figures on the same setup.

Setup (as measured for open_cp on this machine): the densest 10 km x 10 km box of each city, a
150 m grid over it (4,489 cells = the area of every metric), train on all events before each
cut-off, predict the whole next window, pool hits over consecutive windows:

- Vancouver 2022 (minute times, X/Y EPSG:26910, X=Y=0 privacy offsets dropped): 8 weekly windows to 2023-01-01;
- Chicago 2016 residential burglary (day times, EPSG:26971): 8 weekly windows to 2017-01-01;
- Essex 2025 police.uk (month times, BNG): 3 monthly windows (Oct-Dec 2025).

Also printed: "hindsight" (ranking by every place's mean count over the test windows, which no
forecast can know), the oracle expected if each window were Poisson chance around that rate, and
"ceiling", the hit rate of ranking places by every event of the data set except the
test window's (a clairvoyant long-run rate, out of reach of any forecast, showing how much of the
oracle's lead is week-to-week noise), and the time of each backtest.

Usage: ``PYTHONPATH=src python bench/forecast_accuracy.py [--models naive,gbm] [--only vancouver] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_data import box_study, load_chicago, load_essex, load_vancouver  # noqa: E402

from hotpatrol.forecast import MODELS  # noqa: E402
from hotpatrol.forecast.backtest import backtest  # noqa: E402
from hotpatrol.forecast.base import Forecast  # noqa: E402
from hotpatrol.forecast.metrics import counts_at  # noqa: E402

# open_cp hit rate % at 1 / 5 / 10 % of area, measured on this machine (see the brief of issue 4)
OPEN_CP = {
    "vancouver": {"naive": (34.0, 57.5, 69.5), "retrospective": (30.2, 54.8, 64.6),
                  "prospective": (26.7, 49.5, 62.1), "KDE": (22.5, 50.3, 61.9), "grid SEPP": (33.7, 57.4, 69.1),
                  "oracle": (41.2, 86.8, 100.0)},
    "chicago": {"naive": (4.7, 19.2, 33.7), "retrospective": (5.6, 18.2, 28.3), "prospective": (5.4, 17.3, 26.8),
                "grid SEPP": (4.7, 18.7, 35.1)},
    "essex": {"naive": (30.9, 64.7, 80.9), "grid SEPP": (31.2, 64.9, 81.2), "oracle": (35.8, 75.7, 93.0)},
}
SETUPS = {
    "vancouver": (load_vancouver, dict(windows=8, horizon="7D", end="2023-01-01")),
    "chicago": (load_chicago, dict(windows=8, horizon="7D", end="2017-01-01")),
    "essex": (load_essex, dict(windows=3, horizon="1M", end="2026-01-01")),
}
DEFAULT_MODELS = ["naive", "naive-window", "retrospective", "kde", "prospective", "etas", "grid-etas", "gbm", "ensemble"]


def ceiling(events, places, spans, k_levels) -> list[float]:
    """Hit rate of ranking by all events outside the test window (clairvoyant long-run rates)."""
    idx = places.assign(events["x"], events["y"])
    t = events["occurred_from"]
    hits = np.zeros(len(k_levels))
    total = 0.0
    for a, b in spans:
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        test = ((t >= a) & (t < b)).to_numpy() & (idx >= 0)
        rest = ~((t >= a) & (t < b)).to_numpy() & (idx >= 0)
        act = np.bincount(idx[test], minlength=places.n).astype(float)
        ref = np.bincount(idx[rest], minlength=places.n).astype(float)
        fc = Forecast("ceiling", places, ref, a, b - a, [], 0)
        for j, k in enumerate(k_levels):
            hits[j] += counts_at(fc, act, k)["hits"]
        total += act.sum()
    return list(100 * hits / total)


def run(name: str, models: list[str], out: Path | None) -> dict:
    loader, kw = SETUPS[name]
    events = loader()
    sub, places = box_study(events)
    t, cpu = time.perf_counter(), time.process_time()
    res = backtest(sub, models, places=places, levels=(0.01, 0.05, 0.10), top_n=(20,), random_state=0,
                   data={"dataset": name, "box": "densest 10 km", "cell": 150}, **kw)
    seconds = time.perf_counter() - t
    cpu = time.process_time() - cpu
    pooled = res.pooled
    ks = [int(pooled.loc[pooled["level"] == lv, "k"].iloc[0]) for lv in ("1%", "5%", "10%")]
    ceil = ceiling(sub, places, res.record["cutoffs"], ks)
    if out is not None:
        res.write(out / name)
    ours = {}
    for model, g in pooled.groupby("model", sort=False):
        g = g.set_index("level")
        ours[model] = {lv: (100 * g.loc[lv, "hit_rate"], 100 * g.loc[lv, "ci_low"], 100 * g.loc[lv, "ci_high"],
                            *(100 * g.loc[lv, c] if c in g else np.nan for c in ("vs_baseline", "vs_low", "vs_high")))
                       for lv in ("1%", "5%", "10%")}
    return {"dataset": name, "events_in_box": len(sub), "places": places.n, "seconds": seconds, "cpu_seconds": cpu,
            "ours": ours,
            "ceiling": ceil, "chance": res.record["chance"], "timings": res.timings.to_dict(orient="records"), "cutoffs": res.record["cutoffs"]}


def report(r: dict) -> str:
    ref = OPEN_CP[r["dataset"]]
    lines = [f"\n== {r['dataset']}: {r['events_in_box']} events in the densest 10 km box, {r['places']} cells, "
             f"{len(r['cutoffs'])} windows; backtest of all models {r['seconds']:.1f} s wall, "
             f"{r['cpu_seconds']:.1f} s CPU (shared machine) =="]
    lines.append(f"{'model':<16}{'hit 1% [95% CI]':>22}{'hit 5%':>22}{'hit 10%':>22}   open_cp 1/5/10")
    for model, v in r["ours"].items():
        cells = "".join(f"{v[lv][0]:>8.1f} [{v[lv][1]:4.1f},{v[lv][2]:5.1f}]" for lv in ("1%", "5%", "10%"))
        lines.append(f"{model:<16}{cells}")
    lines.append(f"{'ceiling':<16}" + "".join(f"{c:>22.1f}" for c in r["ceiling"]) +
                 "   (rank by all events except the test window's: clairvoyant)")
    chance = r["chance"]["oracle_if_chance"][:3]
    lines.append(f"{'oracle if chance':<16}" + "".join(f"{100 * c:>22.1f}" for c in chance) +
                 "   (oracle expected if windows were Poisson chance around the hindsight rate)")
    for model, v in ref.items():
        lines.append(f"{'open_cp ' + model:<16}" + "".join(f"{x:>22.1f}" for x in v))
    best_ref = max(v[0] for m, v in ref.items() if m != "oracle")
    models = {m: v for m, v in r["ours"].items() if m not in ("oracle", "hindsight")}
    best = max(models, key=lambda m: models[m]["1%"][0])
    naive = r["ours"].get("naive")
    lines.append(f"best hotpatrol model at 1%: {best} {models[best]['1%'][0]:.1f} = "
                 f"{models[best]['1%'][0] / best_ref:.3f} x best open_cp ({best_ref}); goal >= 1.10 "
                 f"({1.1 * best_ref:.1f})")
    if naive:
        for m in models:
            if m == "naive":
                continue
            parts = [f"{lv} {v[3]:+.1f} [{v[4]:+.1f}, {v[5]:+.1f}]" + (" BELOW" if v[5] < 0 else " above" if v[4] > 0 else "")
                     for lv, v in models[m].items()]
            lines.append(f"  {m:<14} minus naive, paired 95% CI: " + "; ".join(parts))
    for row in r["timings"]:
        lines.append(f"  {row['model']:<14} fit {row['fit_seconds']:6.2f} s  predict {row['predict_seconds']:5.2f} s")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(m for m in DEFAULT_MODELS if m in MODELS))
    ap.add_argument("--only", default="vancouver,chicago,essex")
    ap.add_argument("--out", type=Path, default=None, help="write each backtest's run record, tables and plot here")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    missing = [m for m in models if m not in MODELS]
    if missing:
        print(f"(skipping models not registered on this branch: {missing})")
        models = [m for m in models if m in MODELS]
    results = []
    for name in args.only.split(","):
        r = run(name, models, args.out)
        print(report(r), flush=True)
        results.append(r)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
