"""``generate_county``: a seeded, realistic synthetic police force area ("Synthshire")."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.places.crs import BNG, to_lonlat
from hotpatrol.synthetic import crimes, geography, policeuk

FORCE_RECORD_COLUMNS = ["id", "occurred_at", "x", "y", "category", "offence_code", "offence"]
FORCE_RECORDS_MISSING_XY = 0.003  # a few force records without a geocode, so ingest has something to quarantine


@dataclass(eq=False)
class County:
    """A synthetic county: the events (with the planted truth) and the geography they came from.

    ``events`` is an events table (hotpatrol.events columns: ``lon``/``lat`` are the *true* WGS84
    location, ``occurred_at`` the true minute) plus truth columns: ``x``/``y`` (BNG metres),
    ``snap_lon``/``snap_lat`` and ``location`` as published on police.uk, ``published``
    (False for the ~1% published with no location), ``crime_id`` (police.uk id, <NA> for ASB),
    ``district``, ``town``, ``component`` (residential/centre/nte/retail/estate/road),
    ``hotspot_id`` (planted hotspot, -1 for background), ``parent`` (row of the near-repeat
    parent, -1 for background events) and ``generation``.
    """

    events: pd.DataFrame
    districts: object  # GeoDataFrame, EPSG:27700: LAD_CD, LAD_NM, town_id
    lsoas: object  # GeoDataFrame, EPSG:27700: LSOA_CD, LSOA_NM, LAD_CD
    roads: object  # GeoDataFrame, EPSG:27700: street_id, name, town_id, kind (street/high_street/nte/road)
    snap_points: pd.DataFrame  # snap_id, x, y, lon, lat, location, kind, town_id
    hotspots: pd.DataFrame  # planted truth: hotspot_id, kind, town_id, town, x, y, sd, weight, lon, lat
    towns: pd.DataFrame
    params: dict = field(default_factory=dict)
    duplicates: pd.DataFrame | None = None  # extra police.uk street rows re-using a Crime ID
    crs: str = BNG

    def summary(self) -> dict:
        """The county at a glance as a dict: force, scale, seed, months, events, crimes, mean events per month by category, towns, districts, ..."""
        ev = self.events
        months = ev["month"].nunique()
        return {
            "force": policeuk.FORCE,
            "scale": self.params.get("scale"),
            "seed": self.params.get("seed"),
            "start": self.params.get("start"),
            "end": self.params.get("end"),
            "months": int(months),
            "events": int(len(ev)),
            "crimes": int((ev["category"] != "Anti-social behaviour").sum()),
            "per_month": {k: round(v / months, 1) for k, v in ev["category"].value_counts().items()},
            "towns": int(len(self.towns)),
            "districts": int(len(self.districts)),
            "lsoas": int(len(self.lsoas)),
            "snap_points": int(len(self.snap_points)),
            "hotspots": int(len(self.hotspots)),
            "no_location_rows": int((~ev["published"]).sum()),
            "duplicate_crime_id_rows": 0 if self.duplicates is None else int(len(self.duplicates)),
            "seconds": self.params.get("seconds"),
        }

    def force_records(self) -> pd.DataFrame:
        """The force's own crime records (no ASB): id, minute timestamp, BNG x/y, category, HO offence code."""
        ev = self.events[self.events["category"] != "Anti-social behaviour"]
        rng = np.random.default_rng([int(self.params.get("seed") or 0), 7])
        missing = rng.random(len(ev)) < FORCE_RECORDS_MISSING_XY
        return pd.DataFrame({
            "id": ev["event_id"].to_numpy(),
            "occurred_at": np.char.replace(np.datetime_as_string(
                ev["occurred_at"].to_numpy().astype("datetime64[m]"), unit="m"), "T", " ").astype(object),
            "x": pd.array(np.where(missing, np.nan, ev["x"].round(0)), dtype="Int64"),
            "y": pd.array(np.where(missing, np.nan, ev["y"].round(0)), dtype="Int64"),
            "category": ev["category"].to_numpy(),
            "offence_code": ev["offence_code"].to_numpy(),
            "offence": ev["offence"].to_numpy(),
        })

    def write(self, out) -> dict:
        """Write police.uk archive files, force records + mapping, and boundaries; return the paths."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        police = policeuk.write_archive(self.events, out / "police_uk", self.duplicates)
        fr_path = out / "force_records.csv"
        policeuk.write_csv(self.force_records(), fr_path, verbatim=("id",))
        mapping_path = out / "force_records_mapping.yaml"
        mapping_path.write_text(_MAPPING)
        districts_path = out / "districts.geojson"
        self.districts.to_crs("EPSG:4326").to_file(districts_path, driver="GeoJSON")
        lsoa_path = out / "lsoas.geojson"
        self.lsoas.to_crs("EPSG:4326").to_file(lsoa_path, driver="GeoJSON")
        roads_path = out / "roads.geojson"
        self.roads.to_crs("EPSG:4326").to_file(roads_path, driver="GeoJSON")
        hotspots_path = out / "planted_hotspots.csv"
        self.hotspots.to_csv(hotspots_path, index=False)
        summary_path = out / "synth_summary.json"
        summary_path.write_text(json.dumps(self.summary(), indent=2, default=str))
        return {
            "police_uk": out / "police_uk",
            "street": police["street"],
            "outcomes": police["outcomes"],
            "force_records": fr_path,
            "mapping": mapping_path,
            "districts": districts_path,
            "lsoas": lsoa_path,
            "roads": roads_path,
            "hotspots": hotspots_path,
            "summary": summary_path,
        }


_MAPPING = """\
# Synthshire Police force records (hotpatrol synth): ingest with
#   hotpatrol ingest force_records.csv --mapping force_records_mapping.yaml
# occurred_at is a local minute timestamp -> time_precision "minute"; x/y are British National Grid metres.
# category already holds police.uk crime types; offence_code is the Home Office offence code.
name: synthshire-force-records
force: Synthshire Police
id: id
time:
  timestamp: occurred_at
  format: "%Y-%m-%d %H:%M"
x: x
y: y
crs: EPSG:27700
category: category
offence_code: offence_code
"""


def _parse_end(end) -> pd.Period:
    import re

    text = str(end)
    if not re.fullmatch(r"(19[7-9]\d|20\d\d)-(0[1-9]|1[0-2])", text):
        raise HotpatrolError("end must be a month like '2024-12'.", parameter="end", given=end,
                             allowed="YYYY-MM, 1970-01..2099-12")
    return pd.Period(text, freq="M")


def generate_county(*, scale: float = 0.1, years: float = 3, end: str = "2024-12", seed: int | None = None) -> County:
    """Generate a synthetic county ("Synthshire") reproducibly from ``seed``.

    scale : 1 is a force-sized county (Kent-like volumes: ~7,200 violence, ~2,600 ASB, ~540 burglary
        rows a month over ~4,700 km^2 with 13 towns/districts); 0.02 is a small town. Area grows with
        ``scale`` so densities stay realistic.
    years : length of the record (whole months, ending with ``end``, a 'YYYY-MM' month).
    """
    seed = settings.resolve("seed", seed)
    t0 = time.perf_counter()
    if not isinstance(scale, (int, float)) or not np.isfinite(scale) or not 0.005 <= scale <= 2:
        raise HotpatrolError("scale must be between 0.005 (a village) and 2 (the county must stay at sea).",
                             parameter="scale", allowed="0.005..2 (1 = force-sized county)", given=scale)
    if not isinstance(years, (int, float)) or not 1 / 12 <= years <= 20:
        raise HotpatrolError("years must be between 1/12 and 20.", parameter="years", given=years)
    last = _parse_end(end)
    n_months = max(1, int(round(years * 12)))
    first = last - (n_months - 1)
    start = first.to_timestamp(how="start")
    stop = (last + 1).to_timestamp(how="start")
    rng = np.random.default_rng(seed)

    geo = geography.build_geography(rng, float(scale))
    raw = crimes.draw_events(rng, geo, start, stop, float(scale))
    ev = _finish_events(rng, raw, geo, last)

    hot = geo.hotspots.copy()
    hot["lon"], hot["lat"] = to_lonlat(hot.x.to_numpy(), hot.y.to_numpy(), BNG)
    duplicates = _duplicates(rng, ev)
    params = {"scale": scale, "years": years, "end": str(last), "start": str(first), "seed": seed,
              "seconds": round(time.perf_counter() - t0, 2)}
    return County(events=ev, districts=geo.districts, lsoas=geo.lsoas, roads=_roads_frame(geo),
                  snap_points=geo.snaps, hotspots=hot, towns=geo.towns, params=params, duplicates=duplicates)


def _roads_frame(geo):
    import geopandas as gpd
    import shapely

    st = geo.streets
    lines = shapely.linestrings(np.stack([st[["x0", "y0"]].to_numpy(), st[["x1", "y1"]].to_numpy()], axis=1))
    return gpd.GeoDataFrame(st[["street_id", "name", "town_id", "kind"]].reset_index(drop=True),
                            geometry=lines, crs=BNG)


def _finish_events(rng, raw: pd.DataFrame, geo, last: pd.Period) -> pd.DataFrame:
    """Sort, publish (snap, LSOA, ids, outcomes) and shape into an events table with truth columns."""
    from hotpatrol.places.polygons import places_from_frame

    raw = raw.sort_values("t", kind="stable")
    new_pos = pd.Series(np.arange(len(raw)), index=raw.index)
    parent = raw["parent"].to_numpy()
    parent = np.where(parent >= 0, new_pos.reindex(parent).fillna(-1).to_numpy(), -1).astype(np.int64)
    raw = raw.reset_index(drop=True)
    n = len(raw)
    t = pd.to_datetime(raw["t"].to_numpy(), unit="ns")
    x, y = raw["x"].to_numpy(), raw["y"].to_numpy()
    lon, lat = to_lonlat(x, y, BNG)

    # police.uk: nearest anonymous map point, and the LSOA that point lies in
    snaps = geo.snaps
    _, si = cKDTree(snaps[["x", "y"]].to_numpy()).query(np.column_stack([x, y]))
    lsoa_layer = places_from_frame(geo.lsoas, id_column="LSOA_CD", name_column="LSOA_NM", crs=BNG, tolerance=500)
    snap_lsoa = lsoa_layer.assign(snaps.x.to_numpy(), snaps.y.to_numpy())
    lsoa_idx = snap_lsoa[si]
    lsoa_code = np.where(lsoa_idx >= 0, geo.lsoas.LSOA_CD.to_numpy()[np.clip(lsoa_idx, 0, None)], None)
    lsoa_name = np.where(lsoa_idx >= 0, geo.lsoas.LSOA_NM.to_numpy()[np.clip(lsoa_idx, 0, None)], None)
    district_of_lsoa = dict(zip(geo.districts.LAD_CD, geo.districts.LAD_NM))
    lad = np.where(lsoa_idx >= 0, geo.lsoas.LAD_CD.to_numpy()[np.clip(lsoa_idx, 0, None)], None)

    category = raw["category"].to_numpy()
    is_crime = category != "Anti-social behaviour"
    crime_id = np.full(n, None, dtype=object)
    crime_id[is_crime] = policeuk.crime_ids(rng, int(is_crime.sum()))
    code = np.full(n, "", dtype=object)
    offence = np.full(n, "", dtype=object)
    for cat, rows in crimes.OFFENCES.items():
        m = category == cat
        if m.any():
            k = rng.choice(len(rows), size=int(m.sum()), p=np.array([r[2] for r in rows]) / sum(r[2] for r in rows))
            code[m] = np.array([r[0] for r in rows], dtype=object)[k]
            offence[m] = np.array([r[1] for r in rows], dtype=object)[k]
    month = policeuk._month_text(t.to_numpy().astype("datetime64[M]").astype(np.int64))
    ev = pd.DataFrame({
        "event_id": np.char.add("SYN", np.char.zfill(np.arange(1, n + 1).astype(str), 8)).astype(object),
        "source": "synthetic",
        "force": policeuk.FORCE,
        "month": month,
        "occurred_at": t,
        "occurred_from": t,
        "occurred_to": t + pd.Timedelta(minutes=1),
        "time_precision": "minute",
        "lon": lon,
        "lat": lat,
        "category": category,
        "offence_code": np.where(code == "", None, code),
        "location": snaps["location"].to_numpy()[si],
        "lsoa_code": lsoa_code,
        "lsoa_name": lsoa_name,
    })
    ev["published"] = rng.random(n) >= policeuk.NO_LOCATION_SHARE
    ev["crime_id"] = crime_id
    outc = policeuk.assign_outcomes(rng, ev, last)
    ev["outcome"] = outc["last_outcome"].to_numpy()
    ev["outcome_month"] = outc["outcome_month"].to_numpy()
    ev["outcome_type"] = outc["outcome_type"].to_numpy()
    ev["offence"] = np.where(offence == "", None, offence)
    ev["x"], ev["y"] = x, y
    ev["snap_lon"] = snaps["lon"].to_numpy()[si]
    ev["snap_lat"] = snaps["lat"].to_numpy()[si]
    ev["snap_id"] = si
    ev["district"] = pd.Series(lad).map(district_of_lsoa).to_numpy()
    ev["town"] = np.where(raw["town_id"] >= 0, geo.towns.name.to_numpy()[np.clip(raw["town_id"], 0, None)], None)
    ev["component"] = raw["component"].to_numpy()
    ev["hotspot_id"] = raw["hotspot_id"].to_numpy().astype(np.int64)
    ev["parent"] = parent
    ev["generation"] = raw["generation"].to_numpy().astype(np.int64)
    from hotpatrol.events import conform

    out = conform(ev)
    out.attrs["crs"] = BNG
    return out


def _duplicates(rng, ev: pd.DataFrame) -> pd.DataFrame:
    """A few police.uk street rows that re-use an earlier Crime ID (as real archives have)."""
    crimes_ = ev[ev["crime_id"].notna()]
    k = max(3, int(round(3e-5 * len(crimes_))))
    if len(crimes_) == 0:
        return pd.DataFrame(columns=policeuk.STREET_COLUMNS)
    pick = crimes_.iloc[np.sort(rng.choice(len(crimes_), size=min(k, len(crimes_)), replace=False))]
    rows = policeuk.street_frame(pick)
    # the re-published copy appears in the following month's file (same month if it is the last)
    months = sorted(ev["month"].unique())
    nxt = {m: months[min(i + 1, len(months) - 1)] for i, m in enumerate(months)}
    rows["Month"] = rows["Month"].map(nxt)
    return rows
