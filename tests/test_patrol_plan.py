import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.design import allocate
from hotpatrol.patrol.plan import PatrolPlan, create_plan
from hotpatrol.patrol.schedule import Team, best_starts, build_schedule
from hotpatrol.timeprofile import time_profile, uniform_profile

PEAK = {"h0": 22, "h1": 13, "h2": 2, "h3": 22, "h4": 9, "h5": 18}


def _selection():
    ids = list(PEAK)
    f = pd.DataFrame({"rank": range(1, 7), "place_id": ids, "x": 530_000.0 + 1000 * np.arange(6),
                      "y": np.full(6, 181_000.0), "harm": [900.0, 800, 700, 600, 500, 400],
                      "district": ["A", "A", "B", "B", "C", "C"]})
    f.attrs.update({"crs": "EPSG:27700", "cell": 150.0})
    return f


def _events(seed=0, n=60):
    rng = np.random.default_rng(seed)
    sel = _selection()
    rows = []
    for i, (pid, hour) in enumerate(PEAK.items()):
        day = pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.integers(0, 80, n), unit="D")
        at = day + pd.to_timedelta(hour, unit="h") + pd.to_timedelta(rng.integers(0, 60, n), unit="min")
        rows.append(pd.DataFrame({"event_id": [f"{pid}-{j}" for j in range(n)], "x": sel["x"][i] + rng.uniform(-60, 60, n),
                                  "y": sel["y"][i] + rng.uniform(-60, 60, n), "occurred_at": at, "occurred_from": at,
                                  "occurred_to": at, "time_precision": "minute",
                                  "category": rng.choice(["Violence and sexual offences", "Robbery"], n)}))
    return pd.concat(rows, ignore_index=True)


def test_best_starts_matches_brute_force():
    import itertools

    rng = np.random.default_rng(1)
    for _ in range(20):
        score = rng.random(14)
        score[rng.integers(0, 14)] = -np.inf
        v, gap = 3, 3
        brute = max((sum(score[list(c)]), c) for c in itertools.combinations(range(14), v)
                    if all(b - a >= gap for a, b in zip(c, c[1:])))
        got = best_starts(score, v, gap)
        assert score[got].sum() == pytest.approx(brute[0])
        assert np.all(np.diff(got) >= gap)


def test_visits_at_peak_hours_two_hours_apart():
    sel = _selection()
    prof = time_profile(_events(), sel, cell=150)
    alloc = allocate(sel["place_id"], start="2026-12-01", days=14, k=3, seed=2)
    sched = build_schedule(alloc, prof, visits=3, dwell=15, min_gap=120, teams=2)
    assert len(sched) == 14 * 3 * 3
    for (day, h), g in sched.groupby(["day", "hotspot_id"]):
        starts = g["start"].sort_values()
        assert (starts.diff().dropna() >= pd.Timedelta(hours=2)).all()
        assert ((g["end"] - g["start"]) == pd.Timedelta(minutes=15)).all()
        # the single best visit is in the peak hour of the place's profile
        best = g.loc[g["risk_share"].idxmax(), "start"]
        assert best.hour == PEAK[h]
        # inside the operational day
        t0 = (pd.Timestamp(day) + pd.Timedelta(hours=6)).tz_localize("Europe/London")
        assert (g["start"] >= t0).all() and (g["end"] <= t0 + pd.Timedelta(days=1)).all()
    # each patrolled hotspot-day appears, unpatrolled ones don't
    pat = alloc.frame[alloc.frame["patrolled"]]
    assert set(zip(pat["day"], pat["hotspot_id"])) == set(zip(sched["day"], sched["hotspot_id"]))


def test_uniform_profile_spreads_visits():
    alloc = allocate(list("abcd"), start="2026-12-01", days=2, k=2, seed=0)
    sched = build_schedule(alloc, uniform_profile(list("abcd")), visits=3, dwell=15, teams=3)
    for _, g in sched.groupby(["day", "hotspot_id"]):
        span = (g["start"].max() - g["start"].min())
        assert span >= pd.Timedelta(hours=10)  # spread over the day, not bunched at 06:00


def test_team_capacity_respected_and_balanced():
    sel = _selection()
    prof = time_profile(_events(), sel, cell=150)
    alloc = allocate(sel["place_id"], start="2026-12-01", days=10, k=4, seed=1)
    sched = build_schedule(alloc, prof, visits=2, dwell=15, travel=10, teams=2, team_minutes=75)
    used = sched.groupby(["day", "team", "shift"]).size() * 25
    assert used.max() <= 75
    assert set(sched["team"]) == {"Team 1", "Team 2"}
    # a team is never at two hotspots at once: its visits (plus travel) do not overlap
    for _, g in sched.sort_values("start").groupby("team"):
        assert (g["start"].diff().dropna() >= pd.Timedelta(minutes=25)).all()


def test_more_patrols_than_capacity_is_a_clear_error():
    alloc = allocate(list("abcdefgh"), start="2026-12-01", days=5, k=6, seed=0)
    with pytest.raises(HotpatrolError) as err:
        build_schedule(alloc, uniform_profile(list("abcdefgh")), visits=3, dwell=15, travel=10, teams=1,
                       team_minutes=60)
    msg = str(err.value)
    assert "6 hotspots x 3 visits" in msg and "450" in msg and "patrol-minutes a day" in msg
    assert err.value.fix


def test_team_working_only_night_shift():
    alloc = allocate(list("abc"), start="2026-12-01", days=3, k=1, seed=0)
    sched = build_schedule(alloc, uniform_profile(list("abc")), visits=2, teams=[Team("Nights", ("night",), 300)])
    assert set(sched["shift"]) == {"night"}
    hours = sched["start"].dt.hour
    assert ((hours >= 22) | (hours < 6)).all()


def test_create_plan_save_load_roundtrip(tmp_path):
    plan = create_plan(_selection(), days=20, k=3, seed=7, start="2026-12-01", visits=3, dwell=15, teams=2,
                       events=_events())
    assert plan.allocation.counts().between(10, 10).all()
    assert len(plan.crimes) > 0 and plan.crimes["harm"].max() > 1
    text = plan.summary().as_text()
    assert "20 operational days" in text and "sha256" in text
    plan.save(tmp_path / "plan")
    back = PatrolPlan.load(tmp_path / "plan")
    assert back.allocation == plan.allocation
    pd.testing.assert_frame_equal(back.schedule.reset_index(drop=True), plan.schedule.reset_index(drop=True),
                                  check_dtype=False)
    np.testing.assert_allclose(back.profile.weekly, plan.profile.weekly)
    assert back.params["visits"] == 3 and len(back.crimes) == len(plan.crimes)


def test_create_plan_without_events_notes_uniform():
    plan = create_plan(_selection(), days=5, k=2, seed=1, start="2026-12-01")
    assert any("uniform" in n for n in plan.summary().notes)
    assert plan.crimes.empty


def test_load_rejects_non_plan(tmp_path):
    with pytest.raises(HotpatrolError, match="plan.json"):
        PatrolPlan.load(tmp_path)
