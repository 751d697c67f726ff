"""The printable patrol briefing: HTML (and PDF via WeasyPrint) with a map of each hotspot
(matplotlib PNG embedded), its boundary and its recent harmful crimes.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError


def hotspot_map_png(plan, place_id, *, margin: float = 250.0, dpi: int = 110) -> bytes:
    """A PNG map of one hotspot: its boundary, recent harmful crimes sized by harm, a scale bar."""
    from matplotlib.patches import Rectangle

    from hotpatrol.plotting import figure_png, new_figure

    row = plan.hotspots[plan.hotspots["place_id"].astype(str) == str(place_id)].iloc[0]
    cx, cy = float(row["x"]), float(row["y"])
    cell = plan.params.get("cell")
    fig, ax = new_figure(figsize=(3.4, 3.4))
    # neighbouring selected hotspots for context
    others = plan.hotspots[(np.abs(plan.hotspots["x"] - cx) < margin * 2) & (np.abs(plan.hotspots["y"] - cy) < margin * 2)]
    h = float(cell) / 2 if cell else 40.0
    for o in others.itertuples():
        own = str(o.place_id) == str(place_id)
        ax.add_patch(Rectangle((o.x - h, o.y - h), 2 * h, 2 * h, fill=own, alpha=0.15 if own else 1,
                               facecolor="crimson", edgecolor="crimson" if own else "0.5",
                               lw=2 if own else 0.8, ls="-" if own else "--"))
    crimes = plan.crimes
    if len(crimes):
        c = crimes[crimes["place_id"].astype(str) == str(place_id)]
        if len(c):
            size = 15 + 120 * np.sqrt(c["harm"] / max(float(crimes["harm"].max()), 1e-9))
            ax.scatter(c["x"], c["y"], s=size, c="black", alpha=0.6, edgecolors="white", lw=0.5, zorder=3)
    ax.set_xlim(cx - margin, cx + margin)
    ax.set_ylim(cy - margin, cy + margin)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.plot([cx - margin * 0.9, cx - margin * 0.9 + 100], [cy - margin * 0.88] * 2, c="k", lw=2)
    ax.text(cx - margin * 0.9 + 50, cy - margin * 0.82, "100 m", ha="center", fontsize=7)
    ax.annotate("N", (cx + margin * 0.85, cy + margin * 0.7), ha="center", fontsize=9, weight="bold")
    ax.set_title(f"#{row['rank']} {place_id}", fontsize=9)
    return figure_png(fig, dpi=dpi, bbox_inches="tight")


def _hm(ts) -> str:
    """Clock time for the briefing; with the zone name (BST/GMT) when the wall-clock time occurs twice
    or not at all that day (a clock change), so the repeated hour is never ambiguous on paper."""
    ts = pd.Timestamp(ts)
    text = ts.strftime("%H:%M")
    if ts.tzinfo is not None:
        from hotpatrol.localtime import resolve_local

        r = resolve_local([ts.tz_localize(None)], str(ts.tzinfo))
        if r.ambiguous[0] or r.nonexistent[0]:
            text += f" {ts.tzname()}"
    return text


_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: DejaVu Sans, Arial, sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4pt 0; } h2 { font-size: 12pt; margin: 10pt 0 4pt 0; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; } th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; }
th { background: #eee; } .hotspot { page-break-inside: avoid; border-top: 2px solid #900; margin-top: 8pt; padding-top: 4pt; }
.cols { display: flex; gap: 8pt; } .map { width: 62mm; } .notes { font-size: 8.5pt; color: #444; }
"""


def briefing_html(plan, *, day=None, max_crimes: int = 8) -> str:
    """Printable briefing: the day's visits (or the whole plan), then one section per hotspot."""
    from hotpatrol.render import render_string, trusted

    s = plan.allocation.scheme
    if day is not None:
        days = plan.allocation.days
        try:
            d = pd.Timestamp(day).date()
        except (ValueError, TypeError):
            d = None
        if d not in days:
            raise HotpatrolError("The briefing day is not an operational day of the plan.", parameter="day",
                                 allowed=f"{days[0]}..{days[-1]}", given=str(day))
        visits = plan.day(day)
        ids = list(dict.fromkeys(visits["hotspot_id"].tolist()))
        heading = f"Hotspot patrol briefing - operational day {pd.Timestamp(day).date()} ({s['day_start']} start)"
    else:
        visits = plan.schedule.iloc[0:0]
        ids = plan.hotspots["place_id"].tolist()
        heading = f"Hotspot patrol plan - {s['days']} days from {s['start']}"
    shares = plan.profile.shift_shares([tuple(x) for x in plan.params["shifts"]])
    peaks = plan.profile.peak_hours(3).set_index("place_id")["peak_hours"]
    counts = plan.allocation.counts()
    sections = []
    for pid in ids:
        row = plan.hotspots[plan.hotspots["place_id"].astype(str) == str(pid)].iloc[0]
        png = base64.b64encode(hotspot_map_png(plan, pid)).decode()
        sh = shares[shares["place_id"].astype(str) == str(pid)]
        crimes = plan.crimes[plan.crimes["place_id"].astype(str) == str(pid)].head(max_crimes) if len(plan.crimes) else plan.crimes
        v = visits[visits["hotspot_id"].astype(str) == str(pid)] if len(visits) else visits
        sections.append({
            "rank": row["rank"], "pid": str(pid), "harm": f"{row['harm']:,.1f}" if pd.notna(row["harm"]) else "-",
            "district": str(row["district"]) if "district" in row and pd.notna(row.get("district")) else "",
            "png": png, "peaks": str(peaks.get(pid, "")), "days": int(counts.get(pid, 0)),
            "shares": [(str(r.shift), f"{r.share:.0%}") for r in sh.itertuples()],
            "crimes": [(pd.Timestamp(c.occurred_at).strftime("%d %b %Y %H:%M"), str(c.category), f"{c.harm:,.0f}")
                       for c in crimes.itertuples()],
            "visits": [(_hm(x.start), _hm(x.end), str(x.team))
                       for x in v.itertuples()],
        })
    vis_rows = [(_hm(r.start), _hm(r.end), str(r.hotspot_id),
                 str(r.team), str(r.shift), f"{r.risk_share:.0%}") for r in visits.itertuples()]
    # autoescaped: every value (team names, categories, place ids) is escaped; only the CSS is trusted
    return render_string(_TEMPLATE, css=trusted(_CSS), heading=heading, visits=vis_rows, sections=sections,
                      dwell=plan.params["dwell"], sha=plan.allocation.sha256[:16], notes=list(plan.profile.notes),
                      no_crimes=not len(plan.crimes))


_TEMPLATE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ heading }}</title><style>{{ css }}</style></head>
<body><h1>{{ heading }}</h1>
<p>Each visit: walk to the hotspot and stay <b>{{ '%g' % dwell }} minutes</b>, visible and on foot, then leave.
Do not patrol hotspots that are not on today's list: they are the comparison. Plan {{ sha }}.</p>
{% if visits %}<h2>Today's visits</h2><table><tr><th>Start</th><th>End</th><th>Hotspot</th><th>Team</th><th>Shift</th><th>Risk covered</th></tr>
{% for v in visits %}<tr><td>{{ v[0] }}</td><td>{{ v[1] }}</td><td>{{ v[2] }}</td><td>{{ v[3] }}</td><td>{{ v[4] }}</td><td>{{ v[5] }}</td></tr>{% endfor %}</table>{% endif %}
{% for s in sections %}<div class="hotspot"><h2>#{{ s.rank }} - {{ s.pid }}{% if s.district %} ({{ s.district }}){% endif %}</h2>
<div class="cols"><img class="map" src="data:image/png;base64,{{ s.png }}" alt="map of hotspot {{ s.pid }}"/>
<div><p>Harm score {{ s.harm }} &middot; patrol days in plan {{ s.days }} &middot; riskiest hours {{ s.peaks }}</p>
<table><tr>{% for sh in s.shares %}<th>{{ sh[0] }}</th>{% endfor %}</tr><tr>{% for sh in s.shares %}<td>{{ sh[1] }}</td>{% endfor %}</tr></table>
{% if s.visits %}<p>Visits: {% for v in s.visits %}{{ v[0] }}-{{ v[1] }} ({{ v[2] }}){% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
{% if s.crimes %}<table><tr><th>When</th><th>Recent harmful crime</th><th>Harm</th></tr>
{% for c in s.crimes %}<tr><td>{{ c[0] }}</td><td>{{ c[1] }}</td><td>{{ c[2] }}</td></tr>{% endfor %}</table>
{% elif no_crimes %}<p class="notes">No crime records were given with the plan.</p>{% else %}<p class="notes">No recorded crimes here in the look-back window.</p>{% endif %}
</div></div></div>{% endfor %}
{% if notes %}<h2>Notes</h2><ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</body></html>"""


def write_briefing(plan, path: str | Path, *, day=None) -> Path:
    """Write the briefing as ``.html`` or ``.pdf`` (WeasyPrint) by the path's suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = briefing_html(plan, day=day)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        path.write_text(text, encoding="utf-8")
    elif suffix == ".pdf":
        _write_pdf(text, path)
    else:
        raise HotpatrolError("Unknown briefing format.", parameter="path", allowed=[".html", ".pdf"], given=str(path))
    return path


def _write_pdf(text: str, path: Path) -> int:
    from weasyprint import HTML

    doc = HTML(string=text).render()
    doc.write_pdf(path)
    return len(doc.pages)


def briefing_pdf(plan, path: str | Path, *, day=None) -> int:
    """Write the briefing PDF and return its number of pages."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_pdf(briefing_html(plan, day=day), path)
