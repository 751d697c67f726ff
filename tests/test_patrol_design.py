import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.design import Allocation, allocate, operational_day


def _ids(n):
    return [f"H{i:02d}" for i in range(n)]


@pytest.mark.parametrize("n,days,k", [(20, 90, 8), (21, 30, 7), (67, 14, 33), (5, 7, 2), (6, 3, 5)])
def test_balanced_counts_floor_ceil_and_k_per_day(n, days, k):
    a = allocate(_ids(n), start="2026-12-01", days=days, k=k, seed=3)
    m = a.matrix()
    assert m.shape == (days, n)
    assert (m.sum(axis=1) == k).all()
    c = a.counts()
    lo, hi = (days * k) // n, -(-(days * k) // n)
    assert c.min() >= lo and c.max() <= hi
    assert c.sum() == days * k


def test_reproducible_and_seed_changes_draw():
    a = allocate(_ids(20), start="2026-12-01", days=90, k=8, seed=1)
    b = allocate(_ids(20), start="2026-12-01", days=90, k=8, seed=1)
    c = allocate(_ids(20), start="2026-12-01", days=90, k=8, seed=2)
    assert a.sha256 == b.sha256 and a == b
    assert a.sha256 != c.sha256
    assert not a.matrix().equals(c.matrix())


def test_redraw_keeps_scheme_changes_seed():
    a = allocate(_ids(10), start="2026-12-01", days=20, k=4, seed=1, block="weekday")
    r = a.redraw(99)
    assert r.scheme == {**a.scheme, "seed": 99}
    assert r == allocate(_ids(10), start="2026-12-01", days=20, k=4, seed=99, block="weekday")
    assert r.sha256 != a.sha256


def test_marginal_probability_is_k_over_n():
    # every hotspot-day has probability k/n of patrol over redraws (the design is symmetric)
    a = allocate(_ids(6), start="2026-12-01", days=5, k=2, seed=0)
    mats = np.stack([a.redraw_matrix(s) for s in range(2000)])
    assert (mats[7] == a.redraw(7).matrix().to_numpy()).all()
    p = mats.mean(axis=0)
    assert np.allclose(p, 2 / 6, atol=0.05)


def test_weekday_block_spreads_over_weekdays():
    a = allocate(_ids(7), start="2026-12-07", days=70, k=1, seed=5, block="weekday")
    m = a.matrix()
    wd = pd.to_datetime(pd.Series(m.index)).dt.weekday.to_numpy()
    per = np.stack([m.to_numpy()[wd == w].sum(axis=0) for w in range(7)])
    # 10 of each weekday, 7 hotspots, 1 a day: each hotspot gets each weekday 1-2 times
    assert per.min() >= 1 and per.max() <= 2
    assert (a.counts() == 10).all()


def test_none_block_is_simple_randomisation():
    a = allocate(_ids(10), start="2026-12-01", days=60, k=3, seed=5, block="none")
    assert (a.matrix().sum(axis=1) == 3).all()
    assert a.counts().max() - a.counts().min() >= 2  # no balancing


def test_frame_columns_and_types():
    a = allocate([101, 205, 300], start=dt.date(2026, 12, 1), days=2, k=1, seed=0)
    f = a.to_frame()
    assert list(f.columns) == ["day", "hotspot_id", "patrolled"]
    assert f["day"].iloc[0] == dt.date(2026, 12, 1) and f["day"].iloc[-1] == dt.date(2026, 12, 2)
    assert f["patrolled"].dtype == bool
    assert set(f["hotspot_id"]) == {101, 205, 300}
    assert len(a.patrolled_on("2026-12-02")) == 1


def test_save_load_roundtrip_and_tamper_check(tmp_path):
    a = allocate(["007", "8", "x"], start="2026-12-01", days=10, k=1, seed=4)
    p = a.save(tmp_path / "alloc.csv")
    meta = json.loads((tmp_path / "alloc.json").read_text())
    assert meta["sha256"] == a.sha256 and meta["scheme"]["seed"] == 4 and "created_at" in meta
    b = Allocation.load(p)
    assert b == a and b.created_at == a.created_at
    assert b.hotspot_ids == ["007", "8", "x"]  # string ids survive CSV
    # folder form
    a.save(tmp_path / "plan")
    assert Allocation.load(tmp_path / "plan") == a
    # tampering is detected
    text = p.read_text().splitlines()
    flipped = text[1].rsplit(",", 1)[0] + "," + ("0" if text[1].endswith("1") else "1")
    p.write_text("\n".join([text[0], flipped] + text[2:]) + "\n")
    with pytest.raises(HotpatrolError, match="edited"):
        Allocation.load(p)


def test_operational_day_boundary():
    ts = ["2026-12-02 05:59", "2026-12-02 06:00", "2026-12-01 23:00"]
    d = operational_day(ts, "06:00")
    assert list(d) == [dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 1)]
    a = allocate(_ids(3), start="2026-12-01", days=2, k=1, seed=0)
    s, e = a.day_window("2026-12-01")
    assert s == pd.Timestamp("2026-12-01 06:00") and e == pd.Timestamp("2026-12-02 06:00")


@pytest.mark.parametrize("kwargs,param", [
    (dict(k=5), "k"), (dict(k=0), "k"), (dict(days=0), "days"), (dict(block="weekly"), "block"),
    (dict(day_start="6am"), "day_start"), (dict(start="not a date"), "start"), (dict(seed=-1), "seed"),
])
def test_bad_arguments_name_the_parameter(kwargs, param):
    base = dict(start="2026-12-01", days=5, k=2, seed=0)
    base.update(kwargs)
    with pytest.raises(HotpatrolError) as err:
        allocate(_ids(5), **base)
    assert err.value.parameter == param


def test_duplicate_ids_rejected():
    with pytest.raises(HotpatrolError, match="duplicates"):
        allocate(["a", "b", "a"], start="2026-12-01", days=5, k=1, seed=0)
