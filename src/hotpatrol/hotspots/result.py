"""Base class of every hotspot result (ranking, KDE, Gi*, LISA, concentration, ...).

A result holds the places layer it was computed over and a per-place (or per-row) table.
``to_frame()`` gives that table, ``summary()`` a short text with ``.as_text()/.as_html()/.as_csv()``
renderings that reports reuse, ``to_dict()`` the JSON the CLI prints, and ``write(path)`` saves
GeoPackage (``.gpkg``), GeoJSON (``.geojson``), CSV (``.csv``) or a map picture (``.png``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hotpatrol.errors import HotpatrolError


@dataclass
class Summary:
    """A titled table plus notes, rendered as text, HTML or CSV (statsmodels-style)."""

    title: str
    table: pd.DataFrame
    notes: list[str]

    def as_text(self) -> str:
        body = self.table.to_string(index=False) if len(self.table) else "(no rows)"
        lines = [self.title, "=" * len(self.title), body]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        notes = "".join(f"<li>{n}</li>" for n in self.notes)
        return (f"<section><h3>{self.title}</h3>{self.table.to_html(index=False, border=0)}"
                f"{'<ul>' + notes + '</ul>' if notes else ''}</section>")

    def as_csv(self) -> str:
        return self.table.to_csv(index=False)

    def __str__(self) -> str:
        return self.as_text()


class HotspotResult:
    """Subclasses set ``self.places`` (a PlacesLayer or None) and implement ``to_frame``/``summary``."""

    places = None
    name = "hotspots"
    map_column: str | None = None  # the column plot() maps by default (None: first numeric)
    map_diverging = False  # centre the map colours at 0 (changes, z-scores)
    island_mask = None  # spatial statistics: places without neighbours (boolean, one per place)
    data_notes: tuple = ()  # caveats about the input (e.g. a category change inside the window), in summary()

    @property
    def islands_(self):
        """Place ids of the places without neighbours (empty for results that use no weights)."""
        import numpy as np

        ids = self.places.place_id if self.places is not None else getattr(self, "place_id", None)
        if self.island_mask is None or ids is None:
            return np.array([], dtype=object)
        return np.asarray(ids)[np.asarray(self.island_mask, dtype=bool)]

    @property
    def n_islands(self) -> int:
        """How many places have no neighbours (0 for results that use no weights)."""
        return 0 if self.island_mask is None else int(sum(bool(v) for v in self.island_mask))

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> Summary:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        frame = self.to_frame()
        frame = frame.astype(object).where(frame.notna(), None)  # NaN -> null: strict JSON for the CLI
        out = {"name": self.name, "summary": self.summary().title, "rows": frame.to_dict(orient="records")}
        if self.island_mask is not None:
            out["n_islands"] = self.n_islands
            out["islands"] = [v.item() if hasattr(v, "item") else v for v in self.islands_]
        return out

    def to_geodataframe(self):
        """The per-place table joined to the places' polygons (metric CRS)."""
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
        """Write by suffix: .gpkg (layer ``layer`` or the result name), .geojson, .csv, .png."""
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
        ``boundaries=`` (GeoDataFrame or path), a scale bar and a legend; see hotspots.maps."""
        from hotpatrol.hotspots.maps import plot_result

        return plot_result(self, path, **kwargs)
