"""``hotpatrol forecast ...``: forecasting, backtests and near-repeat analysis."""

from __future__ import annotations

import typer

forecast_app = typer.Typer(help="Forecast risk, backtest models, analyse near repeats.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")
