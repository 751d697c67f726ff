"""Column mappings for a force's own records (CSV + a small YAML file or CLI flags).

A mapping names the CSV columns that hold the id, the time (a date, date + hour, a timestamp,
a from/to window or separate year/month/day[/hour[/minute]] columns), the place (lon/lat, or x/y
with a CRS) and the category. docs/ingest.md has the full key list; docs/examples/ has three.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml
from pyproj import CRS
from pyproj.exceptions import CRSError

from hotpatrol.errors import HotpatrolError

TIME_KEYS = ("date", "hour", "timestamp", "from", "to", "year", "month", "day", "minute", "format", "timezone")
TOP_KEYS = ("name", "force", "force_column", "id", "time", "lon", "lat", "x", "y", "crs", "category",
            "category_value", "categories", "offence_code", "location", "lsoa_code", "lsoa_name", "columns",
            "delimiter")


@dataclass(frozen=True)
class Mapping:
    """Which CSV column is which. Build with :meth:`from_dict` / :func:`read_mapping`."""

    name: str = "force-records"
    force: str | None = None
    force_column: str | None = None
    id: str | None = None
    time: dict = field(default_factory=dict)
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    category: str | None = None
    category_value: str | None = None
    categories: Any = None  # list of allowed values or {raw: name}
    offence_code: str | None = None
    location: str | None = None
    lsoa_code: str | None = None
    lsoa_name: str | None = None
    columns: tuple | None = None  # names for a CSV without a header row
    delimiter: str = ","

    @classmethod
    def from_dict(cls, data: dict, *, origin: str = "mapping") -> "Mapping":
        """A mapping from a dict (e.g. read from YAML); raises :class:`HotpatrolError` naming ``origin`` for bad keys or values."""
        if not isinstance(data, dict):
            raise HotpatrolError("A mapping must be a dictionary of key: column.", parameter=origin,
                                 given=type(data).__name__)
        unknown = [k for k in data if k not in TOP_KEYS]
        if unknown:
            raise HotpatrolError(f"Unknown mapping key {unknown[0]!r}.", parameter=f"{origin}.{unknown[0]}",
                                 allowed=list(TOP_KEYS), given=unknown[0])
        time = data.get("time") or {}
        if not isinstance(time, dict):
            raise HotpatrolError("mapping 'time' must be a dictionary.", parameter=f"{origin}.time",
                                 allowed=list(TIME_KEYS), given=time)
        bad = [k for k in time if k not in TIME_KEYS]
        if bad:
            raise HotpatrolError(f"Unknown time key {bad[0]!r}.", parameter=f"{origin}.time.{bad[0]}",
                                 allowed=list(TIME_KEYS), given=bad[0])
        kwargs = {k: v for k, v in data.items() if v is not None}
        kwargs["time"] = {k: v for k, v in time.items() if v is not None}
        if "columns" in kwargs:
            kwargs["columns"] = tuple(str(c) for c in kwargs["columns"])
        for key in ("id", "lon", "lat", "x", "y", "category", "offence_code", "location", "lsoa_code", "lsoa_name",
                    "force_column"):
            if key in kwargs:
                kwargs[key] = str(kwargs[key])
        m = cls(**kwargs)
        m._validate(origin)
        return m

    def _validate(self, origin: str) -> None:
        t = self.time
        forms = {
            "timestamp": "timestamp" in t,
            "date": "date" in t,
            "from/to": "from" in t or "to" in t,
            "year/month/day": any(k in t for k in ("year", "month", "day")),
        }
        chosen = [k for k, v in forms.items() if v]
        if len(chosen) != 1:
            raise HotpatrolError(
                "The mapping must give the time in exactly one form." if chosen else "The mapping gives no time column.",
                parameter=f"{origin}.time", allowed=["timestamp", "date (+ hour)", "from + to", "year + month + day (+ hour + minute)"],
                given=chosen or None, fix="e.g. time: {date: occurred_on, hour: occurred_hour}")
        if chosen == ["from/to"] and not ("from" in t and "to" in t):
            raise HotpatrolError("A time window needs both 'from' and 'to'.", parameter=f"{origin}.time", given=t)
        if chosen == ["year/month/day"] and not all(k in t for k in ("year", "month", "day")):
            raise HotpatrolError("Time parts need year, month and day columns.", parameter=f"{origin}.time", given=t)
        if "minute" in t and "hour" not in t:
            raise HotpatrolError("A minute column needs an hour column.", parameter=f"{origin}.time.hour", given=t)
        if "hour" in t and chosen[0] not in ("date", "year/month/day"):
            raise HotpatrolError("'hour' goes with 'date' or year/month/day.", parameter=f"{origin}.time.hour", given=t)
        lonlat = self.lon is not None or self.lat is not None
        xy = self.x is not None or self.y is not None
        if lonlat == xy:
            raise HotpatrolError("The mapping must give lon + lat, or x + y with a crs (not both).",
                                 parameter=f"{origin}.x/y", given={"lon": self.lon, "lat": self.lat, "x": self.x, "y": self.y})
        if lonlat and (self.lon is None or self.lat is None):
            raise HotpatrolError("Both lon and lat are needed.", parameter=f"{origin}.lon/lat", given=(self.lon, self.lat))
        if xy:
            if self.x is None or self.y is None:
                raise HotpatrolError("Both x and y are needed.", parameter=f"{origin}.x/y", given=(self.x, self.y))
            if self.crs is None:
                raise HotpatrolError("x/y need the CRS they are in.", parameter=f"{origin}.crs",
                                     fix="Add e.g. crs: EPSG:27700 (British National Grid) or EPSG:26910 (UTM 10N).")
        if self.crs is not None:
            try:
                CRS.from_user_input(self.crs)
            except CRSError:
                raise HotpatrolError("Unknown CRS.", parameter=f"{origin}.crs", given=self.crs,
                                     fix="Use an EPSG code such as EPSG:27700.") from None
        if (self.category is None) == (self.category_value is None):
            raise HotpatrolError("Give a category column or one category_value for every row (not both).",
                                 parameter=f"{origin}.category", given={"category": self.category,
                                                                         "category_value": self.category_value})
        if self.categories is not None and not isinstance(self.categories, (list, dict)):
            raise HotpatrolError("categories must be a list of allowed values or a {raw: name} dictionary.",
                                 parameter=f"{origin}.categories", given=self.categories)

    def used_columns(self) -> dict[str, str]:
        """mapping key -> CSV column, for every column the mapping names."""
        out = {}
        for f in fields(self):
            if f.name in ("id", "lon", "lat", "x", "y", "category", "offence_code", "location", "lsoa_code",
                          "lsoa_name", "force_column"):
                value = getattr(self, f.name)
                if value is not None:
                    out[f.name] = value
        for k in ("date", "hour", "timestamp", "from", "to", "year", "month", "day", "minute"):
            if k in self.time:
                out[f"time.{k}"] = str(self.time[k])
        return out

    def to_dict(self) -> dict:
        """The mapping's settings as a plain dict (unset ones left out)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["columns"] = list(self.columns) if self.columns else None
        return {k: v for k, v in out.items() if v not in (None, {}, ",")}


def read_mapping(path) -> Mapping:
    """Load a mapping YAML file."""
    path = Path(path)
    if not path.exists():
        raise HotpatrolError("Mapping file does not exist.", parameter="mapping", given=str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise HotpatrolError(f"Mapping file is not valid YAML: {exc}", file=str(path)) from None
    try:
        return Mapping.from_dict(data or {}, origin="mapping")
    except HotpatrolError as exc:
        exc.file = str(path)
        raise HotpatrolError(exc.message, parameter=exc.parameter, allowed=exc.allowed, given=exc.given,
                             fix=exc.fix, file=str(path)) from None


def as_mapping(mapping) -> Mapping:
    """A Mapping from a Mapping, a dict or a YAML path."""
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return Mapping.from_dict(mapping)
    return read_mapping(mapping)
