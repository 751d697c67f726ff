"""Choosing the N hotspots to patrol: maximise harm covered under a planner's constraints.

The choice is an integer linear programme solved exactly by HiGHS (``scipy.optimize.milp``)::

    maximise   sum_i harm_i z_i                      z_i in {0, 1}: place i selected
    subject to sum_i z_i = n                          ("n")
               z_i + z_j <= 1 if dist(i, j) < s      ("spacing": centroids at least s metres apart)
               lo_d <= sum_{i in d} z_i <= hi_d      ("district_min[d]", "district_max[d]")
               z_i = 0 for places touching an excluded polygon (hospital, prison, custody suite)
               sum_i cost_i z_i <= H                 ("capacity": expected officer-hours a day)

with ``cost_i = (k / n) * visits * (dwell + travel_i) / 60`` officer-hours: a selected hotspot is
patrolled on a share k/n of days, ``visits`` times for ``dwell`` minutes plus travel.

Each constraint's *price* is reported by re-solving without it (harm covered gained by relaxing it).
When the constraints cannot all hold, a deletion filter over the constraints finds a minimal
conflicting subset (dropping any one member makes the rest feasible) and the error names it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary, json_safe

HARM_COLUMNS = ("harm", "score", "harm_total", "value")
NO_DISTRICT = "(none)"  # label of places outside every district


# ---------------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------------
def _as_table(hotspots, places, harm_column: str | None, district_column: str | None, crs: str | None):
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


def _excluded_mask(table: pd.DataFrame, places, zones, cell: float | None, crs: str) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Model:
    harm: np.ndarray
    n: int
    pairs: np.ndarray  # (p, 2) conflicting pairs under the spacing rule
    cliques: list  # sets of places pairwise closer than the spacing
    district: np.ndarray | None  # codes 0..D-1
    district_names: list
    dmin: dict = field(default_factory=dict)  # code -> minimum
    dmax: dict = field(default_factory=dict)
    excluded: np.ndarray | None = None
    cost: np.ndarray | None = None
    capacity: float | None = None
    time_limit: float = 60.0
    presolve: bool | None = None  # None: only with spacing constraints (see solve)

    def items(self) -> list[str]:
        """Every constraint that can be relaxed, named for messages."""
        out = ["n"]
        if len(self.pairs):
            out.append("spacing")
        out += [f"district_min[{self.district_names[d]}]" for d in self.dmin]
        out += [f"district_max[{self.district_names[d]}]" for d in self.dmax]
        if self.excluded is not None and self.excluded.any():
            out.append("exclude")
        if self.capacity is not None:
            out.append("capacity")
        return out

    def solve(self, active: Iterable[str]):
        active = set(active)
        m = len(self.harm)
        rows, lo, hi = [], [], []
        ones = sparse.csr_matrix(np.ones((1, m)))
        # "n" fixes the count; relaxed (for diagnosis only) any number may be chosen
        rows.append(ones)
        lo.append(self.n if "n" in active else 0)
        hi.append(self.n if "n" in active else np.inf)
        if "spacing" in active and len(self.pairs):
            p = len(self.pairs)
            a = sparse.csr_matrix((np.ones(2 * p), (np.repeat(np.arange(p), 2), self.pairs.ravel())), shape=(p, m))
            rows.append(a)
            lo += [0] * p
            hi += [1] * p
            if self.cliques:
                # clique inequalities (at most one per disc of diameter s) tighten the LP relaxation a lot
                r = np.repeat(np.arange(len(self.cliques)), [len(c) for c in self.cliques])
                cols = np.concatenate(self.cliques)
                rows.append(sparse.csr_matrix((np.ones(len(cols)), (r, cols)), shape=(len(self.cliques), m)))
                lo += [0] * len(self.cliques)
                hi += [1] * len(self.cliques)
        for d, v in self.dmin.items():
            if f"district_min[{self.district_names[d]}]" in active:
                rows.append(sparse.csr_matrix((self.district == d).astype(float)[None, :]))
                lo.append(v)
                hi.append(np.inf)
        for d, v in self.dmax.items():
            if f"district_max[{self.district_names[d]}]" in active:
                rows.append(sparse.csr_matrix((self.district == d).astype(float)[None, :]))
                lo.append(-np.inf)
                hi.append(v)
        if "capacity" in active and self.capacity is not None:
            rows.append(sparse.csr_matrix(self.cost[None, :]))
            lo.append(-np.inf)
            hi.append(self.capacity)
        ub = np.ones(m)
        if "exclude" in active and self.excluded is not None:
            ub[self.excluded] = 0
        cons = LinearConstraint(sparse.vstack(rows, format="csr"), np.array(lo, float), np.array(hi, float))
        # HiGHS presolve is very slow on a lone dense cardinality row (identical columns) but pays off once
        # spacing constraints are present
        presolve = self.presolve if self.presolve is not None else bool("spacing" in active and len(self.pairs))
        res = milp(-self.harm, constraints=cons, integrality=np.ones(m), bounds=Bounds(np.zeros(m), ub),
                   options={"time_limit": self.time_limit, "presolve": presolve})
        if res.status == 0:
            z = np.round(res.x).astype(bool)
            return z, float(self.harm[z].sum()), True
        if res.status == 1:
            # time limit: keep the better of the solver's incumbent and a greedy fill, flagged not optimal
            z = np.round(res.x).astype(bool) if res.x is not None else None
            g = self.greedy(active)
            if g is not None and (z is None or self.harm[g].sum() > self.harm[z].sum()):
                z = g
            if z is not None:
                return z, float(self.harm[z].sum()), False
        if res.status == 2:
            return None, None, True
        raise HotpatrolError(f"The selection solver stopped without an answer: {res.message}",
                             parameter="time_limit", given=self.time_limit,
                             fix="Raise time_limit or shrink the candidate pool (pool=).")

    def greedy(self, active) -> np.ndarray | None:
        """Walk down the harm ranking keeping what the active constraints allow (None if minima unmet)."""
        active = set(active)
        m = len(self.harm)
        adj = None
        if "spacing" in active and len(self.pairs):
            p = self.pairs
            adj = sparse.csr_matrix((np.ones(2 * len(p)), (np.r_[p[:, 0], p[:, 1]], np.r_[p[:, 1], p[:, 0]])),
                                    shape=(m, m))
        z = np.zeros(m, dtype=bool)
        blocked = np.zeros(m, dtype=bool)
        if "exclude" in active and self.excluded is not None:
            blocked |= self.excluded
        used = 0.0
        dcount = np.zeros(len(self.district_names), dtype=int)
        for i in np.argsort(-self.harm, kind="stable"):
            if z.sum() >= self.n:
                break
            if blocked[i]:
                continue
            if self.district is not None:
                d = self.district[i]
                if f"district_max[{self.district_names[d]}]" in active and dcount[d] >= self.dmax.get(d, np.inf):
                    continue
            if "capacity" in active and self.capacity is not None and used + self.cost[i] > self.capacity:
                continue
            z[i] = True
            if adj is not None:
                blocked[adj.indices[adj.indptr[i]:adj.indptr[i + 1]]] = True
            if self.district is not None:
                dcount[self.district[i]] += 1
            if self.cost is not None:
                used += self.cost[i]
        if "n" in active and z.sum() != self.n:
            return None
        for d, v in self.dmin.items():
            if f"district_min[{self.district_names[d]}]" in active and dcount[d] < v:
                return None
        return z

    def minimal_conflict(self) -> list[str]:
        """Deletion filter: drop each constraint in turn, keeping the drop while still infeasible."""
        conflict = self.items()
        # try dropping the many fine-grained constraints first and the count last, so the set named is
        # the planner's headline choices where they are to blame (n with capacity, not 13 district minima)
        order = {"district_max": 0, "district_min": 1, "exclude": 2, "spacing": 3, "capacity": 4, "n": 5}
        for item in sorted(conflict, key=lambda c: order[c.split("[")[0]]):
            trial = [c for c in conflict if c != item]
            if self.solve(trial)[0] is None:
                conflict = trial
        return conflict


# ---------------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------------
class SelectionResult(HotspotResult):
    """The selected hotspots, the constraints they satisfy and what each constraint cost."""

    name = "selection"

    def __init__(self, table: pd.DataFrame, selected: np.ndarray, *, places, crs: str, cell: float | None,
                 constraints: dict, costs: pd.DataFrame, harm_total: float, optimal: bool,
                 n_candidates: int) -> None:
        """A solved selection; built by :func:`select_hotspots`."""
        self.table = table
        self.selected = selected
        self.places = places
        self.crs = crs
        self.cell = cell
        self.constraints = constraints
        self.costs = costs
        self.harm_total = harm_total
        self.optimal = optimal
        self.n_candidates = n_candidates

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


# ---------------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------------
def select_hotspots(
    hotspots,
    *,
    n: int | None = None,
    places=None,
    harm_column: str | None = None,
    min_spacing: float | None = None,
    per_district_min: int | dict | None = None,
    per_district_max: int | dict | None = None,
    district_column: str = "district",
    exclude=None,
    capacity_hours: float | None = None,
    visits: int = 3,
    dwell: float = 15.0,
    travel: float = 0.0,
    k: int | None = None,
    crs: str | None = None,
    cell: float | None = None,
    pool: int | None = 5000,
    time_limit: float = 60.0,
) -> SelectionResult:
    """Select ``n`` hotspots maximising harm covered under the stated constraints (exact ILP).

    Parameters
    ----------
    hotspots : DataFrame or HotspotResult
        Per-place table with ``place_id``, ``x``/``y`` (metres; or give ``places``), a harm column
        (``harm``/``score``/...), optionally ``district`` and ``travel_minutes``.
    places : PlacesLayer or Grid, optional
        Supplies centroids and polygons (used to test exclusion zones by area).
    min_spacing : metres
        Selected centroids must be at least this far apart.
    per_district_min, per_district_max : int or {district: int}
        Bounds on hotspots per district (an int applies to every district).
    exclude : path(s) to GeoJSON/GPKG polygons, GeoDataFrame or shapely geometry
        Places touching these polygons are never selected.
    capacity_hours : float
        Officer-hours a day available for hotspot patrols; the expected daily cost of the selection,
        ``sum (k/n) * visits * (dwell + travel) / 60``, may not exceed it.
    k : int
        Hotspots patrolled a day (default ``n``: every selected hotspot every day, the cautious case).
    pool : int
        Solve over the ``pool`` highest-harm places (plus each district's top places); None = all.
    """
    n = settings.resolve("top", n)
    table, places, crs = _as_table(hotspots, places, harm_column, district_column, crs)
    crs = crs or "EPSG:27700"
    if cell is None and places is not None and getattr(places, "grid", None) is not None:
        cell = places.grid.cell
    n = _positive_int("n", n)
    k = n if k is None else _positive_int("k", k)
    if k > n:
        raise HotpatrolError("k (patrolled a day) cannot exceed n (selected).", parameter="k",
                             allowed=f"1..{n}", given=k)
    for name, value in (("visits", visits), ("dwell", dwell)):
        if not np.isfinite(value) or value <= 0:
            raise HotpatrolError(f"{name} must be positive.", parameter=name, given=value)
    if min_spacing is not None and (not np.isfinite(min_spacing) or min_spacing < 0):
        raise HotpatrolError("min_spacing must be metres >= 0.", parameter="min_spacing", given=min_spacing)
    if capacity_hours is not None and (not np.isfinite(capacity_hours) or capacity_hours <= 0):
        raise HotpatrolError("capacity_hours must be positive.", parameter="capacity_hours", given=capacity_hours)
    if (per_district_min is not None or per_district_max is not None) and "district" not in table.columns:
        raise HotpatrolError(f"District bounds need a {district_column!r} column in the hotspot table.",
                             parameter="per_district_min", given=district_column,
                             fix="Add a district column or pass district_column=<name>.")
    harm_total = float(table["harm"].sum())

    # candidate pool: highest harm overall plus each district's best (so district minima stay reachable)
    order = np.argsort(-table["harm"].to_numpy(), kind="stable")
    if pool is not None and len(table) > pool:
        keep = set(order[:pool].tolist())
        if "district" in table.columns:
            ranked = table.iloc[order]
            keep |= set(ranked.groupby("district", sort=False).head(max(n, 10)).index.tolist())
        keep = np.fromiter(keep, dtype=np.int64)
        idx = keep[np.argsort(-table["harm"].to_numpy()[keep], kind="stable")]
    else:
        idx = order
    cand = table.iloc[idx].reset_index(drop=True)

    pairs = np.zeros((0, 2), dtype=np.int64)
    cliques: list = []
    if min_spacing:
        tree = cKDTree(np.column_stack([cand["x"], cand["y"]]))
        pairs = tree.query_pairs(np.nextafter(float(min_spacing), 0), output_type="ndarray")
        # places within s/2 of a place are pairwise closer than s: a clique of which at most one is chosen
        near = tree.query_ball_point(np.column_stack([cand["x"], cand["y"]]), float(min_spacing) / 2 * (1 - 1e-12))
        cliques = [np.array(c, dtype=np.int64) for c in {tuple(sorted(c)) for c in near if len(c) > 2}]
    district, names, dmin, dmax = None, [], {}, {}
    if "district" in cand.columns:
        codes, uniques = pd.factorize(cand["district"], sort=True)
        district, names = codes, [str(u) for u in uniques]
        dmin = _district_bounds(per_district_min, names, "per_district_min")
        dmax = _district_bounds(per_district_max, names, "per_district_max")
    zones = read_exclusions(exclude, crs)
    excluded = _excluded_mask(cand, places, zones, cell, crs) if zones is not None else None
    travel_i = (pd.to_numeric(cand["travel_minutes"], errors="coerce").fillna(travel).to_numpy(float)
                if "travel_minutes" in cand.columns else np.full(len(cand), float(travel)))
    cost = (k / n) * visits * (dwell + travel_i) / 60.0
    model = _Model(cand["harm"].to_numpy(float), n, pairs, cliques, district, names, dmin, dmax, excluded,
                   cost if capacity_hours is not None else None, capacity_hours, time_limit)
    constraints = {"n": n, "k": k, "min_spacing": min_spacing, "per_district_min": per_district_min,
                   "per_district_max": per_district_max, "exclude": _describe_exclude(exclude),
                   "n_excluded": int(excluded.sum()) if excluded is not None else 0,
                   "capacity_hours": capacity_hours, "visits": visits, "dwell": dwell, "travel": travel,
                   "pool": pool, "harm_column": harm_column}

    items = model.items()
    z, covered, optimal = model.solve(items)
    if z is None:
        conflict = model.minimal_conflict()
        raise HotpatrolError(
            "The selection constraints cannot all hold. A minimal conflicting set is: "
            + "; ".join(_describe(c, model, constraints) for c in conflict) + ".",
            parameter=", ".join(conflict), given=conflict,
            fix="Relax any one of these (e.g. fewer hotspots, smaller spacing, lower district minimum, "
                "more officer-hours).",
        )
    # price of each constraint group: re-solve without it
    groups = {"spacing": ["spacing"], "district_min": [i for i in items if i.startswith("district_min")],
              "district_max": [i for i in items if i.startswith("district_max")], "exclude": ["exclude"],
              "capacity": ["capacity"]}
    rows = []
    for g, members in groups.items():
        if not members or not set(members) <= set(items):
            continue
        _, relaxed, _ = model.solve([i for i in items if i not in members])
        rows.append({"constraint": g, "harm_if_relaxed": relaxed, "harm_cost": max(relaxed - covered, 0.0),
                     "cost_pct": 100 * max(relaxed - covered, 0.0) / covered if covered > 0 else 0.0})
    costs = pd.DataFrame(rows, columns=["constraint", "harm_if_relaxed", "harm_cost", "cost_pct"])
    if excluded is not None:
        cand["excluded"] = excluded
    selected = np.zeros(len(cand), dtype=bool)
    selected[z] = True
    return SelectionResult(cand, selected, places=places, crs=crs, cell=cell, constraints=constraints,
                           costs=costs, harm_total=harm_total, optimal=optimal, n_candidates=len(cand))


def _positive_int(name: str, value) -> int:
    try:
        iv = int(value)
    except (TypeError, ValueError):
        iv = None
    if iv is None or iv != value or iv < 1:
        raise HotpatrolError(f"{name} must be a positive integer.", parameter=name, given=value)
    return iv


def _district_bounds(spec, names: list[str], parameter: str) -> dict:
    if spec is None:
        return {}
    if isinstance(spec, dict):
        from hotpatrol.places.areas import current_labels

        keys = dict(zip(spec, current_labels([str(d) for d in spec])))  # "Shepway" -> "Folkestone and Hythe"
        unknown = [d for d in spec if keys[d] not in names]
        if unknown:
            raise HotpatrolError("Unknown district in bounds.", parameter=parameter, allowed=names, given=unknown)
        return {names.index(keys[d]): int(v) for d, v in spec.items()}
    # an int applies to every named district, not to places outside all districts
    return {i: int(spec) for i, name in enumerate(names) if name != NO_DISTRICT}


def _describe_exclude(exclude) -> Any:
    if exclude is None:
        return None
    items = exclude if isinstance(exclude, (list, tuple)) else [exclude]
    return [str(i) if isinstance(i, (str, Path)) else type(i).__name__ for i in items]


def _describe(item: str, model: _Model, c: dict) -> str:
    if item == "n":
        return f"n={c['n']} (select exactly {c['n']} of {len(model.harm)} candidate places)"
    if item == "spacing":
        return f"min_spacing={c['min_spacing']:g} m ({len(model.pairs)} candidate pairs closer than that)"
    if item.startswith("district_min["):
        d = item[len("district_min["):-1]
        code = model.district_names.index(d)
        return f"{item}={model.dmin[code]} ({int((model.district == code).sum())} candidates in {d!r})"
    if item.startswith("district_max["):
        d = item[len("district_max["):-1]
        return f"{item}={model.dmax[model.district_names.index(d)]}"
    if item == "exclude":
        return f"exclude ({int(model.excluded.sum())} candidate places inside excluded zones)"
    if item == "capacity":
        return (f"capacity_hours={c['capacity_hours']:g} (each selected hotspot costs about "
                f"{float(np.min(model.cost)):.2f} officer-hours a day: k/n x visits x (dwell + travel) / 60, "
                f"so {c['n']} need at least {float(np.sort(model.cost)[:c['n']].sum()):.1f} h)")
    return item


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
