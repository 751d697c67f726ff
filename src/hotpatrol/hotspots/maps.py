"""Outputs of hotspot results: multi-layer GeoPackages; map pictures are drawn by :mod:`hotpatrol.plotting`.

The map functions that used to live here (``plot_places``, ``plot_result``, ``read_boundaries``,
``add_scale_bar``, ``CATEGORY_COLOURS``) are re-exported from :mod:`hotpatrol.plotting`;
``plot_lorenz`` and ``plot_bins`` call the result's own method, which gives the plotting module the
curves or bins to draw (this module imports no statistics).
"""

from __future__ import annotations

from pathlib import Path

from hotpatrol.errors import HotpatrolError
from hotpatrol.plotting import (  # noqa: F401 (re-exported for existing callers)
    CATEGORY_COLOURS,
    add_north_arrow,
    add_scale_bar,
    plot_places,
    plot_result,
    read_boundaries,
)

__all__ = ["CATEGORY_COLOURS", "add_north_arrow", "add_scale_bar", "plot_bins", "plot_lorenz", "plot_places",
           "plot_result", "read_boundaries", "write_geopackage"]


def plot_lorenz(result, path, *, periods=None) -> Path:
    """Lorenz curves of a concentration result (see :meth:`ConcentrationResult.plot_lorenz`)."""
    return result.plot_lorenz(path, periods=periods)


def plot_bins(result, path, *, periods=None, boundaries=None, ncols: int = 4, dpi: int = 110) -> Path:
    """Small multiples of an emerging hot spot result's hot and cold bins (see :meth:`EmergingResult.plot_bins`)."""
    return result.plot_bins(path, periods=periods, boundaries=boundaries, ncols=ncols, dpi=dpi)


def write_geopackage(path, layers: dict, *, boundaries=None, append: bool = False) -> Path:
    """Write several results (or GeoDataFrames) as named layers of one GeoPackage.

    ``layers`` maps layer name -> :class:`HotspotResult` or GeoDataFrame. ``boundaries`` (optional)
    is added as layer ``"boundaries"``. An existing file is replaced unless ``append=True``.
    """
    import geopandas as gpd

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise HotpatrolError("A GeoPackage path must end in .gpkg.", parameter="path", given=str(path))
    if not layers:
        raise HotpatrolError("No layers to write.", parameter="layers")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not append:
        path.unlink()
    crs = None
    for name, item in layers.items():
        gdf = item if isinstance(item, gpd.GeoDataFrame) else item.to_geodataframe()
        crs = crs or gdf.crs
        gdf = gdf.copy()
        for col in gdf.columns:  # GeoPackage has no object-of-mixed columns: write text
            if col != "geometry" and gdf[col].dtype == object:
                gdf[col] = gdf[col].astype(str)
        gdf.to_file(path, layer=str(name), driver="GPKG")
    if boundaries is not None:
        b = read_boundaries(boundaries, crs) if crs is not None else read_boundaries(boundaries, "EPSG:27700")
        b.to_file(path, layer="boundaries", driver="GPKG")
    return path
