"""Simulate self-exciting point processes with known parameters (for tests, benchmarks and teaching).

Both simulators use the branching (cluster) representation: background events are a Poisson process;
every event has Poisson(theta) direct offspring, each ``Exp(omega)`` days later (and, in continuous ETAS,
displaced by an isotropic Gaussian of ``sigma`` metres); generations are drawn, vectorised, until none is
left inside the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError


def _check(theta: float, omega: float) -> None:
    if not (0 <= theta < 1):
        raise HotpatrolError("theta must be in [0, 1) for a stable process.", parameter="theta", given=theta)
    if omega <= 0:
        raise HotpatrolError("omega must be positive (per day).", parameter="omega", given=omega)


def simulate_etas(
    *,
    mu: float,
    theta: float,
    omega: float,
    sigma: float,
    days: float,
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 10_000.0, 10_000.0),
    hotspots: int = 0,
    hotspot_sd: float = 500.0,
    random_state: int | None = None,
) -> pd.DataFrame:
    """Continuous space-time ETAS: ``mu`` background events per day over ``bounds`` for ``days`` days.

    The background is uniform over ``bounds`` or, with ``hotspots > 0``, half uniform and half from that
    many Gaussian blobs (sd ``hotspot_sd``). Returns x, y, t (days), generation (0 = background), parent
    (row of the parent, -1 for background), sorted by time; ``attrs["hotspot_centres"]`` holds (cx, cy).
    """
    _check(theta, omega)
    rng = np.random.default_rng(random_state)
    x0, y0, x1, y1 = bounds
    n0 = rng.poisson(mu * days)
    t = rng.uniform(0, days, n0)
    x = rng.uniform(x0, x1, n0)
    y = rng.uniform(y0, y1, n0)
    if hotspots > 0:
        cx = rng.uniform(x0 + 0.1 * (x1 - x0), x1 - 0.1 * (x1 - x0), hotspots)
        cy = rng.uniform(y0 + 0.1 * (y1 - y0), y1 - 0.1 * (y1 - y0), hotspots)
        half = rng.random(n0) < 0.5
        k = rng.integers(0, hotspots, half.sum())
        x[half] = cx[k] + rng.normal(0, hotspot_sd, half.sum())
        y[half] = cy[k] + rng.normal(0, hotspot_sd, half.sum())
    centres = (cx, cy) if hotspots > 0 else (np.empty(0), np.empty(0))
    xs, ys, ts = [x], [y], [t]
    gens, parents = [np.zeros(n0, np.int64)], [np.full(n0, -1, np.int64)]
    offset = 0
    gen = 0
    while len(t):
        gen += 1
        par, ct = _offspring(rng, t, theta, omega)
        cx = x[par] + rng.normal(0, sigma, len(par))
        cy = y[par] + rng.normal(0, sigma, len(par))
        keep = ct < days
        par_rows = par[keep] + offset
        offset += len(t)
        t, x, y = ct[keep], cx[keep], cy[keep]
        xs.append(x)
        ys.append(y)
        ts.append(t)
        gens.append(np.full(len(t), gen, np.int64))
        parents.append(par_rows)
    out = pd.DataFrame({"x": np.concatenate(xs), "y": np.concatenate(ys), "t": np.concatenate(ts),
                        "generation": np.concatenate(gens), "parent": np.concatenate(parents)})
    order = np.argsort(out["t"].to_numpy(), kind="stable")
    new_row = np.empty(len(order), np.int64)
    new_row[order] = np.arange(len(order))
    out = out.iloc[order].reset_index(drop=True)
    out["parent"] = np.where(out["parent"] >= 0, new_row[out["parent"].clip(lower=0)], -1)
    out.attrs["hotspot_centres"] = centres  # for checking a fitted background against the truth
    return out


def _offspring(rng: np.random.Generator, t: np.ndarray, theta: float, omega: float):
    """One generation of ETAS offspring: Poisson(``theta``) children per parent at times ``t`` (days), each
    Exponential(``omega``) days after its parent. Returns (parent index per child, child times)."""
    k = rng.poisson(theta, len(t))
    par = np.repeat(np.arange(len(t)), k)
    return par, t[par] + rng.exponential(1.0 / omega, len(par))


def simulate_grid_etas(*, mu, theta: float, omega: float, days: float,
                       random_state: int | None = None) -> pd.DataFrame:
    """Grid ETAS: ``mu[n]`` background events per day in cell ``n``; offspring stay in their cell.

    Returns cell, t (days), generation, sorted by time.
    """
    _check(theta, omega)
    mu = np.asarray(mu, dtype=float)
    rng = np.random.default_rng(random_state)
    n0 = rng.poisson(mu * days)
    cell = np.repeat(np.arange(len(mu)), n0)
    t = rng.uniform(0, days, len(cell))
    cells, ts, gens = [cell], [t], [np.zeros(len(t), np.int64)]
    gen = 0
    while len(t):
        gen += 1
        par, ct = _offspring(rng, t, theta, omega)
        keep = ct < days
        cell, t = cell[par][keep], ct[keep]
        cells.append(cell)
        ts.append(t)
        gens.append(np.full(len(t), gen, np.int64))
    out = pd.DataFrame({"cell": np.concatenate(cells), "t": np.concatenate(ts), "generation": np.concatenate(gens)})
    return out.sort_values("t", kind="stable").reset_index(drop=True)


def as_events(x, y, t_days, *, origin="2024-01-01", crs: str = "EPSG:27700",
              category: str = "Simulated", precision: str = "minute") -> pd.DataFrame:
    """An events table (hotpatrol.events contract) with x/y metres from simulated coordinates and times."""
    from hotpatrol.events import conform

    origin = pd.Timestamp(origin)
    when = origin + pd.to_timedelta(np.asarray(t_days, dtype=float), unit="D")
    frame = pd.DataFrame({
        "event_id": [f"sim{i}" for i in range(len(when))],
        "source": "simulation",
        "occurred_at": when,
        "occurred_from": when,
        "time_precision": precision,
        "category": category,
    })
    out = conform(frame)
    out["x"] = np.asarray(x, dtype=float)
    out["y"] = np.asarray(y, dtype=float)
    out.attrs["crs"] = crs
    return out
