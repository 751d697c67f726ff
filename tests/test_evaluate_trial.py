"""Evaluation estimators on simulations with known truth, and WDQ/WDD/DiD on worked examples."""

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from hotpatrol.errors import HotpatrolError
from hotpatrol.evaluate.did import before_after
from hotpatrol.evaluate.displacement import displacement, wdd, wdq
from hotpatrol.evaluate.evaluation import evaluate_trial
from hotpatrol.evaluate.simulate import simulate_trial
from hotpatrol.evaluate.trial import build_panel, fit_glm, mh_rate_ratio, per_hotspot, randomisation_test


def local_allocate(ids, *, start, days, k, seed, **_):
    """Tiny stand-in for hotpatrol.patrol.design.allocate: k of n each day at random."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        on = set(rng.choice(len(ids), k, replace=False))
        day = pd.Timestamp(start) + pd.Timedelta(days=d)
        rows += [(day, str(h), i in on) for i, h in enumerate(ids)]
    return pd.DataFrame(rows, columns=["day", "hotspot_id", "patrolled"])


def test_wdq_and_wdd_match_hand_computed_worked_example():
    # response 100 -> 60, buffer 50 -> 55, control 1000 -> 1000
    q = wdq(R_b=100, R_a=60, B_b=50, B_a=55, C_b=1000, C_a=1000)
    assert q["success_measure"] == pytest.approx(0.06 - 0.10)
    assert q["buffer_measure"] == pytest.approx(0.055 - 0.05)
    assert q["wdq"] == pytest.approx(0.005 / -0.04)  # -0.125: some displacement
    assert "displacement" in q["reading"]
    d = wdd(T_b=100, T_a=60, C_b=1000, C_a=1000, D_b=50, D_a=55)
    assert d["wdd"] == -35  # (60-100) - (1000-1000) + (55-50)
    assert d["variance"] == 100 + 60 + 1000 + 1000 + 50 + 55
    assert d["se"] == pytest.approx(np.sqrt(2265))
    assert d["z"] == pytest.approx(-35 / np.sqrt(2265))
    d4 = wdd(T_b=100, T_a=60, C_b=200, C_a=180, D_b=50, D_a=55, CD_b=40, CD_a=44)
    assert d4["wdd"] == (60 - 100) - (180 - 200) + (55 - 50) - (44 - 40)  # -19
    assert d4["variance"] == 100 + 60 + 200 + 180 + 50 + 55 + 40 + 44
    # diffusion: buffer falls too; no relative fall -> WDQ not meaningful
    assert wdq(100, 60, 50, 40, 1000, 1000)["wdq"] == pytest.approx(-0.01 / -0.04)
    assert np.isnan(wdq(100, 120, 50, 40, 1000, 1000)["wdq"])
    with pytest.raises(HotpatrolError, match="control"):
        wdq(1, 1, 1, 1, 0, 5)


def test_displacement_counts_areas_from_events():
    crs = "EPSG:27700"
    hs = pd.DataFrame({"hotspot_id": ["A"], "x": [500_075.0], "y": [200_075.0], "cell": 150.0, "crs": crs})
    # before: 10 in hotspot, 4 in buffer, 20 in control ring; after: 4, 6, 20
    def pts(n, x, y, when):
        return pd.DataFrame({"x": [x] * n, "y": [y] * n, "occurred_at": pd.Timestamp(when), "category": "Robbery"})
    ev = pd.concat([pts(10, 500_075, 200_075, "2026-01-10"), pts(4, 500_075, 200_200, "2026-01-10"),
                    pts(20, 500_075, 200_700, "2026-01-10"), pts(3, 500_075, 200_400, "2026-01-10"),
                    pts(4, 500_075, 200_075, "2026-02-10"), pts(6, 500_000, 199_960, "2026-02-10"),
                    pts(20, 499_500, 200_075, "2026-02-10")], ignore_index=True)
    r = displacement(ev, hs, before=("2026-01-01", "2026-02-01"), after=("2026-02-01", "2026-03-01"))
    c = r.counts.set_index("area")
    assert c.loc["response"].tolist()[:2] == [10, 4]
    assert c.loc["buffer"].tolist()[:2] == [4, 6]
    assert c.loc["control"].tolist()[:2] == [20, 20]  # the 3 events at 325 m are in neither
    assert r.wdq["wdq"] == pytest.approx((6 / 20 - 4 / 20) / (4 / 20 - 10 / 20))
    assert r.wdd["wdd"] == (4 - 10) - 0 + (6 - 4)
    assert "WDQ" in r.summary().as_text()


def test_exact_per_hotspot_interval_and_mh_ratio():
    panel = pd.DataFrame({"hotspot_id": ["A"] * 4, "day": pd.date_range("2026-01-01", periods=4),
                          "patrolled": [True, True, False, False], "count": [1, 0, 3, 2], "harm": [1.0, 0, 3, 2]})
    t = per_hotspot(panel).iloc[0]
    assert t["rate_ratio"] == pytest.approx(0.5 / 2.5)
    # exact: given n = 6, a = 1 ~ Bin(6, p); Clopper-Pearson p bounds -> RR bounds (T1 = T0)
    from scipy import stats
    plo, phi = stats.beta.ppf(0.025, 1, 6), stats.beta.ppf(0.975, 2, 5)
    assert t["ci_low"] == pytest.approx(plo / (1 - plo)) and t["ci_high"] == pytest.approx(phi / (1 - phi))
    # harm: means 0.5 vs 2.5, sample variances 0.5 and 0.5 over 2 days each
    se = np.sqrt(0.5 / (2 * 0.5 ** 2) + 0.5 / (2 * 2.5 ** 2))
    assert t["harm_ci_low"] == pytest.approx(0.2 * np.exp(-1.96 * se))
    assert t["harm_ci_high"] == pytest.approx(0.2 * np.exp(1.96 * se))
    y = np.array([[1, 0], [0, 2], [3, 1], [2, 2]], float)
    P = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], bool)
    # hand MH: stratum A a=1,b=5,n1=2,n0=2; stratum B a=3,b=2,n1=2,n0=2; N=4
    assert mh_rate_ratio(y, P) == pytest.approx((1 * 2 / 4 + 3 * 2 / 4) / (5 * 2 / 4 + 2 * 2 / 4))


def _coverage(runs, alloc, seed0):
    est, cover, truth = [], [], None
    for s in range(runs):
        sim = simulate_trial(seed=seed0 + s, pings=False, allocate=alloc)
        truth = sim.truth["itt_rate_ratio"]
        panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
        f = fit_glm(panel, "count", ["patrolled"])["patrolled"]
        est.append(f["coef"])
        cover.append(f["ci_low"] <= truth <= f["ci_high"])
    return np.array(est), np.array(cover), truth


def test_quick_coverage_and_bias_on_simulated_trials():
    """8 simulated trials with the test's own allocation function (200-run figures: tests/results/)."""
    est, cover, truth = _coverage(8, local_allocate, 500)
    assert abs(est.mean() - np.log(truth)) < 0.09  # sd of one estimate ~0.085, of the mean of 8 ~0.03
    assert cover.sum() >= 6  # 95% nominal; P(<= 5 of 8) is below 0.1%


@pytest.mark.slow
def test_full_coverage_bias_and_size_200_runs():
    """The figures in tests/results/coverage_trial.json: 200 trials with effect, 200 null trials."""
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    spec = spec_from_file_location("cov", Path(__file__).parent / "results" / "coverage_trial.py")
    mod = module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.run(200, 200, 99)
    for outcome in ("count", "harm"):
        assert 0.92 <= res[outcome]["coverage"] <= 0.98  # 95% +/- 2 SE (SE 1.5% at 200 runs)
        assert abs(res[outcome]["bias_log_rr"]) < 0.02  # SE of the mean log RR ~0.006
    assert res["randomisation_null"]["rejection_rate_5pct"] <= 0.085  # 5% + 2.4 SE


def _null_pvalues(runs, permutations, seed0):
    ps = []
    for s in range(runs):
        sim = simulate_trial(seed=seed0 + s, pings=False, effect=0.0, n=10, k=4, days=30, pre_days=0)
        panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
        ps.append(randomisation_test(panel, "count", sim.redraw, permutations=permutations, seed=s)["p"])
    return np.array(ps)


def test_randomisation_test_size_and_power_quick():
    ps = _null_pvalues(12, 39, 900)
    assert 0.25 < ps.mean() < 0.75  # uniform under the null (sd of the mean of 12 ~0.08)
    assert (ps <= 0.05).sum() <= 3  # size 5%: P(> 3 of 12) is about 0.2%
    sim = simulate_trial(seed=1, pings=False, effect=-0.5)
    panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
    assert randomisation_test(panel, "count", sim.redraw, permutations=49)["p"] <= 0.02


def test_redraw_must_match_the_trial():
    sim = simulate_trial(seed=2, pings=False, n=10, k=4, days=20)
    panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
    wrong = lambda s: local_allocate([f"H{i:02d}" for i in range(1, 11)], start="2025-01-01", days=20, k=4, seed=s)
    with pytest.raises(HotpatrolError, match="different days or hotspots"):
        randomisation_test(panel, "count", wrong, permutations=5)
    from hotpatrol.patrol.design import allocate

    other = allocate([f"H{i:02d}" for i in range(1, 11)], start="2025-01-01", days=20, k=4, seed=1)
    with pytest.raises(HotpatrolError, match="different days or hotspots"):
        randomisation_test(panel, "count", other, permutations=5)


@pytest.mark.parametrize("pdf", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_evaluate_trial_end_to_end_with_dosage_and_report(tmp_path, pdf):
    from hotpatrol.patrol.dosage import dosage

    sim = simulate_trial(seed=11, effect=-0.5, displacement=0.5, n=16, k=6, days=60)
    d = dosage(sim.pings, hotspots=sim.hotspots, allocation=sim.allocation, crs=sim.crs)
    r = evaluate_trial(sim.events, sim.hotspots, sim.allocation, redraw=sim.redraw, dosage=d, permutations=49,
                       label="violent crime")
    pooled = r.pooled_frame().set_index("outcome")
    assert pooled.loc["count", "rate_ratio"] < 0.85 and pooled.loc["count", "p_randomisation"] <= 0.04
    assert r.headline().startswith("Violent crime \u2212")
    assert r.compliance["compliance"] > 0.85
    assert r.displacement is not None and r.displacement.wdq["buffer_measure"] > 0  # displaced crime shows
    assert set(r.to_frame()["hotspot_id"]) == set(sim.hotspots["hotspot_id"])
    assert r.estimates.dose["count"]["per15"]["rate_ratio"] < 1
    assert set(r.estimates.residual["count"]) >= {"lag1", "lag2", "lag3"}
    paths = r.write_report(tmp_path, pdf=pdf)
    html = open(paths["html"]).read()
    assert "data:image/png;base64," in html and "Violent crime" in html
    if pdf:
        assert open(paths["pdf"], "rb").read(4) == b"%PDF"
    js = json.loads(open(paths["json"]).read())
    assert js["headline"] == r.headline() and len(js["per_hotspot"]) == 16
    assert "Patrol days vs non-patrol days" in r.summary().as_text()


def test_before_after_difference_in_differences():
    rng = np.random.default_rng(0)
    crs = "EPSG:27700"
    start = pd.Timestamp("2026-03-02")
    weeks = pd.date_range(start - pd.Timedelta(weeks=26), start + pd.Timedelta(weeks=26), freq="W-MON")[:-1]
    rows = []
    for w in weeks:
        after = w >= start
        # county-wide fall of 30% after the start; the treated area falls 50% on top of it (RR 0.5)
        trend = 0.7 if after else 1.0
        for x0, base, eff in ((500_000, 20, 0.5 if after else 1.0), (510_000, 30, 1.0)):
            n = rng.poisson(base * trend * eff)
            rows.append(pd.DataFrame({"x": x0 + rng.random(n) * 100, "y": 200_000 + rng.random(n) * 100,
                                      "occurred_at": w + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
                                      "category": "Violence and sexual offences"}))
    ev = pd.concat(rows, ignore_index=True)
    treated = shapely.box(500_000, 200_000, 500_100, 200_100)
    comparison = shapely.box(510_000, 200_000, 510_100, 200_100)
    r = before_after(ev, treated, comparison, start=start, crs=crs)
    assert r.raw["treated_pct"] < -55  # the raw "fall" mixes the trend in (true raw change -65%)
    assert r.ci_low < 0.5 < r.ci_high and 0.35 < r.rate_ratio < 0.7
    assert "difference-in-differences" in r.headline()
    with pytest.raises(HotpatrolError, match="overlap"):
        before_after(ev, treated, treated, start=start, crs=crs)


@pytest.mark.slow
def test_simulated_trial_on_a_synthetic_county_recovers_the_effect():
    from hotpatrol.synthetic import generate_county

    county = generate_county(scale=0.05, years=1, seed=1, end="2025-12")
    sim = simulate_trial(county=county, seed=2, pings=False, effect=-0.6)
    assert sim.hotspots["hotspot_id"].str.startswith("C").all() and len(sim.hotspots) == 20
    panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
    f = fit_glm(panel, "count", ["patrolled"])["patrolled"]
    assert f["ci_low"] <= sim.truth["itt_rate_ratio"] <= f["ci_high"]
