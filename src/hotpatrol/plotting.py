"""The one plotting module: every picture hotpatrol draws goes through here.

Figures are built with matplotlib's object API only (:class:`matplotlib.figure.Figure` attached to a
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`): no ``matplotlib.use``, no ``pyplot`` state,
so drawing is safe in a threaded web server and does not touch the caller's backend. Stages build
their charts with :func:`new_figure` and write them with :func:`save_figure` (a file) or
:func:`figure_png` (bytes, for HTML embedding).

Maps (:func:`plot_places`, :func:`plot_result`, :func:`plot_bins`) colour places by a column, draw
district boundaries (a GeoDataFrame or a file path) on top, a scale bar in metres, a north arrow and a
legend (a colour bar for numbers, a key for categories). Grid layers are drawn as one raster image
(fast for hundreds of thousands of cells); other layers (H3, polygons, locations) as polygons. A result
says which column to map and in what order its categories go (``map_column``, ``map_diverging``,
``map_categories``; see :mod:`hotpatrol.results`): this module knows no statistics.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

__all__ = [
    "CATEGORY_COLOURS", "add_north_arrow", "add_scale_bar", "colormap", "figure_png", "figure_png_base64",
    "new_figure", "plot_bins", "plot_lorenz", "plot_places", "plot_result", "read_boundaries", "save_figure",
]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=(6.4, 4.8), **subplots_kw):
    """A new :class:`~matplotlib.figure.Figure` on an Agg canvas and its axes.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes (as :meth:`matplotlib.figure.Figure.subplots`).
    figsize : (float, float)
        Width and height in inches.
    **subplots_kw
        Passed to :meth:`~matplotlib.figure.Figure.subplots` (``squeeze``, ``sharex``, ...).

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **subplots_kw)
    return fig, axes


def save_figure(fig, path: str | Path, *, dpi: int = 150, **savefig_kw) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .pdf, .svg), creating the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, **savefig_kw)
    return path


def figure_png(fig, *, dpi: int = 110, bbox_inches: str | None = "tight") -> bytes:
    """``fig`` as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=bbox_inches)
    return buf.getvalue()


def figure_png_base64(fig, **kwargs) -> str:
    """``fig`` as base64 PNG text (for ``<img src="data:image/png;base64,...">``); kwargs as :func:`figure_png`."""
    return base64.b64encode(figure_png(fig, **kwargs)).decode("ascii")


def colormap(name: str):
    """The registered matplotlib colormap ``name`` (e.g. ``"YlOrRd"``, ``"RdBu_r"``)."""
    import matplotlib

    return matplotlib.colormaps[name]


#: Colours of Esri's emerging hot spot categories (hot: warm hues, cold: cool hues).
CATEGORY_COLOURS = {
    "New Hot Spot": "#fee08b",
    "Consecutive Hot Spot": "#fdae61",
    "Intensifying Hot Spot": "#a50026",
    "Persistent Hot Spot": "#d73027",
    "Diminishing Hot Spot": "#f46d43",
    "Sporadic Hot Spot": "#f1a7c6",
    "Oscillating Hot Spot": "#b35806",
    "Historical Hot Spot": "#c49a9a",
    "New Cold Spot": "#d1eef6",
    "Consecutive Cold Spot": "#abd9e9",
    "Intensifying Cold Spot": "#313695",
    "Persistent Cold Spot": "#4575b4",
    "Diminishing Cold Spot": "#74add1",
    "Sporadic Cold Spot": "#c6b8e6",
    "Oscillating Cold Spot": "#35978f",
    "Historical Cold Spot": "#9dafbf",
    "No Pattern Detected": "#eeeeee",
    # Gi* confidence bins and LISA clusters (hotspots.getis / hotspots.lisa results)
    "Hot 99%": "#b2182b",
    "Hot 95%": "#ef8a62",
    "Hot 90%": "#fddbc7",
    "Not significant": "#eeeeee",
    "Cold 90%": "#d1e5f0",
    "Cold 95%": "#67a9cf",
    "Cold 99%": "#2166ac",
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "appeared": "#d73027",
    "disappeared": "#4575b4",
    "stayed": "#762a83",
}
_FALLBACK = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def read_boundaries(boundaries, crs: str):
    """A GeoDataFrame of boundaries (from a GeoDataFrame or a path) in ``crs``."""
    import geopandas as gpd

    if boundaries is None:
        return None
    if isinstance(boundaries, (str, Path)):
        path = Path(boundaries)
        if not path.exists():
            raise HotpatrolError("Boundary file not found.", parameter="boundaries", given=str(path),
                                 fix="Give a GeoPackage/GeoJSON/Shapefile of district polygons.")
        gdf = gpd.read_file(path)
    elif isinstance(boundaries, gpd.GeoDataFrame | gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=boundaries) if isinstance(boundaries, gpd.GeoSeries) else boundaries
    else:
        raise HotpatrolError("Boundaries must be a GeoDataFrame or a file path.", parameter="boundaries",
                             given=type(boundaries).__name__)
    if gdf.crs is None:
        raise HotpatrolError("The boundaries have no CRS.", parameter="boundaries",
                             fix="Set one (gdf.set_crs('EPSG:27700')) or use a file that records it.")
    return gdf.to_crs(crs)


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k metres) near a fifth of ``span``."""
    target = max(span / 5.0, 1e-9)
    power = 10 ** np.floor(np.log10(target))
    for m in (5, 2, 1):
        if m * power <= target:
            return float(m * power)
    return float(power)


def add_scale_bar(ax, *, units: str = "m") -> float:
    """Draw a two-segment scale bar in the lower-left corner; returns its length in map units."""
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    for k, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((bx + k * length / 2, by), length / 2, h, facecolor=colour, edgecolor="black",
                               linewidth=0.8, zorder=10))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} {units}"
    ax.text(bx + length / 2, by + 2.2 * h, label, ha="center", va="bottom", fontsize=8, zorder=10,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})
    ax.text(bx, by - 0.8 * h, "0", ha="center", va="top", fontsize=7, zorder=10)
    return length


def add_north_arrow(ax) -> None:
    """Draw an "N" arrow in the upper-right corner of ``ax``."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x1 - (x1 - x0) * 0.06, y1 - (y1 - y0) * 0.14
    ax.annotate("N", xy=(x, y + (y1 - y0) * 0.08), xytext=(x, y), ha="center", va="center", fontsize=10,
                fontweight="bold", zorder=10,
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 8})


def _grid_image(places, values: np.ndarray):
    """Place values as a raster of the layer's grid cropped to its cells (NaN where no place)."""
    grid = places.grid
    ids = np.asarray(places.place_id, dtype=np.int64)
    row, col = np.divmod(ids, grid.nx)
    r0, r1, c0, c1 = row.min(), row.max() + 1, col.min(), col.max() + 1
    img = np.full((r1 - r0, c1 - c0), np.nan)
    img[row - r0, col - c0] = values
    bounds = (grid.x0 + c0 * grid.cell, grid.y0 + r0 * grid.cell, grid.x0 + c1 * grid.cell, grid.y0 + r1 * grid.cell)
    return img, bounds


def plot_places(
    places,
    values,
    path,
    *,
    boundaries=None,
    boundary_label: str | None = None,
    title: str | None = None,
    label: str | None = None,
    cmap: str | None = None,
    diverging: bool = False,
    categories: list | None = None,
    dpi: int = 150,
    figsize=(8.0, 8.0),
    extent=None,
    robust: bool = True,
) -> Path:
    """Map ``values`` (one per place, numbers or category names) over ``places`` and save a PNG.

    ``boundaries``: district polygons (GeoDataFrame or file) drawn over the map, labelled by the
    ``boundary_label`` column if given. ``diverging`` centres the colours at 0 (changes, z-scores).
    ``categories`` fixes the legend order for category values. ``extent`` (xmin, ymin, xmax, ymax)
    zooms; by default the map spans the boundaries when given (else the places). ``robust`` caps the
    colour scale of heavy-tailed numbers at their 99th percentile (the colour bar says so).
    """
    from matplotlib import colors as mcolors
    from matplotlib.cm import ScalarMappable
    from matplotlib.patches import Patch

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise HotpatrolError("Map pictures are PNG files.", parameter="path", allowed=[".png"], given=str(path))
    values = np.asarray(values)
    if len(values) != places.n:
        raise HotpatrolError(f"{len(values)} values for {places.n} places.", parameter="values", given=len(values))
    categorical = values.dtype.kind in "OUSb"
    capped = False
    fig, ax = new_figure(figsize=figsize)
    ax.set_aspect("equal")
    use_raster = places.kind == "grid" and places.grid is not None
    legend_handles = None
    if categorical:
        vals = values.astype(str)
        present = list(dict.fromkeys(categories)) if categories else sorted(set(vals))
        present = [c for c in present if c in set(vals)]
        palette = {c: CATEGORY_COLOURS.get(c, _FALLBACK[i % len(_FALLBACK)]) for i, c in enumerate(present)}
        code = np.array([present.index(v) if v in palette else -1 for v in vals], dtype=float)
        code[code < 0] = np.nan
        cmap_obj = mcolors.ListedColormap([palette[c] for c in present] or ["#eeeeee"])
        norm = mcolors.BoundaryNorm(np.arange(-0.5, max(len(present), 1) + 0.5), cmap_obj.N)
        shown = code
        legend_handles = [Patch(facecolor=palette[c], edgecolor="#555555", label=c) for c in present]
    else:
        shown = values.astype(float)
        finite = shown[np.isfinite(shown)]
        if diverging:
            lim = float(np.max(np.abs(finite))) if finite.size else 1.0
            lim = lim if lim > 0 else 1.0
            norm = mcolors.TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim)
            cmap_obj = colormap(cmap or "RdBu_r")
        else:
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if robust and finite.size:
                # harm is heavy-tailed: one cell can hold 100x the rest; cap the colours at a high quantile
                positive = finite[finite > lo]
                if positive.size >= 20:
                    cap = float(np.quantile(positive, 0.99))
                    if lo < cap < hi:
                        hi, capped = cap, True
            norm = mcolors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
            cmap_obj = colormap(cmap or "YlOrRd")
    if use_raster:
        img, (xmin, ymin, xmax, ymax) = _grid_image(places, shown)
        ax.imshow(np.ma.masked_invalid(img), origin="lower", extent=(xmin, xmax, ymin, ymax), cmap=cmap_obj,
                  norm=norm, interpolation="nearest", zorder=1)
        bounds = (xmin, ymin, xmax, ymax)
    else:
        gdf = places.geometry[["place_id", "geometry"]].copy()
        gdf["_v"] = shown
        gdf.plot(column="_v", ax=ax, cmap=cmap_obj, norm=norm, linewidth=0.1, edgecolor="#999999", zorder=1,
                 missing_kwds={"color": "none"})
        bounds = tuple(gdf.total_bounds)
    b = read_boundaries(boundaries, places.crs)
    if b is not None:
        b.boundary.plot(ax=ax, color="#222222", linewidth=1.0, zorder=5)
        if boundary_label:
            if boundary_label not in b.columns:
                raise HotpatrolError("Unknown boundary label column.", parameter="boundary_label",
                                     allowed=[c for c in b.columns if c != "geometry"], given=boundary_label)
            from hotpatrol.places.areas import polygon_district_labels

            # LAD polygons of any vintage are labelled with today's name ("Shepway" -> Folkestone and Hythe)
            for name, pt in zip(polygon_district_labels(b, boundary_label), b.geometry.representative_point()):
                ax.text(pt.x, pt.y, str(name), fontsize=7, ha="center", va="center", zorder=6,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.6, "pad": 1})
        bounds = tuple(b.total_bounds)  # the districts are the area of interest (stray points fall outside)
    xmin, ymin, xmax, ymax = extent or bounds
    padx, pady = (xmax - xmin) * 0.03 or 50.0, (ymax - ymin) * 0.03 or 50.0
    ax.set_xlim(xmin - padx, xmax + padx)
    ax.set_ylim(ymin - pady, ymax + pady)
    ax.set_xticks([])
    ax.set_yticks([])
    add_scale_bar(ax)
    add_north_arrow(ax)
    if legend_handles is not None:
        ax.legend(handles=legend_handles, title=label, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  title_fontsize=8, framealpha=0.9)  # beside the map, never over the data
    else:
        sm = ScalarMappable(norm=norm, cmap=cmap_obj)
        fig.colorbar(sm, ax=ax, shrink=0.6, label=(label or "") + (" (capped at 99th percentile)" if capped else ""),
                     extend="max" if capped else "neither")
    if title:
        ax.set_title(title)
    ax.text(1.0, -0.01, f"CRS {places.crs}", transform=ax.transAxes, ha="right", va="top", fontsize=6,
            color="#555555")
    return save_figure(fig, path, dpi=dpi, bbox_inches="tight", facecolor="white")


_PREFERRED = ("label", "cluster", "density", "value")


def plot_result(result, path, *, column: str | None = None, boundaries=None, title: str | None = None,
                **kwargs) -> Path:
    """Map one column of a per-place result (default: the result's ``map_column``) and save a PNG.

    The result gives ``places``, ``name``, ``to_frame()`` (or ``per_place()``), and optionally
    ``map_column``, ``map_diverging`` and ``category_order(column)`` (see :class:`hotpatrol.results.Result`).
    Other keyword arguments go to :func:`plot_places`.

    Raises
    ------
    HotpatrolError
        No places, no ``place_id`` column, no numeric column to map, or an unknown ``column``.
    """
    if result.places is None:
        raise HotpatrolError(f"A {result.name} result has no places to map.", parameter="path", given=str(path))
    frame = result.per_place() if hasattr(result, "per_place") else result.to_frame()
    if "place_id" not in frame.columns:
        raise HotpatrolError(f"A {result.name} result is not per place.", parameter="path")
    column = column or getattr(result, "map_column", None)
    if column is None:  # results without a map_column: the usual column names
        column = next((c for c in _PREFERRED if c in frame.columns), None)
    if column is None:
        numeric = [c for c in frame.columns if c != "place_id" and pd.api.types.is_numeric_dtype(frame[c])]
        if not numeric:
            raise HotpatrolError("No numeric column to map.", parameter="column")
        column = numeric[0]
    if column not in frame.columns:
        raise HotpatrolError("Unknown column to map.", parameter="column",
                             allowed=[c for c in frame.columns if c != "place_id"], given=column)
    # align the result's rows to the layer's place order
    pos = pd.Series(np.arange(result.places.n), index=pd.Index(np.asarray(result.places.place_id)))
    idx = pos.reindex(frame["place_id"].to_numpy()).to_numpy()
    ok = ~pd.isna(idx)
    col = frame[column]
    categorical = not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
    if categorical:
        vals = np.full(result.places.n, None, dtype=object)
        vals[idx[ok].astype(int)] = col.astype(str).to_numpy()[ok]
        order = result.category_order(column) if hasattr(result, "category_order") else None
        if order is not None:  # values outside the declared categories (e.g. "") are left blank
            vals[~np.isin(vals.astype(str), order)] = None
        kwargs.setdefault("categories", order)
    else:
        vals = np.full(result.places.n, np.nan)
        vals[idx[ok].astype(int)] = col.to_numpy(dtype=float)[ok]
    kwargs.setdefault("diverging", bool(getattr(result, "map_diverging", False)))
    summary_title = title or f"{result.name}: {column}"
    return plot_places(result.places, vals, path, boundaries=boundaries, title=summary_title, label=column, **kwargs)


def plot_lorenz(path, curves, *, max_equality=None, ylabel: str = "share of harm", title: str = "Lorenz curve",
                dpi: int = 120) -> Path:
    """Lorenz curves with the line of perfect equality, saved as a picture.

    Parameters
    ----------
    path : str or Path
        Output file (.png, .pdf or .svg).
    curves : list of (label, x, y, style)
        Each curve's legend label, x (share of places, 0..1) and y (share of the measure) arrays and a
        dict of line options (``{}`` for the defaults).
    max_equality : (label, start) or None
        Bernasco & Steenbeek's line of maximal equality for sparse data, from ``(start, 0)`` to ``(1, 1)``.
    """
    fig, ax = new_figure(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", label="perfect equality")
    for label, x, y, style in curves:
        ax.plot(x, y, label=label, **style)
        if max_equality is not None and label == curves[0][0]:
            eq_label, start = max_equality
            ax.plot([0, start, 1], [0, 0, 1], color="#2166ac", linestyle=":", label=eq_label)
    ax.set_xlabel("share of places (least to most harm)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    return save_figure(fig, path, dpi=dpi, bbox_inches="tight", facecolor="white")


def plot_bins(places, bins: np.ndarray, labels, path, *, periods=None, boundaries=None, ncols: int = 4,
              dpi: int = 110, title: str | None = None) -> Path:
    """Small multiples of per-period hot (+1, red), cold (-1, blue) and other (0) bins, saved as PNG.

    Parameters
    ----------
    places : PlacesLayer
        The layer the rows of ``bins`` belong to.
    bins : ndarray, shape (places.n, len(labels))
        +1 hot, -1 cold, 0 neither, NaN not analysed.
    labels : sequence of str
        Period labels (columns of ``bins``).
    periods : sequence of str, optional
        Labels to draw (default: up to the last 12).

    Raises
    ------
    HotpatrolError
        No places, or a period not among ``labels``.
    """
    from matplotlib import colors as mcolors
    from matplotlib.patches import Patch

    path = Path(path)
    if places is None:
        raise HotpatrolError("This result has no places to map.", parameter="path")
    labels = [str(x) for x in labels]
    chosen = labels[-12:] if periods is None else [str(p) for p in periods]
    bad = [p for p in chosen if p not in labels]
    if bad:
        raise HotpatrolError("Unknown period(s).", parameter="periods", allowed=labels, given=bad)
    nrows = int(np.ceil(len(chosen) / ncols))
    ncol = min(ncols, len(chosen))
    fig, axes = new_figure(nrows, ncol, figsize=(3.2 * ncol, 3.0 * nrows), squeeze=False)
    cmap = mcolors.ListedColormap(["#4575b4", "#f0f0f0", "#d73027"])
    norm = mcolors.BoundaryNorm([-1.5, -0.5, 0.5, 1.5], 3)
    b = read_boundaries(boundaries, places.crs)
    for ax, label in zip(axes.ravel(), chosen):
        t = labels.index(label)
        if places.kind == "grid" and places.grid is not None:
            img, (xmin, ymin, xmax, ymax) = _grid_image(places, bins[:, t])
            ax.imshow(np.ma.masked_invalid(img), origin="lower", extent=(xmin, xmax, ymin, ymax), cmap=cmap,
                      norm=norm, interpolation="nearest")
        else:
            gdf = places.geometry[["geometry"]].copy()
            gdf["_v"] = bins[:, t]
            gdf.plot(column="_v", ax=ax, cmap=cmap, norm=norm, linewidth=0, missing_kwds={"color": "none"})
        if b is not None:
            b.boundary.plot(ax=ax, color="#222222", linewidth=0.6)
            xmin, ymin, xmax, ymax = b.total_bounds
            ax.set_xlim(xmin, xmax)
            ax.set_ylim(ymin, ymax)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
    for ax in axes.ravel()[len(chosen):]:
        ax.axis("off")
    add_scale_bar(axes.ravel()[0])
    fig.legend(handles=[Patch(facecolor="#d73027", label="hot spot bin"), Patch(facecolor="#4575b4", label="cold spot bin")],
               loc="lower center", ncol=2, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return save_figure(fig, path, dpi=dpi, bbox_inches="tight", facecolor="white")
