"""Benchmark: continuous ETAS fit time against event count, and parameter recovery.

Events are drawn by branching from a known ETAS (theta=0.5 offspring per event, omega=0.2/day i.e. a
5-day mean delay, sigma=50 m) over one 20 x 20 km "city" for two years, with a background of 20
Gaussian hotspots plus uniform noise. For each size (2k, 5k, 20k, 100k events) the script prints the
fit time, the number of candidate pairs, EM iterations, the recovered parameters and the process's peak
memory so far (sizes run in increasing order, so each row's peak belongs to that size or a smaller one).

Baseline measured in the same run: the same EM done the way open_cp's SEPP does it, with a dense
N x N matrix of trigger probabilities (numpy, no cut-offs), at 2,000 events (and its O(N^2) memory and
time extrapolated to 100k). Reference from the issue: open_cp needs ~95 s at 2,000 events.

    PYTHONPATH=src python bench/forecast.py [--sizes 2000 5000 20000 100000] [--no-dense]
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np

from hotpatrol.forecast.etas import ETASForecaster, _Raster
from hotpatrol.forecast.grid_etas import GridETASForecaster
from hotpatrol.forecast.etas_simulation import as_events, simulate_etas

TRUTH = {"theta": 0.5, "omega": 0.2, "sigma": 50.0}
DAYS = 730.0
BOUNDS = (0.0, 0.0, 20_000.0, 20_000.0)


def simulate(n: int, seed: int):
    mu = n * (1 - TRUTH["theta"]) / DAYS
    sim = simulate_etas(mu=mu, days=DAYS, bounds=BOUNDS, hotspots=20, random_state=seed, **TRUTH)
    return as_events(sim["x"], sim["y"], sim["t"])


def dense_em(x, y, t, *, bandwidth=300.0, iters=30):
    """The open_cp-style EM: an N x N lower-triangular probability matrix, recomputed every iteration."""
    from hotpatrol.places import Grid, PlacesLayer

    T = t.max()
    places = PlacesLayer.from_grid(Grid.covering(x, y, cell=150.0, crs="EPSG:27700"))
    raster = _Raster.build(x, y, places, bandwidth)
    dt = t[:, None] - t[None, :]  # child x parent
    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    lower = dt > 0
    theta, omega, sigma = 0.3, 0.1, 100.0
    mass = raster.smooth(x, y, np.full(len(t), 0.7), bandwidth)
    for _ in range(iters):
        mu = raster.sample(mass, x, y) / T
        g = np.where(lower, theta * omega * np.exp(-omega * np.where(lower, dt, 0)) *
                     np.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**2), 0.0)
        lam = mu + g.sum(axis=1)
        p = g / lam[:, None]
        pb = mu / lam
        n_trig = p.sum()
        omega = n_trig / (p * np.where(lower, dt, 0)).sum()
        sigma = math.sqrt((p * d2).sum() / (2 * n_trig))
        theta = n_trig / np.sum(1 - np.exp(-omega * (T - t)))
        mass = raster.smooth(x, y, pb, bandwidth)
    return theta, omega, sigma


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000, 100000])
    ap.add_argument("--no-dense", action="store_true", help="skip the dense N x N baseline")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import warnings

    warnings.simplefilter("ignore")  # the warm-up fits stop early on purpose
    # warm the numba caches so compile time is not billed to the first size
    ETASForecaster(max_iter=2).fit(simulate(500, 99))
    GridETASForecaster(max_iter=2).fit(simulate(500, 99))

    print(f"truth: theta={TRUTH['theta']}, omega={TRUTH['omega']}/day, sigma={TRUTH['sigma']} m; "
          f"{DAYS:.0f} days over 20 x 20 km")
    header = (f"{'events':>8} {'pairs':>10} {'ETAS fit s':>10} {'iters':>5} {'theta':>6} {'omega':>7} "
              f"{'sigma':>6} {'grid-ETAS s':>11} {'g.theta':>7} {'g.omega':>7} {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    rows = []
    for n in args.sizes:
        events = simulate(n, args.seed)
        t0 = time.perf_counter()
        m = ETASForecaster(random_state=0).fit(events)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        g = GridETASForecaster(random_state=0).fit(events)
        grid_s = time.perf_counter() - t0
        rows.append((len(events), fit_s))
        print(f"{len(events):>8,} {m.n_pairs_:>10,} {fit_s:>10.2f} {m.n_iter_:>5} {m.theta_:>6.3f} "
              f"{m.omega_:>7.4f} {m.sigma_:>6.1f} {grid_s:>11.2f} {g.theta_:>7.3f} {g.omega_:>7.4f} "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>11.0f}")
    if len(rows) >= 2:
        (n0, s0), (n1, s1) = rows[0], rows[-1]
        print(f"cost growth {n0:,} -> {n1:,} events: x{s1 / s0:.1f} time for x{n1 / n0:.0f} events "
              f"(empirical exponent {math.log(s1 / s0) / math.log(n1 / n0):.2f})")
    big = [r for r in rows if r[0] >= 90_000]
    if big:
        print(f"target: 100k events in < 60 s -> {big[0][1]:.1f} s ({'met' if big[0][1] < 60 else 'NOT met'})")

    if not args.no_dense:
        events = simulate(2000, args.seed)
        x, y = events["x"].to_numpy(), events["y"].to_numpy()
        t = ((events["occurred_at"] - events["occurred_at"].min()) / np.timedelta64(1, "D")).to_numpy()
        t0 = time.perf_counter()
        th, om, sg = dense_em(x, y, t)
        dense_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        m = ETASForecaster(random_state=0, max_iter=30, tol=1e-12).fit(events)
        ours_s = time.perf_counter() - t0
        n = len(events)
        print(f"\nbaseline (dense N x N EM, 30 iterations, {n:,} events): {dense_s:.2f} s "
              f"(theta={th:.3f}, omega={om:.4f}, sigma={sg:.1f}); hotpatrol, 30 iterations: {ours_s:.2f} s "
              f"-> x{dense_s / ours_s:.1f} faster")
        scale = (100_000 / n) ** 2
        print(f"dense at 100k extrapolated (O(N^2)): ~{dense_s * scale / 3600:.1f} h and "
              f"{8 * 100_000**2 * 4 / 1e9:.0f} GB for four N x N float64 matrices; "
              f"open_cp (issue figure): 95 s at 2,000 events.")


if __name__ == "__main__":
    main()
