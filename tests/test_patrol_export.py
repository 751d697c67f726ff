import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from hotpatrol.patrol.export import (briefing_html, ics_calendar, briefing_pdf, export_all, write_briefing, write_csv,
                                     write_geojson, write_ics)
from hotpatrol.patrol.plan import create_plan

from test_patrol_plan import _events, _selection


@pytest.fixture(scope="module")
def plan():
    return create_plan(_selection(), days=7, k=3, seed=3, start="2026-12-01", visits=3, teams=2, events=_events())


def test_csv_has_every_visit_with_lonlat(plan, tmp_path):
    out = pd.read_csv(write_csv(plan, tmp_path / "v.csv"))
    assert len(out) == len(plan.schedule) == 7 * 3 * 3
    assert {"day", "hotspot_id", "start", "end", "team", "shift", "lon", "lat", "rank"} <= set(out.columns)
    assert out["lat"].between(49, 61).all() and out["lon"].between(-8, 2).all()


def test_geojson_polygons_wgs84(plan, tmp_path):
    p = write_geojson(plan, tmp_path / "h.geojson")
    gj = json.loads(p.read_text())
    assert len(gj["features"]) == 6
    f = gj["features"][0]
    assert f["geometry"]["type"] == "Polygon"
    props = f["properties"]
    assert {"place_id", "patrol_days", "peak_hours", "share_early", "share_late", "share_night"} <= set(props)
    assert props["peak_hours"].startswith("22:00")  # h0 peaks at 22:00
    lon, lat = f["geometry"]["coordinates"][0][0]
    assert 49 < lat < 61 and -8 < lon < 2


def test_ics_parses_with_icalendar(plan, tmp_path):
    icalendar = pytest.importorskip("icalendar")
    paths = write_ics(plan, tmp_path / "cal")
    assert sorted(p.name for p in paths) == ["Team_1.ics", "Team_2.ics"]
    total = 0
    for p in paths:
        raw = p.read_bytes()
        assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
        cal = icalendar.Calendar.from_ical(raw)
        events = [c for c in cal.walk("VEVENT")]
        team = p.stem.replace("_", " ")
        sched = plan.schedule[plan.schedule["team"] == team]
        assert len(events) == len(sched)
        starts = sorted(pd.Timestamp(e.decoded("DTSTART")) for e in events)
        assert all(str(ts.tzinfo) == "Europe/London" for ts in starts)  # TZID times, not floating ones
        assert starts == sorted(sched["start"].tolist())  # the same instants (schedules are zone-aware)
        e = events[0]
        assert (e.decoded("DTEND") - e.decoded("DTSTART")).total_seconds() == 15 * 60
        assert "Hotspot patrol" in str(e.get("SUMMARY"))
        geo = e.get("GEO")
        assert 49 < geo.latitude < 61
        assert len({str(e.get("UID")) for e in events}) == len(events)
        total += len(events)
    assert total == len(plan.schedule)


def test_fold_long_lines_roundtrip(plan):
    # the icalendar package folds the lines: a long non-ASCII team name is never split inside a character
    team = "é" * 100
    ics = ics_calendar(plan.__class__(**{**plan.__dict__, "schedule": plan.schedule.assign(team=team)}), team)
    line = "X-WR-CALNAME:Hotspot patrols - " + team
    assert all(len(x.encode()) <= 75 for x in ics.split("\r\n"))
    assert line in ics.replace("\r\n ", "")


@pytest.mark.slow
def test_briefing_html_and_pdf(plan, tmp_path):
    day = plan.schedule["day"].iloc[0]
    html = briefing_html(plan, day=day)
    assert html.count("data:image/png;base64,") == 3  # a map per hotspot patrolled that day
    assert "Today's visits" in html and "Recent harmful crime" in html
    assert html.count("<tr><td>") >= 9  # the day's 9 visits are listed
    n_pages = briefing_pdf(plan, tmp_path / "b.pdf", day=day)
    data = (tmp_path / "b.pdf").read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert 1 <= n_pages <= 6
    assert len(data) > 20_000  # three embedded map images
    # render the first page to a picture (pypdfium2, else pdftoppm/ghostscript) and check it is not blank
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(tmp_path / "b.pdf"))
        assert len(pdf) == n_pages
        img = np.asarray(pdf[0].render(scale=0.7).to_pil().convert("L"), dtype=float) / 255
    except ImportError:
        tool = shutil.which("pdftoppm") or shutil.which("gs")
        if not tool:
            return
        png = tmp_path / "page1.png"
        cmd = ([tool, "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "b.pdf"),
                str(png.with_suffix(""))] if tool.endswith("pdftoppm") else
               [tool, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-r50", "-dFirstPage=1",
                "-dLastPage=1", f"-sOutputFile={png}", str(tmp_path / "b.pdf")])
        subprocess.run(cmd, check=True, timeout=60)
        import matplotlib.image as mpimg

        img = mpimg.imread(png)
    assert img.shape[0] > 300 and img.std() > 0.05  # text and a map, not an empty page


def test_briefing_whole_plan_html(plan, tmp_path):
    h = write_briefing(plan, tmp_path / "b.html")
    text = h.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("data:image/png;base64,") == 6


def test_export_all(plan, tmp_path):
    out = export_all(plan, tmp_path / "x", pdf=False)
    assert set(out) == {"csv", "geojson", "ics", "briefing"}
    assert len(out["ics"]) == 2
