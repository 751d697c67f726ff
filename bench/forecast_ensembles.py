"""Which ensemble helps? Rank-average ensembles of naive, etas, grid-etas and gbm on the benchmark setups.

Exploratory: the ensembles were compared on the same windows as bench/forecast_accuracy.py, so picking
the best one from this table carries a small selection bias (4 candidates). The shipped default
ensemble (naive + gbm) was fixed before this comparison.

Usage: ``PYTHONPATH=src python bench/forecast_ensembles.py vancouver|chicago|essex``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_accuracy import SETUPS  # noqa: E402
from forecast_data import box_study  # noqa: E402

from hotpatrol.forecast import EnsembleForecaster  # noqa: E402
from hotpatrol.forecast.backtest import backtest  # noqa: E402


def main(name: str) -> None:
    loader, kw = SETUPS[name]
    sub, places = box_study(loader())
    models = {"naive": "naive", "etas": "etas", "grid-etas": "grid-etas", "gbm": "gbm",
              "ens_etas_naive": EnsembleForecaster(models=("etas", "naive")),
              "ens_etas_gbm": EnsembleForecaster(models=("etas", "gbm")),
              "ens_etas_grid_gbm": EnsembleForecaster(models=("etas", "grid-etas", "gbm")),
              "ens_grid_gbm": EnsembleForecaster(models=("grid-etas", "gbm"))}
    t = time.perf_counter()
    res = backtest(sub, models, places=places, random_state=0, **kw)
    pd.set_option("display.width", 250)
    print(f"{name} ({time.perf_counter() - t:.0f} s)")
    print(res.table().to_string())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "vancouver")
