"""Small loaders for the forecast benchmark and tests (shared data -> events tables).

Not part of the library: once the ingest branch's store is in use, load events with
``hotpatrol.store.Store(url).load_events()`` instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.events import conform
from hotpatrol.places.crs import project, to_lonlat
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer

DATA = Path("/work/shared/data")


def _finish(frame: pd.DataFrame, crs: str) -> pd.DataFrame:
    frame["lon"], frame["lat"] = to_lonlat(frame["x"], frame["y"], crs)
    out = conform(frame)
    out.attrs["crs"] = crs
    return out


def load_vancouver(root: Path = DATA) -> pd.DataFrame:
    """VPD 2022 incidents, minute times, X/Y EPSG:26910; X=Y=0 (privacy offsets) dropped."""
    raw = pd.read_csv(root / "timestamped_vancouver_2022" / "vpd_crimedata_AllNeighbourhoods_2022.csv.gz")
    raw = raw[(raw["X"] != 0) | (raw["Y"] != 0)].dropna(subset=["X", "Y"])
    at = pd.to_datetime(dict(year=raw["YEAR"], month=raw["MONTH"], day=raw["DAY"], hour=raw["HOUR"],
                             minute=raw["MINUTE"]))
    frame = pd.DataFrame({
        "event_id": [f"van-{i}" for i in raw.index], "source": "vpd", "occurred_at": at.to_numpy(),
        "occurred_from": at.to_numpy(), "occurred_to": at.to_numpy(), "time_precision": "minute",
        "category": raw["TYPE"].to_numpy(), "x": raw["X"].to_numpy(float), "y": raw["Y"].to_numpy(float),
    })
    return _finish(frame, "EPSG:26910")


def load_chicago(root: Path = DATA) -> pd.DataFrame:
    """Chicago 2016 residential burglary, day times, X/Y EPSG:26971."""
    raw = pd.read_csv(root / "timestamped_chicago_2016_burglary_arson_nearrepeat" / "chicago_be.csv")
    day = pd.to_datetime(raw["date"])
    frame = pd.DataFrame({
        "event_id": [f"chi-{i}" for i in raw.index], "source": "chicago", "occurred_at": day,
        "occurred_from": day, "occurred_to": day + pd.Timedelta(days=1), "time_precision": "day",
        "category": "Burglary", "x": raw["X"].to_numpy(float), "y": raw["Y"].to_numpy(float),
    })
    return _finish(frame, "EPSG:26971")


def load_essex(root: Path = DATA) -> pd.DataFrame:
    """Essex 2025 police.uk street crimes, month times, projected to BNG."""
    parts = [pd.read_csv(p) for p in sorted((root / "police_uk_essex_2025").glob("*/*-street.csv.gz"))]
    raw = pd.concat(parts, ignore_index=True).dropna(subset=["Longitude", "Latitude"])
    month = pd.to_datetime(raw["Month"] + "-01")
    frame = pd.DataFrame({
        "event_id": raw["Crime ID"].fillna(pd.Series([f"essex-{i}" for i in raw.index], index=raw.index)),
        "source": "police.uk", "month": raw["Month"], "occurred_at": month, "occurred_from": month,
        "occurred_to": month + pd.offsets.MonthBegin(1), "time_precision": "month",
        "lon": raw["Longitude"].to_numpy(float), "lat": raw["Latitude"].to_numpy(float),
        "category": raw["Crime type"], "lsoa_code": raw["LSOA code"],
    })
    frame["event_id"] = frame["event_id"].where(~frame["event_id"].duplicated(), frame.index.astype(str))
    out = project(conform(frame), "EPSG:27700")
    return out


def densest_box(events: pd.DataFrame, size: float = 10_000.0, step: float = 250.0) -> tuple[float, float]:
    """South-west corner of the ``size``-metre square holding the most events (corners on a ``step`` lattice)."""
    x, y = events["x"].to_numpy(float), events["y"].to_numpy(float)
    x0, y0 = np.floor(x.min() / step) * step, np.floor(y.min() / step) * step
    nx, ny = int((x.max() - x0) // step) + 1, int((y.max() - y0) // step) + 1
    h, _, _ = np.histogram2d(y, x, bins=[ny, nx], range=[[y0, y0 + ny * step], [x0, x0 + nx * step]])
    c = np.pad(h.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    m = int(size // step)
    if ny <= m or nx <= m:
        return float(x0), float(y0)
    win = c[m:, m:] - c[:-m, m:] - c[m:, :-m] + c[:-m, :-m]
    r, q = np.unravel_index(np.argmax(win), win.shape)
    return float(x0 + q * step), float(y0 + r * step)


def box_study(events: pd.DataFrame, size: float = 10_000.0, cell: float = 150.0):
    """Events inside the densest box and the ``cell`` grid over it (the area of every metric)."""
    bx, by = densest_box(events, size)
    inside = events["x"].between(bx, bx + size, inclusive="left") & events["y"].between(by, by + size, inclusive="left")
    sub = events.loc[inside].reset_index(drop=True)
    sub.attrs = dict(events.attrs)
    n = int(np.ceil(size / cell))
    grid = Grid(bx, by, cell, n, n, events.attrs.get("crs", "unknown"))
    return sub, PlacesLayer.from_grid(grid)
