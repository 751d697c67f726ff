"""``hotpatrol ingest`` and ``hotpatrol info``: load files into the store and show what is in it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from hotpatrol.cli.common import print_json, user_errors
from hotpatrol.errors import HotpatrolError


# options defined once for this module's commands (the default stays in each signature)
DbOption = Annotated[Optional[str], typer.Option("--db", help="Store URL or SQLite file (default: setting 'db').")]


def _flag_mapping(**flags) -> dict | None:
    """A mapping dict from the column flags (None when none were given)."""
    time_keys = {"date": "date", "hour": "hour", "timestamp": "timestamp", "from_col": "from", "to_col": "to",
                 "date_format": "format", "timezone": "timezone"}
    top = {k: v for k, v in flags.items() if k not in time_keys and v is not None}
    time = {time_keys[k]: v for k, v in flags.items() if k in time_keys and v is not None}
    if not top and not time:
        return None
    if time:
        top["time"] = time
    return top


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol ingest`` and ``hotpatrol info`` on ``app`` (the root Typer application)."""
    @app.command("ingest")
    def ingest_cmd(
        paths: list[Path] = typer.Argument(..., help="CSV / CSV.gz files, police.uk archive folders or the archive .zip."),
        db: DbOption = None,
        force_records: bool = typer.Option(False, "--force-records", help="Read the files as a force's own records (needs --mapping or column flags)."),
        mapping: Optional[Path] = typer.Option(None, "--mapping", help="YAML column mapping for force records."),
        kind: Optional[str] = typer.Option(None, "--kind", help="police.uk kind for files not named like the archive: street, outcomes, stop-and-search."),
        boundary: Optional[Path] = typer.Option(None, "--boundary", help="Study-area polygons (GeoJSON/GPKG); points outside are quarantined."),
        name: Optional[str] = typer.Option(None, "--name", help="Force records: source name stored in events.source."),
        force_name: Optional[str] = typer.Option(None, "--force-name", help="Force records: the force's name."),
        id_col: Optional[str] = typer.Option(None, "--id", help="Force records: id column."),
        date: Optional[str] = typer.Option(None, "--date", help="Force records: date column."),
        hour: Optional[str] = typer.Option(None, "--hour", help="Force records: hour column (with --date)."),
        timestamp: Optional[str] = typer.Option(None, "--timestamp", help="Force records: date-time column."),
        from_col: Optional[str] = typer.Option(None, "--from", help="Force records: window start column."),
        to_col: Optional[str] = typer.Option(None, "--to", help="Force records: window end column."),
        date_format: Optional[str] = typer.Option(None, "--date-format", help="strftime format of the date/time columns."),
        timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA zone for times with a UTC offset."),
        lon: Optional[str] = typer.Option(None, "--lon", help="Force records: longitude column (WGS84)."),
        lat: Optional[str] = typer.Option(None, "--lat", help="Force records: latitude column (WGS84)."),
        x: Optional[str] = typer.Option(None, "--x", help="Force records: x column (needs --crs)."),
        y: Optional[str] = typer.Option(None, "--y", help="Force records: y column (needs --crs)."),
        crs: Optional[str] = typer.Option(None, "--crs", help="CRS of x/y, e.g. EPSG:27700."),
        category: Optional[str] = typer.Option(None, "--category", help="Force records: offence/category column."),
        category_value: Optional[str] = typer.Option(None, "--category-value", help="Force records: one category for every row."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Ingest police.uk CSVs or a force's own records; every row is stored or quarantined with a reason."""
        from hotpatrol.ingest import ingest

        with user_errors(as_json):
            flags = _flag_mapping(name=name, force=force_name, id=id_col, date=date, hour=hour, timestamp=timestamp,
                                  from_col=from_col, to_col=to_col, date_format=date_format, timezone=timezone,
                                  lon=lon, lat=lat, x=x, y=y, crs=crs, category=category,
                                  category_value=category_value)
            if mapping is not None and flags is not None:
                raise HotpatrolError("Give either --mapping or column flags, not both.", parameter="mapping",
                                     given=str(mapping))
            chosen = str(mapping) if mapping is not None else flags
            if force_records and chosen is None:
                raise HotpatrolError("--force-records needs --mapping FILE or column flags (--date, --lon, ...).",
                                     parameter="mapping", fix="See docs/examples/*.yaml for mappings.")
            summary = ingest([str(p) for p in paths], db=db, mapping=chosen, kind=kind,
                             boundary=str(boundary) if boundary else None, progress=True)
            if as_json:
                print_json(summary.to_dict())
            else:
                typer.echo(summary.as_text())

    @app.command("info")
    def info_cmd(
        db: DbOption = None,
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """What is in the store: forces, months, categories, counts, quarantine counts per reason."""
        from hotpatrol.store import Store

        with user_errors(as_json):
            with Store(db) as store:
                info = store.info()
            if as_json:
                print_json(info)
                return
            c = info["counts"]
            m = info["months"]
            lines = [
                f"Store {info['db']}",
                f"  events {c['events']:,}  outcomes {c['outcomes']:,}  stop-and-search {c['stop_search']:,}  "
                f"quarantined {c['quarantined']:,}  files {c['files']}",
                f"  months {m['first']} .. {m['last']} ({m['n']} with data)",
                *([(f"  NOT PUBLISHED (no data; later stages skip these months, not count them as zero): "
                    f"{m['missing_note']}")] if m.get("missing_note") else []),
                "  forces: " + ", ".join(f"{k} {v:,}" for k, v in info["forces"].items()),
                "  sources: " + ", ".join(f"{k} {v:,}" for k, v in info["sources"].items()),
                "  categories:",
                *[f"    {k}: {v:,}" for k, v in sorted(info["categories"].items(), key=lambda kv: -kv[1])],
                "  districts (today's names, keyed by ONS code): " + ", ".join(
                    f"{k} {v:,}" for k, v in list(info["districts"].items())[:20])
                + (f" and {len(info['districts']) - 20} more" if len(info["districts"]) > 20 else ""),
                "  quarantine:",
                *[f"    {k}: {v:,}" for k, v in info["quarantine"].items()],
                *[f"  note: {n}" for n in info["notes"]],
            ]
            typer.echo("\n".join(lines))
