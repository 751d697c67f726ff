"""Exports of a patrol plan for officers and supervisors, in one call: :func:`export_all`.

Each format has its own module: :mod:`hotpatrol.patrol.gis_export` (CSV of visits, GeoJSON of the
hotspots), :mod:`hotpatrol.patrol.ics` (one iCalendar file per team) and :mod:`hotpatrol.patrol.briefing`
(the printable HTML/PDF briefing). Their writers are re-exported here, where docs/patrol.md names them.
"""

from __future__ import annotations

from pathlib import Path

from hotpatrol.patrol.briefing import briefing_html, briefing_pdf, hotspot_map_png, write_briefing
from hotpatrol.patrol.gis_export import hotspot_geodataframe, write_csv, write_geojson
from hotpatrol.patrol.ics import ICS_TIMEZONE, ics_calendar, write_ics

__all__ = ["ICS_TIMEZONE", "briefing_html", "briefing_pdf", "export_all", "hotspot_geodataframe", "hotspot_map_png",
           "ics_calendar", "write_briefing", "write_csv", "write_geojson", "write_ics"]


def export_all(plan, folder: str | Path, *, pdf: bool = True, day=None) -> dict[str, list[str]]:
    """Write CSV, GeoJSON, one .ics per team and the briefing (HTML, and PDF unless ``pdf=False``)."""
    folder = Path(folder)
    out = {"csv": [str(write_csv(plan, folder / "visits.csv"))],
           "geojson": [str(write_geojson(plan, folder / "hotspots.geojson"))],
           "ics": [str(p) for p in write_ics(plan, folder / "calendars")],
           "briefing": [str(write_briefing(plan, folder / "briefing.html", day=day))]}
    if pdf:
        out["briefing"].append(str(write_briefing(plan, folder / "briefing.pdf", day=day)))
    return out
