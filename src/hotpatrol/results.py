"""The one results contract every stage's result object follows.

Every result (hotspot ranking, KDE, Gi*, LISA, concentration, stability, emerging hot spots, forecast,
backtest, Knox test, hotspot selection, patrol plan, allocation, dosage, evaluation, displacement,
before/after, performance report) has

- ``to_frame()``: its main table as a :class:`pandas.DataFrame`;
- ``to_dict()``: a JSON-safe ``dict`` (only ``str``/``int``/``float``/``bool``/``None``/``list``/``dict``;
  NaN and infinities become ``None``, timestamps ISO 8601 text) that the CLI's ``--json`` prints and the
  web API serves as is: ``json.dumps(result.to_dict(), allow_nan=False)`` always works;
- ``summary()``: a :class:`Summary` (a titled table plus notes) rendered with ``.as_text()``,
  ``.as_html()`` or ``.as_csv()``, in the style of statsmodels' ``summary()``.

:class:`Result` carries the shared implementation (a default ``to_dict`` built from ``to_frame`` and
``summary``; map metadata), :func:`json_safe` the conversion any custom ``to_dict`` goes through.
:class:`HotspotResult` adds what per-place results share: the places layer, ``to_geodataframe``,
``write`` (GeoPackage, GeoJSON, CSV, PNG) and ``plot`` (a map drawn by :mod:`hotpatrol.plotting`).

Results declare how they are mapped: ``map_column`` (the column :meth:`HotspotResult.plot` maps by
default), ``map_diverging`` (centre the colours at 0) and ``map_categories`` (column -> legend order of
its category values), so the plotting code never needs to know the statistics.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePath
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError

__all__ = ["HotspotResult", "Result", "Summary", "frame_records", "json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` converted to plain JSON types, recursively.

    Parameters
    ----------
    value : any
        Nested dicts, lists, tuples, sets, numpy arrays and scalars, pandas objects (DataFrame as a
        list of row dicts, Series as a list), timestamps, dates, periods, timedeltas, paths, enums.

    Returns
    -------
    str, int, float, bool, None, list or dict
        NaN, infinities, ``pd.NA`` and ``NaT`` become ``None``; datetimes and dates ISO 8601 text
        (``2024-03-01T06:00:00``); timedeltas ISO 8601 durations (``P7DT0H0M0S``); periods their text
        (``2024-03``); dict keys text. Anything else becomes ``str(value)``. The result always passes
        ``json.dumps(..., allow_nan=False)``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, dict):
        return {_key(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, (pd.Series, pd.Index)):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v) for v in items]
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else pd.Timedelta(value).isoformat()
    if isinstance(value, dt.timedelta):
        return pd.Timedelta(value).isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, PurePath):
        return str(value)
    try:  # other scalars pandas knows as missing (e.g. decimal NaN)
        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _key(key: Any) -> str:
    safe = json_safe(key)
    return safe if isinstance(safe, str) else ("null" if safe is None else str(safe).lower()
                                                if isinstance(safe, bool) else str(safe))


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-safe dicts (column name -> value; see :func:`json_safe`)."""
    columns = [_key(c) for c in frame.columns]
    return [dict(zip(columns, (json_safe(v) for v in row))) for row in frame.itertuples(index=False, name=None)]


@dataclass
class Summary:
    """A titled table plus notes, rendered as text, HTML or CSV (statsmodels-style).

    Attributes
    ----------
    title : str
        One line naming what was computed (and over what).
    table : DataFrame
        The figures a reader looks at first.
    notes : list of str
        Plain sentences qualifying the table (method, sources, caveats).
    """

    title: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        """Title underlined, the table as aligned text and the notes as ``- `` bullets."""
        body = self.table.to_string(index=False) if len(self.table) else "(no rows)"
        lines = [self.title, "=" * len(self.title), body]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        """A ``<section>`` with the title as ``<h3>``, the table and the notes as a list (all text escaped)."""
        notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in self.notes)
        return (f"<section><h3>{html.escape(self.title)}</h3>{self.table.to_html(index=False, border=0)}"
                f"{'<ul>' + notes + '</ul>' if notes else ''}</section>")

    def as_csv(self) -> str:
        """The table as CSV text (header row, no index)."""
        return self.table.to_csv(index=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"title", "columns", "rows", "notes"}``."""
        return {"title": self.title, "columns": [_key(c) for c in self.table.columns],
                "rows": frame_records(self.table), "notes": [str(n) for n in self.notes]}

    def __str__(self) -> str:
        """Plain text (as :meth:`as_text`)."""
        return self.as_text()

    def __html__(self) -> str:  # Jinja2/markupsafe: a summary is trusted HTML (its text is escaped)
        """Trusted HTML for Jinja2/markupsafe (:meth:`as_html`; its text is escaped)."""
        return self.as_html()


class Result:
    """Mixin of every result object: the shared part of the results contract.

    Subclasses implement :meth:`to_frame` and :meth:`summary`; :meth:`to_dict` defaults to
    ``{"name", "summary", "rows"}`` (the summary's title and the frame's rows). Subclasses that
    override ``to_dict`` pass their dict through :func:`json_safe`.
    """

    name: ClassVar[str] = "result"
    #: the column :meth:`HotspotResult.plot` maps by default (None: the first usual or numeric column)
    map_column: ClassVar[str | None] = None
    #: centre the map colours at 0 (changes, z-scores)
    map_diverging: ClassVar[bool] = False
    #: legend order of category columns: column name -> category values in order
    map_categories: ClassVar[dict[str, list[str]]] = {}

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """The result's main table."""
        raise NotImplementedError

    def summary(self) -> Summary:  # pragma: no cover - abstract
        """The result's :class:`Summary` (``.as_text()``, ``.as_html()``, ``.as_csv()``)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"name", "summary" (title), "rows" (the frame's rows)}``."""
        return {"name": self.name, "summary": self.summary().title, "rows": frame_records(self.to_frame())}

    def category_order(self, column: str) -> list[str] | None:
        """Legend order of the category values of ``column`` (None: sorted as found)."""
        order = self.map_categories.get(column)
        return None if order is None else list(order)


class HotspotResult(Result):
    """A per-place result: subclasses set ``self.places`` (a PlacesLayer or None).

    Adds :meth:`to_geodataframe`, :meth:`write` (by suffix: ``.gpkg``, ``.geojson``, ``.csv``, ``.png``)
    and :meth:`plot` to the :class:`Result` contract.
    """

    places = None
    name: ClassVar[str] = "hotspots"
    #: spatial statistics: places without neighbours (boolean, one per place; None: no weights used)
    island_mask = None
    #: caveats about the input (e.g. a category change inside the window), shown in summary()
    data_notes: tuple = ()

    @property
    def islands_(self) -> np.ndarray:
        """Place ids of the places without neighbours, shape (n_islands,) (empty for results that use no weights)."""
        ids = self.places.place_id if self.places is not None else getattr(self, "place_id", None)
        if self.island_mask is None or ids is None:
            return np.array([], dtype=object)
        return np.asarray(ids)[np.asarray(self.island_mask, dtype=bool)]

    @property
    def n_islands(self) -> int:
        """How many places have no neighbours (0 for results that use no weights)."""
        return 0 if self.island_mask is None else int(np.count_nonzero(np.asarray(self.island_mask, dtype=bool)))

    def _place_frame(self, **columns) -> pd.DataFrame:
        """One row per place: ``place_id``, ``x``/``y`` (metres), ``value``, ``count`` (when kept), then
        ``columns`` in order (a None column is left out), then ``island`` when spatial weights were used."""
        frame = pd.DataFrame({"place_id": self.places.place_id, "x": self.places.x, "y": self.places.y,
                              "value": self.values})
        if getattr(self, "counts", None) is not None:
            frame["count"] = self.counts
        for name, column in columns.items():
            if column is not None:
                frame[name] = column
        if self.island_mask is not None:
            frame["island"] = np.asarray(self.island_mask, dtype=bool)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`Result.to_dict`, plus ``n_islands`` and ``islands`` for results that use spatial weights."""
        out = super().to_dict()
        if self.island_mask is not None:
            out["n_islands"] = self.n_islands
            out["islands"] = [json_safe(v) for v in self.islands_]
        return out

    def to_geodataframe(self):
        """The per-place table joined to the places' polygons (GeoDataFrame in the layer's metric CRS).

        Raises
        ------
        HotpatrolError
            The result has no places layer or no ``place_id`` column.
        """
        import geopandas as gpd

        if self.places is None:
            raise HotpatrolError(f"A {self.name} result has no places to map.", parameter="path")
        frame = self.to_frame()
        if "place_id" not in frame.columns:
            raise HotpatrolError(f"A {self.name} result is not per place.", parameter="path")
        geom = self.places.geometry[["place_id", "geometry"]]
        merged = geom.merge(frame, on="place_id", how="inner")
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=self.places.crs)

    def write(self, path: str | Path, *, layer: str | None = None, **plot_kwargs) -> Path:
        """Write by suffix: .gpkg (layer ``layer`` or the result name), .geojson, .csv, .png.

        Raises
        ------
        HotpatrolError
            Unknown suffix (``parameter="path"``).
        """
        path = Path(path)
        suffix = path.suffix.lower()
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            self.to_frame().to_csv(path, index=False)
        elif suffix == ".gpkg":
            self.to_geodataframe().to_file(path, layer=layer or self.name, driver="GPKG")
        elif suffix in (".geojson", ".json"):
            gdf = self.to_geodataframe().to_crs("EPSG:4326")
            if path.exists():
                path.unlink()
            gdf.to_file(path, driver="GeoJSON")
        elif suffix == ".png":
            self.plot(path, **plot_kwargs)
        else:
            raise HotpatrolError(
                "Unknown output format.", parameter="path", allowed=[".gpkg", ".geojson", ".csv", ".png"], given=str(path)
            )
        return path

    def plot(self, path: str | Path, **kwargs) -> Path:
        """PNG map of a per-place column (``column=``, default ``map_column``) with optional
        ``boundaries=`` (GeoDataFrame or path), a scale bar and a legend; see :func:`hotpatrol.plotting.plot_result`."""
        from hotpatrol.plotting import plot_result

        return plot_result(self, path, **kwargs)
