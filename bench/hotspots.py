"""Benchmark: ranking + KDE + Gi* + LISA on the 13 Kent months, and Gi*/LISA through esda.

    python bench/hotspots.py [--permutations 999] [--no-esda] [--scale]

Kent: police.uk street crimes 2021-03..2022-03 (shared data), rows without coordinates dropped,
projected to BNG, harm-weighted (CCHI), 150 m grid over the county; analysed cells = cells within
500 m of an event. esda runs on the same values and the same weights (libpysal W from our sparse
matrix) with the same number of permutations. ``--scale`` repeats ours on a synthetic grid of about
1 million analysed cells (esda skipped there). Prints timings, ratios and peak RSS.
"""

from __future__ import annotations

import argparse
import glob
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

import hotpatrol.hotspots as hs
from hotpatrol.hotspots import weights as wts
from hotpatrol.places import Grid, PlacesLayer

DATA = Path("/work/shared/data/police_uk_kent_2021-03_2022-03")
COUNTY = Path("/work/shared/data/boundaries_kent_ons/kent_medway_lad_dissolved_from_lsoa2011.geojson")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


CPU: dict[str, float] = {}


def timed(label, fn, times):
    t = time.perf_counter()
    c = time.process_time()
    out = fn()
    times[label] = time.perf_counter() - t
    CPU[label] = time.process_time() - c
    print(f"  {label:<30s} {times[label]:8.2f} s wall {CPU[label]:8.2f} s cpu (all threads)", flush=True)
    return out


def load_kent() -> pd.DataFrame:
    files = sorted(glob.glob(str(DATA / "*" / "*street.csv.gz")))
    raw = pd.concat([pd.read_csv(f, usecols=["Crime ID", "Month", "Longitude", "Latitude", "Crime type"]) for f in files])
    raw = raw.dropna(subset=["Longitude", "Latitude"]).reset_index(drop=True)
    month = pd.to_datetime(raw["Month"])
    return pd.DataFrame({"event_id": np.arange(len(raw)).astype(str), "month": raw["Month"], "occurred_from": month,
                         "occurred_at": month, "lon": raw["Longitude"], "lat": raw["Latitude"],
                         "category": raw["Crime type"]})


def ours(data, permutations, times, seed=1, events=None):
    timed("rank (top 20)", lambda: hs.run("rank", data, top=20, min_spacing=300.0), times)
    timed("kde (quartic, os=3)", lambda: hs.run("kde", data, bandwidth=300.0), times)
    W = timed("weights (queen)", lambda: wts.build(data.places, "queen"), times)
    gi = timed(f"gi* ({permutations} perms)", lambda: hs.run("gi", data, weights=W, permutations=permutations, seed=seed), times)
    li = timed(f"lisa ({permutations} perms)", lambda: hs.run("lisa", data, weights=W, permutations=permutations, seed=seed), times)
    if events is not None:  # emerging hot spots need the events' times (monthly cube)
        timed("emerging hot spots (monthly)", lambda: hs.run("emerging", data, events=events), times)
    return W, gi, li


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--no-esda", action="store_true")
    ap.add_argument("--esda-cells", type=int, default=20000, help="cells for the esda comparison block")
    ap.add_argument("--scale", action="store_true", help="also run a ~1 million cell synthetic grid")
    args = ap.parse_args()
    P = args.permutations

    # warm numba (compilation is cached on disk; a first ever run compiles once)
    w = hs.prepare(load_kent().head(2000), "harm")
    hs.run("gi", w, permutations=99)

    times: dict[str, float] = {}
    print("Kent 2021-03..2022-03")
    events = timed("load csv (13 months)", load_kent, times)
    data = timed("prepare (project, harm, grid)", lambda: hs.prepare(events, "harm", cell=150, area=COUNTY), times)
    g = data.places.grid
    print(f"  {len(events):,} events, grid {g.nx}x{g.ny} = {g.n_cells:,} cells, analysed {data.places.n:,} cells")
    W, gi, li = ours(data, P, times, events=events)
    analysis = sum(v for k, v in times.items() if not k.startswith(("load", "prepare")))
    cpu = sum(v for k, v in CPU.items() if k in times and not k.startswith(("load", "prepare")))
    print(f"  analysis total (rank+kde+weights+gi+lisa+emerging): {analysis:.2f} s wall, {cpu:.2f} s cpu; "
          f"with load+prepare {sum(times.values()):.2f} s wall (target < 10 s)")
    print(f"  gi* hot 95%+: {(gi.bins >= 2).sum():,} cells; lisa HH: {(li.cluster == 'HH').sum():,} cells")
    print(f"  peak RSS so far {peak_rss_mb():,.0f} MB")

    if not args.no_esda:
        import esda

        from hotpatrol.hotspots.getis import getis_ord
        from hotpatrol.hotspots.lisa import local_moran

        # esda's G_Local permutation loop is O(n^2) in Python (it shuffles all n ids per place), so on the
        # whole county it takes tens of minutes: compare both on the same central block of cells instead
        places, values, Wc = data.places, data.values, W
        if places.n > args.esda_cells:
            c = int(np.argmax(data.counts))  # centre the block on the busiest cell (a town centre)
            d2 = (places.x - places.x[c]) ** 2 + (places.y - places.y[c]) ** 2
            idx = np.sort(np.argsort(d2, kind="stable")[: args.esda_cells])
            places, values = places.subset(idx), values[idx]
            Wc = wts.build(places, "queen")
            print(f" esda comparison on the {places.n:,} cells nearest the busiest cell "
                  f"({(values > 0).mean():.1%} non-zero)")
        y = values.astype(float)
        gi = timed(f"ours gi* ({P} perms)", lambda: getis_ord(y, places, weights=Wc, permutations=P, seed=1), times)
        li = timed(f"ours lisa ({P} perms)", lambda: local_moran(y, places, weights=Wc, permutations=P, seed=1), times)
        wl = timed("libpysal W from sparse", lambda: wts.to_libpysal(Wc), times)
        eg = timed(f"esda G_Local ({P} perms)", lambda: esda.G_Local(y, wl, transform="B", permutations=P, star=True, seed=1), times)
        em = timed(f"esda Moran_Local ({P} perms)", lambda: esda.Moran_Local(y, wl, transformation="r", permutations=P, seed=1, n_jobs=1), times)
        for ours_k, theirs_k, what in ((f"ours gi* ({P} perms)", f"esda G_Local ({P} perms)", "Gi*"),
                                       (f"ours lisa ({P} perms)", f"esda Moran_Local ({P} perms)", "LISA")):
            print(f"  {what} speed-up vs esda: {times[theirs_k] / times[ours_k]:.1f}x wall, "
                  f"{CPU[theirs_k] / CPU[ours_k]:.1f}x cpu" + (" (target >= 10x)" if what == "Gi*" else ""))
        print(f"  max |z ours - z esda| Gi*: {np.abs(gi.z - eg.Zs).max():.2e}; "
              f"LISA I (esda uses n-1): {np.abs(li.I - em.Is * len(y) / (len(y) - 1)).max():.2e}")
        same = (np.minimum(1, 2 * eg.p_sim) <= 0.05) == (gi.p_sim <= 0.05)
        tied = (Wc @ y + y) == 0  # the place and all its neighbours are zero
        print(f"  Gi* p_sim <= 0.05 agreement with esda: {same.mean():.3%}; {same[~tied].mean():.3%} outside "
              f"all-zero neighbourhoods (esda calls those significant: tests/test_hotspots_reference.py)")
    print(f"  peak RSS {peak_rss_mb():,.0f} MB (target < 2048 MB)")

    if args.scale:
        print("Scale: synthetic grid")
        rng = np.random.default_rng(0)
        for side in (500, 1000):
            grid = Grid(0.0, 0.0, 150.0, side, side, "EPSG:27700")
            places = PlacesLayer.from_grid(grid)
            n_ev = side * side
            x = rng.uniform(0, side * 150, n_ev)
            y = rng.uniform(0, side * 150, n_ev)
            w = rng.choice([1.0, 2.0, 10.0, 180.0, 365.0], n_ev)
            vals = places.aggregate(x, y, w)
            d = hs.Prepared(places=places, values=vals, counts=places.aggregate(x, y), x=x, y=y, w=w, weight="cchi",
                            crs=grid.crs, meta={})
            st: dict[str, float] = {}
            print(f" {places.n:,} cells, {n_ev:,} events")
            ours(d, P, st)
            print(f"  total {sum(st.values()):.2f} s; per million cells {sum(st.values()) / places.n * 1e6:.2f} s")
        print(f"  peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
