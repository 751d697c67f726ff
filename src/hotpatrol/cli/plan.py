"""``hotpatrol plan ...``: select hotspots and create randomised patrol plans."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from hotpatrol import settings
from hotpatrol.cli.common import JsonOption, deprecated_option, print_json, print_result, read_events, user_errors
from hotpatrol.errors import HotpatrolError

plan_app = typer.Typer(help="Select hotspots and create randomised patrol plans.", no_args_is_help=True)


def _events_from(events: Optional[Path], db: Optional[str]):
    """An events table from a file or the store through the one reader (None when neither is given)."""
    if events is None and db is None:
        return None
    return read_events(db, events)


@plan_app.command("select")
def select_cmd(
    hotspots: Optional[Path] = typer.Option(None, "--hotspots", help="Hotspot table (.csv/.gpkg/.geojson) from `hotpatrol hotspots`."),
    db: Optional[str] = typer.Option(None, "--db", help="Store URL: build a harm-per-cell table from its events instead."),
    events: Optional[Path] = typer.Option(None, "--events", help="Events table CSV: build a harm-per-cell table from it."),
    top: Optional[int] = typer.Option(None, "--top", help="Number of hotspots to select (default: the top setting)."),
    n: Optional[int] = typer.Option(None, "--n", hidden=True, help="Deprecated: use --top."),
    min_spacing: Optional[float] = typer.Option(None, "--min-spacing", help="Minimum distance between selected hotspots (m)."),
    per_district_min: Optional[int] = typer.Option(None, "--per-district-min", help="At least this many per district."),
    per_district_max: Optional[int] = typer.Option(None, "--per-district-max", help="At most this many per district."),
    district_column: str = typer.Option("district", "--district-column", help="Column naming each place's district."),
    districts: Optional[Path] = typer.Option(None, "--districts", help="District polygons (GeoJSON/GPKG) to label places by."),
    district_name: Optional[str] = typer.Option(None, "--district-name", help="Name column of --districts."),
    exclude: Optional[List[Path]] = typer.Option(None, "--exclude", help="Polygons to keep out of (GeoJSON/GPKG); repeatable."),
    capacity_hours: Optional[float] = typer.Option(None, "--capacity-hours", help="Officer-hours a day for hotspot patrols."),
    visits: int = typer.Option(3, "--visits", help="Visits per patrolled hotspot-day (capacity)."),
    dwell: float = typer.Option(15.0, "--dwell", help="Minutes per visit (capacity)."),
    travel: float = typer.Option(0.0, "--travel", help="Travel minutes per visit (capacity)."),
    k: Optional[int] = typer.Option(None, "--k", help="Hotspots patrolled a day (capacity; default all --top)."),
    harm_column: Optional[str] = typer.Option(None, "--harm-column", help="Harm column (default harm/score)."),
    crs: Optional[str] = typer.Option(None, "--crs", help="CRS of x/y in the hotspot table (default EPSG:27700)."),
    cell: Optional[float] = typer.Option(None, "--cell", help="Cell size of the hotspots (m), for exclusion by area."),
    scheme: Optional[str] = typer.Option(None, "--scheme", help="Harm scheme with --db/--events (default: the "
                                                                "scheme setting)."),
    months: Optional[int] = typer.Option(None, "--months", help="Look-back months with --db/--events (default: "
                                                                "the months setting)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the selection (.csv + .json sidecar, .gpkg, .geojson, .png)."),
    as_json: JsonOption = False,
) -> None:
    """Select N hotspots maximising harm covered under spacing/district/exclusion/capacity constraints (exact ILP)."""
    with user_errors(as_json):
        from hotpatrol.patrol.hotspot_table import (
            hotspots_from_events,
            label_districts,
            read_hotspots,
        )
        from hotpatrol.patrol.select import select_hotspots

        top = settings.resolve("top", deprecated_option("--n", n, "--top", top))
        if sum(x is not None for x in (hotspots, db, events)) != 1:
            raise HotpatrolError("Give exactly one of --hotspots, --db or --events.", parameter="--hotspots")
        if hotspots is not None:
            table = read_hotspots(hotspots, crs=crs)
        else:
            ev = _events_from(events, db)
            by_district = districts is None and (per_district_min is not None or per_district_max is not None)
            table = hotspots_from_events(ev, cell=settings.resolve("cell", cell), scheme=settings.resolve("scheme", scheme),
                                         months=settings.resolve("months", months), crs=crs,
                                         district_column=district_column if by_district else None)
        cell_ = cell if cell is not None else table.attrs.get("cell")
        if districts is not None:
            table = label_districts(table, str(districts), column=district_name)
            district_column = "district"
        res = select_hotspots(table, n=top, min_spacing=min_spacing, per_district_min=per_district_min,
                              per_district_max=per_district_max, district_column=district_column,
                              exclude=[str(p) for p in exclude] if exclude else None, capacity_hours=capacity_hours,
                              visits=visits, dwell=dwell, travel=travel, k=k, harm_column=harm_column,
                              crs=table.attrs.get("crs") or crs, cell=cell_)
        written = str(res.write(out)) if out is not None else None
        print_result(res, as_json, written)


@plan_app.command("create")
def create_cmd(
    selection: Path = typer.Option(..., "--selection", help="Selection file from `hotpatrol plan select --out`."),
    days: int = typer.Option(90, "--days", help="Trial length in operational days."),
    k: int = typer.Option(8, "--k", help="Hotspots patrolled each day."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed of the allocation (default: the seed "
                                                            "setting)."),
    start: str = typer.Option(..., "--start", help="First operational day (YYYY-MM-DD)."),
    visits: int = typer.Option(3, "--visits", help="Visits per patrolled hotspot-day."),
    dwell: float = typer.Option(15.0, "--dwell", help="Minutes per visit (Koper: 10-15)."),
    min_gap: float = typer.Option(120.0, "--min-gap", help="Minimum minutes between visit starts at a hotspot."),
    teams: int = typer.Option(2, "--teams", help="Number of patrol teams (each works every shift)."),
    team_minutes: float = typer.Option(240.0, "--team-minutes", help="Patrol minutes a team has per shift."),
    travel: float = typer.Option(10.0, "--travel", help="Travel minutes per visit."),
    day_start: str = typer.Option("06:00", "--day-start", help="Operational day start (runs to one minute before)."),
    shift: Optional[List[str]] = typer.Option(None, "--shift", help="A shift NAME=HH:MM-HH:MM (repeatable; default early/late/night)."),
    block: str = typer.Option("balanced", "--block", help="Randomisation blocking: balanced, weekday or none."),
    events: Optional[Path] = typer.Option(None, "--events", help="Events table CSV for time profiles and briefing crimes."),
    db: Optional[str] = typer.Option(None, "--db", help="Store URL to read events from instead."),
    out: Path = typer.Option(..., "--out", help="Output folder for the plan and its exports."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the briefing as PDF."),
    briefing_day: Optional[str] = typer.Option(None, "--briefing-day", help="Brief one operational day (default: whole plan)."),
    as_json: JsonOption = False,
) -> None:
    """Create a randomised K-of-N patrol plan with visit times, team calendars and a briefing."""
    with user_errors(as_json):
        from hotpatrol.patrol.export import export_all
        from hotpatrol.patrol.plan import create_plan
        from hotpatrol.timeprofile import DEFAULT_SHIFTS, parse_shift

        shifts = [parse_shift(s, parameter="--shift") for s in shift] if shift else DEFAULT_SHIFTS
        ev = _events_from(events, db)
        plan = create_plan(selection, days=days, k=k, seed=settings.resolve("seed", seed), start=start, visits=visits, dwell=dwell,
                           min_gap=min_gap, teams=teams, team_minutes=team_minutes, travel=travel,
                           day_start=day_start, block=block, events=ev, shifts=shifts)
        if briefing_day is not None:
            import pandas as pd

            try:
                ok = pd.Timestamp(briefing_day).date() in plan.allocation.days
            except (ValueError, TypeError):
                ok = False
            if not ok:  # check before anything is written
                raise HotpatrolError("The briefing day is not an operational day of the plan.", parameter="day",
                                     allowed=f"{plan.allocation.days[0]}..{plan.allocation.days[-1]}",
                                     given=briefing_day)
        plan.save(out)
        files = export_all(plan, out / "exports", pdf=pdf, day=briefing_day)
        if as_json:
            payload = plan.to_dict()
            payload["folder"] = str(out)
            payload["exports"] = files
            print_json(payload)
        else:
            typer.echo(plan.summary().as_text())
            typer.echo(f"Wrote plan to {out} (exports in {out / 'exports'})")


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol plan select|create`` on ``app`` (the root Typer application)."""
    app.add_typer(plan_app, name="plan")
