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

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.constraints import (
    constraint_costs,
    describe_constraint,
    describe_exclude,
    district_bounds,
    positive_int,
)
from hotpatrol.patrol.hotspot_table import (
    as_hotspot_table,
    excluded_mask,
    read_exclusions,
)
from hotpatrol.patrol.ilp import SelectionModel
from hotpatrol.patrol.selection import SelectionResult


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
    table, places, crs = as_hotspot_table(hotspots, places, harm_column, district_column, crs)
    crs = crs or "EPSG:27700"
    if cell is None and places is not None and getattr(places, "grid", None) is not None:
        cell = places.grid.cell
    n = positive_int("n", n)
    k = n if k is None else positive_int("k", k)
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
        dmin = district_bounds(per_district_min, names, "per_district_min")
        dmax = district_bounds(per_district_max, names, "per_district_max")
    zones = read_exclusions(exclude, crs)
    excluded = excluded_mask(cand, places, zones, cell, crs) if zones is not None else None
    travel_i = (pd.to_numeric(cand["travel_minutes"], errors="coerce").fillna(travel).to_numpy(float)
                if "travel_minutes" in cand.columns else np.full(len(cand), float(travel)))
    cost = (k / n) * visits * (dwell + travel_i) / 60.0
    model = SelectionModel(cand["harm"].to_numpy(float), n, pairs, cliques, district, names, dmin, dmax, excluded,
                   cost if capacity_hours is not None else None, capacity_hours, time_limit)
    constraints = {"n": n, "k": k, "min_spacing": min_spacing, "per_district_min": per_district_min,
                   "per_district_max": per_district_max, "exclude": describe_exclude(exclude),
                   "n_excluded": int(excluded.sum()) if excluded is not None else 0,
                   "capacity_hours": capacity_hours, "visits": visits, "dwell": dwell, "travel": travel,
                   "pool": pool, "harm_column": harm_column}

    items = model.items()
    z, covered, optimal = model.solve(items)
    if z is None:
        conflict = model.minimal_conflict()
        raise HotpatrolError(
            "The selection constraints cannot all hold. A minimal conflicting set is: "
            + "; ".join(describe_constraint(c, model, constraints) for c in conflict) + ".",
            parameter=", ".join(conflict), given=conflict,
            fix="Relax any one of these (e.g. fewer hotspots, smaller spacing, lower district minimum, "
                "more officer-hours).",
        )
    costs = constraint_costs(model, items, covered)
    if excluded is not None:
        cand["excluded"] = excluded
    selected = np.zeros(len(cand), dtype=bool)
    selected[z] = True
    return SelectionResult(cand, selected, places=places, crs=crs, cell=cell, constraints=constraints,
                           costs=costs, harm_total=harm_total, optimal=optimal, n_candidates=len(cand))
