"""Polygon places: LSOAs, wards, districts or any boundary file (GeoJSON, GeoPackage, Shapefile).

``read_places`` reads the file, projects it to a metric CRS and returns a :class:`PlacesLayer` of
kind ``"polygons"`` whose ``assign(x, y)`` is a vectorised point-in-polygon (shapely STRtree with
prepared geometries). Points are deduplicated first: police.uk data repeat ~20k snap points over
hundreds of thousands of rows, so only the distinct points are tested.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.places.crs import choose_metric_crs, from_lonlat
from hotpatrol.places.layer import PlacesLayer

# Column names that usually hold an area code / name in ONS and OS products (LAD_CD, LSOA11CD, WD25NM ...).
_ID_PATTERNS = (r"^place_id$", r"^id$", r"(^|_)code$", r"\d*CD$", r"_CD$")
_NAME_PATTERNS = (r"^name$", r"(^|_)name$", r"\d*NM$", r"_NM$")


def _guess(columns, patterns, *, exclude=()) -> str | None:
    for pat in patterns:
        for col in columns:
            if col in exclude or col == "geometry":
                continue
            if re.search(pat, str(col), flags=re.IGNORECASE):
                return col
    return None


def read_places(
    path,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    tolerance: float = 0.0,
) -> PlacesLayer:
    """Read a boundary file as a polygons :class:`PlacesLayer` in a metric CRS.

    Parameters
    ----------
    path : GeoJSON / GeoPackage / Shapefile (anything pyogrio reads).
    id_column : column with the place code (guessed: ``LAD_CD``, ``LSOA11CD``, ``code``, ``id`` ...;
        the row number when nothing fits).
    name_column : column with the place name (guessed: ``LAD_NM``, ``name`` ...).
    crs : metric CRS to project to; chosen from the data when None (BNG in Great Britain).
    layer : layer name inside a GeoPackage with several layers.
    tolerance : metres; points outside every polygon but within this distance of one are given
        the nearest (0 = strict point-in-polygon).

    The layer's ``geometry`` is a GeoDataFrame with ``place_id``, ``name`` and the file's other
    attribute columns.
    """
    gdf = read_vector(path, layer=layer, fix="Check the path (GeoJSON/GeoPackage).")
    return places_from_frame(gdf, id_column=id_column, name_column=name_column, crs=crs, tolerance=tolerance,
                             source=str(path))


def read_vector(path, *, what: str = "boundary file", layer: str | None = None, **context):
    """Read a vector file (GeoPackage, GeoJSON, Shapefile...) with geopandas.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for the messages ("boundary file", "district file").
    layer : str, optional
        The layer to read (default: the first).
    **context
        Further :class:`~hotpatrol.errors.HotpatrolError` fields (``parameter``, ``given``, ``fix``).

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    HotpatrolError
        naming the file: it does not exist, or geopandas cannot read it (the reader's own reason).
    """
    import geopandas as gpd

    path = Path(path)
    context = {"file": str(path), **context}
    if not path.exists():
        raise HotpatrolError(f"{what[:1].upper()}{what[1:]} not found.", **context)
    try:
        return gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; the user needs the file and the reason
        raise HotpatrolError(f"Cannot read the {what}: {exc}", **context) from None


def places_from_frame(
    gdf,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
    tolerance: float = 0.0,
    source: str = "frame",
) -> PlacesLayer:
    """A polygons :class:`PlacesLayer` from a GeoDataFrame (see :func:`read_places`)."""
    import shapely

    if len(gdf) == 0:
        raise HotpatrolError("The boundary data has no features.", file=source)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    kinds = set(gdf.geom_type.unique())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise HotpatrolError(
            "Polygon places need polygon features.",
            file=source,
            given=sorted(kinds),
            fix="Use a file of areas (LSOA, ward, district), not points or lines.",
        )
    if gdf.crs is None:
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90:
            gdf = gdf.set_crs("EPSG:4326")
        else:
            raise HotpatrolError(
                "The boundary file has no CRS and its coordinates are not lon/lat.",
                file=source,
                fix="Save it with a CRS (e.g. EPSG:27700) or reproject it to EPSG:4326.",
            )
    columns = list(gdf.columns)
    for param, col in (("id_column", id_column), ("name_column", name_column)):
        if col is not None and col not in columns:
            raise HotpatrolError(
                f"Column {col!r} is not in the boundary data.",
                parameter=param,
                allowed=[c for c in columns if c != "geometry"],
                given=col,
                file=source,
            )
    id_column = id_column or _guess(columns, _ID_PATTERNS)
    name_column = name_column or _guess(columns, _NAME_PATTERNS, exclude=(id_column,))
    if crs is None:
        rp = gdf.to_crs("EPSG:4326").geometry.representative_point()
        crs = choose_metric_crs(rp.x.to_numpy(), rp.y.to_numpy())
    gdf = gdf.to_crs(crs).reset_index(drop=True)
    # zero-width buffer repairs self-intersections common in generalised boundary files
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].buffer(0)

    ids = gdf[id_column].astype(str).to_numpy() if id_column else np.arange(len(gdf)).astype(str)
    if pd.Series(ids).duplicated().any():
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise HotpatrolError(
            f"Place ids must be unique but {dup!r} repeats in column {id_column!r}.",
            parameter="id_column",
            given=id_column,
            file=source,
            fix="Pick a unique code column or dissolve the file by it first.",
        )
    names = gdf[name_column].astype(str).to_numpy() if name_column else ids.copy()
    attrs = gdf.drop(columns=[c for c in ("place_id", "name") if c in gdf.columns])
    geometry = attrs.copy()
    geometry.insert(0, "name", names)
    geometry.insert(0, "place_id", ids)

    geoms = gdf.geometry.to_numpy()
    cent = shapely.centroid(geoms)
    layer = PlacesLayer(
        "polygons",
        ids.astype(object),
        shapely.get_x(cent),
        shapely.get_y(cent),
        crs,
        _assign=_polygon_assigner(geoms, tolerance),
        _geometry=geometry,
    )
    return layer


def _polygon_assigner(geoms: np.ndarray, tolerance: float):
    """A vectorised point-in-polygon over distinct points; first polygon wins where they overlap."""
    import shapely

    tree = shapely.STRtree(geoms)
    shapely.prepare(geoms)

    def assign(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.full(x.shape, -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return out
        # hash-based dedupe of exact coordinate pairs (complex key) - far faster than np.unique(axis=0)
        inverse, uniq = pd.factorize(x[ok] + 1j * y[ok])
        ux, uy = np.real(uniq), np.imag(uniq)
        hit = np.full(len(uniq), -1, dtype=np.int64)
        # bounding-box candidates from the tree, then exact test on prepared polygons
        pi, gi = tree.query(shapely.points(ux, uy))
        if len(pi):
            inside = shapely.contains_xy(geoms[gi], ux[pi], uy[pi])
            pi, gi = pi[inside], gi[inside]
            # overlapping polygons: keep the lowest polygon index for each point
            order = np.lexsort((gi, pi))
            pi, gi = pi[order], gi[order]
            first = np.r_[True, pi[1:] != pi[:-1]]
            hit[pi[first]] = gi[first]
        if tolerance > 0:
            miss = np.flatnonzero(hit < 0)
            if len(miss):
                mi, mg = tree.query_nearest(shapely.points(ux[miss], uy[miss]), max_distance=tolerance,
                                            all_matches=False)
                hit[miss[mi]] = mg
        out[ok] = hit[inverse]
        return out

    return assign


def assign_polygons(events: pd.DataFrame, layer: PlacesLayer, *, value: str = "place_id") -> pd.Series:
    """The polygon (``place_id`` or ``name``) each event falls in, as a Series aligned with ``events``.

    Events are projected to the layer's CRS (existing ``x``/``y`` are reused when
    ``events.attrs["crs"]`` matches). Events outside every polygon or without coordinates get <NA>.
    Typical use: ``events["district"] = assign_polygons(events, read_places(lad_file), value="name")``.
    """
    if value not in ("place_id", "name"):
        raise HotpatrolError("Unknown value for value.", parameter="value", allowed=["place_id", "name"], given=value)
    if {"x", "y"} <= set(events.columns) and events.attrs.get("crs") == layer.crs:
        x, y = events["x"].to_numpy(float), events["y"].to_numpy(float)
    elif {"lon", "lat"} <= set(events.columns):
        # project only the distinct points (police.uk repeats a few thousand snap points)
        codes, uniq = pd.factorize(events["lon"].to_numpy(float) + 1j * events["lat"].to_numpy(float))
        ux, uy = from_lonlat(np.real(uniq), np.imag(uniq), layer.crs)
        x = np.where(codes >= 0, ux[np.clip(codes, 0, None)] if len(uniq) else np.nan, np.nan)
        y = np.where(codes >= 0, uy[np.clip(codes, 0, None)] if len(uniq) else np.nan, np.nan)
    else:
        raise HotpatrolError(
            "events need lon/lat (or x/y with attrs['crs'] equal to the layer's CRS).",
            parameter="events",
            given=list(events.columns)[:10],
        )
    idx = layer.assign(x, y)
    if value == "name" and layer._geometry is not None and "name" in layer._geometry.columns:
        labels = layer._geometry["name"].to_numpy(dtype=object)
    else:
        labels = np.asarray(layer.place_id, dtype=object)
    vals = np.where(idx >= 0, labels[np.clip(idx, 0, None)] if len(labels) else None, None)
    return pd.Series(vals, index=events.index, dtype="string", name=value)
