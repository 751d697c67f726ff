"""Our naive baseline and oracle reproduce open_cp's figures on the same real-data setup."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hotpatrol.forecast.backtest import backtest

REF = json.loads((Path(__file__).parent / "results" / "forecast_open_cp.json").read_text())
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


@pytest.mark.slow
@pytest.mark.shared_data
def test_essex_naive_and_oracle_match_open_cp(shared_data):
    from forecast_data import box_study, load_essex

    sub, places = box_study(load_essex(shared_data))
    res = backtest(sub, "naive", windows=3, horizon="1M", end="2026-01-01", places=places, n_boot=0, ci="none")
    p = res.pooled.set_index(["model", "level"])["hit_rate"] * 100
    ref = REF["essex_2025_3_months"]
    for i, lv in enumerate(("1%", "5%", "10%")):
        assert p[("naive", lv)] == pytest.approx(ref["naive"][i], abs=1.5)
        assert p[("oracle", lv)] == pytest.approx(ref["oracle"][i], abs=1.5)
    assert places.n == 67 * 67


@pytest.mark.shared_data
def test_vancouver_oracle_matches_open_cp(shared_data):
    from forecast_data import box_study, load_vancouver

    sub, places = box_study(load_vancouver(shared_data))
    res = backtest(sub, "naive-last", windows=8, horizon="7D", end="2023-01-01", places=places, n_boot=0,
                   ci="none")
    p = res.pooled.set_index(["model", "level"])["hit_rate"] * 100
    ref = REF["vancouver_2022_8_weeks"]
    for i, lv in enumerate(("1%", "5%", "10%")):
        assert p[("oracle", lv)] == pytest.approx(ref["oracle"][i], abs=1.0)
