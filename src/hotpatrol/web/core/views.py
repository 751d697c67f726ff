"""Pages: the force overview (a district's view for scoped roles), the audit trails, a health check."""

from __future__ import annotations

import csv
import json
from functools import wraps

import numpy as np
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.html import json_script

from hotpatrol.web import library
from hotpatrol.web.core.models import (FORCE_WIDE_ROLES, ROLE_LABELS, AccessLog, AnalysisRun, District, HotspotCell,
                                       district_of, role_of)


def nav_context(request):
    role = role_of(getattr(request, "user", None))
    return {"hp_role": role, "hp_role_label": ROLE_LABELS.get(role, ""), "hp_is_admin": role == "admin"}


def role_required(*roles):
    """Signed in (else to the sign-in page) and, when ``roles`` are given, one of them (else 403)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            role = role_of(request.user)
            if role is None or (roles and role not in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def health(request):
    return JsonResponse({"status": "ok"})


@role_required()
def overview(request):
    """The force overview; commanders and other district roles see their own district's view."""
    role = role_of(request.user)
    if role in FORCE_WIDE_ROLES:
        return _overview(request, None)
    district = district_of(request.user)
    if district is None:
        raise PermissionDenied
    return _overview(request, district)


@role_required()
def district(request, code: str):
    found = District.objects.restrict(request.user, "view").filter(code=code).first()
    if found is None:
        raise Http404("No such district.")
    return _overview(request, found)


def _overview(request, scope: District | None):
    user = request.user
    districts = District.objects.restrict(user, "view")
    if scope is not None:
        districts = districts.filter(pk=scope.pk)
    run = AnalysisRun.objects.restrict(user, "view").filter(force__districts__in=districts).distinct() \
        .defer("result").first() if districts.exists() else None
    # what the page shows depends only on the run and the scope (force or one district), not on the user:
    # cached for HOTPATROL_OVERVIEW_CACHE_SECONDS (a newly loaded district shows within that time)
    key = f"hotpatrol:overview:{run.pk if run else 0}:{scope.pk if scope else 'force'}:{settings.HOTPATROL_MAP_CELLS}"
    data = cache.get(key)
    if data is None:
        data = _overview_data(user, scope, districts, run)
        cache.set(key, data, settings.HOTPATROL_OVERVIEW_CACHE_SECONDS)
    return render(request, "core/overview.html", {
        **data, "scope": scope, "run": run,
        "district_links": District.objects.restrict(user, "view").only("code", "name") if scope is None else [],
    })


def _overview_data(user, scope: District | None, districts, run: AnalysisRun | None) -> dict:
    """The page's data: district outlines and the highest-harm cells (lon/lat) as one JSON script block,
    the ranking rows and the concentration figure."""
    features = [{"type": "Feature", "id": d.code, "properties": {"code": d.code, "name": d.name},
                 "geometry": json.loads(d.map_geometry)} for d in districts]
    cells, ranking, conc, total_cells = [], [], None, 0
    if run is not None:
        qs = HotspotCell.objects.restrict(user, "view").filter(run=run)
        if scope is not None:
            qs = qs.filter(district=scope)
        total_cells = qs.count()
        rows = list(qs.order_by("rank").values_list("id", "x", "y", "harm", "count", "rank", "district_rank",
                                                    "district__name", "cell_id")[:settings.HOTPATROL_MAP_CELLS])
        if rows:
            arr = np.array([(r[1], r[2]) for r in rows], dtype=float)
            half = run.cell / 2
            lon0, lat0 = library.to_lonlat(arr[:, 0] - half, arr[:, 1] - half)
            lon1, lat1 = library.to_lonlat(arr[:, 0] + half, arr[:, 1] + half)
            for i, r in enumerate(rows):
                local_rank = r[6] if scope is not None else r[5]
                cells.append([r[0], round(float(lon0[i]), 6), round(float(lat0[i]), 6), round(float(lon1[i]), 6),
                              round(float(lat1[i]), 6), round(r[3], 2), local_rank, r[4]])
            ranking = [{"id": r[0], "rank": r[6] if scope is not None else r[5], "cell_id": r[8], "harm": r[3],
                        "count": r[4], "district": r[7], "x": r[1], "y": r[2]} for r in rows[:20]]
        part = run.result.get("districts", {}).get(scope.code) if scope is not None else run.result.get("force")
        conc = _concentration_figure(part) if part else None
    payload = {"districts": {"type": "FeatureCollection", "features": features}, "cells": cells,
               "months": run.months if run else [], "cellApi": "/api/v1/hotspots/"}
    return {"payload_script": json_script(payload, "overview-data"), "ranking": ranking, "conc": conc,
            "shown": len(cells), "total_cells": total_cells}


def _concentration_figure(part: dict) -> dict:
    """SVG polyline points of the Lorenz curve and the headline shares."""
    lor = part.get("lorenz") or {}
    xs, ys = lor.get("places", []), lor.get("harm", [])
    w, h = 240.0, 240.0
    points = " ".join(f"{x * w:.1f},{h - y * h:.1f}" for x, y in zip(xs, ys))
    rows = (part.get("concentration") or {}).get("rows") or [{}]
    row = rows[-1]

    def pct(key):
        value = row.get(key)
        return None if not isinstance(value, (int, float)) else f"{value:.1%}"

    labels = [("Harm in the top 1% of cells", pct("share_in_top_1pct")),
              ("Harm in the top 5% of cells", pct("share_in_top_5pct")),
              ("Cells holding 50% of harm", pct("places_for_50pct")),
              ("Gini (generalised)", None if row.get("gini_generalized") is None else f"{row['gini_generalized']:.3f}")]
    shares = [(label, value) for label, value in labels if value is not None]
    return {"points": points, "w": w, "h": h, "row": row, "shares": shares,
            "cells": part.get("cells"), "harm": part.get("harm"), "crimes": part.get("crimes")}


# ------------------------------------------------------------------ audit
def _date(text):
    """A YYYY-MM-DD filter value, or None when empty or not a real day (the filter is then not applied)."""
    try:
        return parse_date(text or "")
    except ValueError:
        return None


def _audit_filters(request, qs, *, when: str, actor: str, model: str | None):
    get = request.GET
    if get.get("user"):
        qs = qs.filter(**{actor: get["user"]})
    if model and get.get("model"):
        qs = qs.filter(**{model: get["model"]})
    since, until = _date(get.get("since")), _date(get.get("until"))
    if since:
        qs = qs.filter(**{f"{when}__date__gte": since})
    if until:
        qs = qs.filter(**{f"{when}__date__lte": until})
    return qs


def change_rows(qs):
    for e in qs:
        yield {"id": e.pk, "when": e.timestamp.isoformat(), "user": e.actor.username if e.actor else "",
               "action": e.get_action_display(), "model": e.content_type.model if e.content_type else "",
               "object_id": e.object_pk, "object": e.object_repr, "changes": e.changes_dict,
               "remote_addr": e.remote_addr or ""}


#: change-log entries of these models show personal data (a user's email and names; a profile's role,
#: district and team): every one shown is written to the access log as a read of that account
PERSONAL_MODELS = {"user": "user", "profile": "profile"}


def record_change_reads(request, rows: list[dict], reason: str) -> list[dict]:
    """Write an access-log row for each change-log row about a user or profile; returns ``rows``."""
    for model, object_type in PERSONAL_MODELS.items():
        ids = [r["object_id"] for r in rows if r["model"] == model]
        if ids:
            AccessLog.record(request, object_type, ids, reason=reason)
    return rows


def access_rows(qs):
    for e in qs:
        yield {"id": e.pk, "when": e.when.isoformat(), "user": e.username, "action": e.action,
               "object_type": e.object_type, "object_id": e.object_id, "path": e.path, "reason": e.reason,
               "remote_addr": e.remote_addr}


def change_queryset(request):
    from auditlog.models import LogEntry

    return _audit_filters(request, LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id"), when="timestamp",
                          actor="actor__username", model="content_type__model")


def access_queryset(request, user=None):
    return _audit_filters(request, AccessLog.objects.restrict(user or request.user, "view"), when="when", actor="username",
                          model="object_type")


def _csv(rows, name: str) -> HttpResponse:
    rows = list(rows)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    if rows:
        writer = csv.DictWriter(response, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in r.items()})
    return response


def _audit(request, qs, rows, kind: str, title: str):
    """One audit log page (100 rows a page) or, with ``?format=csv``, the whole filtered log as CSV.
    Change-log rows about users and profiles shown are written to the access log."""
    logged = (lambda r, why: record_change_reads(request, r, why)) if kind == "changes" else (lambda r, why: r)
    if request.GET.get("format") == "csv":
        return _csv(logged(list(rows(qs)), "change log CSV export"), kind)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"title": title, "page": page, "kind": kind,
                                               "rows": logged(list(rows(page.object_list)), "change log page")})


@role_required("admin")
def audit_changes(request):
    return _audit(request, change_queryset(request), change_rows, "changes", "Change log")


@role_required("admin")
def audit_access(request):
    return _audit(request, access_queryset(request), access_rows, "access", "Access log (reads of personal data)")
