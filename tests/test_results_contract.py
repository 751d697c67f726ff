"""The results contract (hotpatrol.results), checked for every result object of every stage.

Each builder makes one result on small synthetic data. Every result must give a non-empty
``to_frame()`` DataFrame, a ``to_dict()`` that is strict JSON (``allow_nan=False``) made only of
str/int/float/bool/None/list/dict, and a ``summary()`` rendered as text, HTML and CSV. A new result
type joins by adding a builder to BUILDERS.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from hotpatrol.results import HotspotResult, Result, Summary, json_safe

CRS = "EPSG:27700"


# ---- builders -----------------------------------------------------------------------------------------
def _grid(nx=12, ny=10):
    from hotpatrol.places import Grid, PlacesLayer

    return PlacesLayer.from_grid(Grid(530_000.0, 180_000.0, 150.0, nx, ny, CRS))


def _values(places, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.poisson(1.0, places.n).astype(float)
    v[:6] += 15  # a hot corner
    return v


def _cube(seed=0, periods=8):
    from hotpatrol.hotspots.cube import SpaceTimeCube

    places = _grid()
    rng = np.random.default_rng(seed)
    values = rng.poisson(0.6, size=(places.n, periods)).astype(float)
    values[:5] += np.arange(periods) * 2.0  # intensifying hot spot
    return SpaceTimeCube(values, pd.period_range("2024-01", periods=periods, freq="M"), places)


def rank():
    from hotpatrol.hotspots.rank import rank_places

    places = _grid()
    return rank_places(_values(places), places, top=5)


def kde():
    from hotpatrol.hotspots.kde import kernel_density

    places = _grid()
    rng = np.random.default_rng(0)
    x = 530_000 + rng.uniform(0, 1800, 300)
    y = 180_000 + rng.uniform(0, 1500, 300)
    return kernel_density(x, y, np.ones(300), places, bandwidth=200.0)


def gi():
    from hotpatrol.hotspots.getis import getis_ord

    places = _grid()
    return getis_ord(_values(places), places, permutations=99, seed=0)


def lisa():
    from hotpatrol.hotspots.lisa import local_moran

    places = _grid()
    return local_moran(_values(places), places, permutations=99, seed=0)


def concentration():
    from hotpatrol.hotspots.concentration import concentration

    return concentration(_cube())


def stability():
    from hotpatrol.hotspots.stability import stability

    return stability(_cube(), top=5)


def change():
    from hotpatrol.hotspots.change import change

    return change(("2024-01", "2024-04"), ("2024-05", "2024-08"), cube=_cube(), top=5)


def emerging():
    from hotpatrol.hotspots.trends import run_on_cube

    return run_on_cube("emerging", _cube(periods=10))


def _forecast_events():
    from forecast_synth import make_events

    return make_events(70, seed=3)


def forecast():
    from hotpatrol.forecast import MODELS

    ev = _forecast_events()
    model = MODELS["naive"](random_state=0).fit(ev)
    return model.predict(ev["occurred_at"].max().ceil("D"), "7D")


def forecast_top():
    from hotpatrol.forecast.output import TopPlaces

    return TopPlaces(forecast(), 10)


def backtest():
    from hotpatrol.forecast.backtest import backtest

    return backtest(_forecast_events(), "naive", windows=2, horizon="7D", n_boot=20, random_state=0)


def knox():
    from hotpatrol.forecast.knox import knox

    rng = np.random.default_rng(0)
    n = 60
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 60, n), unit="D")
    return knox(rng.uniform(0, 1000, n), rng.uniform(0, 1000, n), t, spatial_band=100, temporal_band=7,
                permutations=19, random_state=0)


def _selection_table():
    rng = np.random.default_rng(0)
    m = 12
    return pd.DataFrame({"place_id": [f"p{i}" for i in range(m)], "x": 500_000 + rng.uniform(0, 1500, m),
                         "y": 180_000 + rng.uniform(0, 1500, m), "harm": rng.gamma(2.0, 50.0, m).round(1),
                         "district": np.array(["North", "South", "East"])[np.arange(m) % 3]})


def selection():
    from hotpatrol.patrol.select import select_hotspots

    return select_hotspots(_selection_table(), n=4, min_spacing=200, crs=CRS, cell=150)


def allocation():
    from hotpatrol.patrol.design import allocate

    return allocate(["A", "B", "C", "D"], start="2026-01-05", days=6, k=2, seed=1)


def plan():
    from hotpatrol.patrol.plan import create_plan

    sel = _selection_table().sort_values("harm", ascending=False).head(4).reset_index(drop=True)
    sel.insert(0, "rank", np.arange(1, 5))
    sel.attrs.update({"crs": CRS, "cell": 150.0})
    return create_plan(sel, days=5, k=2, seed=1, start="2026-12-01")


def _trial():
    from hotpatrol.evaluate.simulate import simulate_trial

    return simulate_trial(seed=11, effect=-0.5, displacement=0.5, n=8, k=3, days=20)


def dosage():
    from hotpatrol.patrol.dosage import dosage

    sim = _trial()
    return dosage(sim.pings, hotspots=sim.hotspots, allocation=sim.allocation, crs=sim.crs)


def evaluation():
    from hotpatrol.evaluate.evaluation import evaluate_trial

    sim = _trial()
    return evaluate_trial(sim.events, sim.hotspots, sim.allocation, redraw=sim.redraw, permutations=9)


def displacement():
    from hotpatrol.evaluate.displacement import displacement

    hs = pd.DataFrame({"hotspot_id": ["A"], "x": [500_075.0], "y": [200_075.0], "cell": 150.0, "crs": CRS})

    def pts(n, x, y, when):
        return pd.DataFrame({"x": [x] * n, "y": [y] * n, "occurred_at": pd.Timestamp(when), "category": "Robbery"})

    ev = pd.concat([pts(10, 500_075, 200_075, "2026-01-10"), pts(4, 500_075, 200_200, "2026-01-10"),
                    pts(20, 500_075, 200_700, "2026-01-10"), pts(4, 500_075, 200_075, "2026-02-10"),
                    pts(4, 500_075, 200_200, "2026-02-10"), pts(20, 499_500, 200_075, "2026-02-10")],
                   ignore_index=True)
    # no relative fall in the buffer: the WDQ is undefined (NaN), which to_dict must turn into null
    return displacement(ev, hs, before=("2026-01-01", "2026-02-01"), after=("2026-02-01", "2026-03-01"))


def before_after():
    import shapely

    from hotpatrol.evaluate.did import before_after

    rng = np.random.default_rng(0)
    start = pd.Timestamp("2026-03-02")
    weeks = pd.date_range(start - pd.Timedelta(weeks=10), start + pd.Timedelta(weeks=10), freq="W-MON")[:-1]
    rows = []
    for w in weeks:
        for x0, base in ((500_000, 20), (510_000, 30)):
            n = rng.poisson(base)
            rows.append(pd.DataFrame({"x": x0 + rng.random(n) * 100, "y": 200_000 + rng.random(n) * 100,
                                      "occurred_at": w + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
                                      "category": "Robbery"}))
    ev = pd.concat(rows, ignore_index=True)
    return before_after(ev, shapely.box(500_000, 200_000, 500_100, 200_100),
                        shapely.box(510_000, 200_000, 510_100, 200_100), start=start, crs=CRS)


def _performance_events():
    rows = []
    for month in ("2021-02", "2021-03", "2022-02", "2022-03"):
        for cat, n in (("Violence and sexual offences", 30), ("Burglary", 8), ("Robbery", 3)):
            rows += [{"month": month, "category": cat, "force": "Test Police", "lsoa_name": f"Dover 00{i % 9}A",
                      "outcome": "Suspect charged" if i % 7 == 0 else "Unable to prosecute suspect"}
                     for i in range(n)]
    return pd.DataFrame(rows)


def performance_report():
    from hotpatrol.report.performance import performance_report

    # January has no data in either year: rows with missing figures (None) in the tables
    return performance_report(_performance_events(), months="2022-01..2022-03")


def change_table():
    from hotpatrol.report.performance import ChangeTable

    return ChangeTable.from_counts([("January", 10, 12), ("February", None, 9), ("March", 14, 0)])


BUILDERS = {f.__name__: f for f in (
    rank, kde, gi, lisa, concentration, stability, change, emerging, forecast, forecast_top, backtest, knox,
    selection, allocation, plan, dosage, evaluation, displacement, before_after, performance_report, change_table,
)}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def built(request):
    return request.param, BUILDERS[request.param]()


# ---- the contract -------------------------------------------------------------------------------------
def _only_json_types(value, path="$"):
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        assert math.isfinite(value), f"{path} is {value}"
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _only_json_types(v, f"{path}[{i}]")
        return
    assert isinstance(value, dict), f"{path} is a {type(value).__name__}"
    for k, v in value.items():
        assert isinstance(k, str), f"{path} has a {type(k).__name__} key"
        _only_json_types(v, f"{path}.{k}")


def test_is_a_result(built):
    name, res = built
    assert isinstance(res, Result), f"{name}: {type(res).__name__} does not follow hotpatrol.results.Result"


def test_to_frame_is_a_non_empty_dataframe(built):
    name, res = built
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) > 0 and len(frame.columns) > 0, name


def test_to_dict_is_strict_json_of_plain_types(built):
    name, res = built
    d = res.to_dict()
    assert isinstance(d, dict) and d, name
    _only_json_types(d)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    assert d.get("name") == res.name


def test_summary_renders_text_html_and_csv(built):
    name, res = built
    s = res.summary()
    assert isinstance(s, Summary)
    assert s.title and s.title in s.as_text()
    html = s.as_html()
    assert html.startswith("<section>") and "<table" in html
    csv = s.as_csv()
    assert isinstance(csv, str) and csv.count("\n") >= 1
    _only_json_types(s.to_dict())


#: the per-place results that map (HotspotResult with a places layer)
MAPPED = ["change", "concentration", "emerging", "forecast_top", "gi", "kde", "lisa", "rank", "stability"]


@pytest.mark.parametrize("name", MAPPED)
def test_hotspot_results_declare_a_mappable_column(name):
    res = BUILDERS[name]()
    assert isinstance(res, HotspotResult) and res.places is not None
    frame = res.per_place() if hasattr(res, "per_place") else res.to_frame()
    assert "place_id" in frame.columns
    if res.map_column is not None:
        assert res.map_column in frame.columns
    for column, order in res.map_categories.items():
        if column in frame.columns:
            assert set(frame[column].dropna().astype(str)) - {""} <= set(order), (name, column)


# ---- json_safe and Summary on hand-made values ---------------------------------------------------------
def test_json_safe_converts_numpy_pandas_and_non_finite_values():
    value = {
        1: np.float64("nan"), "inf": float("-inf"), "i": np.int32(3), "b": np.bool_(True),
        "ts": pd.Timestamp("2024-03-01 06:00"), "td": pd.Timedelta(days=7), "nat": pd.NaT, "na": pd.NA,
        "period": pd.Period("2024-03", "M"), "arr": np.array([1.5, np.nan]), "tuple": (1, "a"),
        "frame": pd.DataFrame({"a": [1.0, np.nan], "when": pd.to_datetime(["2024-01-01", None])}),
    }
    out = json_safe(value)
    assert out == {
        "1": None, "inf": None, "i": 3, "b": True, "ts": "2024-03-01T06:00:00", "td": "P7DT0H0M0S", "nat": None,
        "na": None, "period": "2024-03", "arr": [1.5, None], "tuple": [1, "a"],
        "frame": [{"a": 1.0, "when": "2024-01-01T00:00:00"}, {"a": None, "when": None}],
    }
    json.dumps(out, allow_nan=False)


def test_summary_html_escapes_its_text():
    s = Summary("<b>title</b>", pd.DataFrame({"x": ["<i>cell</i>"]}), ["a & b <script>"])
    html = s.as_html()
    assert "<b>" not in html and "<script>" not in html and "<i>" not in html
    assert "&lt;b&gt;title&lt;/b&gt;" in html and "a &amp; b &lt;script&gt;" in html
