"""Small synthetic events tables for forecasting tests (fast, deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.events import conform

X0, Y0 = 530_000.0, 180_000.0  # central London, BNG metres


def make_events(n_days: int = 140, *, seed: int = 0, rate: float = 12.0, month_only: bool = False,
                start: str = "2024-01-01") -> pd.DataFrame:
    """Events over a 3 km square: a few persistent hotspots, a moving cluster and background noise."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    n = rng.poisson(rate * n_days)
    days = np.sort(rng.random(n) * n_days)
    kind = rng.choice(3, size=n, p=[0.5, 0.2, 0.3])
    hot = np.array([[600, 600], [2100, 900], [1500, 2400], [450, 2550]])
    h = hot[rng.integers(0, len(hot), n)]
    x = np.where(kind == 0, h[:, 0] + rng.normal(0, 60, n), rng.random(n) * 3000)
    y = np.where(kind == 0, h[:, 1] + rng.normal(0, 60, n), rng.random(n) * 3000)
    moving = kind == 1  # a cluster drifting east over time
    x[moving] = 300 + 2400 * days[moving] / n_days + rng.normal(0, 80, moving.sum())
    y[moving] = 1500 + rng.normal(0, 80, moving.sum())
    at = t0 + pd.to_timedelta(days, unit="D")
    frame = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],
        "category": rng.choice(["Burglary", "Robbery", "Vehicle crime", "Violence and sexual offences"], n),
        "x": np.clip(x, 0, 2999) + X0,
        "y": np.clip(y, 0, 2999) + Y0,
    })
    if month_only:
        month = at.to_period("M").to_timestamp()
        frame["occurred_at"] = month
        frame["occurred_from"] = month
        frame["occurred_to"] = month + pd.offsets.MonthBegin(1)
        frame["time_precision"] = "month"
        frame["month"] = month.strftime("%Y-%m")
    else:
        frame["occurred_at"] = at
        frame["occurred_from"] = at
        frame["occurred_to"] = at
        frame["time_precision"] = "minute"
    from hotpatrol.places.crs import to_lonlat

    frame["lon"], frame["lat"] = to_lonlat(frame["x"], frame["y"], "EPSG:27700")
    out = conform(frame)
    out.attrs["crs"] = "EPSG:27700"
    return out
