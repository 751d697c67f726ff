"""``hotpatrol trends <method>``: concentration, stability, emerging hot spots, change between periods."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from hotpatrol.cli.common import JsonOption, err_console, print_json, print_result, read_events, user_errors

trends_app = typer.Typer(
    help="Temporal hotspot analyses on one cube (trends all). The single analyses are deprecated aliases of "
         "`hotpatrol hotspots --method concentration|stability|emerging|change`.", no_args_is_help=True
)


def load_events(events: Optional[Path], db: Optional[str]):
    """An events table from a CSV/Parquet file or the store, through the one reader.

    The window and categories are applied by the cube (whole periods of ``--freq``), so none here.
    """
    return read_events(db, events, require=False)


def build_places(events, unit: str, cell: Optional[float], crs: Optional[str]):
    """The places layer (:func:`hotpatrol.places.build`: grid, H3, locations or polygons)."""
    from hotpatrol import settings
    from hotpatrol.places import build

    cell = settings.resolve("cell", cell)
    return build(events, unit, cell=cell, crs=crs)


def run_and_output(method: str, *, events, db, unit, cell, crs, scheme, category, start, end, freq, top,
                   time_lag, weights, distance, alpha, no_fdr, before, after, out, map_path, boundaries,
                   as_json, all_places: bool = False) -> None:
    """Shared body of ``trends <method>`` and ``hotspots --method <method>``."""
    from hotpatrol.hotspots.trends import analyse

    ev = load_events(events, db)
    places = build_places(ev, unit, cell, crs)
    res = analyse(method, ev, places, freq=freq, scheme=scheme, categories=category or None, start=start,
                  end=end, top=top, time_lag=time_lag, weights=weights, distance=distance, alpha=alpha,
                  fdr=not no_fdr, before=before, after=after, drop_empty=not all_places)
    written = []
    if out is not None:
        written.append(str(res.write(out)))
    if map_path is not None:
        written.append(str(res.plot(map_path, boundaries=str(boundaries) if boundaries else None)))
    print_result(res, as_json, written)


# options shared by every trends command (one definition: same flag, default and help everywhere)
EventsOption = Annotated[Optional[Path], typer.Option("--events", help="Events table (.csv/.parquet); default: the store.")]
DbOption = Annotated[Optional[str], typer.Option("--db", help="Store URL (default: the db setting).")]
UnitOption = Annotated[str, typer.Option("--unit", help="Places: grid, h3, locations or a boundary file.")]
CellOption = Annotated[Optional[float], typer.Option("--cell", help="Grid cell size (m; default: the cell setting).")]
CrsOption = Annotated[Optional[str], typer.Option("--crs", help="Metric CRS (default: chosen from the events).")]
SchemeOption = Annotated[Optional[str], typer.Option("--scheme", help="count, cchi or a harm scheme file (default: the scheme setting).")]
CategoryOption = Annotated[Optional[List[str]], typer.Option("--category", help="Keep only this category (repeatable).")]
StartOption = Annotated[Optional[str], typer.Option("--start", help="First period (e.g. 2023-01).")]
EndOption = Annotated[Optional[str], typer.Option("--end", help="Last period, inclusive.")]
FreqOption = Annotated[str, typer.Option("--freq", help="Period length: M, Q, Y, W or D.")]
TopOption = Annotated[Optional[int], typer.Option("--top", help="Top-N size (stability, change; default: the top setting).")]
TimeLagOption = Annotated[int, typer.Option("--time-lag", help="Emerging: previous periods in the neighbourhood.")]
WeightsOption = Annotated[Optional[str], typer.Option("--weights", help="Emerging: spatial weights kind (e.g. queen).")]


def _warn_alias(method: str) -> None:
    """``trends <method>`` is the old route to ``hotspots --method <method>``: say so on stderr."""
    err_console.print(f"[yellow]Warning:[/] `hotpatrol trends {method}` is deprecated and will be removed in the "
                      f"next release; use `hotpatrol hotspots --method {method}` (--unit -> --places, "
                      f"--no-fdr -> --correction none).", markup=True, highlight=False)


def _command(method: str, doc: str):
    def command(
        events: EventsOption = None,
        db: DbOption = None,
        unit: UnitOption = "grid",
        cell: CellOption = None,
        crs: CrsOption = None,
        scheme: SchemeOption = None,
        category: CategoryOption = None,
        start: StartOption = None,
        end: EndOption = None,
        freq: FreqOption = "M",
        top: TopOption = None,
        time_lag: TimeLagOption = 1,
        weights: WeightsOption = None,
        distance: Optional[float] = typer.Option(None, "--distance", help="Emerging: distance band (m)."),
        alpha: Optional[float] = typer.Option(None, "--alpha", help="Emerging: significance level (default setting)."),
        no_fdr: bool = typer.Option(False, "--no-fdr", help="Emerging: no false discovery rate correction."),
        before: Optional[str] = typer.Option(None, "--before", help="Change: window START:END (default first half)."),
        after: Optional[str] = typer.Option(None, "--after", help="Change: window START:END (default second half)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write the result (.csv, .gpkg, .geojson, .png)."),
        map_path: Optional[Path] = typer.Option(None, "--map", help="Write a map picture (.png)."),
        boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="District boundaries drawn on the map."),
        all_places: bool = typer.Option(False, "--all-places", help="Keep places with no events (default: only places with any)."),
        as_json: JsonOption = False,
    ) -> None:
        with user_errors(as_json):
            _warn_alias(method)
            run_and_output(method, events=events, db=db, unit=unit, cell=cell, crs=crs, scheme=scheme,
                           category=category, start=start, end=end, freq=freq, top=top, time_lag=time_lag,
                           weights=weights, distance=distance, alpha=alpha, no_fdr=no_fdr, before=before,
                           after=after, out=out, map_path=map_path, boundaries=boundaries, as_json=as_json,
                           all_places=all_places)

    command.__doc__ = f"Deprecated: use `hotpatrol hotspots --method {method}`. {doc}"
    return command


_DOCS = {
    "concentration": "Lorenz curve, Gini, generalised Gini and 'x% of harm in y% of places', per period.",
    "stability": "How the top-N places persist from period to period (overlap, Jaccard, persistence).",
    "emerging": "Esri-style emerging hot spots: space-time Gi* + Mann-Kendall trend, 17 categories.",
    "change": "Difference/ratio surfaces, exact Poisson test per place, top-N appeared/disappeared.",
}
for _method, _doc in _DOCS.items():
    trends_app.command(_method, deprecated=True)(_command(_method, _doc))


@trends_app.command("all")
def all_command(
    out: Path = typer.Option(..., "--out", help="GeoPackage (.gpkg) with one layer per method."),
    maps: Optional[Path] = typer.Option(None, "--maps", help="Folder for one map picture per method."),
    events: EventsOption = None,
    db: DbOption = None,
    unit: UnitOption = "grid",
    cell: CellOption = None,
    crs: CrsOption = None,
    scheme: SchemeOption = None,
    category: CategoryOption = None,
    start: StartOption = None,
    end: EndOption = None,
    freq: FreqOption = "M",
    top: TopOption = None,
    time_lag: TimeLagOption = 1,
    weights: WeightsOption = None,
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="District boundaries: a layer and on the maps."),
    all_places: bool = typer.Option(False, "--all-places", help="Keep places with no events."),
    as_json: bool = typer.Option(False, "--json", help="Print the summaries as JSON."),
) -> None:
    """All four analyses on one cube: one GeoPackage (a layer each) and optional maps."""
    with user_errors(as_json):
        from hotpatrol.hotspots.maps import write_geopackage
        from hotpatrol.hotspots.trends import analyse_all

        ev = load_events(events, db)
        places = build_places(ev, unit, cell, crs)
        results = analyse_all(ev, places, freq=freq, scheme=scheme, categories=category or None, start=start,
                              end=end, drop_empty=not all_places, top=top, time_lag=time_lag, weights=weights)
        bnd = str(boundaries) if boundaries else None
        written = [str(write_geopackage(out, results, boundaries=bnd))]
        if maps is not None:
            for name, res in results.items():
                written.append(str(res.plot(maps / f"{name}.png", boundaries=bnd)))
        if as_json:
            print_json({"results": {k: {"title": r.summary().title, "notes": r.summary().notes}
                                    for k, r in results.items()}, "written": written})
        else:
            for res in results.values():
                typer.echo(res.summary().as_text() + "\n")
            for w in written:
                typer.echo(f"wrote {w}")


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol trends ...`` on ``app`` (the root Typer application)."""
    app.add_typer(trends_app, name="trends")
