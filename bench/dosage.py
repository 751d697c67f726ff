"""Benchmark: 10 million GPS pings (300 officers, 90 days) -> the dosage table.

    PYTHONPATH=src python bench/dosage.py [--pings 10000000] [--data /tmp/hotpatrol_bench]

Generates (once, cached) a pings CSV from simulated patrols at 200 hotspots with 0.05% GPS jumps
and 0.05% duplicates, then runs, each in a fresh process so peak RSS is its own:

- baseline: a plain pandas read of the CSV, timestamp parse and sort by officer and time;
- hotpatrol: ``dosage(pings, hotspots=..., allocation=...)`` end to end (read, quarantine,
  geofence, visits, minutes per hotspot-day, compliance).

Prints wall time, peak RSS and the ratios to the baseline. Targets: <= 30 s, <= 4 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OFFICERS, DAYS, N_HOT, K = 300, 90, 200, 100


def generate(data: Path, n_pings: int) -> tuple[Path, Path, Path]:
    from hotpatrol.evaluate.simulate import simulate_pings
    from hotpatrol.patrol.design import allocate

    data.mkdir(parents=True, exist_ok=True)
    pings_csv, hot_csv, alloc_csv = data / f"pings_{n_pings}.csv", data / "hotspots.csv", data / "allocation.csv"
    if pings_csv.exists() and hot_csv.exists() and alloc_csv.exists():
        return pings_csv, hot_csv, alloc_csv
    rng = np.random.default_rng(0)
    side = int(np.ceil(np.sqrt(N_HOT)))
    c, r = np.divmod(rng.permutation(side * side)[:N_HOT], side)
    xmin, ymin = 560_000 + c * 600.0, 170_000 + r * 600.0
    ids = [f"H{i:03d}" for i in range(N_HOT)]
    hot = pd.DataFrame({"hotspot_id": ids, "xmin": xmin, "ymin": ymin, "xmax": xmin + 150, "ymax": ymin + 150,
                        "crs": "EPSG:27700"})
    hot.to_csv(hot_csv, index=False)
    alloc = allocate(ids, start="2026-01-05", days=DAYS, k=K, seed=1)
    alloc.save(alloc_csv)
    frame = alloc.to_frame()
    # patrols: every planned hotspot-day gets visits from officers; ~118 pings per patrol at 15 s
    per_patrol = 2 * 24 + 70
    n_patrols = n_pings // per_patrol
    planned = frame[frame["patrolled"]].reset_index(drop=True)
    pick = planned.iloc[rng.integers(0, len(planned), n_patrols)].sort_values("day").reset_index(drop=True)
    day = pd.to_datetime(pick["day"]).to_numpy()
    slot = pick.groupby("day").cumcount().to_numpy()
    officer = slot % OFFICERS
    turn = slot // OFFICERS  # officer's n-th patrol of the day, 50 minutes apart from 08:00
    start = day + np.timedelta64(8, "h") + (turn * 50 * 60 + rng.integers(0, 10 * 60, n_patrols)).astype("timedelta64[s]")
    dwell = rng.integers(15 * 60, 20 * 60, n_patrols).astype("timedelta64[s]")
    patrols = pd.DataFrame({"officer_id": [f"PC{o:04d}" for o in officer], "hotspot_id": pick["hotspot_id"].astype(str),
                            "start": start, "end": start + dwell})
    pings = simulate_pings(patrols, hot, interval=15, seed=2, jump_rate=5e-4, duplicate_rate=5e-4)
    pings["timestamp"] = pings["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    pings.to_csv(pings_csv, index=False, float_format="%.1f")
    return pings_csv, hot_csv, alloc_csv


def run_baseline(pings_csv: Path) -> dict:
    t0 = time.perf_counter()
    df = pd.read_csv(pings_csv, dtype={"officer_id": "category"})
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601")
    df = df.sort_values(["officer_id", "timestamp"])
    return {"seconds": time.perf_counter() - t0, "rows": len(df)}


def run_dosage(pings_csv: Path, hot_csv: Path, alloc_csv: Path) -> dict:
    from hotpatrol.patrol.design import Allocation
    from hotpatrol.patrol.dosage import dosage

    alloc = Allocation.load(alloc_csv).to_frame()
    # warm the numba cache outside the timing (first-ever compile is ~5 s and cached on disk)
    t0 = time.perf_counter()
    res = dosage(pings_csv, hotspots=hot_csv, allocation=alloc)
    secs = time.perf_counter() - t0
    c = res.compliance()
    return {"seconds": secs, "pings": c["pings"], "quarantined": c["pings_quarantined"], "quarantine": c["quarantine"],
            "visits": c["visits"], "hotspot_days": int(len(res.table)), "compliance": c["compliance"]}


def child(mode: str, args) -> None:
    pings_csv, hot_csv, alloc_csv = Path(args.pings_csv), Path(args.hot_csv), Path(args.alloc_csv)
    out = run_baseline(pings_csv) if mode == "baseline" else run_dosage(pings_csv, hot_csv, alloc_csv)
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pings", type=int, default=10_000_000)
    ap.add_argument("--data", default="/tmp/hotpatrol_bench")
    ap.add_argument("--child", choices=["baseline", "dosage"])
    ap.add_argument("--pings-csv")
    ap.add_argument("--hot-csv")
    ap.add_argument("--alloc-csv")
    args = ap.parse_args()
    if args.child:
        child(args.child, args)
        return
    t = time.perf_counter()
    pings_csv, hot_csv, alloc_csv = generate(Path(args.data), args.pings)
    print(f"data: {pings_csv} ({pings_csv.stat().st_size / 1e9:.2f} GB), ready in {time.perf_counter() - t:.0f} s")
    results = {}
    for mode in ("baseline", "dosage"):
        cmd = [sys.executable, __file__, "--child", mode, "--pings-csv", str(pings_csv), "--hot-csv", str(hot_csv),
               "--alloc-csv", str(alloc_csv)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    b, d = results["baseline"], results["dosage"]
    print(f"baseline (pandas read + parse + sort): {b['seconds']:.1f} s, peak RSS {b['peak_rss_gb']:.2f} GB")
    print(f"hotpatrol dosage (end to end):       {d['seconds']:.1f} s, peak RSS {d['peak_rss_gb']:.2f} GB")
    print(f"ratio to baseline: time {d['seconds'] / b['seconds']:.2f}x, memory {d['peak_rss_gb'] / b['peak_rss_gb']:.2f}x")
    print(f"{d['pings']:,} pings, {d['quarantined']:,} quarantined {d['quarantine']}, {d['visits']:,} visits, "
          f"{d['hotspot_days']:,} hotspot-days, compliance {d['compliance']:.1%}")
    print(f"targets: <= 30 s -> {'met' if d['seconds'] <= 30 else 'NOT met'}; <= 4 GB -> "
          f"{'met' if d['peak_rss_gb'] <= 4 else 'NOT met'}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
