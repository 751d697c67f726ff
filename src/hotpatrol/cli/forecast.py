"""``hotpatrol forecast ...``: forecasting, backtests and near-repeat analysis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from hotpatrol import settings
from hotpatrol.cli.common import CellOption, JsonOption, print_json, read_events, user_errors
from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast.backtest import MONTH_HORIZONS
from hotpatrol.forecast.timeaxis import parse_start

forecast_app = typer.Typer(help="Forecast risk, backtest models, analyse near repeats.", no_args_is_help=True)


# options defined once for this module's commands (the default stays in each signature)
DbOption = Annotated[Optional[str], typer.Option("--db", help="Store URL (default: the hotpatrol.db SQLite file).")]
EventsOption = Annotated[Optional[Path], typer.Option("--events", help="Events table file (CSV/Parquet) instead of --db.")]
CategoryOption = Annotated[Optional[list[str]], typer.Option("--category", help="Only these categories (repeatable).")]


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol forecast ...`` on ``app`` (the root Typer application)."""
    app.add_typer(forecast_app, name="forecast")


def _load_events(db: Optional[str], events: Optional[Path], categories: Optional[list[str]], until=None):
    """Events from the store (``--db``) or an events-table file (``--events``), projected to metres.

    ``until`` (a rerun's last event instant) keeps events at or before it.
    """
    end = None if until is None else pd.Timestamp(until) + pd.Timedelta(1, "ns")  # an instant: [.., until]
    return read_events(db, events, categories=categories, end=end, crs="auto")


def _split(value: Optional[str]) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


@forecast_app.command("models")
def models_cmd(as_json: JsonOption = False) -> None:
    """List the forecasting models and their settings."""
    from hotpatrol.forecast import MODELS

    rows = {name: {"class": cls.__name__, "params": cls().get_params(),
                   "doc": (cls.__doc__ or "").strip().splitlines()[0]} for name, cls in MODELS.items()}
    if as_json:
        print_json(rows)
        return
    for name, row in rows.items():
        typer.echo(f"{name:<15} {row['class']:<26} {row['doc']}")


def _with_params(models: str, params: list[str] | None):
    """'naive,ensemble' + ['ensemble.validation_windows=4'] -> {label: {"model", "params"}} for backtest."""
    names = _split(models)
    specs: dict = {name: {"model": name, "params": {}} for name in names}
    for item in params or []:
        key, sep, raw = item.partition("=")
        name, dot, setting = key.strip().partition(".")
        if not sep or not dot or name not in specs or not setting:
            raise HotpatrolError("A --param must be model.key=value for one of --models.", parameter="param",
                                 allowed=[f"{n}.<setting>=<value>" for n in names], given=item)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare string
        specs[name]["params"][setting] = value
    return specs if params else models


@forecast_app.command("backtest")
def backtest_cmd(
    db: DbOption = None,
    events: EventsOption = None,
    models: str = typer.Option("naive,kde,prospective,gbm", "--models", help="Comma-separated model names."),
    windows: int = typer.Option(8, "--windows", help="Number of consecutive windows."),
    horizon: str = typer.Option("7D", "--horizon", help="Window length: 7D, 1D, ... or 1M (calendar months)."),
    end: Optional[str] = typer.Option(None, "--end", help="Last month or day of the last window, inclusive "
                                                          "(a time of day: the exclusive end instant; "
                                                          "default: end of the data)."),
    cell: CellOption = None,
    category: CategoryOption = None,
    area: str = typer.Option("box", "--area", help="box: every cell bounding the events; active: cells with history."),
    levels: str = typer.Option("1,5,10", "--levels", help="Area shares in percent."),
    top: Optional[str] = typer.Option(None, "--top", help="Top-N place counts to score too (comma-separated; "
                                                          "default: the top setting)."),
    ci: str = typer.Option("auto", "--ci", help="Bootstrap over windows|events|auto|none."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (ties, models, bootstrap; default: the "
                                                            "seed setting)."),
    param: Optional[list[str]] = typer.Option(None, "--param",
                                              help="A model setting, model.key=value (repeatable), "
                                                   "e.g. ensemble.validation_windows=4."),
    baseline: str = typer.Option("auto", "--baseline",
                                 help="Model every other is compared with, paired (auto: naive when run; none)."),
    shift: Optional[str] = typer.Option(None, "--shift", help="Score one shift: early, late, night or "
                                                             "name=HH:MM-HH:MM (needs exact times)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Directory for run.json, tables and coverage.png."),
    rerun: Optional[Path] = typer.Option(None, "--rerun", help="Re-run from a run.json written by --out."),
    as_json: JsonOption = False,
) -> None:
    """Rolling-origin backtest of several models on the same windows and places."""
    from hotpatrol.forecast import backtest as bt

    with user_errors(as_json):
        if rerun is not None:
            try:
                record = json.loads(rerun.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise HotpatrolError(f"Cannot read the run record: {exc}", parameter="rerun", given=str(rerun)) from None
            data = record.get("data", {})
            ev_path = Path(data["events"]) if data.get("events") else None
            frame = _load_events(data.get("db"), ev_path, data.get("categories"), until=data.get("last"))
            result = bt.rerun(record, frame)
        else:
            from hotpatrol.reader import window

            top = str(settings.resolve("top")) if top is None else top
            end = window(None, end)[1] if end is not None else None  # inclusive month/day, as everywhere
            try:
                lv = tuple(float(v) / 100 for v in _split(levels))
                tops = tuple(int(v) for v in _split(top))
            except ValueError:
                raise HotpatrolError("Levels and --top must be numbers.", parameter="levels",
                                     allowed="e.g. --levels 1,5,10 --top 20", given=f"{levels} / {top}") from None
            frame = _load_events(db, events, category)
            data = {"db": db, "events": str(events.resolve()) if events else None, "categories": category or None}
            result = bt.backtest(frame, _with_params(models, param), windows=windows, horizon=horizon, end=end,
                                 cell=settings.resolve("cell", cell), area=area, levels=lv, top_n=tops, ci=ci,
                                 random_state=settings.resolve("seed", seed), data=data,
                                 baseline=None if baseline == "none" else baseline, shift=shift)
        paths = result.write(out) if out is not None else {}
        if as_json:
            payload = result.to_dict()
            payload["files"] = {k: str(v) for k, v in paths.items()}
            print_json(payload)
        else:
            typer.echo(result.summary().as_text())
            for key, path in paths.items():
                typer.echo(f"{key}: {path}")


@forecast_app.command("predict")
def predict_cmd(
    db: DbOption = None,
    events: EventsOption = None,
    model: str = typer.Option("gbm", "--model", help="Model name (see `hotpatrol forecast models`)."),
    start: str = typer.Option("tomorrow", "--start", help="Forecast start: tomorrow, today or a date."),
    horizon: str = typer.Option("1D", "--horizon", help="Forecast length, e.g. 1D, 7D, or 1M (the calendar month "
                                                         "from --start, for police.uk data)."),
    top: Optional[int] = typer.Option(None, "--top", help="Number of boxes to output (default: the top setting)."),
    cell: CellOption = None,
    category: CategoryOption = None,
    shift: Optional[str] = typer.Option(None, "--shift",
                                        help="Only this shift's hours: early, late, night or name=HH:MM-HH:MM "
                                             "(each place's hour-of-week profile splits its forecast)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (model and tie-breaking; default: the seed "
                                                            "setting)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the top boxes: .gpkg, .geojson or .csv."),
    as_json: JsonOption = False,
) -> None:
    """Forecast the next window and list (or write) the top-N boxes."""
    from hotpatrol.forecast import MODELS
    from hotpatrol.forecast.output import TopPlaces
    from hotpatrol.forecast.shifts import place_profiles, shift_forecast
    from hotpatrol.timeprofile import parse_shift

    with user_errors(as_json):
        if model not in MODELS:
            raise HotpatrolError(f"Unknown or unavailable forecasting model {model!r}.", parameter="model",
                                 allowed=sorted(MODELS), given=model)
        frame = _load_events(db, events, category)
        if horizon.strip() in MONTH_HORIZONS:  # a calendar month: its own length in days
            first = parse_start(start)
            start, horizon = first, (first + pd.DateOffset(months=1)) - first
        m = MODELS[model]()
        params = m.get_params()
        cell, seed, top = settings.resolve("cell", cell), settings.resolve("seed", seed), settings.resolve("top", top)
        upd = {k: v for k, v in (("cell", cell), ("random_state", seed), ("horizon", horizon)) if k in params}
        m.set_params(**upd)
        if shift is not None:
            parse_shift(shift)  # a bad shift fails before the model is fitted
        fc = m.fit(frame).predict(start, horizon)
        if shift is not None:
            fc = shift_forecast(fc, place_profiles(frame, fc.places), shift)
        result = TopPlaces(fc, top)
        path = result.write(out) if out is not None else None
        if as_json:
            payload = result.to_dict()
            payload["file"] = str(path) if path else None
            print_json(payload)
        else:
            typer.echo(result.summary().as_text())
            if path:
                typer.echo(f"wrote {path}")
