"""The synthetic county's geography: outline, towns, districts, streets, snap points, LSOAs.

Everything is in British National Grid metres, placed in the North Sea east of the Humber
(~1.6 E, 53.75 N) so that no real place, postcode or LSOA can be mistaken for it while the
metric CRS chosen for it is still EPSG:27700.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

CENTRE = (635_000.0, 435_000.0)  # BNG easting/northing of the county centre (open sea)
HALF_SIZE = (50_000.0, 30_000.0)  # half width/height at scale 1 (Kent is ~100 km x 60 km)
POINT_STEP = 10.0  # metres between the street points events are drawn from
SNAP_STEP = 150.0  # metres between police.uk-style snap points along a street

# Clearly fictional town names (none is a real UK place).
TOWN_NAMES = (
    "Synthbury", "Mockford", "Nullham", "Samplewick", "Pseudoworth", "Fictonbridge", "Seedcaster",
    "Dummingley", "Testerton", "Modelport", "Randomsea", "Simulby", "Fauxley", "Placeholme",
    "Stubbington Magna", "Notting Vale",
)
_STEMS = (
    "Ash", "Beech", "Birch", "Cedar", "Elm", "Hazel", "Holly", "Maple", "Oak", "Rowan", "Willow", "Yew",
    "Mill", "Church", "Station", "Park", "Market", "Bridge", "School", "Chapel", "Castle", "Abbey", "Manor",
    "Meadow", "Orchard", "Spring", "Brook", "River", "Harbour", "Quarry", "Forge", "Granary", "Tannery",
    "Windmill", "Lighthouse", "Ferry", "Dock", "Salt", "Kiln", "Copper", "Tin", "Cotton", "Wool", "Barley",
    "Clover", "Heather", "Primrose", "Bluebell", "Foxglove", "Lavender", "Thistle", "Fern", "Juniper", "Laurel",
    "Chestnut", "Poplar", "Sycamore", "Alder", "Hawthorn", "Blackthorn", "Linden", "Larch", "Pine", "Spruce",
    "North", "South", "East", "West", "Upper", "Lower", "High", "Long", "Broad", "Green", "Victoria", "Albert",
    "Kings", "Queens", "Princes", "Regent", "Nelson", "Wellington", "Trinity", "St Anne's", "St Giles",
)
_SUFFIXES = ("Road", "Street", "Lane", "Close", "Avenue", "Way", "Drive", "Gardens", "Crescent", "Place",
             "Grove", "Terrace", "Court", "Rise", "Walk", "Mews")


@dataclass
class Geography:
    """A synthetic county's geography in BNG metres: outline, towns, districts, streets and street points, snap points, planted hotspots and LSOAs."""
    outline: object  # shapely Polygon (BNG)
    towns: pd.DataFrame  # town_id, name, x, y, radius, weight
    districts: object  # GeoDataFrame (BNG): LAD_CD, LAD_NM, town_id, geometry
    streets: pd.DataFrame  # street_id, name, town_id (-1 rural road), x0, y0, x1, y1, length, kind
    points: pd.DataFrame  # street points: x, y, street_id, town_id, dist (to own town centre / radius)
    snaps: pd.DataFrame  # snap_id, x, y, location ("On or near ..."), kind, town_id
    hotspots: pd.DataFrame  # planted truth: hotspot_id, kind, town_id, x, y, sd, weight
    lsoas: object  # GeoDataFrame (BNG): LSOA_CD, LSOA_NM, LAD_CD, geometry


def _outline(rng, scale: float):
    f = np.sqrt(scale)
    a, b = HALF_SIZE[0] * f, HALF_SIZE[1] * f
    th = np.linspace(0, 2 * np.pi, 181)[:-1]
    r = 1 + 0.07 * np.sin(3 * th + rng.uniform(0, 6.3)) + 0.04 * np.sin(5 * th + rng.uniform(0, 6.3))
    return shapely.Polygon(np.column_stack([CENTRE[0] + a * r * np.cos(th), CENTRE[1] + b * r * np.sin(th)]))


def _towns(rng, outline, scale: float) -> pd.DataFrame:
    f = np.sqrt(scale)
    n = int(np.clip(round(13 * f), 2, 13))
    weight = 1.0 / np.arange(1, n + 1) ** 0.8  # Zipf-like town sizes
    weight /= weight.sum()
    radius = np.maximum(4000.0 * np.sqrt(weight / weight[0]), 900.0) * np.clip(2 * f, 0.5, 1.0)
    xs, ys = [], []
    xmin, ymin, xmax, ymax = outline.bounds
    for k in range(n):  # a handful of towns: rejection sampling is fine here
        inner = outline.buffer(-radius[k] * 0.8)
        region = outline if inner.is_empty else inner
        best = None
        for _ in range(3000):
            x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
            if not region.contains(shapely.Point(x, y)):
                continue
            best = (x, y)
            if all(np.hypot(x - xs[j], y - ys[j]) > 1.6 * radius[k] + radius[j] for j in range(len(xs))):
                break
        best = best or CENTRE
        xs.append(best[0])
        ys.append(best[1])
    return pd.DataFrame({"town_id": np.arange(n), "name": list(TOWN_NAMES[:n]), "x": xs, "y": ys,
                         "radius": radius, "weight": weight})


def _districts(towns: pd.DataFrame, outline):
    import geopandas as gpd

    xy = towns[["x", "y"]].to_numpy()
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=outline))
    # match each Voronoi cell to its town (``ordered=`` needs shapely 2.1 / GEOS 3.12, so do it by hand)
    tree = shapely.STRtree(cells)
    pi, ci = tree.query(shapely.points(xy), predicate="within")
    order = np.empty(len(xy), dtype=np.int64)
    order[pi] = ci
    cells = cells[order]
    geoms = shapely.intersection(cells, outline)
    codes = [f"X07{k + 1:06d}" for k in range(len(towns))]  # X-prefix: not an ONS nation code
    return gpd.GeoDataFrame({"LAD_CD": codes, "LAD_NM": towns["name"].to_numpy(), "town_id": towns["town_id"]},
                            geometry=geoms, crs="EPSG:27700")


def _street_names(rng, n: int) -> np.ndarray:
    combos = np.array([f"{s} {t}" for s in _STEMS for t in _SUFFIXES], dtype=object)
    return combos[rng.permutation(len(combos))[:n]] if n <= len(combos) else combos[rng.integers(0, len(combos), n)]


def _town_streets(rng, town) -> pd.DataFrame:
    """A jittered, rotated grid of streets inside a (slightly irregular) circle."""
    R = town.radius
    theta = rng.uniform(0, np.pi / 2)
    c, s = np.cos(theta), np.sin(theta)
    rows = []
    for axis in (0, 1):
        spacing = rng.uniform(140, 200)
        offsets = np.arange(-R + spacing / 2, R, spacing)
        offsets = offsets + rng.normal(0, 15, size=len(offsets))
        for o in offsets:
            half = np.sqrt(max(R**2 - o**2, 0)) * rng.uniform(0.8, 1.0)
            if half < 80:
                continue
            cuts = [-half]
            while cuts[-1] < half:
                cuts.append(min(cuts[-1] + rng.uniform(250, 700), half))
            for a0, a1 in zip(cuts[:-1], cuts[1:]):
                if a1 - a0 < 40:
                    continue
                # local (u along street, v across) -> rotated -> world
                u0, u1, v = a0, a1, o
                if axis == 1:
                    p0, p1 = (v, u0), (v, u1)
                else:
                    p0, p1 = (u0, v), (u1, v)
                rows.append((*p0, *p1))
    loc = np.asarray(rows, dtype=float)
    x0 = town.x + c * loc[:, 0] - s * loc[:, 1]
    y0 = town.y + s * loc[:, 0] + c * loc[:, 1]
    x1 = town.x + c * loc[:, 2] - s * loc[:, 3]
    y1 = town.y + s * loc[:, 2] + c * loc[:, 3]
    return pd.DataFrame({"x0": x0, "y0": y0, "x1": x1, "y1": y1, "town_id": int(town.town_id), "kind": "street"})


def _roads(rng, towns: pd.DataFrame) -> pd.DataFrame:
    """Inter-town roads along a minimum spanning tree; each half is named after the town it leads to."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import cdist

    xy = towns[["x", "y"]].to_numpy()
    if len(xy) < 2:
        return pd.DataFrame(columns=["x0", "y0", "x1", "y1", "town_id", "kind", "name"])
    mst = minimum_spanning_tree(cdist(xy, xy)).tocoo()
    rows = []
    for i, j in zip(mst.row, mst.col):
        a, b = xy[i], xy[j]
        mid = (a + b) / 2 + rng.normal(0, 0.08 * np.linalg.norm(b - a), 2)
        rows.append((*a, *mid, -1, "road", f"{towns.name[j]} Road"))
        rows.append((*mid, *b, -1, "road", f"{towns.name[i]} Road"))
    return pd.DataFrame(rows, columns=["x0", "y0", "x1", "y1", "town_id", "kind", "name"])


def _sample_along(streets: pd.DataFrame, step: float, rng=None) -> pd.DataFrame:
    """Points every ``step`` metres along each street (vectorised)."""
    length = streets["length"].to_numpy()
    n = np.maximum(1, np.floor(length / step).astype(int))
    sid = np.repeat(np.arange(len(streets)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    t = (np.arange(n.sum()) - start + 0.5) / n[sid]
    if rng is not None:
        t = np.clip(t + rng.uniform(-0.25, 0.25, len(t)) / n[sid], 0, 1)
    x = streets["x0"].to_numpy()[sid] + t * (streets["x1"].to_numpy() - streets["x0"].to_numpy())[sid]
    y = streets["y0"].to_numpy()[sid] + t * (streets["y1"].to_numpy() - streets["y0"].to_numpy())[sid]
    return pd.DataFrame({"x": x, "y": y, "street_id": sid, "town_id": streets["town_id"].to_numpy()[sid]})


def build_geography(rng, scale: float) -> Geography:
    """A random county geography scaled by ``scale`` (area factor), drawn with the numpy Generator ``rng``."""
    outline = _outline(rng, scale)
    towns = _towns(rng, outline, scale)
    districts = _districts(towns, outline)

    parts = []
    hot_rows = []
    for town in towns.itertuples():
        st = _town_streets(rng, town)
        st["name"] = _street_names(rng, len(st))
        mx, my = (st.x0 + st.x1) / 2, (st.y0 + st.y1) / 2
        d = np.hypot(mx - town.x, my - town.y).to_numpy()
        hs = int(np.argmin(d))
        st.loc[hs, "name"] = "High Street"
        st.loc[hs, "kind"] = "high_street"
        # night-time economy street: a street 150-450 m from the centre
        cand = np.flatnonzero((d > 150) & (d < 450) & (np.arange(len(st)) != hs))
        ne = int(rng.choice(cand)) if len(cand) else int(np.argsort(d)[1])
        st.loc[ne, "kind"] = "nte"
        w = float(town.weight)
        hot_rows.append(("centre", town.town_id, mx[hs], my[hs], 120.0 * np.sqrt(town.radius / 4000), w))
        hot_rows.append(("nte", town.town_id, mx[ne], my[ne], 60.0, w))
        # estates: 1-3 residential areas with more burglary, damage, ASB and domestic violence
        n_est = 1 + int(w * len(towns) > 1.2) + int(w * len(towns) > 2.5)
        for _ in range(n_est):
            ang, rad = rng.uniform(0, 2 * np.pi), rng.uniform(0.45, 0.75) * town.radius
            hot_rows.append(("estate", town.town_id, town.x + rad * np.cos(ang), town.y + rad * np.sin(ang),
                             180.0, w / n_est))
        parts.append(st)
        if town.town_id in (0, 1):
            # one emerging hotspot (largest town) and one fading (second town): planted trends to find
            ang, rad = rng.uniform(0, 2 * np.pi), rng.uniform(0.35, 0.6) * town.radius
            kind = "emerging" if town.town_id == 0 else "fading"
            hot_rows.append((kind, town.town_id, town.x + rad * np.cos(ang), town.y + rad * np.sin(ang), 70.0, 1.0))
    streets = pd.concat(parts + [_roads(rng, towns)], ignore_index=True)
    streets["length"] = np.hypot(streets.x1 - streets.x0, streets.y1 - streets.y0)
    streets.insert(0, "street_id", np.arange(len(streets)))

    points = _sample_along(streets, POINT_STEP)
    inside = shapely.contains_xy(outline, points.x.to_numpy(), points.y.to_numpy())
    points = points[inside].reset_index(drop=True)
    # roads entering a town belong to it (residential background); beyond every town they are rural
    tid = points.town_id.to_numpy().copy()
    rural = tid < 0
    if rural.any():
        d = np.hypot(points.x.to_numpy()[rural, None] - towns.x.to_numpy()[None, :],
                     points.y.to_numpy()[rural, None] - towns.y.to_numpy()[None, :]) / towns.radius.to_numpy()[None, :]
        near = d.argmin(axis=1)
        tid[np.flatnonzero(rural)] = np.where(d.min(axis=1) <= 1.0, near, -1)
    points["town_id"] = tid
    tx = towns.x.to_numpy()[points.town_id.clip(lower=0)]
    ty = towns.y.to_numpy()[points.town_id.clip(lower=0)]
    tr = towns.radius.to_numpy()[points.town_id.clip(lower=0)]
    points["dist"] = np.where(points.town_id >= 0, np.hypot(points.x - tx, points.y - ty) / tr, np.nan)

    snaps, hotspots_extra = _snap_points(rng, streets, points, towns, outline)
    hotspots = pd.DataFrame(hot_rows + hotspots_extra, columns=["kind", "town_id", "x", "y", "sd", "weight"])
    hotspots.insert(0, "hotspot_id", np.arange(len(hotspots)))
    hotspots["town"] = towns.name.to_numpy()[hotspots.town_id]
    lsoas = _lsoas(rng, points, districts, scale)
    return Geography(outline, towns, districts, streets, points, snaps, hotspots, lsoas)


def _snap_points(rng, streets, points, towns, outline):
    """police.uk-style anonymous map points: along streets plus named facilities (POIs)."""
    along = _sample_along(streets, SNAP_STEP, rng)
    along = along[shapely.contains_xy(outline, along.x.to_numpy(), along.y.to_numpy())]
    along["location"] = "On or near " + streets["name"].to_numpy()[along.street_id]
    along["kind"] = "street"
    pois = []
    hot_extra = []
    for town in towns.itertuples():
        tp = points[points.town_id == town.town_id]
        if len(tp) == 0:
            continue
        dist = tp["dist"].to_numpy()
        big = town.weight * len(towns)

        def pick(lo, hi, k):
            idx = np.flatnonzero((dist >= lo) & (dist <= hi))
            idx = idx if len(idx) else np.arange(len(tp))
            return tp.iloc[rng.choice(idx, size=k, replace=len(idx) < k)]

        shop = pick(0.03, 0.12, 1)
        pois.append((shop, "Shopping Area"))
        hot_extra.append(("retail", town.town_id, shop.x.iat[0], shop.y.iat[0], 40.0, town.weight * 0.5))
        n_sup = 1 + int(big > 0.8) + int(big > 1.6) + int(big > 2.5)
        sup = pick(0.25, 0.8, n_sup)
        pois.append((sup, "Supermarket"))
        for r in sup.itertuples():
            hot_extra.append(("retail", town.town_id, r.x, r.y, 30.0, town.weight * 0.5 / n_sup))
        pois.append((pick(0.02, 0.5, 1 + n_sup), "Parking Area"))
        pois.append((pick(0.6, 1.0, max(1, n_sup - 1)), "Petrol Station"))
        pois.append((pick(0.3, 0.9, max(1, n_sup - 1)), "Sports/Recreation Area"))
        if big > 1.0:
            pois.append((pick(0.3, 0.6, 1), "Hospital"))
    for frame, label in pois:
        along = pd.concat([along, pd.DataFrame({"x": frame.x.to_numpy(), "y": frame.y.to_numpy(),
                                                "street_id": frame.street_id.to_numpy(),
                                                "town_id": frame.town_id.to_numpy(),
                                                "location": "On or near " + label, "kind": "poi"})])
    along = along.reset_index(drop=True)
    # nightclubs on the night-time economy streets
    nte = streets[streets.kind == "nte"]
    clubs = pd.DataFrame({"x": ((nte.x0 + nte.x1) / 2).to_numpy(), "y": ((nte.y0 + nte.y1) / 2).to_numpy(),
                          "street_id": nte.street_id.to_numpy(), "town_id": nte.town_id.to_numpy(),
                          "location": "On or near Nightclub", "kind": "poi"})
    along = pd.concat([along, clubs], ignore_index=True)
    # police.uk publishes 6-decimal lon/lat; round-trip the snap points so published == stored
    from hotpatrol.places.crs import from_lonlat, to_lonlat

    lon, lat = to_lonlat(along.x.to_numpy(), along.y.to_numpy(), "EPSG:27700")
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    along["lon"], along["lat"] = lon, lat
    along["x"], along["y"] = from_lonlat(lon, lat, "EPSG:27700")
    along = along.drop_duplicates(["lon", "lat"]).reset_index(drop=True)
    along.insert(0, "snap_id", np.arange(len(along)))
    return along, hot_extra


def _lsoas(rng, points: pd.DataFrame, districts, scale: float):
    """LSOA-like areas: per district, a Voronoi of population-weighted seeds clipped to the district."""
    import geopandas as gpd

    n_target = max(2 * len(districts), int(round(1065 * scale)))
    town = points[points.town_id >= 0]
    w = np.exp(-2.0 * town["dist"].to_numpy())
    seeds = town.iloc[rng.choice(len(town), size=min(n_target, len(town)), replace=False, p=w / w.sum())]
    sx, sy = seeds.x.to_numpy(), seeds.y.to_numpy()
    geoms, codes, names, lads = [], [], [], []
    serial = 0
    for d in districts.itertuples():
        inside = shapely.contains_xy(d.geometry, sx, sy)
        pts = np.column_stack([sx[inside], sy[inside]])
        if len(pts) < 2:  # rural districts get at least two areas
            rp = d.geometry.representative_point()
            minx, miny, maxx, maxy = d.geometry.bounds
            pts = np.vstack([pts.reshape(-1, 2), [[rp.x, rp.y]], [[(minx + maxx) / 2 + 1, (miny + maxy) / 2 + 1]]])
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=d.geometry))
        cells = shapely.intersection(cells, d.geometry)
        cells = cells[~shapely.is_empty(cells) & (shapely.area(cells) > 1.0)]
        # order LSOAs west to east like a reading of the map, then number them 001A, 001B ...
        order = np.argsort(shapely.get_x(shapely.centroid(cells)))
        for i, g in enumerate(cells[order]):
            serial += 1
            geoms.append(g)
            codes.append(f"X01{serial:06d}")
            names.append(f"{d.LAD_NM} {i // 4 + 1:03d}{'ABCD'[i % 4]}")
            lads.append(d.LAD_CD)
    return gpd.GeoDataFrame({"LSOA_CD": codes, "LSOA_NM": names, "LAD_CD": lads}, geometry=geoms, crs="EPSG:27700")
