"""The one adapter between the web platform and the hotpatrol library.

Every library call the site makes is in this module, so the library's API can change (the events
reader, the results contract) by editing here only. It returns plain Python/numpy/pandas objects;
nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

BNG = "EPSG:27700"
SERIES_MONTHS = 13  # the sparkline: the ranking window plus the month before it
LORENZ_POINTS = 101


@dataclass
class Analysis:
    """What the site stores from one hotspot analysis of a store."""

    period_start: str
    period_end: str
    months: list[str]  # the sparkline months, oldest first
    cell: float
    weight: str
    n_events: int
    cells: pd.DataFrame  # one row per cell with events: cell_id, x, y, harm, count, rank, district, district_rank
    mix: list[dict]  # per row of ``cells``: crimes per category in the period
    series: np.ndarray  # (len(cells), len(months)) crimes per month
    result: dict = field(default_factory=dict)  # {"force": {...}, "districts": {code: {...}}} (JSON-ready)


def read_districts(path: str | Path, name_column: str, code_column: str | None = None):
    """District polygons from a GeoJSON/GeoPackage/shapefile, in BNG, one row per district.

    Returns a GeoDataFrame with ``code``, ``name`` and ``geometry`` (EPSG:27700). Rows sharing a
    name are dissolved into one district.

    Raises
    ------
    HotpatrolError
        missing file, unknown column (naming the allowed ones), no CRS, or empty/invalid geometry (row).
    """
    from hotpatrol.places.polygons import read_vector

    path = Path(path)
    gdf = read_vector(path, what="district file", parameter="FILE", given=str(path),
                      fix="Give a GeoJSON or GeoPackage of district polygons.")
    for option, col in (("name_column", name_column), ("code_column", code_column)):
        if col is not None and col not in gdf.columns:
            raise HotpatrolError("Unknown column in the district file.", parameter=option, given=col, file=str(path),
                                 allowed=[c for c in gdf.columns if c != "geometry"])
    if gdf.crs is None:
        raise HotpatrolError("The district file has no coordinate reference system.", file=str(path),
                             fix="Save it with a CRS (EPSG:27700 or EPSG:4326).")
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HotpatrolError("A district has no geometry.", file=str(path), row=row + 1, column="geometry")
    gdf = gdf.to_crs(BNG)
    gdf["geometry"] = gdf.geometry.make_valid()
    gdf["name"] = gdf[name_column].astype(str).str.strip()
    gdf["code"] = (gdf[code_column].astype(str).str.strip() if code_column else gdf["name"])
    out = gdf[["code", "name", "geometry"]].dissolve(by="code", as_index=False, aggfunc="first")
    return out.reset_index(drop=True)


def map_geometries(districts, tolerance: float = 50.0) -> list[str]:
    """Each district simplified (``tolerance`` metres, topology kept) and in lon/lat, as GeoJSON text."""
    import shapely

    simple = districts.geometry.simplify(tolerance, preserve_topology=True).to_crs("EPSG:4326")
    return [shapely.to_geojson(shapely.set_precision(g, 1e-5)) for g in simple]


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """BNG metres -> lon/lat degrees (arrays)."""
    from hotpatrol.places.crs import to_lonlat as _to_lonlat

    return _to_lonlat(np.asarray(x, float), np.asarray(y, float), BNG)


def store_has_events(db: str | None) -> bool:
    from hotpatrol.store import Store

    with Store(db) as store:
        info = store.info()
    return bool(info.get("counts", {}).get("events", 0))


def analyse(db: str | None, districts, *, months: int | None = None, cell: float | None = None,
            scheme: str | None = None, top: int | None = None) -> Analysis:
    """Rank the store's grid cells by harm over the last ``months`` months, per district and force-wide.

    ``districts``: GeoDataFrame (``code``, geometry in BNG). Cells are the library's ``prepare`` study
    cells (``cell`` metres, default the ``cell`` setting); only cells with events are returned, each
    with its crime mix over the period and its crimes per month over :data:`SERIES_MONTHS` months.
    The ranking (``rank_places``, top ``top``) and the concentration (``concentration`` over every
    study cell, empty ones included, with its Lorenz curve) are computed force-wide and per district.

    Raises
    ------
    HotpatrolError
        an empty store (with the fix: ingest), or anything the library refuses.
    """
    from hotpatrol import settings
    from hotpatrol.hotspots import prepare
    from hotpatrol.hotspots.concentration import concentration, lorenz
    from hotpatrol.hotspots.rank import assign_districts, rank_places
    from hotpatrol.places.crs import project
    from hotpatrol.reader import read

    months = int(settings.resolve("months", months))
    top = int(settings.resolve("top", top))
    events = read(db or settings.get("db"))  # the one events reader (hotpatrol.reader)
    if len(events) == 0:
        raise HotpatrolError("The store has no events to analyse.", parameter="db",
                             fix="Ingest data first: hotpatrol ingest FILES --db URL.")
    month = events["month"].astype(str)
    last = pd.Period(month.max(), "M")
    first = last - (months - 1)
    first_series = last - (max(months, SERIES_MONTHS) - 1)
    window = events[month >= str(first_series)].reset_index(drop=True)
    in_period = (window["month"].astype(str) >= str(first)).to_numpy()
    data = prepare(window[in_period], scheme, cell=cell, crs=BNG)
    places = data.places

    # every study cell's district (for concentration), then the cells with events
    district_all = np.asarray(assign_districts(places, districts, column="code"), dtype=object)
    keep = np.flatnonzero(data.counts > 0)
    order = keep[np.lexsort((keep, -data.values[keep]))]  # harm descending, ties by place order
    frame = pd.DataFrame({"cell_id": places.place_id[order].astype(str), "x": places.x[order], "y": places.y[order],
                          "harm": data.values[order], "count": data.counts[order].astype(int),
                          "rank": np.arange(1, len(order) + 1), "district": district_all[order]})
    frame["district_rank"] = frame.groupby("district", dropna=True).cumcount() + 1
    frame.loc[frame["district"].isna(), "district_rank"] = np.nan

    # crime mix (ranking period) and monthly series (sparkline window) per kept cell: one pass each
    pts = project(window.loc[window["lon"].notna() & window["lat"].notna()], BNG)
    idx = places.assign(pts["x"].to_numpy(float), pts["y"].to_numpy(float))
    row_of = np.full(places.n, -1, dtype=np.int64)
    row_of[order] = np.arange(len(order))
    row = np.where(idx >= 0, row_of[np.maximum(idx, 0)], -1)
    ok = row >= 0
    labels = [str(p) for p in pd.period_range(first_series, last, freq="M")]
    m = pd.Categorical(pts["month"].astype(str).to_numpy()[ok], categories=labels).codes
    series = np.zeros((len(order), len(labels)), dtype=np.int64)
    good = m >= 0
    np.add.at(series, (row[ok][good], m[good]), 1)
    period_mask = (pts["month"].astype(str).to_numpy() >= str(first)) & ok
    mix_table = pd.crosstab(row[period_mask], pts["category"].astype(str).to_numpy()[period_mask])
    mix = [dict() for _ in range(len(order))]
    cats = list(mix_table.columns)
    for r, counts in zip(mix_table.index.to_numpy(), mix_table.to_numpy()):
        mix[int(r)] = {c: int(v) for c, v in zip(cats, counts) if v}

    def scope(mask) -> dict:
        values = data.values[mask]
        sub = places.subset(np.flatnonzero(mask))
        rank = rank_places(values, sub, top=min(top, max(1, int(mask.sum()))), counts=data.counts[mask])
        conc = concentration(values, n_events=float(data.counts[mask].sum()), places=sub)
        lx, ly = lorenz(values) if values.sum() > 0 else (np.array([0.0, 1.0]), np.array([0.0, 1.0]))
        grid = np.linspace(0, 1, LORENZ_POINTS)
        return {"ranking": rank.to_dict(), "concentration": conc.to_dict(),
                "lorenz": {"places": grid.round(4).tolist(), "harm": np.interp(grid, lx, ly).round(4).tolist()},
                "cells": int(mask.sum()), "harm": float(values.sum()), "crimes": int(data.counts[mask].sum())}

    result = {"force": scope(np.ones(places.n, dtype=bool)), "districts": {}}
    for code in districts["code"]:
        mask = district_all == code
        if mask.any():
            result["districts"][str(code)] = scope(mask)
    result["meta"] = {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in data.meta.items()}
    return Analysis(period_start=str(first), period_end=str(last), months=labels, cell=float(places.grid.cell)
                    if places.grid is not None else float(cell or settings.get("cell")), weight=data.weight,
                    n_events=int(data.counts.sum()), cells=frame, mix=mix, series=series, result=_jsonable(result))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
