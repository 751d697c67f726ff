"""Fixtures for the web platform: two districts (A and B), an analysis run with cells in both, and one
user per role in district A (police users with a TOTP authenticator, so MFA is satisfied)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("django")
pytest.importorskip("pytest_django")

ROLES = ("admin", "analyst", "commander", "sergeant", "officer", "partner")
PASSWORD = "a-long enough password 42"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users: a fast hasher instead of PBKDF2's 1M rounds (tests only); the page cache
    starts empty in every test (ids repeat across rolled-back tests)."""
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def _square(x0, y0, size):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size],
                                                [x0, y0]]]}


@pytest.fixture
def world(db):
    """Districts A/B, a run with 3 cells in each, users per role in A (and a commander in B)."""
    from hotpatrol.web import site
    from hotpatrol.web.core.models import AnalysisRun, District, HotspotCell

    force = site.force("Testshire")
    districts = {}
    for code, x0 in (("a", 500000.0), ("b", 510000.0)):
        districts[code] = District.objects.create(
            force=force, code=code, name=f"District {code.upper()}", geometry=json.dumps(_square(x0, 150000.0, 10000)),
            map_geometry=json.dumps(_square(-1.0 + (x0 - 500000) / 70000, 51.0, 0.14)), min_x=x0, min_y=150000.0,
            max_x=x0 + 10000, max_y=160000.0, area_km2=100.0)
    lorenz = {"places": [0, 0.5, 1], "harm": [0, 0.1, 1]}
    part = {"ranking": {"name": "rank", "summary": "Top 3 places", "rows": []},
            "concentration": {"name": "concentration", "summary": "c", "rows": [{"period": "all", "gini": 0.5}]},
            "lorenz": lorenz, "cells": 3, "harm": 60.0, "crimes": 6}
    run = AnalysisRun.objects.create(force=force, period_start="2021-04", period_end="2022-03", cell=150, weight="cchi",
                                     months=[f"2021-{m:02d}" for m in range(3, 13)] + ["2022-01", "2022-02", "2022-03"],
                                     result={"force": part, "districts": {"a": part, "b": part}}, n_cells=6, n_events=12)
    rank = 0
    cells = {"a": [], "b": []}
    for i in range(3):
        for code in ("a", "b"):
            rank += 1
            d = districts[code]
            cells[code].append(HotspotCell.objects.create(
                run=run, district=d, cell_id=f"{code}{i}", x=d.min_x + 75 + 150 * i, y=d.min_y + 75, harm=30.0 - rank,
                count=2, rank=rank, district_rank=i + 1, mix={"Burglary": 1, "Robbery": 1}, series=[0] * 12 + [2]))
    users = {role: make_user(f"{role}-a", role, "a" if role not in ("admin", "analyst") else None) for role in ROLES}
    users["commander_b"] = make_user("commander-b", "commander", "b")
    return {"force": force, "districts": districts, "run": run, "cells": cells, "users": users}


def make_user(username, role, district=None, mfa=True):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from hotpatrol.web import site

    user = site.create_user(username, role=role, district=district, password=PASSWORD,
                            email=f"{username}@example.org")
    if mfa and role != "partner":
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
