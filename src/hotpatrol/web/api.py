"""The REST API (django-ninja) under ``/api/v1/``; OpenAPI document at ``/api/v1/openapi.json``.

Bearer tokens (``hotpatrol users token``) for machines; the browser's session with its CSRF token.
Every error is the library's one shape ``{"error": {"message", "parameter", "allowed", "given", "fix"}}``
and 401/403/404/422 are declared on every operation. Lists are paginated with ``limit``/``offset``.
All reads go through ``restrict(user, action)``.
"""

from __future__ import annotations

import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth
from pydantic import ConfigDict, field_validator

from hotpatrol.errors import HotpatrolError
from hotpatrol.web.core.models import (FORCE_WIDE_ROLES, AccessLog, AnalysisRun, ApiToken, District, HotspotCell,
                                       Profile, role_of)


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        row = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token), revoked=False).first()
        if row is None or not row.user.is_active:
            return None
        if row.last_used is None or (timezone.now() - row.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used=timezone.now())
        request.auth_user = row.user
        return row.user


api = NinjaAPI(title="hotpatrol", version="1", urls_namespace="api", auth=[BearerToken(), django_auth],
               description=__doc__)


# ------------------------------------------------------------------ errors: one shape
class ErrorBody(Schema):
    message: str
    parameter: str | None = None
    allowed: Any = None
    given: Any = None
    fix: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


# ids are 64-bit in the database: a larger one would overflow the driver (a 500), so the schema bounds it (422)
MAX_ID = 2**63 - 1

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _error(request, status: int, message: str, **fields):
    body = HotpatrolError(message, **fields).to_dict()
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return _error(request, 401, "Sign in or send a bearer token (Authorization: Bearer <token>).",
                  fix="Get a token with: hotpatrol users token USERNAME")


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("query", "path", "body")]
    return _error(request, 422, f"Invalid request: {first.get('msg', 'bad input')}", parameter=".".join(loc) or None,
                  given=first.get("input") if isinstance(first.get("input"), (str, int, float)) else None)


@api.exception_handler(HotpatrolError)
def _library_error(request, exc):
    return api.create_response(request, exc.to_dict(), status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, str(exc) or "Your role may not do this.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found (or not in your district).")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, exc.status_code, str(exc))


def user_of(request):
    user = request.auth
    if role_of(user) is None:
        raise PermissionDenied("This account has no role: ask a force admin.")
    return user


def require(request, roles) -> Any:
    user = user_of(request)
    if role_of(user) not in roles:
        raise PermissionDenied("Your role may not do this.")
    return user


# ------------------------------------------------------------------ schemas
T = TypeVar("T")


class Paging(Schema):
    limit: int = Field(100, ge=1, le=1000, description="rows per page")
    offset: int = Field(0, ge=0, le=10_000_000, description="rows to skip")


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


def paginate(qs, paging: Paging, convert=None, *, rows=None) -> dict:
    """One page of ``qs``: each object through ``convert``, or the page's slice through ``rows`` (an iterable
    of objects -> an iterable of dicts, as the audit pages use)."""
    part = qs[paging.offset:paging.offset + paging.limit]
    items = list(rows(part)) if rows is not None else [convert(o) for o in part]
    return {"count": qs.count(), "limit": paging.limit, "offset": paging.offset, "items": items}


class MeOut(Schema):
    username: str
    role: str
    district: str | None
    team: str | None


class DistrictOut(Schema):
    code: str
    name: str
    bbox: list[float] = Field(description="min_x, min_y, max_x, max_y in BNG metres")
    area_km2: float
    geometry: dict | None = Field(None, description="GeoJSON in lon/lat (simplified), when asked for")


class CellOut(Schema):
    id: int
    cell_id: str
    district: str | None
    x: float = Field(description="centre, BNG easting (m)")
    y: float = Field(description="centre, BNG northing (m)")
    harm: float
    count: int
    rank: int
    district_rank: int | None
    run: int
    period: str


class CellDetail(CellOut):
    mix: dict[str, int]
    months: list[str]
    series: list[int]


class RunOut(Schema):
    id: int
    created: str
    period: str
    cell: float
    weight: str
    cells: int
    events: int


class TaskOut(Schema):
    task_id: str
    status: str


class ResultOut(Schema):
    run: int
    period: str
    scope: str
    result: dict


class UserOut(Schema):
    id: int
    username: str
    email: str
    role: str | None
    district: str | None
    team: str | None
    is_active: bool
    last_login: str | None


class ChangeOut(Schema):
    id: int
    when: str
    user: str
    action: str
    model: str
    object_id: str
    object: str
    changes: dict
    remote_addr: str


class AccessOut(Schema):
    id: int
    when: str
    user: str
    action: str
    object_type: str
    object_id: str
    path: str
    reason: str
    remote_addr: str


class AuditFilters(Schema):
    user: str | None = Field(None, description="username")
    model: str | None = Field(None, description="model name (changes) or object type (access)")
    since: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    until: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")

    @field_validator("since", "until")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        """A date that exists (2021-02-30 matches the pattern but is no date: 422, not a 500)."""
        if value is not None:
            datetime.date.fromisoformat(value)
        return value


class HotspotFilters(Schema):
    district: str | None = Field(None, description="district code")
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}\.\.\d{4}-\d{2}$",
                               description="the run's period, YYYY-MM..YYYY-MM (default: the newest run)")
    run: int | None = Field(None, ge=1, le=2**62, description="a run id (instead of period)")
    min_harm: float | None = Field(None, ge=0, le=1e12, description="only cells with at least this harm")


# ------------------------------------------------------------------ helpers
def _district_out(d: District, geometry: bool) -> dict:
    import json

    return {"code": d.code, "name": d.name, "bbox": [d.min_x, d.min_y, d.max_x, d.max_y], "area_km2": d.area_km2,
            "geometry": json.loads(d.map_geometry) if geometry else None}


def _cell_out(c: HotspotCell, run: AnalysisRun) -> dict:
    return {"id": c.pk, "cell_id": c.cell_id, "district": c.district.code if c.district_id else None, "x": c.x,
            "y": c.y, "harm": c.harm, "count": c.count, "rank": c.rank, "district_rank": c.district_rank,
            "run": c.run_id, "period": f"{run.period_start}..{run.period_end}"}


def _run_for(user, period: str | None = None, run: int | None = None, *, result: bool = True) -> AnalysisRun:
    qs = AnalysisRun.objects.restrict(user, "view")
    if not result:
        qs = qs.defer("result")
    if run is not None:
        qs = qs.filter(pk=run)
    if period:
        start, end = period.split("..")
        qs = qs.filter(period_start=start, period_end=end)
    found = qs.first()
    if found is None:
        raise Http404("No analysis run matches." if (period or run) else "No analysis has been run yet.")
    return found


def _scope(user, district: str | None) -> District | None:
    """The district asked for (must be in scope), or the user's own for district roles, or None (force)."""
    if district:
        found = District.objects.restrict(user, "view").filter(code=district).first()
        if found is None:
            raise Http404("No such district in your scope.")
        return found
    if role_of(user) in FORCE_WIDE_ROLES:
        return None
    return user.profile.district


def _user_out(u) -> dict:
    p = getattr(u, "profile", None)
    return {"id": u.pk, "username": u.username, "email": u.email, "role": p.role if p else None,
            "district": p.district.code if p and p.district_id else None,
            "team": p.team.name if p and p.team_id else None, "is_active": u.is_active,
            "last_login": u.last_login.isoformat() if u.last_login else None}


# ------------------------------------------------------------------ operations
@api.get("/me", response={200: MeOut, **ERRORS}, operation_id="me", tags=["accounts"])
def me(request):
    """The caller's role and scope."""
    user = user_of(request)
    p = user.profile
    return {"username": user.username, "role": p.role, "district": p.district.code if p.district_id else None,
            "team": p.team.name if p.team_id else None}


@api.get("/districts", response={200: Page[DistrictOut], **ERRORS}, operation_id="list_districts", tags=["districts"])
def list_districts(request, paging: Query[Paging], geometry: bool = False):
    """Districts in the caller's scope (geometry in lon/lat with ``geometry=true``)."""
    qs = District.objects.restrict(user_of(request), "view")
    return paginate(qs, paging, lambda d: _district_out(d, geometry))


@api.get("/districts/{code}", response={200: DistrictOut, **ERRORS}, operation_id="get_district", tags=["districts"])
def get_district(request, code: str):
    """One district with its map geometry; 404 outside the caller's scope."""
    found = District.objects.restrict(user_of(request), "view").filter(code=code).first()
    if found is None:
        raise Http404("No such district in your scope.")
    return _district_out(found, True)


@api.get("/hotspots", response={200: Page[CellOut], **ERRORS}, operation_id="list_hotspots", tags=["hotspots"])
def list_hotspots(request, filters: Query[HotspotFilters], paging: Query[Paging]):
    """Cells with harm, best first, from the newest run (or ``period``/``run``), in the caller's scope."""
    user = user_of(request)
    run = _run_for(user, filters.period, filters.run, result=False)
    qs = HotspotCell.objects.restrict(user, "view").filter(run=run).select_related("district").defer("mix", "series")
    if filters.district:
        qs = qs.filter(district=_scope(user, filters.district))
    if filters.min_harm is not None:
        qs = qs.filter(harm__gte=filters.min_harm)
    return paginate(qs.order_by("rank"), paging, lambda c: _cell_out(c, run))


@api.get("/hotspots/{cell}", response={200: CellDetail, **ERRORS}, operation_id="get_hotspot", tags=["hotspots"])
def get_hotspot(request, cell: int = Path(..., ge=1, le=MAX_ID, description="the cell's id")):
    """One cell: its crime mix over the period and crimes per month (the sparkline)."""
    found = HotspotCell.objects.restrict(user_of(request), "view").select_related("district").filter(pk=cell).first()
    if found is None:
        raise Http404("No such cell in your scope.")
    run = AnalysisRun.objects.only("period_start", "period_end", "months").get(pk=found.run_id)
    return {**_cell_out(found, run), "mix": found.mix, "months": run.months, "series": found.series}


@api.get("/runs", response={200: Page[RunOut], **ERRORS}, operation_id="list_runs", tags=["results"])
def list_runs(request, paging: Query[Paging]):
    """Hotspot analysis runs, newest first."""
    qs = AnalysisRun.objects.restrict(user_of(request), "view").defer("result", "months")
    return paginate(qs, paging, lambda r: {"id": r.pk, "created": r.created.isoformat(),
                                           "period": f"{r.period_start}..{r.period_end}", "cell": r.cell,
                                           "weight": r.weight, "cells": r.n_cells, "events": r.n_events})


class RunIn(Schema):
    """Body of ``POST /runs``; unknown fields are refused (422), not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    months: int | None = Field(None, ge=1, le=120, description="look-back window (default the months setting)")


@api.post("/runs", response={202: TaskOut, **ERRORS}, operation_id="start_run", tags=["results"])
def start_run(request, body: RunIn):
    """Queue a new hotspot analysis of the store (admins and analysts); the background worker runs it."""
    require(request, FORCE_WIDE_ROLES)
    from hotpatrol.web.core.tasks import analyse_store

    result = analyse_store.enqueue(months=body.months)
    return 202, {"task_id": str(result.id), "status": str(result.status)}


def _result(request, district: str | None, period: str | None, key: str) -> dict:
    user = user_of(request)
    run = _run_for(user, period)
    scope = _scope(user, district)
    part = run.result.get("force") if scope is None else run.result.get("districts", {}).get(scope.code)
    if part is None:
        raise Http404("This run has no result for that district (no cells in it).")
    value = part[key] if key != "concentration" else {"table": part["concentration"], "lorenz": part["lorenz"]}
    return {"run": run.pk, "period": f"{run.period_start}..{run.period_end}",
            "scope": scope.code if scope else "force", "result": value}


class ResultFilters(Schema):
    district: str | None = Field(None, description="district code (default: the caller's scope)")
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}\.\.\d{4}-\d{2}$", description="YYYY-MM..YYYY-MM")


@api.get("/ranking", response={200: ResultOut, **ERRORS}, operation_id="ranking", tags=["results"])
def ranking(request, filters: Query[ResultFilters]):
    """The library's ranking result (top cells by harm) for the force or a district."""
    return _result(request, filters.district, filters.period, "ranking")


@api.get("/concentration", response={200: ResultOut, **ERRORS}, operation_id="concentration", tags=["results"])
def concentration(request, filters: Query[ResultFilters]):
    """The library's concentration result (Gini, shares, Lorenz curve) for the force or a district."""
    return _result(request, filters.district, filters.period, "concentration")


@api.get("/users", response={200: Page[UserOut], **ERRORS}, operation_id="list_users", tags=["admin"])
def list_users(request, paging: Query[Paging]):
    """Accounts (admins only). Every read is written to the access log."""
    user = require(request, {"admin"})
    from django.contrib.auth import get_user_model

    ids = Profile.objects.restrict(user, "view").values("user_id")
    qs = get_user_model().objects.filter(pk__in=ids).select_related("profile__district", "profile__team").order_by("username")
    page = paginate(qs, paging, _user_out)
    AccessLog.record(request, "user", [u["id"] for u in page["items"]], reason="users API list")
    return page


@api.get("/users/{user_id}", response={200: UserOut, **ERRORS}, operation_id="get_user", tags=["admin"])
def get_user(request, user_id: int = Path(..., ge=1, le=MAX_ID, description="the account's id")):
    """One account (admins only); the read is written to the access log."""
    user = require(request, {"admin"})
    from django.contrib.auth import get_user_model

    if not Profile.objects.restrict(user, "view").filter(user_id=user_id).exists():
        raise Http404("No such user.")
    found = get_user_model().objects.select_related("profile__district", "profile__team").get(pk=user_id)
    AccessLog.record(request, "user", found.pk, reason="users API detail")
    return _user_out(found)


@api.get("/audit/changes", response={200: Page[ChangeOut], **ERRORS}, operation_id="audit_changes_api", tags=["admin"])
def audit_changes_api(request, filters: Query[AuditFilters], paging: Query[Paging]):
    """The change log (who, when, before/after), newest first (admins only). Entries about users and
    profiles (emails, names, roles) are personal data: each one returned is written to the access log."""
    from hotpatrol.web.core.views import change_queryset, change_rows, record_change_reads

    require(request, {"admin"})
    page = paginate(change_queryset(request), paging, rows=change_rows)
    record_change_reads(request, page["items"], "change log API")
    return page


@api.get("/audit/access", response={200: Page[AccessOut], **ERRORS}, operation_id="audit_access_api", tags=["admin"])
def audit_access_api(request, filters: Query[AuditFilters], paging: Query[Paging]):
    """The access log (reads of personal data), newest first (admins only)."""
    from hotpatrol.web.core.views import access_queryset, access_rows

    user = require(request, {"admin"})
    return paginate(access_queryset(request, user), paging, rows=access_rows)
