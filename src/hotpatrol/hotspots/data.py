"""From an events table to per-place values: the input every hotspot method shares.

``select_events`` filters by category and period; ``prepare`` projects to metres, weighs each event
(count, harm or a scheme), builds or uses a places layer and sums the weights per place.

Which grid cells are analysed (the *study area*) matters for Gi* and LISA, whose means and
variances are taken over the analysed places. The bounding grid of a county is mostly empty
(sea, fields), so by default ``prepare`` keeps the cells **within ``halo`` metres (500) of any
event** (cells with events plus a ring around them). Pass ``area=`` (polygons, e.g. the county or
district boundaries) to analyse exactly the cells whose centre lies inside instead; events outside
the area are then counted and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.events import occurred_at, with_legacy
from hotpatrol.harm import get_scheme
from hotpatrol.places.crs import project
from hotpatrol.places.grid import Grid
from hotpatrol.places.layer import PlacesLayer

DEFAULT_HALO = 500.0


@dataclass
class Prepared:
    """Events in metres with their weights, the places layer and per-place totals."""

    places: PlacesLayer
    values: np.ndarray  # weight (harm or count) per place
    counts: np.ndarray  # number of events per place
    x: np.ndarray  # events inside the places, metres
    y: np.ndarray
    w: np.ndarray  # their weights
    weight: str
    crs: str
    meta: dict = field(default_factory=dict)


def _month_start(text, parameter: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(str(text))
    except (ValueError, TypeError):
        raise HotpatrolError("Dates must look like YYYY-MM or YYYY-MM-DD.", parameter=parameter, given=text) from None


def select_events(events: pd.DataFrame, categories=None, start=None, end=None) -> pd.DataFrame:
    """Events of the given categories whose best instant is in ``[start, end]``.

    ``start``/``end`` are ``YYYY-MM`` (whole months; ``end`` inclusive) or ``YYYY-MM-DD`` (``end``
    inclusive of that day). Raises a HotpatrolError when nothing is left, naming what to change.
    """
    if not isinstance(events, pd.DataFrame):
        raise HotpatrolError("events must be an events table (pandas DataFrame).", parameter="events",
                             given=type(events).__name__)
    if len(events) == 0:
        raise HotpatrolError("The events table is empty.", parameter="events",
                             fix="Ingest data first: hotpatrol ingest <files>.")
    keep = np.ones(len(events), dtype=bool)
    if categories:
        categories = [categories] if isinstance(categories, str) else list(categories)
        present = set(events["category"].dropna().astype(str).unique())
        unknown = [c for c in categories if c not in present and not set(with_legacy([c])) & present]
        if len(unknown) == len(categories):
            raise HotpatrolError(
                "None of the chosen categories occur in the events.", parameter="category",
                allowed=sorted(present), given=categories, fix="Pick categories from the allowed list.",
            )
        keep &= events["category"].isin(with_legacy(categories)).to_numpy()  # + pre-2013 renamed labels
    if start is not None or end is not None:
        when = occurred_at(events)
        if start is not None:
            keep &= (when >= _month_start(start, "start")).to_numpy()
        if end is not None:
            e = _month_start(end, "end")
            stop = e + (pd.offsets.MonthBegin(1) if len(str(end)) <= 7 else pd.Timedelta(days=1))
            keep &= (when < stop).to_numpy()
    out = events.loc[keep]
    if len(out) == 0:
        span = f"{events['month'].min()}..{events['month'].max()}" if "month" in events else "see the data"
        raise HotpatrolError(
            f"No events in the chosen period/categories (the data cover {span}).",
            parameter="start/end" if (start or end) else "category",
            given={"categories": categories, "start": start, "end": end},
            fix="Widen --start/--end or choose other --category values.",
        )
    return out.reset_index(drop=True)


def event_weights(events: pd.DataFrame, weight: str = "harm") -> tuple[np.ndarray, str]:
    """Per-event weight: ``count`` (1 each), ``harm`` (the default scheme, CCHI) or a scheme name/path."""
    if weight in (None, "harm"):
        scheme = get_scheme(settings.get("scheme"))
    else:
        scheme = get_scheme(weight)
    return scheme.weigh(events), scheme.name


def prepare(
    events: pd.DataFrame,
    scheme: str | None = None,
    *,
    places: PlacesLayer | None = None,
    cell: float | None = None,
    area=None,
    halo: float = DEFAULT_HALO,
    crs: str | None = None,
    weight: str | None = None,
) -> Prepared:
    """Project, weigh and aggregate ``events`` onto ``places`` (or a ``cell``-metre grid).

    ``scheme`` is ``count``, ``harm``/``None`` (the ``scheme`` setting, CCHI by default) or a harm
    scheme name/file; ``weight=`` is its deprecated old name (warns). ``cell`` ``None`` takes the
    ``cell`` setting. Events without coordinates are counted in ``meta['no_coordinates']`` and left
    out, as are events outside the places (``meta['outside_places']``).
    """
    if weight is not None:
        import warnings

        warnings.warn("prepare(weight=...) is deprecated; use scheme=.", FutureWarning, stacklevel=2)
        scheme = weight if scheme is None else scheme
    if len(events) == 0:
        raise HotpatrolError("There are no events to analyse.", parameter="events",
                             fix="Widen --start/--end or --category.")
    for col in ("lon", "lat"):
        if col not in events.columns:
            raise HotpatrolError(f"The events table has no {col!r} column.", parameter="events", column=col)
    lon = pd.to_numeric(events["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(events["lat"], errors="coerce").to_numpy(float)
    has = np.isfinite(lon) & np.isfinite(lat)
    if not has.any():
        raise HotpatrolError("No events have coordinates.", parameter="events",
                             fix="Check the lon/lat columns of the source files.")
    if np.nanmax(np.abs(lon[has])) > 180 or np.nanmax(np.abs(lat[has])) > 90:
        raise HotpatrolError(
            "lon/lat values are outside -180..180 / -90..90: these look like metres, not degrees.",
            parameter="lon/lat", given=(float(np.nanmedian(lon[has])), float(np.nanmedian(lat[has]))),
            fix="Re-ingest giving the CRS of the x/y columns so they are converted to lon/lat.",
        )
    ev = events.loc[has].reset_index(drop=True)
    w, scheme = event_weights(ev, scheme)
    w, gap_meta = _published_rates(events, ev, w)
    crs = crs or (places.crs if places is not None else None)
    pts = project(ev, crs)
    crs = pts.attrs["crs"]
    x = pts["x"].to_numpy(float)
    y = pts["y"].to_numpy(float)
    meta = {"events": int(len(events)), "no_coordinates": int((~has).sum()), "weight": scheme, **gap_meta}
    if places is None:
        cell = float(cell if cell is not None else settings.get("cell"))
        shape = None
        if area is not None:
            # clip events to the area first, so a stray point far away cannot blow up the grid
            shape = _area_shape(area, crs)
            import shapely

            in_area = shapely.contains_xy(shape, x, y)
            meta["outside_area"] = int((~in_area).sum())
            if not in_area.any():
                raise HotpatrolError("No event lies inside the area.", parameter="area",
                                     fix="Check the area polygons cover the events (and their CRS).")
            x, y, w = x[in_area], y[in_area], w[in_area]
        # without an area, pad the grid so the halo round events on its edge fits in it
        pad = 0 if shape is not None or halo is None or halo < 0 else int(np.floor(halo / cell))
        grid = Grid.covering(x, y, cell=cell, crs=crs, pad=pad)
        places = _study_cells(grid, x, y, area=shape, halo=halo)
        meta["study_area"] = "cells inside area" if area is not None else f"cells within {halo:g} m of an event"
    elif not isinstance(places, PlacesLayer):
        raise HotpatrolError("places must be a PlacesLayer.", parameter="places", given=type(places).__name__,
                             fix="Build one with hotpatrol.places.PlacesLayer.from_grid(...) or hotpatrol.places.build(...).")
    idx = places.assign(x, y)
    inside = idx >= 0
    meta["outside_places"] = int((~inside).sum())
    meta["analysed_events"] = int(inside.sum())
    if not inside.any():
        raise HotpatrolError("No event falls inside the places.", parameter="places",
                             fix="Check the places layer covers the events (same area, metric CRS).")
    values = np.bincount(idx[inside], weights=w[inside], minlength=places.n).astype(float)
    counts = np.bincount(idx[inside], minlength=places.n).astype(float)
    meta["places"] = int(places.n)
    return Prepared(places=places, values=values, counts=counts, x=x[inside], y=y[inside], w=w[inside],
                    weight=scheme, crs=crs, meta=meta)


def _published_rates(events: pd.DataFrame, ev: pd.DataFrame, w: np.ndarray) -> tuple[np.ndarray, dict]:
    """Scale each event's weight by (months in the window) / (months its force published in it).

    A month a force did not publish is not a month with no crime: per-place values become each
    force's rate over its published months times the window's length in months, so a force (or a
    part of the area) with a gap is not ranked below one without. With no missing month the weights
    are unchanged. The window is the first to the last month of the events analysed.
    """
    from hotpatrol.events import (
        describe_missing,
        event_forces,
        event_months,
        forces_missing,
    )

    if len(ev) == 0:
        return w, {}
    months = event_months(ev)
    if months.isna().all():
        return w, {}
    first, last = months.min(), months.max()
    gaps = forces_missing(events, ev, first, last)
    if not gaps:
        return w, {}
    forces = event_forces(ev).astype(str)
    n_window = (last - first).n + 1
    factor = {f: n_window / max(n_window - len(v), 1) for f, v in gaps.items()}  # other forces: 1
    scale = forces.map(factor).fillna(1.0).to_numpy(float)
    note = (f"No data for {describe_missing(gaps)}: per-place values are each force's total over its published "
            f"months scaled to the {n_window}-month window {first}..{last} (a missing month is not a month "
            "with no crime).")
    return w * scale, {"missing_months": {f: [str(m) for m in v] for f, v in gaps.items()}, "note": note}


def _study_cells(grid: Grid, x, y, *, area=None, halo: float = DEFAULT_HALO) -> PlacesLayer:
    """Grid cells whose centre is inside ``area``, or within ``halo`` metres of an event cell."""
    if area is not None:
        import shapely

        shape = area if isinstance(area, shapely.Geometry) else _area_shape(area, grid.crs)
        cx, cy = grid.centres()
        inside = shapely.contains_xy(shape, cx, cy)
        ids = np.flatnonzero(inside)
        if len(ids) == 0:
            raise HotpatrolError("No grid cell lies inside the area.", parameter="area",
                                 fix="Check the area polygons cover the events.")
        return PlacesLayer.from_grid(grid, ids)
    if halo is None or halo < 0:
        raise HotpatrolError("halo must be a distance in metres >= 0.", parameter="halo", given=halo)
    from scipy import ndimage

    occupied = grid.aggregate(x, y) > 0
    r = int(np.floor(halo / grid.cell))
    if r > 0:
        off = np.arange(-r, r + 1)
        disk = (off[None, :] ** 2 + off[:, None] ** 2) * grid.cell ** 2 <= halo ** 2
        occupied = ndimage.binary_dilation(occupied, structure=disk)
    return PlacesLayer.from_grid(grid, np.flatnonzero(occupied.ravel()))


def _area_shape(area, crs: str):
    """One (multi)polygon in ``crs`` from a GeoDataFrame or a polygon file."""
    import geopandas as gpd
    import shapely

    if isinstance(area, (str, Path)):
        if not Path(area).exists():
            raise HotpatrolError("Area file not found.", parameter="area", given=str(area),
                                 fix="Give a GeoJSON/GeoPackage of the study-area polygons.")
        area = gpd.read_file(area)
    if not isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise HotpatrolError("area must be polygons (GeoDataFrame or file).", parameter="area",
                             given=type(area).__name__)
    geom = area.to_crs(crs).geometry
    shape = geom.union_all() if hasattr(geom, "union_all") else geom.unary_union
    shapely.prepare(shape)
    return shape
