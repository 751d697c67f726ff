import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.timeprofile import aoristic_sum, aoristic_weights, assign_events, time_profile, uniform_profile


def test_aoristic_hand_computed_across_midnight():
    # 22:30 -> 01:30 (3 h): hour 22 gets 0.5/3, 23 and 00 get 1/3, 01 gets 0.5/3
    w = aoristic_weights(["2026-01-02 22:30"], ["2026-01-03 01:30"], period=24)[0]
    expected = np.zeros(24)
    expected[[22, 23, 0, 1]] = [0.5 / 3, 1 / 3, 1 / 3, 0.5 / 3]
    np.testing.assert_allclose(w, expected, atol=1e-12)


def test_aoristic_hand_computed_examples():
    w = aoristic_weights(["2026-01-05 09:00", "2026-01-05 09:15", "2026-01-05 14:20", "2026-01-05 08:00"],
                         ["2026-01-05 11:00", "2026-01-05 09:45", "2026-01-05 14:20", "2026-01-07 08:00"],
                         period=24)
    # 09:00-11:00: half in 9, half in 10
    assert w[0, 9] == pytest.approx(0.5) and w[0, 10] == pytest.approx(0.5) and w[0].sum() == pytest.approx(1)
    # 09:15-09:45 lies inside hour 9
    assert w[1, 9] == pytest.approx(1.0)
    # exact time: one-hot
    assert w[2, 14] == 1.0 and w[2].sum() == 1.0
    # exactly two whole days: uniform over 24 hours
    np.testing.assert_allclose(w[3], np.full(24, 1 / 24))


def test_aoristic_hour_of_week():
    # Monday 2026-01-05 is a Monday: Monday 23:00 -> Tuesday 01:00 -> hours-of-week 23 and 24
    w = aoristic_weights(["2026-01-05 23:00"], ["2026-01-06 01:00"], period=168)[0]
    assert w[23] == pytest.approx(0.5) and w[24] == pytest.approx(0.5)
    # Sunday 23:30 -> Monday 00:30 wraps the week: hour 167 and hour 0
    w = aoristic_weights(["2026-01-11 23:30"], ["2026-01-12 00:30"], period=168)[0]
    assert w[167] == pytest.approx(0.5) and w[0] == pytest.approx(0.5)


def test_aoristic_vectorised_many_rows_sum_to_one_and_group_totals_match():
    rng = np.random.default_rng(0)
    n = 100_000
    s = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 24 * 365, n), unit="h")
    e = s + pd.to_timedelta(np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0, 30, n)), unit="h")
    g = rng.integers(-1, 5, n)
    tot = aoristic_sum(s, e, g, 5, period=168)
    np.testing.assert_allclose(tot.sum(axis=1), np.bincount(g[g >= 0], minlength=5), rtol=1e-9)
    sub = slice(0, 5000)
    w = aoristic_weights(s[sub], e[sub], period=168)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    assert (w >= 0).all()
    gs = g[sub]
    ref = np.stack([w[gs == i].sum(axis=0) for i in range(5)])
    np.testing.assert_allclose(aoristic_sum(s[sub], e[sub], gs, 5, period=168), ref, atol=1e-9)


def test_aoristic_rejects_reversed_window():
    with pytest.raises(HotpatrolError) as err:
        aoristic_weights(["2026-01-02 10:00"], ["2026-01-02 09:00"])
    assert err.value.row == 0


def _events(n=200, seed=0, hour=22, precision="minute"):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    at = days + pd.to_timedelta(hour, unit="h") + pd.to_timedelta(rng.integers(0, 60, n), unit="min")
    return pd.DataFrame({"event_id": [str(i) for i in range(n)], "x": 500_010.0 + rng.uniform(-50, 50, n),
                         "y": 180_010.0 + rng.uniform(-50, 50, n), "occurred_at": at, "occurred_from": at,
                         "occurred_to": at, "time_precision": precision, "category": "Violence"})


def _hotspots():
    return pd.DataFrame({"place_id": ["a", "b"], "x": [500_000.0, 510_000.0], "y": [180_000.0, 180_000.0]})


def test_profile_peaks_at_event_hour_and_shrinks_to_force():
    ev = _events()
    prof = time_profile(ev, _hotspots(), cell=150, prior=5)
    h = prof.hourly()
    assert h.loc["a"].idxmax() == 22
    assert h.loc["a", 22] > 0.9
    # place b has no events: it is the force-wide profile, which here is also hour 22
    assert h.loc["b"].idxmax() == 22
    np.testing.assert_allclose(prof.weekly[1], prof.force)
    assert prof.n_timed.tolist() == [200, 0]


def test_month_precision_falls_back_to_uniform_with_note():
    ev = _events(precision="month")
    ev["occurred_from"] = pd.Timestamp("2026-01-01")
    ev["occurred_to"] = pd.Timestamp("2026-02-01")
    prof = time_profile(ev, _hotspots(), cell=150)
    np.testing.assert_allclose(prof.weekly, 1 / 168)
    assert any("monthly" in n for n in prof.notes)
    assert prof.n_untimed[0] == 200
    # a documented default profile instead of uniform
    default = np.r_[np.ones(18), np.full(6, 5.0)]
    prof2 = time_profile(ev, _hotspots(), cell=150, default=default)
    assert prof2.hourly().loc["a"].idxmax() >= 18


def test_window_events_are_spread():
    ev = _events(50, hour=20, precision="window")
    ev["occurred_to"] = ev["occurred_from"] + pd.Timedelta(hours=4)
    prof = time_profile(ev, _hotspots(), cell=150, prior=0)
    h = prof.hourly().loc["a"]
    # each event spreads over 4 hours starting 20:mm
    assert h[[20, 21, 22, 23, 0]].sum() == pytest.approx(1.0)
    assert h[21] > 0.2 and h[22] > 0.2


def test_shift_shares_sum_to_one_and_match_hand_values():
    prof = uniform_profile(["a"])
    s = prof.shift_shares()
    assert s["share"].sum() == pytest.approx(1.0)
    assert s.set_index("shift").loc["early", "share"] == pytest.approx(8 / 24)
    ev = _events(hour=22)
    prof = time_profile(ev, _hotspots(), cell=150, prior=0)
    s = prof.shift_shares([("day", "07:00", "19:00"), ("night", "19:00", "07:00")]).set_index(["place_id", "shift"])
    assert s.loc[("a", "night"), "share"] == pytest.approx(1.0)
    half = prof.shift_shares([("x", "22:30", "23:00")]).set_index("place_id")
    assert half.loc["a", "share"] == pytest.approx(0.5)
    by_day = prof.shift_shares(by_weekday=True)
    assert set(by_day["weekday"]) == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}


def test_slot_risk_follows_weekday_and_day_start():
    ev = _events(hour=22)
    prof = time_profile(ev, _hotspots(), cell=150, prior=0)
    r = prof.slot_risk("a", "2026-01-07", day_start="06:00", slot_minutes=15)
    assert len(r) == 96
    # slot of 22:00 is (22-6)*4 = 64
    assert np.argmax(r) in range(64, 68)


def test_assign_events_square_and_radius():
    hs = _hotspots()
    i = assign_events([500_070, 500_080, 510_000, 0], [180_000, 180_000, 180_060, 0], hs, cell=150)
    assert i.tolist() == [0, -1, 1, -1]
    j = assign_events([500_070, 500_080], [180_000, 180_000], hs, radius=75)
    assert j.tolist() == [0, -1]


def test_profile_save_load(tmp_path):
    prof = time_profile(_events(), _hotspots(), cell=150)
    p = prof.save(tmp_path / "profiles.csv")
    from hotpatrol.timeprofile import TimeProfile

    back = TimeProfile.load(p)
    np.testing.assert_allclose(back.weekly, prof.weekly)
    assert back.notes == prof.notes and back.place_ids == ["a", "b"]


def test_daily_profile_and_event_windows_by_precision():
    from hotpatrol.timeprofile import event_windows

    ev = pd.DataFrame({
        "occurred_from": pd.to_datetime(["2026-01-09 00:00", "2026-01-01 00:00", "2026-01-10 21:00", "2026-01-03 00:00"]),
        "occurred_to": pd.to_datetime([None, "2026-02-01 00:00", "2026-01-11 01:00", "2026-01-20 00:00"]),
        "occurred_at": pd.to_datetime(["2026-01-09 00:00", "2026-01-01 00:00", "2026-01-10 21:00", "2026-01-03 00:00"]),
        "time_precision": ["day", "month", "window", "window"],
    })
    start, end, kind = event_windows(ev, max_window_hours=168)
    assert list(kind) == ["window", "none", "window", "none"]  # a day is a 24 h window; 17 days is too vague
    assert end[0] == pd.Timestamp("2026-01-10 00:00")
    ev2 = _events(hour=22)
    ev2.loc[:, "occurred_at"] = pd.Timestamp("2026-01-09 22:10")  # all on a Friday
    ev2["occurred_from"] = ev2["occurred_to"] = ev2["occurred_at"]
    prof = time_profile(ev2, _hotspots(), cell=150, prior=0)
    d = prof.daily()
    assert list(d.columns) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert d.loc["a", "Fri"] == pytest.approx(1.0)


def test_aoristic_day_precision_spreads_over_the_day():
    ev = _events(10, precision="day")
    ev["occurred_from"] = ev["occurred_from"].dt.normalize()
    ev["occurred_to"] = pd.NaT
    prof = time_profile(ev, _hotspots(), cell=150, prior=0)
    np.testing.assert_allclose(prof.hourly().loc["a"].to_numpy(), 1 / 24)
