"""Months a force never published are not months with no crime (issue 16, case 02).

The input mirrors shared/cases/02-*: two monthly City of London police.uk street files six months
apart (583 rows in 2019-01, 833 in 2019-06), generated here in police.uk's format.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.events import describe_missing, missing_months, published_months
from hotpatrol.ingest.run import ingest
from hotpatrol.store import Store

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")
FORCE = "City of London Police"
CATS = ["Theft from the person", "Other theft", "Violence and sexual offences", "Shoplifting", "Bicycle theft"]


def write_street(folder, month: str, n: int, seed: int, force: str = FORCE, slug: str = "city-of-london") -> None:
    """A police.uk street file of ``n`` crimes of ``force`` in ``month`` (City of London coordinates)."""
    rng = np.random.default_rng(seed)
    lon = -0.0977 + rng.normal(0, 0.004, n)
    lat = 51.5155 + rng.normal(0, 0.002, n)
    rows = [HEADER]
    for i in range(n):
        cid = f"{seed:04d}{month.replace('-', '')}{i:06d}".ljust(64, "a")
        rows.append(f"{cid},{month},{force},{force},{lon[i]:.6f},{lat[i]:.6f},On or near Street {i % 40},"
                    f"E01032739,City of London 001F,{CATS[i % len(CATS)]},Under investigation,")
    d = folder / month
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{month}-{slug}-street.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def gap_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("gap")
    data = root / "data"
    write_street(data, "2019-01", 583, 1)
    write_street(data, "2019-06", 833, 2)
    db = str(root / "t.db")
    ingest([data], db=db)
    return db


def test_store_knows_the_published_months(gap_store):
    with Store(gap_store) as store:
        pub = store.published_months()
        info = store.info()
        ev = store.load_events(categories=["Bicycle theft"])
    assert [str(m) for m in pub[FORCE]] == ["2019-01", "2019-06"]
    assert info["months"]["published"][FORCE]["missing"] == ["2019-02", "2019-03", "2019-04", "2019-05"]
    assert info["months"]["missing_note"] == f"2019-02..2019-05 ({FORCE})"
    # a category filter does not turn published months into gaps: the store's months travel in attrs
    assert ev.attrs["published_months"] == {FORCE: ["2019-01", "2019-06"]}


def test_naive_forecast_uses_published_months_only(gap_store):
    """The case's right value: 1,416 events / 61 observed days x 31 = 719.6 for July 2019."""
    res = CliRunner().invoke(app, ["forecast", "predict", "--db", gap_store, "--model", "naive", "--start",
                                   "2019-07-01", "--horizon", "1M", "--top", "3", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["expected_total"] == pytest.approx(1416 / 61 * 31, rel=1e-6)
    assert any("2019-02..2019-05" in n and "not published" in n for n in out["notes"])


@pytest.mark.parametrize("model", ["kde", "retrospective", "prospective"])
def test_rate_models_are_not_diluted_by_the_gap(gap_store, model):
    from hotpatrol.forecast import MODELS

    with Store(gap_store) as store:
        ev = store.load_events()
    fc = MODELS[model]().fit(ev).predict("2019-07-01", "31D")
    total = float(np.sum(fc.risk))
    # all of them were about a third of this before (the 4 empty months diluted the rate)
    assert 600 < total < 900
    assert any("not published" in n for n in fc.notes)


def test_last_window_inside_a_gap_is_an_error(gap_store):
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.forecast.naive import NaiveForecaster

    with Store(gap_store) as store:
        ev = store.load_events()
    model = NaiveForecaster(kind="last").fit(ev)
    with pytest.raises(HotpatrolError, match="2019-04"):
        model.predict("2019-05-01", "31D")


def test_exact_time_records_have_no_inferred_gaps():
    """Force records are a continuous extract: a month with no record inside it is a real zero."""
    ev = pd.DataFrame({
        "force": ["X", "X", "X"], "time_precision": ["minute"] * 3,
        "occurred_from": pd.to_datetime(["2020-01-05 10:00", "2020-01-20 11:00", "2020-04-02 09:00"]),
    })
    assert [str(m) for m in published_months(ev)["X"]] == ["2020-01", "2020-02", "2020-03", "2020-04"]


def test_published_months_are_per_force():
    ev = pd.DataFrame({
        "force": ["A", "A", "B", "B", "B"], "month": ["2019-01", "2019-03", "2019-01", "2019-02", "2019-03"],
        "time_precision": ["month"] * 5,
        "occurred_from": pd.to_datetime(["2019-01-01", "2019-03-01", "2019-01-01", "2019-02-01", "2019-03-01"]),
    })
    gaps = missing_months(published_months(ev), "2019-01", "2019-03")
    assert {f: [str(m) for m in v] for f, v in gaps.items()} == {"A": ["2019-02"]}
    assert describe_missing(gaps) == "2019-02 (A)"


def _month_gap_events(drop=("2024-05", "2024-06", "2024-07")):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from forecast_synth import make_events

    ev = make_events(365, seed=5, rate=6.0, month_only=True)
    ev["force"] = "Force A"
    full = ev.copy()
    return full, ev[~ev["month"].isin(drop)].reset_index(drop=True)


def test_gbm_skips_training_windows_in_a_gap_and_keeps_its_rates():
    from hotpatrol.forecast import GBMForecaster

    full, gap = _month_gap_events()
    m = GBMForecaster(horizon="31D", n_windows=6, random_state=0, max_iter=20).fit(gap)
    cut_months = {str(c.to_period("M")) for c in m.train_cutoffs_}
    assert not cut_months & {"2024-05", "2024-06", "2024-07"}
    assert len(m.train_cutoffs_) == 6
    assert any("skipped" in n and "2024-05..2024-07" in n for n in m.notes_)
    # the long-run rate feature is not diluted by the three missing months
    ref = GBMForecaster(horizon="31D", n_windows=6, random_state=0, max_iter=20).fit(full)
    cut = float(m._prep_.end)
    Xg, names = m.features_.build(cut, 31.0)
    Xf, _ = ref.features_.build(cut, 31.0)
    i = names.index("rate_all")
    assert Xg[:, i].sum() == pytest.approx(Xf[:, i].sum(), rel=0.1)


@pytest.mark.parametrize("model", ["grid-etas", "etas"])
def test_etas_background_rate_uses_published_months(model):
    from hotpatrol.forecast import MODELS

    full, gap = _month_gap_events()
    kw = {"random_state": 0, "max_iter": 50}
    a = MODELS[model](**kw).fit(full)
    b = MODELS[model](**kw).fit(gap)

    def rate(m):
        return float(m.mu_.sum()) if model == "grid-etas" else m.background_rate_ + 0 * m.theta_

    def per_day(m):  # expected events per day: background plus the triggered share
        return rate(m) / (1 - min(m.theta_, 0.99))

    # 9 of 12 months published: the rate per observed day matches the full data (it was 25 % low)
    assert per_day(b) == pytest.approx(per_day(a), rel=0.1)
    assert any("2024-05..2024-07" in n for n in b.notes_)


def test_backtest_skips_windows_in_a_gap():
    from hotpatrol.forecast.backtest import backtest

    _, gap = _month_gap_events()
    res = backtest(gap, "naive", windows=8, horizon="1M", n_boot=50, oracle=False)
    months = sorted({str(pd.Timestamp(s).to_period("M")) for s in res.to_frame("window")["start"]})
    assert not set(months) & {"2024-05", "2024-06", "2024-07"}
    assert len(months) == 5
    assert [w["start"][:7] for w in res.record["skipped_windows"]] == ["2024-05", "2024-06", "2024-07"]
    assert sum("skipped" in n for n in res.notes) == 3


def test_ensemble_validation_skips_windows_in_a_gap():
    from hotpatrol.forecast import EnsembleForecaster

    _, gap = _month_gap_events(drop=("2024-10", "2024-11"))
    m = EnsembleForecaster(models="naive,kde", horizon="31D", validation_windows=4).fit(gap)
    fc = m.predict("2025-01-01", "31D")
    assert any("validation window" in n and "skipped" in n for n in fc.notes)


def _gap_grid_cube():
    from hotpatrol.hotspots.cube import build_cube
    from hotpatrol.places.grid import Grid
    from hotpatrol.places.layer import PlacesLayer

    _, gap = _month_gap_events()
    gap.attrs["crs"] = "EPSG:27700"
    places = PlacesLayer.from_grid(Grid.covering(gap["x"], gap["y"], cell=500.0, crs="EPSG:27700"))
    return gap, places, build_cube(gap, places, freq="M")


def test_cube_marks_unpublished_months_missing_and_methods_handle_them():
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.hotspots.change import change
    from hotpatrol.hotspots.concentration import concentration
    from hotpatrol.hotspots.emerging import emerging
    from hotpatrol.hotspots.stability import stability

    gap, places, cube = _gap_grid_cube()
    assert [str(p) for p in cube.missing] == ["2024-05", "2024-06", "2024-07"]
    # quarterly: Q2 and Q3 each lack months
    from hotpatrol.hotspots.cube import build_cube
    q = build_cube(gap, places, freq="Q")
    assert [str(p) for p in q.missing] == ["2024Q2", "2024Q3"]

    conc = concentration(cube)
    assert "2024-06" not in set(conc.table["period"]) and len(conc.table) == 9 + 1
    assert any("no data" in n for n in conc.summary().notes)

    stab = stability(cube, top=5)
    assert "2024-06" not in stab.summary().as_text().split("- ")[0]
    assert any("left out" in n for n in stab.summary().notes)

    # change: Jan-Jun (4 of 6 months published) vs Jul-Dec (5 of 6): exposure = published periods
    ch = change(("2024-01", "2024-06"), ("2024-07", "2024-12"), cube=cube)
    assert ch.exposure == (4.0, 5.0)
    with pytest.raises(HotpatrolError, match="no published period"):
        change(("2024-05", "2024-07"), ("2024-08", "2024-12"), cube=cube)

    with pytest.raises(HotpatrolError, match="2024-05"):
        emerging(cube)
    # inside the published months it runs
    assert emerging(cube.select("2024-08", "2024-12")).category is not None


def test_hotspot_values_are_rates_over_published_months_per_force():
    """Two forces, same monthly rate; A published 2 of 6 months: A's places must not rank below B's."""
    import hotpatrol.hotspots as hs

    rng = np.random.default_rng(0)
    rows = []
    for force, lon0, months in (("A", -0.10, ["2019-01", "2019-06"]),
                                ("B", -0.05, ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06"])):
        for m in months:
            for i in range(50):
                rows.append({"event_id": f"{force}{m}{i}", "force": force, "month": m, "time_precision": "month",
                             "occurred_from": pd.Timestamp(m), "occurred_to": pd.Timestamp(m) + pd.offsets.MonthBegin(1),
                             "lon": lon0 + rng.normal(0, 1e-4), "lat": 51.5 + rng.normal(0, 1e-4),
                             "category": "Burglary"})
    ev = pd.DataFrame(rows)
    ev["occurred_at"] = ev["occurred_from"]
    data = hs.prepare(ev, "count", cell=150.0)
    assert data.meta["missing_months"] == {"A": ["2019-02", "2019-03", "2019-04", "2019-05"]}
    assert "No data for 2019-02..2019-05 (A)" in data.meta["note"]
    # A: 100 events over 2 published months, B: 300 over 6 -> both 300 per 6 months
    assert data.values.sum() == pytest.approx(600.0)
    assert data.w[:100].sum() == pytest.approx(300.0) and data.w[100:].sum() == pytest.approx(300.0)


def test_before_after_drops_unpublished_months_for_both_areas():
    """Monthly police.uk-like counts, same rate before and after, but 3 after-months unpublished: the
    gap must not read as a fall in crime."""
    import shapely

    from hotpatrol.evaluate.did import before_after

    rng = np.random.default_rng(1)
    months = pd.period_range("2023-01", "2024-12", freq="M")
    gap = {"2024-03", "2024-04", "2024-05"}
    rows = []
    for m in months:
        if str(m) in gap:
            continue
        for x0, base in ((500_000, 40), (510_000, 60)):
            n = rng.poisson(base)
            rows.append(pd.DataFrame({
                "x": x0 + rng.random(n) * 100, "y": 200_000 + rng.random(n) * 100,
                "occurred_from": m.start_time, "occurred_to": (m + 1).start_time, "occurred_at": m.start_time,
                "month": str(m), "time_precision": "month", "force": "Force A", "category": "Burglary"}))
    ev = pd.concat(rows, ignore_index=True)
    treated = shapely.box(500_000, 200_000, 500_100, 200_100)
    comparison = shapely.box(510_000, 200_000, 510_100, 200_100)
    r = before_after(ev, treated, comparison, start="2024-01-01", before=("2023-01-01", "2024-01-01"),
                     after=("2024-01-01", "2025-01-01"), freq="MS", crs="EPSG:27700")
    assert not set(r.counts["period"]) & gap
    assert abs(r.raw["treated_pct"]) < 15  # was about -25 % with the 3 empty months counted as zero
    assert "2024-03..2024-05 (Force A)" in r.params["missing_note"]
    assert any("no data" in n for n in r.summary().notes)


def test_gbm_error_names_the_gap_when_too_few_windows(gap_store):
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.forecast import GBMForecaster

    with Store(gap_store) as store:
        ev = store.load_events()
    with pytest.raises(HotpatrolError, match=r"no data \(2019-02..2019-05"):
        GBMForecaster(horizon="31D").fit(ev)
