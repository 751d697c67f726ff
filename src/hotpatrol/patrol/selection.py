"""The result of a hotspot selection (:class:`SelectionResult`) and reading a saved one back.
"""

from __future__ import annotations

import json
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.hotspot_table import read_hotspots
from hotpatrol.results import HotspotResult, Summary, json_safe


@dataclass(eq=False, repr=False)
class SelectionResult(HotspotResult):
    """The selected hotspots, the constraints they satisfy and what each constraint cost.

    A solved selection, built by :func:`select_hotspots`: ``table`` and ``selected`` (a boolean mask
    over its rows) are positional, the rest keyword-only.
    """

    name = "selection"

    table: pd.DataFrame
    selected: np.ndarray
    _: KW_ONLY
    places: Any = field()  # PlacesLayer or None (required: HotspotResult's class default is None)
    crs: str
    cell: float | None
    constraints: dict
    costs: pd.DataFrame
    harm_total: float
    optimal: bool
    n_candidates: int

    @property
    def place_ids(self) -> list:
        """Selected place ids in rank order."""
        return self.to_frame()["place_id"].tolist()

    @property
    def harm_covered(self) -> float:
        """Harm covered by the selected places."""
        return float(self.table.loc[self.selected, "harm"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The selected places by harm: rank, place_id, x, y, harm (and district)."""
        out = self.table.loc[self.selected].sort_values("harm", ascending=False, kind="stable").reset_index(drop=True)
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out

    def constraint_costs(self) -> pd.DataFrame:
        """Per constraint: harm it costs, per cent of covered harm, harm if relaxed."""
        return self.costs.copy()

    def summary(self) -> Summary:
        """The selected places, the harm they cover and what each constraint cost."""
        share = self.harm_covered / self.harm_total if self.harm_total > 0 else float("nan")
        cols = [c for c in ("rank", "place_id", "harm", "district", "x", "y") if c in self.table.columns or c == "rank"]
        notes = [f"Selected {int(self.selected.sum())} of {self.n_candidates} candidate places covering harm "
                 f"{self.harm_covered:,.1f} ({share:.1%} of all harm) - "
                 f"{'optimal' if self.optimal else 'best found within the time limit'} (HiGHS MILP)."]
        for r in self.costs.itertuples():
            notes.append(f"Constraint {r.constraint} costs {r.harm_cost:,.1f} harm ({r.cost_pct:.1f}% of covered)"
                         f" - relaxing it would cover {r.harm_if_relaxed:,.1f}.")
        return Summary("Hotspot selection", self.to_frame()[cols].round({"harm": 2, "x": 1, "y": 1}), notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe selection, constraints and their costs."""
        return json_safe({"name": self.name, "summary": self.summary().title, "crs": self.crs,
                          "harm_covered": self.harm_covered, "harm_total": self.harm_total, "optimal": self.optimal,
                          "constraints": self.constraints, "constraint_costs": self.costs,
                          "rows": self.to_frame()})

    def to_geodataframe(self):
        """The selected places as cells (or points) in the plan's CRS (GeoDataFrame)."""
        import geopandas as gpd
        import shapely

        if self.places is not None:
            try:
                return super().to_geodataframe()
            except HotpatrolError:
                pass
        frame = self.to_frame()
        if self.cell:
            h = self.cell / 2
            geom = shapely.box(frame["x"] - h, frame["y"] - h, frame["x"] + h, frame["y"] + h)
        else:
            geom = shapely.points(frame["x"], frame["y"])
        return gpd.GeoDataFrame(frame, geometry=np.asarray(geom), crs=self.crs)

    def write(self, path: str | Path, *, layer: str | None = None, **kwargs) -> Path:
        """As :meth:`HotspotResult.write`; a CSV also gets a ``.json`` sidecar (crs, cell, constraints, costs)."""
        path = super().write(path, layer=layer, **kwargs)
        if path.suffix.lower() == ".csv":
            meta = {"crs": self.crs, "cell": self.cell, "constraints": self.constraints,
                    "constraint_costs": self.costs.to_dict(orient="records"), "harm_total": self.harm_total,
                    "optimal": self.optimal}
            path.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
        return path

    def plot(self, path, **kwargs):
        """PNG of the candidates and the selected places (sized by harm, labelled by rank)."""
        from hotpatrol.plotting import new_figure, save_figure

        fig, ax = new_figure(figsize=(7, 7))
        cand = self.table
        ax.scatter(cand["x"], cand["y"], s=4, c="0.8", label="candidates")
        sel = self.to_frame()
        ax.scatter(sel["x"], sel["y"], s=30 + 200 * sel["harm"] / max(sel["harm"].max(), 1e-9), c="crimson",
                   label="selected")
        for r in sel.itertuples():
            ax.annotate(str(r.rank), (r.x, r.y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_aspect("equal")
        ax.legend(loc="best")
        ax.set_title("Selected hotspots")
        return save_figure(fig, path, dpi=120, bbox_inches="tight")


def load_selection(path: str | Path) -> pd.DataFrame:
    """Read a written selection (.csv + .json sidecar, or .gpkg/.geojson) as a frame with ``attrs``."""
    frame = read_hotspots(path)
    side = Path(path).with_suffix(".json")
    if Path(path).suffix.lower() == ".csv" and side.exists():
        try:
            frame.attrs.update(json.loads(side.read_text()))
        except ValueError:
            pass
    return frame
