"""Drawing the synthetic events: category counts, places, times and near-repeat offspring.

Each category's events are a mixture of spatial *components* (residential background along town
streets, town centres, night-time-economy streets, retail sites, estates, rural roads), each
with its own hour-of-week profile, times a seasonal cycle. Burglary, violence, robbery, vehicle
crime, damage and ASB are then self-exciting: every event has Poisson(eta) offspring a few days
later within ~100-200 m (a Hawkes / ETAS branching process), so the expected total still equals
the target rate: immigrants are drawn at ``rate * (1 - eta)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

#: Target police.uk rows per month at scale 1: Kent-like (2022: ~12,800 victim-based crimes a month of
#: which ~7,200 violence; ~2,600 ASB incidents; ~420 residential + ~120 business burglaries; ~110 robberies).
MONTHLY_RATES: dict[str, float] = {
    "Violence and sexual offences": 7200,
    "Anti-social behaviour": 2600,
    "Criminal damage and arson": 1800,
    "Public order": 1150,
    "Other theft": 1150,
    "Shoplifting": 950,
    "Vehicle crime": 760,
    "Burglary": 540,
    "Other crime": 480,
    "Drugs": 340,
    "Possession of weapons": 115,
    "Robbery": 110,
    "Bicycle theft": 90,
    "Theft from the person": 85,
}

#: category -> {component: share}
COMPONENTS: dict[str, dict[str, float]] = {
    "Violence and sexual offences": {"residential": 0.48, "centre": 0.12, "nte": 0.18, "estate": 0.15, "road": 0.05,
                                     "emerging": 0.01, "fading": 0.01},
    "Anti-social behaviour": {"residential": 0.37, "centre": 0.20, "nte": 0.10, "estate": 0.20, "road": 0.05,
                              "retail": 0.05, "emerging": 0.02, "fading": 0.01},
    "Criminal damage and arson": {"residential": 0.53, "estate": 0.20, "centre": 0.10, "nte": 0.05, "road": 0.10,
                                  "emerging": 0.01, "fading": 0.01},
    "Public order": {"residential": 0.35, "centre": 0.25, "nte": 0.25, "estate": 0.15},
    "Other theft": {"residential": 0.45, "centre": 0.25, "retail": 0.20, "road": 0.10},
    "Shoplifting": {"retail": 0.70, "centre": 0.30},
    "Vehicle crime": {"residential": 0.60, "retail": 0.15, "centre": 0.10, "road": 0.15},
    "Burglary": {"residential": 0.75, "estate": 0.15, "centre": 0.10},
    "Other crime": {"residential": 0.60, "centre": 0.20, "estate": 0.20},
    "Drugs": {"centre": 0.30, "nte": 0.20, "estate": 0.30, "residential": 0.20},
    "Possession of weapons": {"centre": 0.25, "nte": 0.25, "estate": 0.30, "residential": 0.20},
    "Robbery": {"centre": 0.35, "nte": 0.25, "estate": 0.20, "residential": 0.20},
    "Bicycle theft": {"centre": 0.50, "retail": 0.20, "residential": 0.30},
    "Theft from the person": {"centre": 0.45, "nte": 0.35, "retail": 0.20},
}

#: Branching ratio (mean offspring per event) and kernel: mean lag (days), spatial sd (metres).
NEAR_REPEAT: dict[str, tuple[float, float, float]] = {
    "Burglary": (0.30, 5.0, 80.0),
    "Violence and sexual offences": (0.10, 3.0, 100.0),
    "Robbery": (0.15, 4.0, 120.0),
    "Vehicle crime": (0.15, 5.0, 100.0),
    "Criminal damage and arson": (0.10, 4.0, 100.0),
    "Anti-social behaviour": (0.15, 3.0, 100.0),
}

#: Seasonal amplitude and peak day-of-year (violence and ASB peak in summer, burglary in dark winter evenings).
SEASON: dict[str, tuple[float, int]] = {
    "Violence and sexual offences": (0.12, 196),
    "Anti-social behaviour": (0.20, 196),
    "Public order": (0.10, 196),
    "Criminal damage and arson": (0.08, 180),
    "Burglary": (0.12, 350),
    "Bicycle theft": (0.25, 196),
}

# Home Office offence codes on force records: category -> [(code, offence name, share)]
OFFENCES: dict[str, list[tuple[str, str, float]]] = {
    "Violence and sexual offences": [("8N", "Violence with injury", 0.30), ("105A", "Violence without injury", 0.33),
                                     ("8L", "Stalking and harassment", 0.26), ("17A", "Other sexual offences", 0.07),
                                     ("19C", "Rape", 0.04)],
    "Burglary": [("28E", "Burglary - residential", 0.78), ("30C", "Burglary - business and community", 0.22)],
    "Robbery": [("34B", "Robbery of personal property", 0.88), ("34A", "Robbery of business property", 0.12)],
    "Criminal damage and arson": [("58A", "Criminal damage to a dwelling", 0.35),
                                  ("58C", "Criminal damage to a vehicle", 0.35),
                                  ("58D", "Other criminal damage", 0.25), ("56B", "Arson not endangering life", 0.05)],
    "Vehicle crime": [("45", "Theft from a vehicle", 0.60),
                      ("48", "Theft or unauthorised taking of a motor vehicle", 0.30),
                      ("126", "Interfering with a motor vehicle", 0.10)],
    "Shoplifting": [("46", "Shoplifting", 1.0)],
    "Theft from the person": [("39", "Theft from the person", 1.0)],
    "Bicycle theft": [("44", "Theft or unauthorised taking of a pedal cycle", 1.0)],
    "Other theft": [("49", "Other theft", 0.85), ("35", "Blackmail", 0.01), ("43", "Theft by an employee", 0.14)],
    "Drugs": [("92E", "Possession of cannabis", 0.55), ("92D", "Possession of other controlled drugs", 0.20),
              ("92A", "Trafficking in controlled drugs", 0.25)],
    "Possession of weapons": [("10A", "Possession of article with blade or point", 0.65),
                              ("10D", "Possession of other weapons", 0.35)],
    "Public order": [("9A", "Public fear, alarm or distress", 0.80),
                     ("8M", "Racially or religiously aggravated harassment", 0.20)],
    "Other crime": [("66", "Other offences against the state or public order", 0.40),
                    ("99", "Other notifiable offences", 0.60)],
    "Anti-social behaviour": [("", "", 1.0)],
}


def _hour_of_week() -> dict[str, np.ndarray]:
    """7 x 24 weights (Monday = 0) per time profile."""
    h = np.arange(24)
    # typical recorded-crime diurnal curve: trough 04-06, rising through the day, peak late afternoon/evening
    base = 0.35 + np.exp(-0.5 * ((h - 17) / 4.5) ** 2) + 0.3 * np.exp(-0.5 * ((h - 0) / 2.0) ** 2)
    base[3:7] *= 0.5
    day = np.where((h >= 9) & (h <= 18), 1.0, 0.08) + 0.4 * np.exp(-0.5 * ((h - 13) / 3) ** 2)
    evening = 0.25 + np.exp(-0.5 * ((h - 20) / 3.0) ** 2)
    night = 0.05 + np.where(h >= 21, 1.0, 0.0) + np.where(h <= 3, 1.2, 0.0)
    profiles = {}
    profiles["residential"] = np.tile(base, (7, 1)) * np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.2, 1.15])[:, None]
    profiles["day"] = np.tile(day, (7, 1)) * np.array([1.0, 1.0, 1.0, 1.0, 1.1, 1.25, 0.7])[:, None]
    profiles["evening"] = np.tile(evening, (7, 1)) * np.array([1.0, 0.95, 0.95, 1.0, 1.15, 1.25, 1.1])[:, None]
    nt = np.tile(night, (7, 1)) * 0.25
    # Friday and Saturday nights: evening of the day and small hours of the next morning
    for d in (4, 5):
        nt[d, 20:] = np.tile(night, (7, 1))[d, 20:] * 2.5
        nt[d + 1, :4] = np.tile(night, (7, 1))[d + 1, :4] * 2.5
    profiles["night"] = nt
    profiles["flat"] = np.tile(0.5 + 0.5 * np.exp(-0.5 * ((h - 14) / 5) ** 2), (7, 1))
    return profiles


PROFILES = _hour_of_week()
COMPONENT_PROFILE = {"residential": "residential", "centre": "day", "retail": "day", "nte": "night",
                     "estate": "evening", "road": "flat", "emerging": "evening", "fading": "evening"}
#: Planted trends: intensity over the record (u = 0 at the start, 1 at the end) for these components.
TRENDS = {"emerging": lambda u: u**2, "fading": lambda u: (1 - u) ** 2}


def _hour_grid(start: pd.Timestamp, end: pd.Timestamp):
    hours = pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns")
    return hours, hours.dayofweek.to_numpy(), hours.hour.to_numpy(), hours.dayofyear.to_numpy()


def sample_times(rng, n: int, category: str, component: str, grid) -> np.ndarray:
    """``n`` minute timestamps (int64 ns) from the hour-of-week profile x seasonal cycle."""
    hours, dow, hod, doy = grid
    amp, peak = SEASON.get(category, (0.05, 196))
    w = PROFILES[COMPONENT_PROFILE[component]][dow, hod] * (1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25))
    if component in TRENDS:
        w = w * TRENDS[component](np.linspace(0, 1, len(hours)))
    idx = rng.choice(len(hours), size=n, p=w / w.sum())
    minutes = rng.integers(0, 60, n)
    return hours.asi8[idx] + minutes * 60_000_000_000


def sample_places(rng, n: int, component: str, geo, tree: cKDTree, res_p: np.ndarray, road_p: np.ndarray):
    """Street-point index and planted hotspot id (-1 = background) for ``n`` events of a component."""
    if component == "residential":
        return rng.choice(len(res_p), size=n, p=res_p), np.full(n, -1)
    if component == "road":
        return rng.choice(len(road_p), size=n, p=road_p), np.full(n, -1)
    hot = geo.hotspots  # hotspot_id == row position
    ids = np.flatnonzero(hot["kind"].to_numpy() == component)
    w = hot["weight"].to_numpy()[ids]
    hid = ids[rng.choice(len(ids), size=n, p=w / w.sum())]
    sd = hot["sd"].to_numpy()[hid]
    x = hot["x"].to_numpy()[hid] + rng.normal(0, 1, n) * sd
    y = hot["y"].to_numpy()[hid] + rng.normal(0, 1, n) * sd
    return tree.query(np.column_stack([x, y]))[1], hid


def draw_events(rng, geo, start: pd.Timestamp, end: pd.Timestamp, scale: float) -> pd.DataFrame:
    """All events (immigrants and offspring) with true street location and minute time."""
    n_months = (end.year - start.year) * 12 + end.month - start.month
    grid = _hour_grid(start, end)
    pts = geo.points
    px, py = pts.x.to_numpy(), pts.y.to_numpy()
    tree = cKDTree(np.column_stack([px, py]))
    town_w = geo.towns.weight.to_numpy()
    in_town = pts.town_id.to_numpy() >= 0
    tid = np.clip(pts.town_id.to_numpy(), 0, None)
    # residential density: town share x decay from the centre, normalised within each town
    dens = np.where(in_town, np.exp(-1.6 * np.nan_to_num(pts["dist"].to_numpy())), 0.0)
    per_town = np.bincount(tid[in_town], weights=dens[in_town], minlength=len(town_w))
    res = np.where(in_town, dens * town_w[tid] / np.where(per_town[tid] > 0, per_town[tid], 1), 0.0)
    res_p = res / res.sum()
    road = (~in_town).astype(float)
    road_p = road / road.sum() if road.sum() > 0 else res_p

    frames = []
    for category, rate in MONTHLY_RATES.items():
        eta = NEAR_REPEAT.get(category, (0.0, 1.0, 1.0))[0]
        for component, share in COMPONENTS[category].items():
            n = rng.poisson(rate * scale * n_months * share * (1 - eta))
            if n == 0:
                continue
            point, hid = sample_places(rng, n, component, geo, tree, res_p, road_p)
            frames.append(pd.DataFrame({
                "category": category, "component": component, "point": point, "hotspot_id": hid,
                "t": sample_times(rng, n, category, component, grid), "generation": 0,
            }))
    ev = pd.concat(frames, ignore_index=True)
    ev["parent"] = -1
    ev = _offspring(rng, ev, tree, end)
    # true position: on the street, a few metres either side of its centre line
    ev["x"] = px[ev.point] + rng.normal(0, 4, len(ev))
    ev["y"] = py[ev.point] + rng.normal(0, 4, len(ev))
    ev["town_id"] = pts.town_id.to_numpy()[ev.point]
    ev["street_id"] = pts.street_id.to_numpy()[ev.point]
    return ev


def _offspring(rng, ev: pd.DataFrame, tree: cKDTree, end: pd.Timestamp) -> pd.DataFrame:
    """Near-repeat offspring, generation by generation (vectorised within a generation)."""
    end_ns = end.value
    day_ns = 86_400_000_000_000
    params = pd.DataFrame(NEAR_REPEAT, index=["eta", "lag", "sd"]).T
    pts = tree.data
    gen = ev
    out = [ev]
    g = 0
    while len(gen) and g < 20:
        g += 1
        p = params.reindex(gen.category)
        eta = p["eta"].fillna(0).to_numpy()
        k = rng.poisson(eta)
        if k.sum() == 0:
            break
        pi = np.repeat(np.arange(len(gen)), k)
        lag = p["lag"].to_numpy()[pi]
        sd = p["sd"].to_numpy()[pi]
        # whole days later at about the same time of day (+-1 h), as repeat burglaries and disputes are
        days = np.floor(rng.exponential(lag)).astype(np.int64)
        t = gen.t.to_numpy()[pi] + days * day_ns + rng.integers(-60, 61, len(pi)) * 60_000_000_000
        base = gen.point.to_numpy()[pi]
        xy = pts[base] + rng.normal(0, 1, (len(pi), 2)) * sd[:, None]
        child = pd.DataFrame({
            "category": gen.category.to_numpy()[pi], "component": gen.component.to_numpy()[pi],
            "point": tree.query(xy)[1], "hotspot_id": gen.hotspot_id.to_numpy()[pi], "t": t, "generation": g,
            "parent": gen.index.to_numpy()[pi],
        })
        child = child[child.t < end_ns]
        child.index = np.arange(len(child)) + sum(len(o) for o in out)
        out.append(child)
        gen = child
    return pd.concat(out)
