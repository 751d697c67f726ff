"""``hotpatrol hotspots``: rank, kernel density, Gi* and LISA hotspots from stored events."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hotpatrol.cli.common import CellOption, JsonOption, deprecated_option, print_json, read_events, user_errors
from hotpatrol.text import plural


def _top_rows(result, n: int):
    top = getattr(result, "top", None)
    return top(n) if callable(top) else result.to_frame().head(n)


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol hotspots`` on ``app`` (the root Typer application)."""
    @app.command("hotspots")
    def hotspots(
        method: str = typer.Option("rank", "--method", help="rank | kde | gi | lisa (and any registered method)."),
        db: Optional[str] = typer.Option(None, "--db", help="Store URL (default: the 'db' setting)."),
        events: Optional[Path] = typer.Option(None, "--events", help="Read an events-table CSV instead of the store."),
        scheme: Optional[str] = typer.Option(None, "--scheme", help="Harm scheme: cchi | count | a scheme CSV/YAML "
                                             "(default: the scheme setting; 'harm' = that default)."),
        weight: Optional[str] = typer.Option(None, "--weight", hidden=True, help="Deprecated: use --scheme."),
        top: Optional[int] = typer.Option(None, "--top", help="Places to rank (rank) or to list (other methods)."),
        cell: CellOption = None,
        places: Optional[str] = typer.Option(None, "--places", help="Other places: h3:<res>, locations, or a polygon file."),
        category: list[str] = typer.Option([], "--category", help="Crime category to keep (repeatable)."),
        start: Optional[str] = typer.Option(None, "--start", help="First month YYYY-MM or day (inclusive)."),
        end: Optional[str] = typer.Option(None, "--end", help="Last month YYYY-MM or day (inclusive)."),
        area: Optional[Path] = typer.Option(None, "--area", help="Study-area polygons: analyse cells inside only."),
        halo: float = typer.Option(500.0, "--halo", help="Without --area: analyse cells within this many metres of an event."),
        min_spacing: Optional[float] = typer.Option(None, "--min-spacing", help="rank: metres between chosen places."),
        per_district_min: Optional[int] = typer.Option(None, "--per-district-min", help="rank: at least K per district."),
        districts: Optional[Path] = typer.Option(None, "--districts", help="rank: district polygons file."),
        district_column: Optional[str] = typer.Option(None, "--district-column", help="rank: district name column."),
        bandwidth: Optional[str] = typer.Option(None, "--bandwidth", help="kde: metres or 'silverman' (default)."),
        kernel: Optional[str] = typer.Option(None, "--kernel", help="kde: quartic (default) | gaussian."),
        edge: Optional[str] = typer.Option(None, "--edge", help="kde: none (default) | uniform."),
        weights: Optional[str] = typer.Option(None, "--weights", help="gi/lisa: queen (default) | rook | distance."),
        distance: Optional[float] = typer.Option(None, "--distance", help="gi/lisa: distance band in metres."),
        permutations: Optional[int] = typer.Option(None, "--permutations",
                                                   help="gi/lisa: permutations (default: the permutations setting)."),
        correction: Optional[str] = typer.Option(None, "--correction", help="gi/lisa: fdr (default) | holm | none."),
        seed: Optional[int] = typer.Option(None, "--seed", help="gi/lisa: random seed (default: the seed setting)."),
        pvalue: Optional[str] = typer.Option(None, "--pvalue", help="gi/lisa: sim (permutation, default) | norm."),
        freq: Optional[str] = typer.Option(None, "--freq", help="concentration/stability/emerging/change: period M (default) | Q | Y | W | D."),
        time_lag: Optional[int] = typer.Option(None, "--time-lag", help="emerging: previous periods in the neighbourhood (default 1)."),
        alpha: Optional[float] = typer.Option(None, "--alpha", help="emerging: significance level (default: the alpha setting)."),
        before: Optional[str] = typer.Option(None, "--before", help="change: window START:END (default: first half)."),
        after: Optional[str] = typer.Option(None, "--after", help="change: window START:END (default: second half)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write .gpkg, .geojson, .csv or .png."),
        map_path: Optional[Path] = typer.Option(None, "--map", help="Write a map picture (.png) of the result."),
        boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="District boundaries drawn on the --map."),
        as_json: JsonOption = False,
    ) -> None:
        """Find hotspots: ranking, KDE, Gi*, LISA; concentration, stability, emerging hot spots, change."""
        with user_errors(as_json):
            import hotpatrol.hotspots as hs
            from hotpatrol import settings
            from hotpatrol.errors import HotpatrolError

            if method not in hs.METHODS:
                raise HotpatrolError("Unknown hotspot method.", parameter="method", allowed=sorted(hs.METHODS),
                                     given=method)
            scheme = deprecated_option("--weight", weight, "--scheme", scheme)
            # the one reader applies the window and categories (inclusive months, half-open instants)
            table = read_events(db, events, start=start, end=end, categories=category)
            chosen = hs.select_events(table, category or None)
            from hotpatrol.events import category_change_notes, occurred_at

            when = occurred_at(chosen).dropna()
            first = start if start is not None else (None if when.empty else when.min())
            last = end if end is not None else (None if when.empty else when.max())
            changed = [] if first is None else category_change_notes(category or None, first, last)
            layer = None
            if places is not None:
                from hotpatrol.places import build as build_places
                unit, _, res = places.partition(":")
                extra = {"resolution": int(res)} if unit == "h3" and res else {}
                layer = build_places(chosen, unit if unit in ("h3", "locations") else places, **extra)
            data = hs.prepare(chosen, scheme, places=layer, cell=cell, area=area, halo=halo)
            n_top = top if top is not None else settings.get("top")
            options = {
                "rank": dict(top=top, min_spacing=min_spacing, per_district_min=per_district_min,
                             districts=districts, district_column=district_column),
                "kde": dict(bandwidth=bandwidth, kernel=kernel, edge=edge),
                "gi": dict(weights=weights, distance=distance, permutations=permutations, correction=correction,
                           seed=seed, pvalue=pvalue),
                "lisa": dict(weights=weights, distance=distance, permutations=permutations,
                             correction=correction, seed=seed, pvalue=pvalue),
                # temporal methods (hotspots.trends) need the events' times, not only per-place totals
                "concentration": dict(events=chosen, categories=category or None, scheme=scheme, freq=freq,
                                      start=start, end=end),
                "stability": dict(events=chosen, categories=category or None, scheme=scheme, freq=freq,
                                  start=start, end=end, top=top),
                "emerging": dict(events=chosen, categories=category or None, scheme=scheme, freq=freq, start=start,
                                 end=end, weights=weights, distance=distance, time_lag=time_lag, alpha=alpha,
                                 correction=correction),
                "change": dict(events=chosen, categories=category or None, scheme=scheme, freq=freq, start=start,
                               end=end, top=top,
                               before=before, after=after),
            }.get(method)
            if options is None:  # a method registered by another stage gets every option the user set
                options = dict(top=top, weights=weights, distance=distance, permutations=permutations,
                               correction=correction, seed=seed)
            _refuse_foreign(method, options, locals())
            result = hs.run(method, data, **options)
            written = str(result.write(out)) if out is not None else None
            mapped = str(result.plot(map_path, boundaries=boundaries)) if map_path is not None else None
            rows = _top_rows(result, n_top)
            if as_json:
                s = result.summary()
                print_json({"method": method, "meta": data.meta, "summary": {
                    "title": s.title, "table": s.table.to_dict(orient="records"),
                    "notes": s.notes + [n for n in changed if n not in s.notes]},
                    "top": rows.to_dict(orient="records"), "out": written, "map": mapped,
                    **({"n_islands": result.n_islands, "islands": [v.item() if hasattr(v, "item") else v
                                                                   for v in result.islands_]}
                       if result.island_mask is not None else {})})
            else:
                s = result.summary()
                typer.echo(s.as_text())
                for n in changed:
                    if n not in s.notes:
                        typer.echo(f"- {n}")
                if method != "rank":
                    typer.echo(f"\nTop {plural(len(rows), 'place')}:\n" + rows.to_string(index=False))
                if data.meta.get("note") and method not in ("concentration", "stability", "emerging", "change"):
                    typer.echo(f"\nNote: {data.meta['note']}")
                typer.echo(f"\n{plural(data.meta['analysed_events'], 'event')} over {plural(data.meta['places'], 'place')}"
                           f" ({data.meta.get('study_area', 'given places')}); weight {data.weight}")
                for path in (written, mapped):
                    if path:
                        typer.echo(f"wrote {path}")


_METHOD_OPTIONS = {
    "rank": ("min_spacing", "per_district_min", "districts", "district_column"),
    "kde": ("bandwidth", "kernel", "edge"),
    "gi": ("weights", "distance", "permutations", "correction", "seed", "pvalue"),
    "lisa": ("weights", "distance", "permutations", "correction", "seed", "pvalue"),
    "concentration": ("freq",),
    "stability": ("freq",),
    "emerging": ("freq", "weights", "distance", "correction", "time_lag", "alpha"),
    "change": ("freq", "before", "after"),
}


def _refuse_foreign(method: str, options: dict, given: dict) -> None:
    """An option meant for another method is a mistake worth saying, not ignoring."""
    from hotpatrol.errors import HotpatrolError

    if method not in _METHOD_OPTIONS:
        return
    mine = set(_METHOD_OPTIONS[method])
    for other, names in _METHOD_OPTIONS.items():
        for name in names:
            if name not in mine and given.get(name) is not None:
                raise HotpatrolError(
                    f"--{name.replace('_', '-')} applies to --method {other}, not {method}.",
                    parameter=name, given=given[name], fix=f"Drop it or use --method {other}.",
                )
