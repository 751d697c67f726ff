"""Site operations shared by the CLI, the demo and background tasks (Django must be configured:
:func:`hotpatrol.web.configure`). Library calls go through :mod:`hotpatrol.web.library`."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from hotpatrol.errors import HotpatrolError
from hotpatrol.web import library
from hotpatrol.web.core.models import (ROLES, AnalysisRun, ApiToken, District, Force, HotspotCell, Profile,
                                       Team)

DEFAULT_FORCE = "Force"


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def force(name: str | None = None) -> Force:
    """The site's force (one per site): the named one, else the first, else a new one."""
    if name:
        return Force.objects.get_or_create(name=name)[0]
    existing = Force.objects.order_by("pk").first()
    return existing or Force.objects.create(name=DEFAULT_FORCE)


def load_districts(path, *, name_column: str, code_column: str | None = None, force_name: str | None = None) -> list[District]:
    """Create or update the districts in ``path`` (any CRS; stored in BNG). Returns them."""
    import shapely

    gdf = library.read_districts(path, name_column, code_column)
    shapes = library.map_geometries(gdf)
    f = force(force_name)
    out = []
    with transaction.atomic():
        for (code, name, geom), display in zip(gdf[["code", "name", "geometry"]].itertuples(index=False), shapes):
            slug = slugify(str(code))[:60]
            if not slug:
                raise HotpatrolError("A district code is empty after cleaning.", parameter="code_column", given=code)
            min_x, min_y, max_x, max_y = geom.bounds
            values = dict(force=f, name=name, geometry=shapely.to_geojson(geom), map_geometry=display,
                          min_x=min_x, min_y=min_y, max_x=max_x, max_y=max_y, area_km2=geom.area / 1e6)
            district, _ = District.objects.update_or_create(code=slug, defaults=values)
            out.append(district)
    return out


def districts_frame(force_obj: Force | None = None):
    """The site's districts as a BNG GeoDataFrame (``code``, ``name``) for the library."""
    import geopandas as gpd
    import shapely

    rows = list(District.objects.filter(**({"force": force_obj} if force_obj else {})).values_list("code", "name", "geometry"))
    if not rows:
        raise HotpatrolError("The site has no districts yet.", parameter="districts",
                             fix="Load them: hotpatrol districts load FILE --name-column COL --db URL.")
    return gpd.GeoDataFrame({"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
                            geometry=[shapely.from_geojson(r[2]) for r in rows], crs=library.BNG)


def analyse(db: str | None, *, months: int | None = None, cell: float | None = None, keep: int = 3) -> AnalysisRun:
    """Run the hotspot analysis of the store and save it as the newest run (older runs beyond ``keep`` removed)."""
    f = force()
    result = library.analyse(db, districts_frame(f), months=months, cell=cell)
    districts = {d.code: d for d in District.objects.filter(force=f)}
    with transaction.atomic():
        run = AnalysisRun.objects.create(force=f, period_start=result.period_start, period_end=result.period_end,
                                         cell=result.cell, weight=result.weight, months=result.months,
                                         result=result.result, n_cells=len(result.cells), n_events=result.n_events)
        cells = result.cells
        rows = [HotspotCell(run=run, district=districts.get(d) if isinstance(d, str) else None, cell_id=cid,
                            x=float(x), y=float(y), harm=float(h), count=int(c), rank=int(r),
                            district_rank=None if dr != dr else int(dr), mix=m, series=s)
                for cid, x, y, h, c, r, d, dr, m, s in zip(cells["cell_id"], cells["x"], cells["y"], cells["harm"],
                                                          cells["count"], cells["rank"], cells["district"],
                                                          cells["district_rank"], result.mix, result.series.tolist())]
        HotspotCell.objects.bulk_create(rows, batch_size=2000)
        for old in AnalysisRun.objects.filter(force=f).order_by("-created", "-id")[keep:]:
            old.delete()
    return run


def create_user(username: str, *, role: str, password: str | None = None, email: str | None = None,
                district: str | None = None, team: str | None = None):
    """Create (or update) a user with a role, district and team. Returns the user.

    ``district`` is a district name or code; ``team`` a team name in that district (created if new).
    The password is checked against the site's validators. Commanders, sergeants, officers and
    partners need a district.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if role not in ROLES:
        raise HotpatrolError("Unknown role.", parameter="role", allowed=list(ROLES), given=role)
    the_district = None
    if district:
        the_district = (District.objects.filter(code=slugify(district)).first()
                        or District.objects.filter(name__iexact=district).first())
        if the_district is None:
            raise HotpatrolError("Unknown district.", parameter="district", given=district,
                                 allowed=list(District.objects.values_list("name", flat=True)))
    elif role in ("commander", "sergeant", "officer", "partner"):
        raise HotpatrolError(f"A {role} needs a district.", parameter="district", fix="Pass --district NAME.")
    the_team = None
    if team:
        if the_district is None:
            raise HotpatrolError("A team belongs to a district.", parameter="team", fix="Pass --district NAME too.")
        the_team = Team.objects.get_or_create(district=the_district, name=team)[0]
    User = get_user_model()
    email = email or f"{username}@hotpatrol.invalid"
    with transaction.atomic():
        user = User.objects.filter(username=username).first() or User(username=username)
        user.email = email
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise HotpatrolError("The password is too weak: " + " ".join(exc.messages), parameter="password") from None
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.is_staff = user.is_superuser = role == "admin"
        user.save()
        Profile.objects.update_or_create(user=user, defaults={"role": role, "district": the_district, "team": the_team})
        EmailAddress.objects.filter(user=user).exclude(email=email).delete()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def mint_token(username: str, name: str = "cli") -> str:
    """A new bearer token for ``username`` (only its SHA-256 is stored).

    ``username`` may also be the user's sign-in email address (what ``hotpatrol demo`` prints), provided
    exactly one account has it.

    Raises
    ------
    HotpatrolError
        (parameter ``USERNAME``) when no account has that user name or email, or several share the email.
    """
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    user = users.filter(username=username).first()
    if user is None and "@" in username:
        matches = list(users.filter(email__iexact=username)[:2])
        if len(matches) > 1:
            raise HotpatrolError(f"Several accounts have the email {username!r}.", parameter="USERNAME",
                                 given=username, fix="Give the user name instead of the email.")
        user = matches[0] if matches else None
    if user is None:
        raise HotpatrolError(f"Unknown user {username!r} (no account has that user name or email).",
                             parameter="USERNAME", given=username,
                             fix="Create it first: hotpatrol users create USERNAME --role ROLE.")
    return ApiToken.mint(user, name)[1]


DEMO_ROLES = ("admin", "analyst", "commander", "sergeant", "officer", "partner")


def build_demo_site(db: str, districts_path: str | Path, *, password: str, name_column: str = "LAD_NM",
                    code_column: str | None = "LAD_CD") -> dict:
    """The demo site in the store ``db``: Synthshire's districts, its hotspots, one user per role."""
    migrate()
    force("Synthshire")
    districts = load_districts(districts_path, name_column=name_column, code_column=code_column, force_name="Synthshire")
    run = analyse(db)
    busiest = max(districts, key=lambda d: d.cells.filter(run=run).count())
    users = []
    for role in DEMO_ROLES:
        scoped = role not in ("admin", "analyst")
        user = create_user(f"demo-{role}", role=role, password=password, email=f"{role}@synthshire.example",
                           district=busiest.code if scoped else None,
                           team="Response A" if role in ("sergeant", "officer") else None)
        users.append({"username": user.username, "email": user.email, "role": role,
                      "district": busiest.name if scoped else None})
    return {"districts": len(districts), "cells": run.n_cells, "period": f"{run.period_start}..{run.period_end}",
            "users": users, "password": password}


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, default=str)
