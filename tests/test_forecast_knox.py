"""Knox test: reproduces Ratcliffe's Near Repeat Calculator 1.3 reference outputs (Chicago 2016)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import conform
from hotpatrol.forecast.knox import knox, knox_test

NRC = "timestamped_chicago_2016_burglary_arson_nearrepeat"


def _read_verbose(path):
    """Observed table, ratio table, p table and the per-iteration expected counts of an NRverbose CSV."""
    lines = path.read_text(errors="replace").splitlines()

    def table_after(title):
        k = next(i for i, line in enumerate(lines) if line.startswith(title))
        rows = []
        for line in lines[k + 3: k + 8]:
            cells = line.split(",")[2:6]
            rows.append([float(c) if c.strip() else 0.0 for c in cells])
        return np.array(rows)

    sims = {}
    for i, line in enumerate(lines):
        if line.startswith("Row ") and "Column" in line:
            parts = line.split()
            r, c = int(parts[1]) - 1, int(parts[3]) - 1
            values = []
            j = i + 1
            while not lines[j].startswith("Observed"):
                values += [float(v) for v in lines[j].split(",")[1:] if v.strip()]
                j += 1
            sims[(r, c)] = np.array(values)
    return table_after("Observed frequencies"), table_after("Observed over mean"), table_after("Statistical sig"), sims


CASES = {
    # name: (input reader, NRC settings, verbose file)
    "chicago_be_month1": (
        lambda d: pd.read_csv(d / NRC / "chicago_be_month1_nrc_input_noheader.csv", header=None,
                              names=["X", "Y", "date"]),
        dict(spatial_band=100, n_spatial=3, temporal_band=7, n_temporal=3),
        "chicago_be_month1_NRverbose_2019-09-23_143005.csv",
    ),
    "chicago_arson": (
        lambda d: pd.read_csv(d / NRC / "chicago_arson.csv"),
        dict(spatial_band=200, n_spatial=3, temporal_band=1, n_temporal=3),
        "chicago_arson_NRverbose_2019-09-23_145637.csv",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_knox_reproduces_near_repeat_calculator(shared_data, case):
    read, settings, verbose = CASES[case]
    data = read(shared_data)
    ref_obs, ref_ratio, ref_p, ref_sims = _read_verbose(shared_data / NRC / "nrc_reference_outputs" / verbose)
    result = knox(data["X"], data["Y"], pd.to_datetime(data["date"]), metric="manhattan", permutations=999,
                  random_state=7, single_precision=True, **settings)
    # observed pair counts: exactly (and only with the Manhattan metric)
    np.testing.assert_array_equal(result.observed, ref_obs.astype(int))
    euclid = knox(data["X"], data["Y"], pd.to_datetime(data["date"]), metric="euclidean", permutations=1,
                  single_precision=True, **settings)
    assert (euclid.observed != ref_obs.astype(int)).any()
    n_ref = len(ref_sims[(0, 0)])
    for (r, c), sims in ref_sims.items():
        # the NRC's mean expected vs ours: within Monte Carlo error of the NRC's few iterations
        sd = max(sims.std(ddof=1), np.sqrt(max(sims.mean(), 1.0)))
        assert abs(result.expected[r, c] - sims.mean()) <= 4 * sd / np.sqrt(n_ref) + 0.05, (r, c)
        # p-values: binomial MC error of the NRC's p plus one step of its resolution
        p = ref_p[r, c]
        tol = 3 * np.sqrt(max(p * (1 - p), 0.05) / n_ref) + 1 / (n_ref + 1)
        assert abs(result.p_values[r, c] - p) <= tol, (r, c, result.p_values[r, c], p)
    # headline Knox ratios quoted by the NRC summary
    if case == "chicago_be_month1":
        assert result.ratio[1, 0] == pytest.approx(1.69, abs=0.2)
        assert result.ratio[0, 0] == pytest.approx(1.65, abs=0.3)
        assert result.p_values[:3, 0].max() <= 0.01
    else:
        assert result.ratio[1, 0] > 20 and result.p_values[1, 0] <= 0.01


def test_knox_full_precision_differs_only_by_edge_pairs(shared_data):
    data = pd.read_csv(shared_data / NRC / "chicago_arson.csv")
    exact = knox(data["X"], data["Y"], pd.to_datetime(data["date"]), spatial_band=200, temporal_band=1,
                 permutations=9, random_state=0)
    single = knox(data["X"], data["Y"], pd.to_datetime(data["date"]), spatial_band=200, temporal_band=1,
                  permutations=9, random_state=0, single_precision=True)
    assert exact.observed.sum() == single.observed.sum() == len(data) * (len(data) - 1) // 2
    assert 0 < np.abs(exact.observed - single.observed).sum() <= 8


def test_knox_brute_force_and_permutation_invariants():
    rng = np.random.default_rng(3)
    n = 150
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    x[:10] = x[10:20]  # some same-location pairs
    y[:10] = y[10:20]
    t = rng.integers(0, 60, n).astype(float)
    res = knox(x, y, t, spatial_band=250, n_spatial=2, temporal_band=5, n_temporal=2, metric="euclidean",
               permutations=50, random_state=1, keep_simulations=True)
    i, j = np.triu_indices(n, 1)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(t[i] - t[j])
    sb = np.searchsorted([0.01, 250, 500], d, side="right")
    tb = np.searchsorted([5, 10], dt, side="right")
    brute = np.zeros((4, 3), int)
    np.add.at(brute, (sb, tb), 1)
    np.testing.assert_array_equal(res.observed, brute)
    assert res.observed[0].sum() >= 10
    # every permuted table has all pairs, and the same temporal margin (times are only shuffled)
    assert (res.simulations.sum(axis=(1, 2)) == n * (n - 1) // 2).all()
    assert (res.simulations.sum(axis=1) == brute.sum(axis=0)).all()
    assert ((res.p_values > 0) & (res.p_values <= 1)).all()
    # same seed, same answer
    again = knox(x, y, t, spatial_band=250, n_spatial=2, temporal_band=5, n_temporal=2, metric="euclidean",
                 permutations=50, random_state=1)
    np.testing.assert_array_equal(res.expected, again.expected)


def test_knox_detects_planted_near_repeats():
    rng = np.random.default_rng(5)
    n = 400
    x, y, t = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    # 60 follow-ups within 50 m and 3 days of a random earlier event
    src = rng.integers(0, n, 60)
    x = np.r_[x, x[src] + rng.normal(0, 20, 60)]
    y = np.r_[y, y[src] + rng.normal(0, 20, 60)]
    t = np.r_[t, t[src] + rng.uniform(0, 3, 60)]
    res = knox(x, y, t, spatial_band=100, temporal_band=7, permutations=99, random_state=0)
    assert res.ratio[1, 0] > 5 and res.p_values[1, 0] == pytest.approx(0.01)
    assert res.p_values[3, 2] > 0.05  # far bands are not flagged
    text = res.summary().as_text()
    assert "Near repeats over-represented" in text and "[0.01, 100) m x [0, 7) days" in text
    frame = res.to_frame()
    assert len(frame) == 5 * 4 and frame["observed"].sum() == len(x) * (len(x) - 1) // 2


def test_knox_events_table_and_errors():
    rng = np.random.default_rng(0)
    n = 50
    events = conform(pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],
        "occurred_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 90, n), unit="D"),
        "occurred_from": pd.Timestamp("2024-01-01"),
        "time_precision": "minute",
        "category": "Burglary",
        "lon": 0.0, "lat": 51.0,
    }))
    events["x"], events["y"] = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    res = knox_test(events, permutations=9, random_state=0)
    assert res.n_events == n and res.observed.sum() == n * (n - 1) // 2
    monthly = events.assign(time_precision="month")
    with pytest.raises(HotpatrolError, match="month"):
        knox_test(monthly)
    with pytest.raises(HotpatrolError, match="x/y"):
        knox_test(events.drop(columns=["x"]))
    with pytest.raises(HotpatrolError) as err:
        knox(events["x"], events["y"], events["occurred_at"], metric="chebyshev")
    assert err.value.parameter == "metric"
    with pytest.raises(HotpatrolError):
        knox(events["x"], events["y"], events["occurred_at"], permutations=0)
    with pytest.raises(HotpatrolError):
        knox([0.0, 1.0], [0.0, 1.0], [0.0, 1.0])
    # missing times are left out and said so
    t = events["occurred_at"].copy()
    t.iloc[0] = pd.NaT
    res = knox(events["x"], events["y"], t, permutations=5)
    assert res.n_events == n - 1 and "left out" in res.notes[0]
