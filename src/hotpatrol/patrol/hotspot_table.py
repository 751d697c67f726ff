"""The hotspot table a selection starts from: reading it, labelling districts, exclusion zones.

:func:`as_hotspot_table` normalises a hotspot result, a frame or a file to ``place_id, x, y, harm``
(plus ``district`` and ``travel_minutes`` when known); :func:`read_hotspots` reads CSV/GeoJSON/GeoPackage
files, :func:`label_districts` tags each place with its district, :func:`read_exclusions` and
:func:`excluded_mask` find places touching an excluded zone (hospital, prison, custody suite), and
:func:`hotspots_from_events` builds the simplest table, harm per grid cell, from an events table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult

HARM_COLUMNS = ("harm", "score", "harm_total", "value")


NO_DISTRICT = "(none)"  # label of places outside every district


def as_hotspot_table(hotspots, places, harm_column: str | None, district_column: str | None, crs: str | None):
    """Normalise the input to (frame[place_id, x, y, harm, district?, travel?], places, crs)."""
    if isinstance(hotspots, HotspotResult):
        places = places if places is not None else hotspots.places
        frame = hotspots.to_frame()
    elif isinstance(hotspots, pd.DataFrame):
        frame = hotspots
    else:
        raise HotpatrolError("hotspots must be a DataFrame or a hotspot result.", parameter="hotspots",
                             given=type(hotspots).__name__)
    if places is not None and not hasattr(places, "place_id"):  # a Grid
        from hotpatrol.places.layer import PlacesLayer

        places = PlacesLayer.from_grid(places, frame["place_id"].to_numpy()) if "place_id" in frame else None
    if "place_id" not in frame.columns:
        raise HotpatrolError("The hotspot table needs a place_id column.", parameter="hotspots",
                             fix="Pass the per-place table of a hotspot result (hotpatrol hotspots ... --out x.csv).")
    if harm_column is None:
        harm_column = next((c for c in HARM_COLUMNS if c in frame.columns), None)
        if harm_column is None:
            raise HotpatrolError("The hotspot table has no harm column.", parameter="harm_column",
                                 allowed=list(HARM_COLUMNS), given=list(frame.columns))
    elif harm_column not in frame.columns:
        raise HotpatrolError("harm_column is not a column of the hotspot table.", parameter="harm_column",
                             allowed=list(frame.columns), given=harm_column)
    out = pd.DataFrame({"place_id": frame["place_id"].to_numpy()})
    if frame["place_id"].duplicated().any():
        row = int(np.flatnonzero(frame["place_id"].duplicated().to_numpy())[0])
        raise HotpatrolError("The hotspot table has a duplicate place_id.", row=row, column="place_id")
    if {"x", "y"} <= set(frame.columns):
        out["x"] = frame["x"].to_numpy(dtype=float)
        out["y"] = frame["y"].to_numpy(dtype=float)
    elif places is not None:
        pos = pd.Series(np.arange(places.n), index=pd.Index(places.place_id))
        idx = pos.reindex(frame["place_id"].to_numpy()).to_numpy()
        if np.isnan(idx).any():
            raise HotpatrolError("Some place_id values are not in the places layer.", parameter="places",
                                 given=frame["place_id"][np.isnan(idx)].iloc[0])
        idx = idx.astype(int)
        out["x"], out["y"] = places.x[idx], places.y[idx]
    else:
        raise HotpatrolError("The hotspot table needs x/y centroid columns (metres) or a places layer.",
                             parameter="hotspots", fix="Pass places=<PlacesLayer or Grid> or add x and y columns.")
    harm = pd.to_numeric(frame[harm_column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(harm) | (harm < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise HotpatrolError("Harm must be a finite number >= 0.", row=row, column=harm_column,
                             given=frame[harm_column].iloc[row])
    out["harm"] = harm
    if district_column and district_column in frame.columns:
        from hotpatrol.places.areas import current_labels

        # old or new names of one district ("Shepway", "Folkestone and Hythe") are one district
        labels = frame[district_column].astype("object").where(frame[district_column].notna(), None).to_numpy()
        labels = current_labels(labels)
        out["district"] = pd.Series(labels, dtype="string").fillna(NO_DISTRICT).to_numpy()
    for extra in ("travel_minutes", "lon", "lat"):
        if extra in frame.columns:
            out[extra] = frame[extra].to_numpy()
    crs = crs or (places.crs if places is not None else None) or frame.attrs.get("crs")
    return out, places, crs


def read_hotspots(path: str | Path, *, crs: str | None = None) -> pd.DataFrame:
    """Read a hotspot table written by ``hotpatrol hotspots`` (.csv or .gpkg/.geojson).

    Returns a frame with place_id, x, y, harm/score..., ``attrs["crs"]`` set and, for vector files,
    a ``geometry`` column kept so exclusion zones can test polygons.
    """
    path = Path(path)
    if not path.exists():
        raise HotpatrolError("Hotspot file not found.", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
        side = path.with_suffix(".json")
        if crs is None and side.exists():
            try:
                crs = json.loads(side.read_text()).get("crs")
            except ValueError:
                pass
        if not {"x", "y"} <= set(frame.columns) and {"lon", "lat"} <= set(frame.columns):
            from hotpatrol.places.crs import choose_metric_crs, from_lonlat

            crs = crs or choose_metric_crs(frame["lon"], frame["lat"])
            frame["x"], frame["y"] = from_lonlat(frame["lon"], frame["lat"], crs)
        frame.attrs["crs"] = crs or "EPSG:27700"
        return frame
    if suffix in (".gpkg", ".geojson", ".json", ".shp"):
        import geopandas as gpd

        gdf = gpd.read_file(path)
        if gdf.crs is not None and gdf.crs.is_geographic:
            from hotpatrol.places.crs import choose_metric_crs

            c = gdf.geometry.representative_point()  # lon/lat of each place, to pick a metric CRS
            gdf = gdf.to_crs(crs or choose_metric_crs(c.x, c.y))
        elif crs is not None and gdf.crs is None:
            gdf = gdf.set_crs(crs)
        if "x" not in gdf.columns:
            cen = gdf.geometry.centroid
            gdf["x"], gdf["y"] = cen.x, cen.y
        frame = pd.DataFrame(gdf)
        frame.attrs["crs"] = gdf.crs.to_string() if gdf.crs is not None else (crs or "EPSG:27700")
        return frame
    raise HotpatrolError("Unknown hotspot file type.", parameter="hotspots",
                         allowed=[".csv", ".gpkg", ".geojson"], given=str(path))


def read_exclusions(exclude, crs: str):
    """Exclusion polygons (GeoJSON/GPKG paths, a GeoDataFrame or shapely geometries) in ``crs``."""
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if exclude is None:
        return None
    items = exclude if isinstance(exclude, (list, tuple)) else [exclude]
    frames = []
    for item in items:
        if isinstance(item, (str, Path)):
            p = Path(item)
            if not p.exists():
                raise HotpatrolError("Exclusion file not found.", file=str(p), parameter="exclude")
            try:
                g = gpd.read_file(p)
            except Exception as exc:  # pyogrio raises several types for unreadable files
                raise HotpatrolError(f"Cannot read exclusion polygons: {exc}", file=str(p)) from None
            if g.crs is None:
                g = g.set_crs("EPSG:4326")  # GeoJSON is WGS84 by definition (RFC 7946)
            frames.append(g.to_crs(crs))
        elif isinstance(item, gpd.GeoDataFrame):
            frames.append(item.to_crs(crs) if item.crs is not None else item.set_crs(crs))
        elif isinstance(item, BaseGeometry):
            frames.append(gpd.GeoDataFrame(geometry=[item], crs=crs))
        else:
            raise HotpatrolError("exclude must be file paths, a GeoDataFrame or shapely geometries.",
                                 parameter="exclude", given=type(item).__name__)
    return pd.concat(frames, ignore_index=True) if frames else None


def label_districts(hotspots: pd.DataFrame, districts, *, column: str | None = None, crs: str | None = None) -> pd.DataFrame:
    """A copy of ``hotspots`` with a ``district`` column from polygons (file or GeoDataFrame), by centroid.

    ``column`` names the label column (default: the first of LAD_NM/name/NAME/district, else the first
    text column). Places outside every polygon get ``(none)``. LAD polygons of any vintage are labelled
    with today's name of their current ONS code (:func:`hotpatrol.places.areas.polygon_district_labels`).
    """
    import geopandas as gpd
    import shapely

    from hotpatrol.places.areas import polygon_district_labels

    crs = crs or hotspots.attrs.get("crs") or "EPSG:27700"
    zones = read_exclusions(districts, crs)  # same reading rules: paths or GeoDataFrames, reprojected
    if column is None:
        text = [c for c in zones.columns if c != "geometry" and not pd.api.types.is_numeric_dtype(zones[c])]
        lad_nm = [c for c in text if re.fullmatch(r"LAD\d{0,2}_?NM", str(c), flags=re.IGNORECASE)]
        column = next((c for c in (*lad_nm, "name", "NAME", "district") if c in zones.columns), text[0] if text else None)
    if column is None or column not in zones.columns:
        raise HotpatrolError("Cannot tell which column of the district polygons holds the name.",
                             parameter="district_name", allowed=[c for c in zones.columns if c != "geometry"],
                             given=column)
    pts = gpd.GeoDataFrame({"i": np.arange(len(hotspots))},
                           geometry=shapely.points(hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)), crs=crs)
    zones = zones.reset_index(drop=True).assign(_label=polygon_district_labels(zones, column))
    hit = gpd.sjoin(pts, zones[["_label", "geometry"]], how="left", predicate="within").drop_duplicates("i")
    out = hotspots.copy()
    out["district"] = hit.sort_values("i")["_label"].astype("string").fillna(NO_DISTRICT).to_numpy()
    out.attrs.update(hotspots.attrs)
    return out


def excluded_mask(table: pd.DataFrame, places, zones, cell: float | None, crs: str) -> np.ndarray:
    """True for places whose area (or centroid, if no area is known) touches an exclusion zone."""
    import geopandas as gpd
    import shapely

    if zones is None or len(zones) == 0:
        return np.zeros(len(table), dtype=bool)
    if places is not None:
        try:
            geom = places.geometry.set_index("place_id").geometry.reindex(table["place_id"].to_numpy())
            geoms = geom.to_numpy()
        except HotpatrolError:
            geoms = None
    else:
        geoms = None
    if geoms is None or pd.isna(geoms).any():
        if cell:
            h = cell / 2
            geoms = shapely.box(table["x"] - h, table["y"] - h, table["x"] + h, table["y"] + h)
        else:
            geoms = shapely.points(table["x"], table["y"])
    left = gpd.GeoDataFrame({"i": np.arange(len(table))}, geometry=np.asarray(geoms), crs=crs)
    hit = gpd.sjoin(left, zones[["geometry"]], how="inner", predicate="intersects")
    mask = np.zeros(len(table), dtype=bool)
    mask[hit["i"].to_numpy()] = True
    return mask


def hotspots_from_events(events: pd.DataFrame, *, cell: float | None = None, scheme=None, months: int | None = 12,
                         crs: str | None = None, district_column: str | None = None) -> pd.DataFrame:
    """Harm per grid cell from an events table: the simplest hotspot table to select from.

    Keeps the last ``months`` months of the data (None = all), weights events by ``scheme`` and sums
    them per ``cell``-metre cell. Returns place_id (cell id), x, y (cell centre), harm, n_events with
    ``attrs`` crs and cell; with ``district_column`` (a column of the events) each cell's most common
    value becomes its ``district``, as today's name of the district (old and new names of one district,
    "Shepway"/"Folkestone and Hythe", are one). ``district_column="district"`` on events without that
    column derives it from ``lad_code``/LSOA names (:func:`hotpatrol.places.areas.district_keys`).
    Use the hotspot statistics (``hotpatrol hotspots``) for significance tests.
    """
    cell, scheme = float(settings.resolve("cell", cell)), settings.resolve("scheme", scheme)
    from hotpatrol.events import occurred_at
    from hotpatrol.harm import harm
    from hotpatrol.places.areas import current_labels, district_keys
    from hotpatrol.places.crs import project
    from hotpatrol.places.grid import Grid

    if not len(events):
        raise HotpatrolError("No events to build hotspots from.", parameter="events",
                             fix="Ingest data first (hotpatrol ingest) or widen the date range.")
    ev = events
    if months:
        at = pd.to_datetime(occurred_at(ev))
        ev = ev[(at > at.max() - pd.DateOffset(months=int(months))).to_numpy()]
    if "x" not in ev.columns:
        ev = project(ev, crs)
    crs = crs or ev.attrs.get("crs") or "EPSG:27700"
    w = harm(ev, scheme)
    grid = Grid.covering(ev["x"], ev["y"], cell=cell, crs=crs)
    cid = grid.cell_id(ev["x"].to_numpy(float), ev["y"].to_numpy(float))
    ok = cid >= 0
    total = pd.DataFrame({"cid": cid[ok], "harm": w[ok]}).groupby("cid")["harm"].agg(["sum", "size"])
    cx, cy = grid.centres(total.index.to_numpy())
    out = pd.DataFrame({"place_id": total.index.to_numpy(), "x": cx, "y": cy, "harm": total["sum"].to_numpy(),
                        "n_events": total["size"].to_numpy()})
    if district_column is not None:
        if district_column in ev.columns:
            labels = current_labels(ev[district_column].astype("object").where(ev[district_column].notna(), None))
        elif district_column == "district" and ({"lad_code", "lsoa_name", "lsoa_code"} & set(ev.columns)):
            keys = district_keys(ev)
            labels = keys["district"].where(keys["district_code"] != "Unknown", None).to_numpy(object)
        else:
            raise HotpatrolError("district_column is not a column of the events.", parameter="district_column",
                                 given=district_column)
        d = pd.DataFrame({"cid": cid[ok], "d": labels[ok]}).dropna()
        modal = d.groupby(["cid", "d"]).size().reset_index(name="c").sort_values("c", ascending=False)
        modal = modal.drop_duplicates("cid").set_index("cid")["d"]
        out["district"] = modal.reindex(out["place_id"]).to_numpy()
    out = out.sort_values("harm", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update({"crs": crs, "cell": float(cell)})
    return out
