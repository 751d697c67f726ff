"""``hotpatrol forecast knox``: the Knox near-repeat test (and the event loading it shares)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from hotpatrol import settings as hp_settings
from hotpatrol.cli.common import deprecated_option, JsonOption, print_json, read_events, user_errors
from hotpatrol.cli.forecast import forecast_app
from hotpatrol.errors import HotpatrolError

_X = ("x", "X", "easting", "Easting")
_Y = ("y", "Y", "northing", "Northing")
_T = ("occurred_at", "date", "Date", "time", "datetime", "occurred_from")


def _first(columns, names, given, what):
    if given:
        if given not in columns:
            raise HotpatrolError(f"Column {given!r} not found.", parameter=f"--{what}", allowed=list(columns),
                                 given=given)
        return given
    return next((c for c in names if c in columns), None)


def read_points_csv(path: Path, *, x: str | None, y: str | None, time: str | None,
                    crs: str | None) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """x/y metres and times from a CSV: columns x,y (metres) or lon,lat, plus a time column.

    A file without a header whose rows are ``X,Y,date`` (the Near Repeat Calculator's input) is accepted.
    """
    if not path.exists():
        raise HotpatrolError("File not found.", file=str(path), parameter="--csv")
    frame = pd.read_csv(path)
    first = list(frame.columns)
    try:  # no header: the header row is numbers
        float(first[0])
        float(first[1])
        frame = pd.read_csv(path, header=None)
        frame = frame.rename(columns={0: "x", 1: "y", 2: "date"})
    except (ValueError, IndexError):
        pass
    cols = list(frame.columns)
    tcol = _first(cols, _T, time, "time")
    if tcol is None:
        raise HotpatrolError("No time column found.", file=str(path), parameter="--time", allowed=list(_T),
                             fix="Name it with --time COLUMN.")
    xcol, ycol = _first(cols, _X, x, "x"), _first(cols, _Y, y, "y")
    if xcol and ycol:
        xs, ys = frame[xcol].to_numpy(float), frame[ycol].to_numpy(float)
    elif {"lon", "lat"} <= set(cols) or {"Longitude", "Latitude"} <= set(cols):
        from hotpatrol.places.crs import choose_metric_crs, from_lonlat

        lon = frame["lon" if "lon" in cols else "Longitude"].to_numpy(float)
        lat = frame["lat" if "lat" in cols else "Latitude"].to_numpy(float)
        xs, ys = from_lonlat(lon, lat, crs or choose_metric_crs(lon, lat))
    else:
        raise HotpatrolError("No coordinate columns found.", file=str(path), parameter="--x/--y",
                             allowed=list(_X + _Y) + ["lon", "lat"], fix="Name them with --x and --y.")
    return xs, ys, pd.to_datetime(frame[tcol], errors="coerce")


# options shared by knox and etas (one definition each; the default stays in each signature)
DbOption = Annotated[str, typer.Option("--db", help="Store URL or SQLite file (events already ingested).")]
CsvOption = Annotated[Path, typer.Option("--csv", help="CSV of points: x,y (metres) or lon,lat, and a date/time.")]
CategoryOption = Annotated[list[str], typer.Option("--category", help="Only these categories (--db; repeatable).")]
ForceOption = Annotated[str, typer.Option("--force", help="Only this force (--db).")]
XOption = Annotated[str, typer.Option("--x", help="x column of --csv (default x/X).")]
YOption = Annotated[str, typer.Option("--y", help="y column of --csv (default y/Y).")]
TimeOption = Annotated[str, typer.Option("--time", help="time column of --csv (default occurred_at/date/time).")]
OutputOption = Annotated[Path, typer.Option("--output", hidden=True, help="Deprecated: use --out.")]
CrsOption = Annotated[str, typer.Option("--crs", help="Metric CRS for lon/lat input (default: chosen from the data).")]


def register(app: typer.Typer | None = None) -> None:  # commands live on forecast_app
    """Add ``knox`` and ``etas`` to the ``hotpatrol forecast`` group (``app`` is unused: the commands live on
    ``forecast_app``).
    """
    @forecast_app.command("knox")
    def knox_command(
        db: DbOption = None,
        csv: CsvOption = None,
        category: CategoryOption = None,
        force: ForceOption = None,
        start: str = typer.Option(None, "--start", help="First month or day (inclusive, --db)."),
        end: str = typer.Option(None, "--end", help="Last month or day (inclusive, --db); a time of day is an "
                                                    "exclusive instant."),
        x: XOption = None,
        y: YOption = None,
        time: TimeOption = None,
        crs: CrsOption = None,
        spatial_bands: float = typer.Option(100.0, "--spatial-bands", help="Spatial bandwidth (metres)."),
        n_spatial: int = typer.Option(3, "--n-spatial", help="Number of spatial bands."),
        temporal_bands: float = typer.Option(7.0, "--temporal-bands", help="Temporal bandwidth (days)."),
        n_temporal: int = typer.Option(3, "--n-temporal", help="Number of temporal bands."),
        metric: str = typer.Option("manhattan", "--metric", help="manhattan (NRC default) or euclidean."),
        same_location: float = typer.Option(0.01, "--same-location", help="Same-location band width (metres)."),
        permutations: int = typer.Option(99, "--permutations", help="Monte Carlo permutations of the dates."),
        seed: int = typer.Option(None, "--seed", help="Random seed (reproducible p-values; default: the seed "
                                                      "setting)."),
        nrc: bool = typer.Option(False, "--nrc", help="Round coordinates to 32-bit floats like the NRC 1.3."),
        out: Path = typer.Option(None, "--out", help="Write the band table to this CSV."),
        output: OutputOption = None,
        plot: Path = typer.Option(None, "--plot", help="Save a heat map of the Knox ratios (.png/.pdf/.svg)."),
        as_json: JsonOption = False,
    ) -> None:
        """Knox test for near repeats, banded like the Near Repeat Calculator (Monte Carlo p-values)."""
        from hotpatrol.forecast.knox import knox, knox_test

        with user_errors(as_json):
            out = deprecated_option("--output", output, "--out", out)
            if (db is None) == (csv is None):
                raise HotpatrolError("Give exactly one of --db or --csv.", parameter="--db/--csv",
                                     fix="hotpatrol forecast knox --csv points.csv (or --db hotpatrol.db)")
            settings = dict(spatial_band=spatial_bands, n_spatial=n_spatial, temporal_band=temporal_bands,
                            n_temporal=n_temporal, metric=metric, same_location=same_location,
                            permutations=permutations, random_state=hp_settings.resolve("seed", seed),
                            single_precision=nrc)
            if csv is not None:
                xs, ys, ts = read_points_csv(csv, x=x, y=y, time=time, crs=crs)
                result = knox(xs, ys, ts, **settings)
            else:
                events = read_events(db, None, start=start, end=end, categories=category, force=force,
                                     crs=crs or "auto")
                result = knox_test(events, **settings)
            if out is not None:
                result.to_frame().to_csv(out, index=False)
            if plot is not None:
                result.plot(plot)
            if as_json:
                print_json(result.to_dict())
            else:
                # plain echo: rich would re-wrap the tables
                typer.echo(result.summary().as_text())
                typer.echo("\nKnox ratio (observed / mean expected):")
                typer.echo(result.table("ratio").round(2).to_string())
                typer.echo("\np-values:")
                typer.echo(result.table("p_values").round(3).to_string())


def points_to_events(xs, ys, ts: pd.Series, *, crs: str | None) -> pd.DataFrame:
    """An events table from CSV points; date-only times become one-day windows (precision 'day')."""
    from hotpatrol.events import conform

    ts = pd.to_datetime(ts, errors="coerce").reset_index(drop=True)
    dated = bool(ts.dropna().eq(ts.dropna().dt.normalize()).all())
    frame = pd.DataFrame({
        "event_id": [f"row{i + 2}" for i in range(len(ts))],
        "source": "csv",
        "occurred_at": ts,
        "occurred_from": ts,
        "occurred_to": ts + pd.Timedelta(days=1) if dated else pd.Series(pd.NaT, index=ts.index),
        "time_precision": "day" if dated else "minute",
        "category": "csv",
    })
    events = conform(frame)
    events["x"], events["y"] = np.asarray(xs, float), np.asarray(ys, float)
    events.attrs["crs"] = crs or "unknown"
    return events


def _register_etas() -> None:
    @forecast_app.command("etas")
    def etas_command(
        db: DbOption = None,
        csv: CsvOption = None,
        category: CategoryOption = None,
        force: ForceOption = None,
        train_start: str = typer.Option(None, "--train-start", help="First training date (inclusive)."),
        start: str = typer.Option(None, "--start", help="Forecast start (default: end of the training data). "
                                  "Training uses events before it."),
        horizon: str = typer.Option("7D", "--horizon", help="Forecast window, e.g. 1D, 7D, 31D."),
        model: str = typer.Option("etas", "--model", help="etas (continuous) or grid-etas (PredPol-style)."),
        cell: float = typer.Option(None, "--cell", help="Grid cell size (metres; default: the cell setting)."),
        bandwidth: float = typer.Option(300.0, "--bandwidth", help="etas: background KDE bandwidth (metres)."),
        knn: int = typer.Option(None, "--knn", help="etas: variable bandwidth, distance to the k-th neighbour."),
        trend_days: float = typer.Option(None, "--trend-days", help="etas: background trend bins (days)."),
        x: XOption = None,
        y: YOption = None,
        time: TimeOption = None,
        crs: CrsOption = None,
        top: int = typer.Option(None, "--top", help="How many top places to list (default: the top setting)."),
        seed: int = typer.Option(None, "--seed", help="Random seed (jitter of coarse times, tie-breaking; "
                                                      "default: the seed setting)."),
        out: Path = typer.Option(None, "--out", help="Write every place's forecast to this CSV."),
        output: OutputOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Fit a self-exciting model (ETAS / grid ETAS) and forecast expected events per cell."""
        from hotpatrol.errors import check_choice
        from hotpatrol.forecast.etas import ETASForecaster
        from hotpatrol.forecast.grid_etas import GridETASForecaster

        with user_errors(as_json):
            from hotpatrol.reader import read

            out = deprecated_option("--output", output, "--out", out)
            cell, top = hp_settings.resolve("cell", cell), hp_settings.resolve("top", top)
            seed = hp_settings.resolve("seed", seed)
            check_choice("--model", model, ["etas", "grid-etas"])
            if (db is None) == (csv is None):
                raise HotpatrolError("Give exactly one of --db or --csv.", parameter="--db/--csv",
                                     fix="hotpatrol forecast etas --csv points.csv (or --db hotpatrol.db)")
            if out is not None and out.suffix.lower() != ".csv":
                raise HotpatrolError("--out must be a .csv file.", parameter="--out", given=str(out))
            # training events: from --train-start (inclusive month/day) up to the forecast --start (an instant)
            before = None if start is None else pd.Timestamp(start)
            if csv is not None:
                xs, ys, ts = read_points_csv(csv, x=x, y=y, time=time, crs=crs)
                points = points_to_events(xs, ys, ts, crs=crs)
                events = read(points, start=train_start, end=before)
                events.attrs["crs"] = points.attrs["crs"]
            else:
                events = read_events(db, None, start=train_start, end=before, categories=category, force=force,
                                     crs=crs or "auto")
            if model == "etas":
                est = ETASForecaster(cell=cell, bandwidth=bandwidth, knn=knn, trend_days=trend_days,
                                     random_state=seed)
            else:
                est = GridETASForecaster(cell=cell, random_state=seed)
            est.fit(events)
            fc = est.predict(start if start is not None else est.fitted_until_, horizon)
            frame = fc.to_frame()
            if out is not None:
                frame.to_csv(out, index=False)
            summary = est.summary()
            if as_json:
                print_json({
                    "model": model,
                    "parameters": dict(zip(summary.table["parameter"], summary.table["value"])),
                    "converged": bool(est.converged_),
                    "start": fc.start, "horizon": str(fc.horizon),
                    "expected_total": float(fc.risk.sum()),
                    "top": frame.head(top).to_dict(orient="records"),
                    "notes": fc.notes,
                })
            else:
                typer.echo(summary.as_text())
                typer.echo(f"\nForecast {fc.start} + {fc.horizon}: {fc.risk.sum():.1f} events expected "
                           f"over {est.places_.n:,} places. Top {top}:")
                typer.echo(frame.head(top).to_string(index=False))
                for note in fc.notes:
                    typer.echo(f"- {note}")


_register_etas()
