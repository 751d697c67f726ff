"""Forecast outputs: the top-N places of a forecast as a writable result (GeoPackage/GeoJSON/CSV)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.base import Forecast
from hotpatrol.results import HotspotResult, Summary, json_safe
from hotpatrol.text import plural


class TopPlaces(HotspotResult):
    """The ``n`` places of highest forecast risk (ties broken fairly), with rank, risk and lon/lat."""

    name = "forecast_top"

    def __init__(self, forecast: Forecast, n: int = 20):
        """The ``n`` (>= 1, capped at the number of places) highest-risk places of ``forecast``; raises :class:`HotpatrolError` for another ``n``."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise HotpatrolError("top must be a positive integer.", parameter="top", allowed="an integer >= 1", given=n)
        self.forecast = forecast
        self.places = forecast.places
        self.n = int(min(n, forecast.places.n))

    def to_frame(self) -> pd.DataFrame:
        """Rank, place, risk, share of the expected total, lon/lat (WGS84), model, start and horizon."""
        from hotpatrol.places.crs import to_lonlat

        fc = self.forecast
        frame = fc.to_frame().head(self.n).copy()
        total = fc.risk.sum()
        frame["share"] = frame["risk"] / total if total > 0 else np.nan
        frame["lon"], frame["lat"] = to_lonlat(frame["x"], frame["y"], self.places.crs)
        frame["model"] = fc.model
        frame["start"] = str(fc.start)
        frame["horizon"] = str(fc.horizon)
        return frame

    def summary(self) -> Summary:
        """The top places with risk and share, and the share of the expected events they hold."""
        fc = self.forecast
        frame = self.to_frame()
        table = frame[["rank", "place_id", "risk", "share", "lon", "lat"]].round(
            {"risk": 3, "share": 4, "lon": 5, "lat": 5})
        covered = frame["risk"].sum() / fc.risk.sum() if fc.risk.sum() > 0 else float("nan")
        title = (f"{fc.model} forecast from {fc.start} for {fc.horizon}: top {self.n} of {plural(fc.places.n, 'place')} "
                 f"({100 * covered:.1f}% of the expected {fc.risk.sum():.1f} events)")
        return Summary(title, table, list(fc.notes))

    def to_dict(self) -> dict:
        """JSON-safe model, window, expected total, notes and the top places."""
        frame = self.to_frame()
        return json_safe({"name": self.name, "summary": self.summary().title, "notes": list(self.forecast.notes),
                          "model": self.forecast.model, "start": str(self.forecast.start),
                          "horizon": str(self.forecast.horizon), "expected_total": float(self.forecast.risk.sum()),
                          "rows": frame})
