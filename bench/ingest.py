"""Ingest benchmark: rows/s into the default (SQLite) store vs bare ``pandas.read_csv`` of the same files.

1. Kent street + outcomes, 13 months (shared/data/police_uk_kent_2021-03_2022-03: 228,272 street rows).
2. Synthetic national year: 43 forces x 12 months of police.uk street files (6 million rows by default),
   made by resampling Kent rows with jittered coordinates, new force names/months and fresh Crime IDs.

Targets: national year <= 60 s and <= 4x bare CSV parsing. Run ``python bench/ingest.py --rows 600000``
for a quicker, smaller national run. Timings on a shared machine are noisy: the ratio is measured in the
same run so it is the fairer figure.
"""

from __future__ import annotations

import argparse
import binascii
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hotpatrol.ingest import ingest  # noqa: E402
from hotpatrol.ingest.forces import FORCES  # noqa: E402

SHARED = Path(os.environ.get("HOTPATROL_SHARED_DATA", REPO.parent / "shared" / "data"))
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
KENT = SHARED / "police_uk_kent_2021-03_2022-03"


def bare_read(files) -> tuple[float, int]:
    t = time.perf_counter()
    n = sum(len(pd.read_csv(f)) for f in files)
    return time.perf_counter() - t, n


def run_ingest(files, db) -> tuple[float, object]:
    t = time.perf_counter()
    summary = ingest([str(f) for f in files], db=db)
    return time.perf_counter() - t, summary


def report(label, files, workdir, rows_label) -> dict:
    db = f"sqlite:///{workdir / (label + '.db')}"
    t_read, n = bare_read(files)
    t_ing, summary = run_ingest(files, db)
    out = {
        "rows": n, "files": len(files), "read_csv_s": round(t_read, 2), "ingest_s": round(t_ing, 2),
        "ingest_rows_per_s": round(n / t_ing), "read_csv_rows_per_s": round(n / t_read),
        "ratio_ingest_to_read_csv": round(t_ing / t_read, 2),
        "stored": summary.stored, "quarantined": summary.quarantined,
    }
    print(f"[{label}] {rows_label}: {n:,} rows in {len(files)} files")
    print(f"  pandas.read_csv : {t_read:7.2f} s  ({n / t_read:,.0f} rows/s)")
    print(f"  hotpatrol ingest: {t_ing:7.2f} s  ({n / t_ing:,.0f} rows/s)  stored {summary.stored:,}, "
          f"quarantined {summary.quarantined:,}")
    print(f"  ratio ingest / read_csv = {t_ing / t_read:.2f}x")
    return out


def make_national(rows: int, outdir: Path, seed: int = 20240101) -> list[Path]:
    """43 forces x 12 months of police.uk-format street CSVs resampled from Kent."""
    rng = np.random.default_rng(seed)
    base = pd.concat([pd.read_csv(f) for f in sorted(KENT.glob("*/*-street.csv.gz"))], ignore_index=True)
    forces = [slug for slug in FORCES if slug not in ("btp", "northern-ireland")][:43]
    months = [f"2023-{m:02d}" for m in range(1, 13)]
    per_file = max(1, rows // (len(forces) * len(months)))
    files = []
    for slug in forces:
        name = FORCES[slug]
        for month in months:
            idx = rng.integers(0, len(base), per_file)
            part = base.iloc[idx].reset_index(drop=True)
            part["Month"] = month
            part["Reported by"] = name
            part["Falls within"] = name
            part["Longitude"] = part["Longitude"] + rng.normal(0, 0.002, per_file)
            part["Latitude"] = part["Latitude"] + rng.normal(0, 0.002, per_file)
            has_id = part["Crime ID"].notna().to_numpy()
            hexes = np.frombuffer(binascii.hexlify(rng.bytes(32 * int(has_id.sum()))), dtype="S64").astype(str)
            ids = part["Crime ID"].to_numpy(dtype=object)
            ids[has_id] = hexes
            part["Crime ID"] = ids
            path = outdir / month / f"{month}-{slug}-street.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            part.to_csv(path, index=False, float_format="%.6f")
            files.append(path)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=6_000_000, help="rows in the synthetic national year")
    ap.add_argument("--skip-kent", action="store_true")
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--workdir", default=None, help="keep files and stores here (default: a temp dir)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotpatrol-bench-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_kent:
            files = sorted(KENT.glob("*/*-street.csv.gz")) + sorted(KENT.glob("*/*-outcomes.csv.gz"))
            report("kent", files, work, "Kent street + outcomes, 13 months")
        if not args.skip_national:
            t = time.perf_counter()
            files = make_national(args.rows, work / "national")
            print(f"(generated {len(files)} synthetic files in {time.perf_counter() - t:.1f} s)")
            r = report("national", files, work, "synthetic national year, 43 forces x 12 months")
            ok_time = r["ingest_s"] <= 60
            ok_ratio = r["ratio_ingest_to_read_csv"] <= 4
            print(f"  target <= 60 s: {'met' if ok_time else 'NOT met'}; target <= 4x read_csv: "
                  f"{'met' if ok_ratio else 'NOT met'}")


if __name__ == "__main__":
    main()
