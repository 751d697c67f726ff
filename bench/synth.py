"""Synthetic county: generation and writing speed.

Baseline for writing: pandas ``DataFrame.to_csv`` of the same police.uk street rows (per-month
files, float_format="%.6f") measured in the same run. Usage: python bench/synth.py [scale] [years]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from hotpatrol.synthetic import generate_county
from hotpatrol.synthetic.policeuk import STREET_COLUMNS, street_frame, write_archive


def _clock(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.25
    years = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    county, wall, cpu = _clock(lambda: generate_county(scale=scale, years=years, seed=1))
    n = len(county.events)
    print(f"generate scale={scale} years={years}: {n:,} events in {wall:.2f} s wall / {cpu:.2f} s CPU "
          f"({n / cpu:,.0f} events per CPU second)")
    with tempfile.TemporaryDirectory() as tmp:
        _, w_ours, c_ours = _clock(lambda: write_archive(county.events, Path(tmp) / "ours"))

        def baseline():
            frame = street_frame(county.events)
            frame["Longitude"] = frame["Longitude"].replace("", None).astype(float)
            frame["Latitude"] = frame["Latitude"].replace("", None).astype(float)
            for month, part in frame.groupby("Month"):
                d = Path(tmp) / "pandas" / month
                d.mkdir(parents=True, exist_ok=True)
                part[STREET_COLUMNS].to_csv(d / f"{month}-street.csv", index=False, float_format="%.6f")

        _, w_base, c_base = _clock(baseline)
    print(f"write police.uk street+outcomes: {w_ours:.2f} s wall / {c_ours:.2f} s CPU; "
          f"pandas to_csv (street only): {w_base:.2f} s wall / {c_base:.2f} s CPU; "
          f"CPU ratio baseline/ours = {c_base / c_ours:.1f}x")


if __name__ == "__main__":
    main()
