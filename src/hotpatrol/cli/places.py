"""``hotpatrol places ...``: build a places layer over events, or label events with the polygon they fall in."""

from __future__ import annotations

from pathlib import Path

import typer

from hotpatrol.cli.common import console, JsonOption, print_json, user_errors
from hotpatrol.text import plural

places_app = typer.Typer(help="Places: grid cells, H3 hexagons, police.uk snap points, LSOA/ward/district polygons.",
                         no_args_is_help=True)

_UNIT_HELP = "grid, h3, locations, or a boundary file (.geojson/.gpkg) of LSOAs/wards/districts."


def read_event_csvs(paths: list[Path]):
    """Events from CSV files or folders of police.uk files (Longitude/Latitude/Location renamed to lon/lat/location)."""
    import pandas as pd

    from hotpatrol.errors import HotpatrolError

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*-street.csv*")) or sorted(p.rglob("*.csv*"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise HotpatrolError("Events file not found.", file=str(p))
    if not files:
        raise HotpatrolError("No CSV files found.", parameter="paths", given=[str(p) for p in paths])
    frames = []
    for f in files:
        raw = pd.read_csv(f, low_memory=False)
        raw = raw.rename(columns={"Longitude": "lon", "Latitude": "lat", "Location": "location"})
        if not {"lon", "lat"} <= set(raw.columns):
            raise HotpatrolError("The CSV needs lon/lat (or police.uk Longitude/Latitude) columns.", file=str(f),
                                 given=list(raw.columns)[:12])
        frames.append(raw)
    return pd.concat(frames, ignore_index=True)


@places_app.command("build")
def build_cmd(
    paths: list[Path] = typer.Argument(..., help="Event CSVs or folders of police.uk files."),
    unit: str = typer.Option("grid", "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(None, "--cell", help="Grid cell size in metres (default: the cell setting)."),
    resolution: int = typer.Option(9, "--resolution", help="H3 resolution (9 ~ 0.1 km2, 10 ~ 0.015 km2)."),
    cover: str = typer.Option("events", "--cover", help="H3: 'events' (cells with events) or 'hull' (fill the hull)."),
    tolerance: float = typer.Option(None, "--tolerance", help="Metres: snap points / polygons matching distance."),
    out: Path = typer.Option(None, "--out", help="Write the places with event counts (.geojson/.gpkg/.csv)."),
    top: int = typer.Option(10, "--top", help="How many busiest places to list."),
    as_json: JsonOption = False,
) -> None:
    """Build a places layer over events and count events per place."""
    import numpy as np

    from hotpatrol.places import build, event_xy

    with user_errors(as_json):
        events = read_event_csvs(paths)
        unit_arg = Path(unit) if unit not in ("grid", "h3", "locations") else unit
        layer = build(events, unit_arg, cell=cell, resolution=resolution, cover=cover, tolerance=tolerance)
        x, y, _ = event_xy(events, layer.crs)
        idx = layer.assign(x, y)
        counts = np.bincount(idx[idx >= 0], minlength=layer.n)
        busiest = np.argsort(counts)[::-1][:top]
        rows = [{"place_id": str(layer.place_id[i]), "events": int(counts[i])} for i in busiest if counts[i] > 0]
        if out is not None:
            nonzero = np.flatnonzero(counts) if layer.kind == "grid" else np.arange(layer.n)
            gdf = layer.subset(nonzero).geometry.copy() if layer.kind == "grid" else layer.geometry.copy()
            gdf["events"] = counts[nonzero]
            _write(gdf, out)
    payload = {"kind": layer.kind, "crs": layer.crs, "places": int(layer.n), "events": int(len(events)),
               "assigned": int((idx >= 0).sum()), "unassigned": int((idx < 0).sum()), "busiest": rows,
               "out": str(out) if out else None}
    if as_json:
        print_json(payload)
        return
    console.print(f"{layer.kind} layer: {plural(layer.n, 'place')} ({layer.crs}); {payload['assigned']:,} of "
                  f"{plural(len(events), 'event')} assigned", highlight=False)
    for r in rows:
        console.print(f"  {r['place_id']:>28s}  {r['events']:,}", highlight=False)
    if out:
        console.print(f"wrote {out}", highlight=False)


@places_app.command("assign")
def assign_cmd(
    path: Path = typer.Argument(..., help="CSV of events with lon/lat (or police.uk Longitude/Latitude)."),
    unit: Path = typer.Option(..., "--unit", help="Boundary file (.geojson/.gpkg) of LSOAs/wards/districts."),
    column: str = typer.Option("district", "--column", help="Name of the column to add."),
    value: str = typer.Option("name", "--value", help="'name' or 'place_id' of the polygon."),
    id_column: str = typer.Option(None, "--id-column", help="Code column in the boundary file (guessed if absent)."),
    name_column: str = typer.Option(None, "--name-column", help="Name column in the boundary file (guessed)."),
    tolerance: float = typer.Option(0.0, "--tolerance",
                                    help="Metres: points this close outside get the nearest polygon."),
    out: Path = typer.Option(..., "--out", help="Output CSV (input columns + the new one)."),
    as_json: JsonOption = False,
) -> None:
    """Add a column naming the polygon (e.g. district) each event falls in."""
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.places.polygons import assign_polygons, read_places

    with user_errors(as_json):
        if not path.is_file():
            raise HotpatrolError("assign takes one CSV file.", parameter="path", given=str(path))
        events = read_event_csvs([path])
        layer = read_places(unit, id_column=id_column, name_column=name_column, tolerance=tolerance)
        labels = assign_polygons(events, layer, value=value)
        import pandas as pd

        result = pd.read_csv(path, low_memory=False)  # keep the input's own column names
        result[column] = labels.to_numpy()
        result.to_csv(out, index=False)
    counts = labels.value_counts()
    payload = {"rows": int(len(events)), "assigned": int(labels.notna().sum()), "places": int(layer.n),
               "counts": {str(k): int(v) for k, v in counts.items()}, "out": str(out)}
    if as_json:
        print_json(payload)
        return
    console.print(f"{payload['assigned']:,} of {payload['rows']:,} rows fall in one of {layer.n} polygons; "
                  f"wrote {out}", highlight=False)
    for k, v in counts.head(20).items():
        console.print(f"  {k:>30s}  {v:,}", highlight=False)


def _write(gdf, out: Path) -> None:
    from hotpatrol.errors import HotpatrolError

    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame = gdf.drop(columns="geometry")
        cent = gdf.geometry.centroid
        frame["x"], frame["y"] = cent.x, cent.y
        frame.to_csv(out, index=False)
    elif suffix in (".geojson", ".json"):
        gdf.to_crs("EPSG:4326").to_file(out, driver="GeoJSON")
    elif suffix == ".gpkg":
        gdf.to_file(out, driver="GPKG")
    else:
        raise HotpatrolError("Unknown output format.", parameter="out", allowed=[".geojson", ".gpkg", ".csv"],
                             given=str(out))


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol places build|assign`` on ``app`` (the root Typer application)."""
    app.add_typer(places_app, name="places")
