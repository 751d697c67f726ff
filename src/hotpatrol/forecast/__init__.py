"""Forecasting: models with one contract (see :mod:`hotpatrol.forecast.base`), metrics and backtests.

``MODELS`` maps each model's CLI name to its class; every registered model passes
``tests/test_forecast_contract.py``.
"""

from dataclasses import dataclass
from typing import ClassVar

from hotpatrol.forecast.base import Forecast, Forecaster, NotFittedError
from hotpatrol.forecast.ensemble import EnsembleForecaster
from hotpatrol.forecast.etas import ETASForecaster
from hotpatrol.forecast.gbm import GBMForecaster
from hotpatrol.forecast.grid_etas import GridETASForecaster
from hotpatrol.forecast.kde import KDEForecaster, RetrospectiveForecaster
from hotpatrol.forecast.naive import NaiveForecaster
from hotpatrol.forecast.prospective import ProspectiveForecaster


@dataclass(kw_only=True, eq=False, repr=False)
class NaiveLastForecaster(NaiveForecaster):
    """Last period's counts (``NaiveForecaster(kind="last")`` under its own name)."""

    name: ClassVar[str] = "naive-last"
    kind: str = "last"


@dataclass(kw_only=True, eq=False, repr=False)
class NaiveWindowForecaster(NaiveForecaster):
    """Moving average of the last ``periods`` horizon-length periods."""

    name: ClassVar[str] = "naive-window"
    kind: str = "window"


#: name -> class of every available model (the CLI's --models choices).
MODELS: dict[str, type[Forecaster]] = {
    "naive": NaiveForecaster,
    "naive-last": NaiveLastForecaster,
    "naive-window": NaiveWindowForecaster,
    "retrospective": RetrospectiveForecaster,
    "kde": KDEForecaster,
    "prospective": ProspectiveForecaster,
    "etas": ETASForecaster,
    "grid-etas": GridETASForecaster,
    "gbm": GBMForecaster,
    "ensemble": EnsembleForecaster,
}

__all__ = [
    "MODELS",
    "ETASForecaster",
    "EnsembleForecaster",
    "Forecast",
    "Forecaster",
    "GBMForecaster",
    "GridETASForecaster",
    "KDEForecaster",
    "NaiveForecaster",
    "NaiveLastForecaster",
    "NaiveWindowForecaster",
    "NotFittedError",
    "ProspectiveForecaster",
    "RetrospectiveForecaster",
]
