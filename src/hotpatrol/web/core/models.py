"""Models of the platform. Every scoped model has ``objects.restrict(user, action)`` (NetBox style):
list views, detail views and the API all go through it, so a commander only ever sees their district.

Geometry: British National Grid (EPSG:27700) as GeoJSON text plus bounding-box float columns; the
map geometry (lon/lat, simplified) is made once when districts are loaded. No GeoDjango.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

ROLES = ("admin", "analyst", "commander", "sergeant", "officer", "partner")
ROLE_LABELS = {"admin": "Force admin", "analyst": "Analyst", "commander": "District commander",
               "sergeant": "Sergeant", "officer": "Officer", "partner": "Partner (read only)"}
POLICE_ROLES = frozenset({"admin", "analyst", "commander", "sergeant", "officer"})
FORCE_WIDE_ROLES = frozenset({"admin", "analyst"})  # everyone else sees their own district only


def role_of(user) -> str | None:
    """The user's role, or None for anonymous users and users without a profile."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        profile = user.profile
    except Exception:
        profile = None
    return profile.role if profile is not None else None


def district_of(user):
    try:
        return user.profile.district
    except Exception:
        return None


class RestrictedQuerySet(models.QuerySet):
    """``restrict(user, action)``: only the rows ``user`` may ``action`` ("view" or "change")."""

    district_path: str | None = "district"  # lookup from the model to its District; None: not scoped

    def restrict(self, user, action: str = "view"):
        role = role_of(user)
        if role is None:
            return self.none()
        if action not in ("view", "change"):
            raise ValueError(f"unknown action {action!r}")
        if action == "change" and role != "admin":
            return self.none()
        if role in FORCE_WIDE_ROLES or self.district_path is None:
            return self.all()
        district = district_of(user)
        if district is None:
            return self.none()
        if self.district_path == "":
            return self.filter(pk=district.pk)
        return self.filter(**{self.district_path: district})


class DistrictQuerySet(RestrictedQuerySet):
    district_path = ""


class UnscopedQuerySet(RestrictedQuerySet):
    district_path = None


class ProfileQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        role = role_of(user)
        if role == "admin":
            return self.all()
        if role is None or action != "view":
            return self.none()
        return self.filter(user=user)


class Force(models.Model):
    name = models.CharField(max_length=100, unique=True)
    objects = UnscopedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="districts")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    geometry = models.TextField(help_text="GeoJSON geometry in British National Grid (EPSG:27700), metres")
    map_geometry = models.TextField(help_text="GeoJSON geometry in lon/lat (EPSG:4326), simplified for the map")
    min_x = models.FloatField()
    min_y = models.FloatField()
    max_x = models.FloatField()
    max_y = models.FloatField()
    area_km2 = models.FloatField(default=0)
    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["district__name", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="team_unique_in_district")]

    def __str__(self) -> str:
        return f"{self.name} ({self.district.name})"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    objects = ProfileQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    @property
    def force_wide(self) -> bool:
        return self.role in FORCE_WIDE_ROLES


class AnalysisRun(models.Model):
    """One hotspot analysis of the store: its period, parameters and the library's result (JSON)."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="runs")
    created = models.DateTimeField(default=timezone.now)
    period_start = models.CharField(max_length=7, help_text="first month, YYYY-MM")
    period_end = models.CharField(max_length=7, help_text="last month, YYYY-MM")
    cell = models.FloatField(help_text="grid cell size, metres")
    weight = models.CharField(max_length=40, help_text="harm scheme")
    months = models.JSONField(default=list, help_text="the months of each cell's sparkline")
    result = models.JSONField(default=dict, help_text="ranking and concentration per scope (library result as JSON)")
    n_cells = models.IntegerField(default=0)
    n_events = models.IntegerField(default=0)
    objects = UnscopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk}: {self.period_start}..{self.period_end}"


class HotspotCell(models.Model):
    """A grid cell with harm in the run's period (cells without events are not stored)."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="cells")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.CASCADE, related_name="cells")
    cell_id = models.CharField(max_length=40)
    x = models.FloatField(help_text="centre, BNG easting (m)")
    y = models.FloatField(help_text="centre, BNG northing (m)")
    harm = models.FloatField()
    count = models.IntegerField()
    rank = models.IntegerField(help_text="rank by harm in the force")
    district_rank = models.IntegerField(null=True)
    mix = models.JSONField(default=dict, help_text="crimes per category in the period")
    series = models.JSONField(default=list, help_text="crimes per month over run.months")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["rank"]
        indexes = [models.Index(fields=["run", "district", "rank"]), models.Index(fields=["run", "rank"])]

    def __str__(self) -> str:
        return f"cell {self.cell_id}"


class ApiToken(models.Model):
    """A bearer token for the API, stored as its SHA-256 (the token itself is shown once)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="cli")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    objects = UnscopedQuerySet.as_manager()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def mint(cls, user, name: str = "cli") -> tuple["ApiToken", str]:
        token = "hp_" + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name, prefix=token[:10], key_hash=cls.hash(token))
        return row, token

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the access log is append-only")

    def delete(self):
        raise PermissionError("the access log is append-only")

    def restrict(self, user, action: str = "view"):
        return self.all() if role_of(user) == "admin" and action == "view" else self.none()


class AccessLog(models.Model):
    """One read of personal data: who read what, when, from where and why. Append-only."""

    when = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=40, default="view")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    path = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-when", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the access log is append-only")

    @classmethod
    def record(cls, request, object_type: str, object_ids, *, reason: str = "", action: str = "view") -> int:
        """Write one row per object read by ``request.user`` (ids: one or many). Returns the rows written."""
        user = getattr(request, "auth_user", None) or request.user
        ids = [object_ids] if isinstance(object_ids, (str, int)) else list(object_ids)
        rows = [cls(user=user if user.is_authenticated else None, username=getattr(user, "username", ""),
                    action=action, object_type=object_type, object_id=str(i), path=request.get_full_path()[:300],
                    reason=reason, remote_addr=request.META.get("REMOTE_ADDR", "")[:64]) for i in ids]
        cls.objects.bulk_create(rows)
        return len(rows)
