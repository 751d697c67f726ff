"""Clock changes (Europe/London, last Sunday of March and of October): every stage measures time on
absolute instants and uses local time only as a label (issue 16, case 05)."""

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.localtime import day_hours, elapsed_days, resolve_local, to_local, to_utc

CRS = "EPSG:27700"
# a 150 m BNG cell in the City of London and a point inside it (case 05)
HOT = pd.DataFrame({"hotspot_id": ["H1"], "x": [533175.0], "y": [181575.0], "cell": [150]})
PX, PY = 533180.0, 181570.0


def pings_utc(start: str, end: str, every: str = "30s") -> pd.DataFrame:
    t = pd.date_range(start, end, freq=every, tz="UTC")
    return pd.DataFrame({"officer_id": "PC1", "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "x": PX, "y": PY})


# --------------------------------------------------------------------------------------------------
# the shared rule
# --------------------------------------------------------------------------------------------------
def test_resolve_local_rule_ambiguous_first_nonexistent_offset_before():
    r = resolve_local(["2019-10-27 01:30", "2019-03-31 01:30", "2019-06-01 12:00", None])
    assert list(r.utc[:3]) == [pd.Timestamp("2019-10-27 00:30"), pd.Timestamp("2019-03-31 01:30"),
                               pd.Timestamp("2019-06-01 11:00")]
    assert pd.isna(r.utc[3])
    assert r.ambiguous.tolist() == [True, False, False, False]
    assert r.nonexistent.tolist() == [False, True, False, False]
    assert "repeated hour" in r.note() and "skipped" in r.note()
    # the same rule elsewhere: Vancouver springs forward at 02:00 PST on 10 Mar 2019
    v = resolve_local(["2019-03-10 02:30"], "America/Vancouver")
    assert v.utc[0] == pd.Timestamp("2019-03-10 10:30") and v.nonexistent[0]
    with pytest.raises(HotpatrolError) as e:
        resolve_local(["2019-01-01"], "Mars/Olympus")
    assert e.value.parameter == "tz"


def test_to_utc_keeps_series_index_and_aware_input_is_exact():
    s = pd.Series(pd.to_datetime(["2019-10-27 00:30", "2019-10-27 03:30"]), index=[7, 9])
    u = to_utc(s)
    assert list(u.index) == [7, 9] and (u.iloc[1] - u.iloc[0]) == pd.Timedelta(hours=4)
    aware = pd.Series(pd.to_datetime(["2019-10-27T01:30:00+00:00"]))
    assert to_utc(aware).iloc[0] == pd.Timestamp("2019-10-27 01:30")
    back = to_local(pd.Series(pd.to_datetime(["2019-10-27 00:30", "2019-10-27 01:30"])), aware=True)
    assert [str(x) for x in back] == ["2019-10-27 01:30:00+01:00", "2019-10-27 01:30:00+00:00"]


def test_elapsed_days_and_day_hours_across_both_changes():
    # 00:30 and 03:30 local on the autumn change day are 4 real hours apart, on the spring day 2
    assert np.allclose(elapsed_days(["2019-10-27 00:30", "2019-10-27 03:30"]) * 24, [0, 4])
    assert np.allclose(elapsed_days(["2019-03-31 00:30", "2019-03-31 03:30"]) * 24, [0, 2])
    assert np.allclose(elapsed_days(["2019-03-31 00:30"], origin="2019-03-30 00:30") * 24, [24])
    # operational days starting 06:00: the change falls in the day labelled the Saturday
    assert day_hours(["2019-10-26", "2019-10-27", "2019-03-30", "2019-03-31"], "06:00").tolist() == [25, 24, 23, 24]
    assert day_hours(["2019-10-27", "2019-03-31"]).tolist() == [25, 23]


# --------------------------------------------------------------------------------------------------
# dosage (case 05)
# --------------------------------------------------------------------------------------------------
def test_dosage_fall_back_two_real_hours():
    from hotpatrol.patrol.dosage import dosage

    p = pings_utc("2019-10-27 00:30", "2019-10-27 02:30")
    assert len(p) == 241
    alloc = pd.DataFrame({"day": ["2019-10-26"], "hotspot_id": ["H1"], "patrolled": [True]})
    r = dosage(p, hotspots=HOT, allocation=alloc, crs=CRS)
    c = r.compliance()
    assert c["minutes"] == pytest.approx(120.0)
    assert c["visits"] == 1 and c["koper_visits"] == 1 and c["compliance"] == 1.0
    v = r.visits.iloc[0]
    assert v["start"] == pd.Timestamp("2019-10-27 00:30", tz="UTC")  # 01:30 BST
    assert v["end"] == pd.Timestamp("2019-10-27 02:30", tz="UTC")  # 02:30 GMT
    assert str(v["start"]) == "2019-10-27 01:30:00+01:00" and str(v["end"]) == "2019-10-27 02:30:00+00:00"
    assert (v["pings"] - 1) / v["minutes"] == pytest.approx(2.0)  # a ping every 30 s
    assert round(v["ping_rate"], 1) == 2.0
    assert v["day"] == pd.Timestamp("2019-10-26")


def test_dosage_spring_forward_one_visit_of_sixty_minutes():
    from hotpatrol.patrol.dosage import dosage

    p = pings_utc("2019-03-31 00:30", "2019-03-31 01:30")
    alloc = pd.DataFrame({"day": ["2019-03-30"], "hotspot_id": ["H1"], "patrolled": [True]})
    r = dosage(p, hotspots=HOT, allocation=alloc, crs=CRS)
    c = r.compliance()
    assert c["visits"] == 1 and c["koper_visits"] == 1
    assert c["minutes"] == pytest.approx(60.0)
    assert str(r.visits["end"].iloc[0]) == "2019-03-31 02:30:00+01:00"


def test_dosage_speed_across_spring_change_uses_real_seconds():
    """A 5 km spike 30 real seconds after the last ping is a GPS jump; on the wall clock (00:59:30 ->
    02:00:00) it looked like an hour's silence and passed."""
    from hotpatrol.patrol.dosage import dosage

    p = pings_utc("2019-03-31 00:50", "2019-03-31 01:10")
    spike = p["timestamp"] == "2019-03-31T01:00:00Z"
    p.loc[spike, "x"] = PX + 5000.0
    r = dosage(p, hotspots=HOT, crs=CRS)
    assert r.quarantine_counts() == {"gps_jump": 1}
    assert str(r.quarantine["t"].iloc[0]) == "2019-03-31 01:00:00+00:00"
    assert r.compliance()["visits"] == 1 and r.compliance()["minutes"] == pytest.approx(20.0)


def test_dosage_naive_local_pings_are_read_by_the_rule_and_noted():
    """A tracker logging naive local time: the repeated hour is ambiguous; read as first occurrence, noted."""
    from hotpatrol.patrol.dosage import dosage

    t = pd.date_range("2019-10-27 00:30", "2019-10-27 01:29:30", freq="30s")  # naive BST wall clock
    p = pd.DataFrame({"officer_id": "PC1", "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "x": PX, "y": PY})
    r = dosage(p, hotspots=HOT, crs=CRS)
    assert r.compliance()["minutes"] == pytest.approx(59.5)
    assert str(r.visits["start"].iloc[0]) == "2019-10-27 00:30:00+01:00"
    notes = " ".join(r.summary().notes)
    assert "60 naive ping times fall in the repeated hour" in notes


def test_dosage_logs_across_the_change_measure_real_minutes():
    from hotpatrol.patrol.dosage import dosage

    logs = pd.DataFrame({"officer_id": ["PC1", "PC2"], "hotspot_id": ["H1", "H1"],
                         "start": ["2019-10-27T01:50:00+01:00", "2019-03-31 00:50"],
                         "end": ["2019-10-27T01:10:00+00:00", "2019-03-31 02:10"]})
    r = dosage(logs=logs, hotspots=HOT, crs=CRS)
    assert r.visits["minutes"].tolist() == pytest.approx([20.0, 20.0])
    assert r.visits["day"].tolist() == [pd.Timestamp("2019-10-26"), pd.Timestamp("2019-03-30")]


# --------------------------------------------------------------------------------------------------
# Knox and ETAS: time differences between events either side of a change
# --------------------------------------------------------------------------------------------------
def test_knox_time_difference_across_the_change_is_real_hours():
    from hotpatrol.forecast.knox import _as_days

    # 00:30 BST and 03:30 GMT on 27 Oct 2019: four real hours (the wall clock says three)
    days, _ = _as_days(pd.to_datetime(["2019-10-27 00:30", "2019-10-27 03:30"]).to_numpy())
    assert days * 24 == pytest.approx([0, 4])
    days, _ = _as_days(pd.to_datetime(["2019-03-31 00:30", "2019-03-31 03:30"]).to_numpy())
    assert days * 24 == pytest.approx([0, 2])
    # dates stay calendar days (the Near Repeat Calculator's convention): 30 Mar -> 6 Apr is 7 days
    days, _ = _as_days(pd.to_datetime(["2019-03-30", "2019-04-06"]).to_numpy())
    assert days.tolist() == [0, 7]


def test_knox_bands_pairs_by_real_time():
    """Two events 3 wall-clock hours apart in the autumn night are 4 real hours apart: with 3.5-hour
    temporal bands the pair lands in the second band."""
    from hotpatrol.forecast.knox import knox

    t = pd.to_datetime(["2019-10-27 00:30", "2019-10-27 03:30", "2019-06-01 12:00", "2019-08-01 12:00"])
    r = knox([0, 10, 5000, 9000], [0, 0, 5000, 9000], t.to_numpy(), spatial_band=100, n_spatial=1,
             temporal_band=3.5 / 24, n_temporal=2, permutations=9, random_state=1)
    near = r.observed[1]  # the [1 cm, 100 m) band
    assert near.tolist() == [0, 1, 0]


def _events(times, *, x0=0.0):
    n = len(times)
    return pd.DataFrame({"x": x0 + np.arange(n) * 10.0, "y": np.zeros(n), "occurred_at": pd.to_datetime(times),
                         "occurred_from": pd.to_datetime(times), "time_precision": "minute"})


def test_etas_event_times_are_real_days_across_both_changes():
    from hotpatrol.forecast._etas_common import prepare_events

    base = list(pd.date_range("2019-10-20", periods=20, freq="6h"))
    times = base + [pd.Timestamp("2019-10-27 00:30"), pd.Timestamp("2019-10-27 03:30")]
    prep = prepare_events(_events(times), coarse_times="error", rng=np.random.default_rng(0), model="ETAS")
    t = np.sort(prep["t"])
    assert (t[-1] - t[-2]) * 24 == pytest.approx(4.0)
    assert prep["origin"] == pd.Timestamp("2019-10-20")  # local label back
    assert prep["origin_utc"] == pd.Timestamp("2019-10-19 23:00")
    times = list(pd.date_range("2019-03-25", periods=20, freq="6h")) + [pd.Timestamp("2019-03-31 00:30"),
                                                                         pd.Timestamp("2019-03-31 03:30")]
    prep = prepare_events(_events(times), coarse_times="error", rng=np.random.default_rng(0), model="ETAS")
    t = np.sort(prep["t"])
    assert (t[-1] - t[-2]) * 24 == pytest.approx(2.0)


# --------------------------------------------------------------------------------------------------
# visit schedules, patrol plans and the .ics export
# --------------------------------------------------------------------------------------------------
def _peak_profile(ids, hour_of_week):
    from hotpatrol.timeprofile import HOURS_PER_WEEK, TimeProfile

    w = np.full(HOURS_PER_WEEK, 1e-6)
    w[hour_of_week] = 1.0
    w /= w.sum()
    n = len(ids)
    return TimeProfile(list(ids), np.tile(w, (n, 1)), w, np.zeros(n), np.zeros(n))


def _one_day_schedule(day, hour_of_week, visits):
    from hotpatrol.patrol.design import allocate
    from hotpatrol.patrol.schedule import build_schedule

    alloc = allocate(["a", "b"], start=day, days=1, k=1, seed=0)
    return build_schedule(alloc, _peak_profile(["a", "b"], hour_of_week), visits=visits, dwell=15, min_gap=15,
                          teams=1, travel=0)


def test_schedule_autumn_day_has_two_one_oclock_hours_of_real_slots():
    # Sunday 01:00 is hour-of-week 6 * 24 + 1; the night of 26-27 Oct 2019 has it twice
    s = _one_day_schedule("2019-10-26", 6 * 24 + 1, visits=8)
    assert len(s) == 8
    assert ((s["end"] - s["start"]) == pd.Timedelta(minutes=15)).all()  # real length, every visit
    assert (s["start"].dt.hour == 1).all()
    assert sorted(str(x) for x in s["start"]) == sorted(f"2019-10-27 01:{m:02d}:00+0{o}:00" for o in (0, 1)
                                                        for m in (0, 15, 30, 45))
    assert s["start"].sort_values().diff().dropna().eq(pd.Timedelta(minutes=15)).all()  # 8 real quarter-hours
    assert s["start"].is_unique and s["risk_share"].sum() == pytest.approx(1.0, abs=1e-4)
    assert set(s["shift"]) == {"night"}


def test_schedule_spring_day_has_no_slot_in_the_skipped_hour():
    # peak at Sunday 00:00-00:59 GMT: the 00:45 visit ends at 02:00 BST, 15 real minutes later
    s = _one_day_schedule("2019-03-30", 6 * 24 + 0, visits=4)
    assert [str(x) for x in s["start"]] == [f"2019-03-31 00:{m:02d}:00+00:00" for m in (0, 15, 30, 45)]
    assert str(s["end"].iloc[-1]) == "2019-03-31 02:00:00+01:00"
    assert ((s["end"] - s["start"]) == pd.Timedelta(minutes=15)).all()
    # a profile peaking in the hour that does not exist gives no visit there: every start is a real time
    s = _one_day_schedule("2019-03-30", 6 * 24 + 1, visits=3)
    local = s["start"].dt.tz_localize(None)
    assert not ((local >= "2019-03-31 01:00") & (local < "2019-03-31 02:00")).any()
    assert (s["start"] >= pd.Timestamp("2019-03-30 06:00", tz="Europe/London")).all()
    assert (s["end"] <= pd.Timestamp("2019-03-31 06:00", tz="Europe/London")).all()


def test_plan_ics_round_trip_across_the_change(tmp_path):
    icalendar = pytest.importorskip("icalendar")
    from hotpatrol.patrol.briefing import briefing_html
    from hotpatrol.patrol.ics import write_ics
    from hotpatrol.patrol.plan import PatrolPlan, create_plan

    from test_patrol_plan import _selection

    plan = create_plan(_selection(), days=2, k=3, seed=3, start="2019-10-26", visits=3, teams=2)
    plan.profile = _peak_profile(plan.hotspots["place_id"], 6 * 24 + 1)
    from hotpatrol.patrol.schedule import build_schedule

    plan.schedule = build_schedule(plan.allocation, plan.profile, visits=3, dwell=15, min_gap=30, teams=2)
    sched = plan.schedule
    night = sched[sched["day"] == pd.Timestamp("2019-10-26").date()]["start"]
    in_repeat = night[night.dt.hour == 1]
    assert {x.utcoffset() for x in in_repeat} == {pd.Timedelta(hours=1), pd.Timedelta(0)}  # both 01:00 hours used
    for p in write_ics(plan, tmp_path / "cal"):
        cal = icalendar.Calendar.from_ical(p.read_bytes())
        team = sched[sched["team"] == p.stem.replace("_", " ")]
        got = sorted((pd.Timestamp(e.decoded("DTSTART")), pd.Timestamp(e.decoded("DTEND"))) for e in cal.walk("VEVENT"))
        want = sorted(zip(team["start"], team["end"]))
        # the same instants: TZID=Europe/London, and UTC for times in the repeated 01:00 hour (RFC 5545
        # would read a TZID time there as its first occurrence)
        assert got == want
        for a, _ in got:
            second = a.tz_convert("Europe/London")
            second = (second.hour == 1 and second.utcoffset() == pd.Timedelta(0)
                      and second.date() == pd.Timestamp("2019-10-27").date())
            assert str(a.tzinfo) == ("UTC" if second else "Europe/London")
        assert all(b - a == pd.Timedelta(minutes=15) for a, b in got)
    # the briefing names the zone for times in the repeated hour
    html = briefing_html(plan, day="2019-10-26")
    assert "01:30 BST" in html or "01:00 BST" in html or "01:00 GMT" in html
    # the saved plan reads back the same instants
    plan.save(tmp_path / "plan")
    back = PatrolPlan.load(tmp_path / "plan")
    assert back.schedule["start"].tolist() == sched["start"].tolist()


# --------------------------------------------------------------------------------------------------
# hour-of-week profiles and shift forecasts: a 25-hour day has two 01:00 hours
# --------------------------------------------------------------------------------------------------
def test_aoristic_windows_are_spread_over_real_hours():
    from hotpatrol.timeprofile import aoristic_weights

    w = aoristic_weights(["2019-10-27 00:00", "2019-03-31 00:00", "2019-10-27 01:30"],
                         ["2019-10-27 04:00", "2019-03-31 04:00", "2019-10-27 01:30"])
    # autumn: 5 real hours, the 01:00 bin twice; spring: 3 real hours, nothing in the skipped 01:00
    assert w[0, :4] == pytest.approx([0.2, 0.4, 0.2, 0.2])
    assert w[1, :4] == pytest.approx([1 / 3, 0, 1 / 3, 1 / 3])
    assert w[2, 1] == 1.0 and np.allclose(w.sum(axis=1), 1)


def test_shift_hour_weights_count_real_hours_across_the_change():
    from hotpatrol.forecast.shifts import hour_weights

    autumn = hour_weights("2019-10-21 00:00", "7D")  # Monday to Monday, holding 27 Oct
    assert autumn.sum() == pytest.approx(169) and autumn[6 * 24 + 1] == pytest.approx(2)
    spring = hour_weights("2019-03-25 00:00", "7D")
    assert spring.sum() == pytest.approx(167) and spring[6 * 24 + 1] == 0
    night = hour_weights("2019-10-26 06:00", "1D", "night")  # the night shift holding the change: 9 real hours
    assert night.sum() == pytest.approx(9)
    assert hour_weights("2019-03-30 06:00", "1D", "night").sum() == pytest.approx(7)
    assert hour_weights("2019-07-06 06:00", "1D", "night").sum() == pytest.approx(8)


# --------------------------------------------------------------------------------------------------
# evaluation: operational days of 23 and 25 hours
# --------------------------------------------------------------------------------------------------
def test_trial_glm_uses_real_day_length_as_exposure():
    """Crime proportional to real hours and no patrol effect: with the exposure offset the patrol rate
    ratio is 1, although most patrols of one Saturday fell on the 25-hour one."""
    from hotpatrol.evaluate.trial import fit_glm

    days = pd.date_range("2019-10-19", "2019-10-27")
    rows = []
    for d in days:
        for h in ("a", "b", "c", "d"):
            # more hotspots patrolled on the 25-hour Saturday (26 Oct) than on the other Saturday
            patrolled = (h != "d") if d == pd.Timestamp("2019-10-26") else (h == ("a", "b", "c", "d")[d.day % 4])
            rows.append({"day": d, "hotspot_id": h, "patrolled": patrolled, "dow": d.dayofweek})
    panel = pd.DataFrame(rows)
    panel["hours"] = day_hours(panel["day"], "06:00")
    assert sorted(set(panel["hours"])) == [24, 25]
    panel["count"] = 10.0 * panel["hours"] / 24
    with_offset = fit_glm(panel, "count", ["patrolled"])
    assert with_offset["patrolled"]["rate_ratio"] == pytest.approx(1.0, abs=1e-6)
    without = fit_glm(panel.drop(columns="hours"), "count", ["patrolled"])
    assert without["patrolled"]["rate_ratio"] > 1.0  # the extra hour read as a patrol effect


def test_dosage_cli_case_05_fall_back(tmp_path):
    """The case's command: pings in UTC across the October change, one 150 m cell, the plan for 26 Oct."""
    import json

    from typer.testing import CliRunner

    from hotpatrol.cli import app

    pings_utc("2019-10-27 00:30", "2019-10-27 02:30").to_csv(tmp_path / "pings_utc.csv", index=False)
    HOT.to_csv(tmp_path / "hotspots.csv", index=False)
    pd.DataFrame({"day": ["2019-10-26"], "hotspot_id": ["H1"], "patrolled": [True]}).to_csv(
        tmp_path / "allocation.csv", index=False)
    r = CliRunner().invoke(app, ["dosage", "--pings", str(tmp_path / "pings_utc.csv"), "--hotspots",
                                 str(tmp_path / "hotspots.csv"), "--allocation", str(tmp_path / "allocation.csv"),
                                 "--crs", CRS, "--out", str(tmp_path / "d.csv"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["compliance"]["minutes"] == 120.0 and out["compliance"]["visits"] == 1
    v = pd.read_csv(tmp_path / "d.visits.csv")
    assert v[["start", "end"]].iloc[0].tolist() == ["2019-10-27 01:30:00+01:00", "2019-10-27 02:30:00+00:00"]
    r = CliRunner().invoke(app, ["dosage", "--pings", str(tmp_path / "pings_utc.csv"), "--hotspots",
                                 str(tmp_path / "hotspots.csv"), "--crs", CRS, "--tz", "Nowhere/Atlantis",
                                 "--out", str(tmp_path / "e.csv"), "--json"])
    assert r.exit_code != 0 and "Nowhere/Atlantis" in r.output


def test_etas_predict_window_counts_real_days_from_the_origin():
    from types import SimpleNamespace

    from hotpatrol.forecast._etas_common import predict_window

    # a model whose first event was 00:00 BST on 26 Oct 2019 (23:00 UTC on the 25th)
    m = SimpleNamespace(origin_=pd.Timestamp("2019-10-26 00:00"), origin_utc_=pd.Timestamp("2019-10-25 23:00"),
                        fitted_until_=pd.Timestamp("2019-10-27 00:00"))
    s, h, _, _, _ = predict_window(m, "2019-10-28 00:00", "1D")  # local midnight two days on: 49 real hours
    assert s * 24 == pytest.approx(49.0) and h == 1.0
