"""Library over hand-written code: BH from statsmodels, the one renderer, the shared kernels, .ics via icalendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotpatrol import kernels
from hotpatrol.hotspots import inference
from hotpatrol.hotspots.emerging import fdr_bh
from hotpatrol.render import render_string, trusted
from hotpatrol.results import Summary


def _old_bh(p):
    """The hand-written Benjamini-Hochberg the library used before (kept here as the reference)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = len(q)
    if m:
        order = np.argsort(q, kind="stable")
        adj = np.minimum.accumulate((q[order] * m / np.arange(1, m + 1))[::-1])[::-1]
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out


def _old_holm(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate(p[order] * (m - np.arange(1, m + 1) + 1))
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def test_library_bh_and_holm_equal_the_old_hand_written_ones_with_ties_and_nans():
    rng = np.random.default_rng(3)
    p = np.round(rng.random(500) ** 3, 3)  # many ties
    p[::37] = np.nan
    np.testing.assert_allclose(inference.adjust_pvalues(p, "fdr"), _old_bh(p), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(fdr_bh(p.reshape(20, 25)), _old_bh(p).reshape(20, 25), rtol=1e-12, equal_nan=True)
    ok = np.isfinite(p)
    np.testing.assert_allclose(inference.adjust_pvalues(p, "holm")[ok], _old_holm(p[ok]), rtol=1e-12)
    assert np.isnan(inference.adjust_pvalues(p, "holm")[~ok]).all()


def test_renderer_escapes_every_value_and_keeps_only_trusted_html():
    html = render_string("<p>{{ a }}</p>{{ b }}{{ c }}", a="<script>x & y</script>",
                         b=trusted("<b>bold</b>"), c=Summary("t<1>", pd.DataFrame({"k": ["<i>"]}), []))
    assert "&lt;script&gt;x &amp; y&lt;/script&gt;" in html and "<script>" not in html
    assert "<b>bold</b>" in html  # trusted HTML goes in as is
    assert "<section><h3>t&lt;1&gt;</h3>" in html and "&lt;i&gt;" in html  # a Summary renders as its escaped HTML
    assert trusted(None) is None


def test_briefing_escapes_team_names_once(tmp_path):
    from hotpatrol.patrol.briefing import briefing_html
    from hotpatrol.patrol.plan import create_plan

    from test_patrol_plan import _selection

    plan = create_plan(_selection(), days=3, k=2, seed=1, start="2026-12-01", teams=["<A&B>", "C"])
    day = plan.schedule.loc[plan.schedule["team"] == "<A&B>", "day"].iloc[0]
    html = briefing_html(plan, day=day)
    assert "&lt;A&amp;B&gt;" in html
    assert "&amp;amp;" not in html and "<A&B>" not in html
    assert "@page { size: A4" in html  # the CSS is trusted, not escaped


def test_shared_kernels_keep_the_old_formulas():
    d = np.linspace(0, 700, 141)
    h = 200.0
    u = 1.0 - d**2 / h**2
    np.testing.assert_array_equal(kernels.density(d**2, h, "quartic"), np.where(u > 0, 3.0 / (np.pi * h * h) * u * u, 0.0))
    gauss = np.exp(-d**2 / (2 * h * h)) / (2 * np.pi * h * h)
    np.testing.assert_array_equal(kernels.density(d**2, h, "gaussian"), np.where(d**2 <= (4 * h) ** 2, gauss, 0.0))
    np.testing.assert_array_equal(kernels.shape(d, h, "gaussian"), np.where(d <= 3 * h, np.exp(-0.5 * (d / h) ** 2), 0.0))
    np.testing.assert_array_equal(kernels.shape(d, h, "quartic"), np.where(d / h < 1, (1 - (d / h) ** 2) ** 2, 0.0))
    assert kernels.reach(h, "gaussian", cut=3.0) == 600.0 and kernels.reach(h, "quartic", cut=3.0) == h
    # the quartic density integrates to 1 over the plane
    r = np.linspace(0, h, 20001)
    assert np.trapezoid(kernels.density(r**2, h, "quartic") * 2 * np.pi * r, r) == pytest.approx(1.0, rel=1e-6)


def test_ics_times_carry_the_london_zone_across_clock_changes():
    from hotpatrol.patrol.ics import _ics_time

    # naive wall-clock times: the repeated autumn hour is its first occurrence (BST), a skipped spring
    # time takes the offset before the change (RFC 5545 3.3.5): 01:30 GMT = 02:30 BST
    autumn = _ics_time(pd.Timestamp("2026-10-25 01:30"), "Europe/London")
    assert autumn.utcoffset() == pd.Timedelta(hours=1) and str(autumn.tzinfo) == "Europe/London"
    spring = _ics_time(pd.Timestamp("2026-03-29 01:30"), "Europe/London")
    assert (spring.hour, spring.minute) == (2, 30) and spring.utcoffset() == pd.Timedelta(hours=1)
    # zone-aware times keep their instant
    aware = _ics_time(pd.Timestamp("2026-07-01 12:00", tz="UTC"), "Europe/London")
    assert (aware.hour, str(aware.tzinfo)) == (13, "Europe/London")
