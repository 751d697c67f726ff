"""Top-N places by harm or count, with optional minimum spacing and a per-district minimum.

Greedy selection in descending order of value (ties broken by place order, so results are
deterministic). With ``per_district_min=K`` the first pass takes, in that same global order, the
best places of every district still short of ``K``; the second pass fills up to ``top`` from the
global order. With ``min_spacing=M`` no chosen place lies within ``M`` metres (centroid to centroid)
of an earlier choice, in either pass. Places with value 0 are never hotspots.

This is how Kent ranks its Grip hotspots: by volume or harm over the last 12 months, with at least
one hotspot in each district.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural, verb


class RankResult(HotspotResult):
    """The chosen places, best first, with the reason each was chosen."""

    name = "rank"

    def __init__(self, *, places, values, index, reason, district=None, counts=None, params=None, notes=None):
        """Places ranked by value; built by :func:`rank_places`."""
        self.places = places
        self.values = values
        self.counts = counts
        self.index = np.asarray(index, dtype=np.int64)
        self.reason = np.asarray(reason, dtype=object)
        self.district = district
        self.params = params or {}
        self.notes = notes or []

    def to_frame(self) -> pd.DataFrame:
        """The selected places in rank order: rank, place, value, share and cumulative share (and district, counts)."""
        i = self.index
        total = float(self.values.sum()) or 1.0
        frame = pd.DataFrame({"rank": np.arange(1, len(i) + 1), "place_id": self.places.place_id[i],
                              "x": self.places.x[i], "y": self.places.y[i], "value": self.values[i]})
        if self.counts is not None:
            frame["count"] = self.counts[i]
        frame["share"] = frame["value"] / total
        frame["cumulative_share"] = frame["share"].cumsum()
        if self.district is not None:
            frame["district"] = self.district[i]
        frame["reason"] = self.reason
        return frame

    def top(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows of :meth:`to_frame`."""
        return self.to_frame().head(n)

    def summary(self) -> Summary:
        """The ranked places and how they were chosen (spacing, district minimums)."""
        frame = self.to_frame()
        share = float(frame["share"].sum()) if len(frame) else 0.0
        notes = [f"{len(frame)} of {plural(self.places.n, 'place')} ({len(frame) / max(self.places.n, 1):.2%}) "
                 f"{verb(len(frame), 'holds', 'hold')} "
                 f"{share:.1%} of the total value"]
        notes += [f"{k}: {v}" for k, v in self.params.items()] + list(self.notes)
        cols = [c for c in ("rank", "place_id", "value", "count", "share", "district", "reason") if c in frame]
        return Summary(f"Top {plural(len(frame), 'place')}", frame[cols], notes)


def assign_districts(places, districts, *, column: str | None = None) -> np.ndarray:
    """District label of each place (by centroid), from a polygon layer (GeoDataFrame or file).

    ``column`` names the label column; by default the first text column other than codes of
    geometry. Places in no district get ``None``. District polygons of any vintage are labelled with
    today's name of their current ONS code (:func:`hotpatrol.places.areas.polygon_district_labels`), so a
    per-district minimum counts a renamed or merged district once ("Shepway" is Folkestone and Hythe).
    """
    import geopandas as gpd

    from hotpatrol.places.areas import polygon_district_labels
    from hotpatrol.places.polygons import read_vector

    if isinstance(districts, (str, Path)):
        districts = read_vector(districts, what="district file", parameter="districts", given=str(districts),
                                fix="Give a GeoJSON/GeoPackage of district polygons.")
    if not isinstance(districts, gpd.GeoDataFrame):
        raise HotpatrolError("districts must be a GeoDataFrame or a polygon file.", parameter="districts",
                             given=type(districts).__name__)
    if column is None:
        text = [c for c in districts.columns if c != "geometry" and not pd.api.types.is_numeric_dtype(districts[c])]
        named = [c for c in text if "nm" in c.lower() or "name" in c.lower()]
        if not (named or text):
            raise HotpatrolError("The district layer has no text column to name districts by.",
                                 parameter="district_column", allowed=list(districts.columns))
        column = (named or text)[0]
    if column not in districts.columns:
        raise HotpatrolError("Unknown district column.", parameter="district_column",
                             allowed=[c for c in districts.columns if c != "geometry"], given=column)
    if districts.crs is None:
        raise HotpatrolError("The district layer has no CRS.", parameter="districts",
                             fix="Save it with a CRS (GeoJSON is WGS84 by definition).")
    labels = polygon_district_labels(districts, column)
    layer = districts[["geometry"]].to_crs(places.crs).reset_index(drop=True)
    pts = gpd.GeoSeries(gpd.points_from_xy(places.x, places.y), crs=places.crs)
    place_idx, poly_idx = layer.sindex.query(pts, predicate="within")
    out = np.full(places.n, None, dtype=object)
    # a centroid on a shared boundary matches none with "within"; the first match wins otherwise
    first = np.unique(place_idx, return_index=True)[1]
    out[place_idx[first]] = labels[poly_idx[first]]
    return out


def rank_places(
    values,
    places,
    *,
    top: int | None = None,
    min_spacing: float | None = None,
    district=None,
    per_district_min: int = 0,
    counts=None,
) -> RankResult:
    """Top ``top`` places by ``values`` (aligned with ``places``); see module docs for the rules.

    ``district`` is one label per place (e.g. from :func:`assign_districts`), needed for
    ``per_district_min``.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) != places.n:
        raise HotpatrolError(f"values must have one entry per place ({places.n}).", parameter="values",
                             given=values.shape)
    top = settings.get("top") if top is None else top
    if int(top) != top or top < 1:
        raise HotpatrolError("top must be a whole number >= 1.", parameter="top", given=top)
    top = int(top)
    if min_spacing is not None and (not np.isfinite(min_spacing) or min_spacing < 0):
        raise HotpatrolError("min_spacing must be a distance in metres >= 0.", parameter="min_spacing", given=min_spacing)
    per_district_min = int(per_district_min or 0)
    if per_district_min < 0:
        raise HotpatrolError("per_district_min must be >= 0.", parameter="per_district_min", given=per_district_min)
    if per_district_min and district is None:
        raise HotpatrolError("A per-district minimum needs the districts.", parameter="districts",
                             fix="Pass --districts FILE (polygons) or district= labels.")
    if district is not None:
        district = np.asarray(district, dtype=object)
        if len(district) != places.n:
            raise HotpatrolError("district must have one label per place.", parameter="district", given=len(district))
    names = sorted({d for d in district if d is not None}) if district is not None else []
    if per_district_min and per_district_min * len(names) > top:
        raise HotpatrolError(
            f"{per_district_min} per district x {len(names)} districts is more than top={top}.",
            parameter="per_district_min", given=per_district_min,
            fix=f"Raise --top to at least {per_district_min * len(names)} or lower --per-district-min.",
        )
    if not (values > 0).any():
        raise HotpatrolError("No place has a positive value (no events in the chosen period/categories?).",
                             parameter="values", fix="Widen --start/--end or --category.")
    cand = np.flatnonzero(values > 0)
    order = cand[np.lexsort((cand, -values[cand]))]
    blocked = np.zeros(places.n, dtype=bool)
    tree = None
    if min_spacing:
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([places.x, places.y]))
    chosen: list[int] = []
    reason: list[str] = []

    def take(i: int, why: str) -> None:
        chosen.append(i)
        reason.append(why)
        blocked[i] = True
        if tree is not None:
            # strictly closer than min_spacing is too close
            blocked[tree.query_ball_point([places.x[i], places.y[i]], r=min_spacing * (1 - 1e-9))] = True

    notes = []
    if per_district_min:
        need = {d: per_district_min for d in names}
        for i in order:
            if not any(need.values()):
                break
            d = district[i]
            if d is None or not need.get(d) or blocked[i]:
                continue
            take(int(i), "district minimum")
            need[d] -= 1
        short = {d: k for d, k in need.items() if k}
        if short:
            notes.append(f"districts without enough places with events to meet the minimum: {short}")
    for i in order:
        if len(chosen) >= top:
            break
        if not blocked[i]:
            take(int(i), "top value")
    if len(chosen) < top:
        notes.append(f"only {plural(len(chosen), 'place')} {verb(len(chosen), 'qualifies', 'qualify')} (value > 0{', spacing' if min_spacing else ''})")
    idx = np.asarray(chosen, dtype=np.int64)
    rsn = np.asarray(reason, dtype=object)
    # a district pick that beats the weakest global pick would have been chosen anyway
    glob = rsn == "top value"
    if glob.any():
        rsn[(~glob) & (values[idx] >= values[idx[glob]].min())] = "top value"
    final = np.lexsort((idx, -values[idx]))
    params = {"top": top, "min_spacing": min_spacing, "per_district_min": per_district_min}
    return RankResult(places=places, values=values, index=idx[final], reason=rsn[final], district=district,
                      counts=counts, params=params, notes=notes)
