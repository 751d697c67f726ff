"""Change log on every change (who, when, before/after) and access log on every read of personal data;
both visible to admins only, filterable and exportable; the access log is append-only."""

from __future__ import annotations

import csv
import io

import pytest


def test_changes_are_logged_with_actor_and_before_after(world, client):
    from auditlog.models import LogEntry

    admin = world["users"]["admin"]
    client.force_login(admin)
    district = world["districts"]["a"]
    resp = client.post(f"/admin/core/district/{district.pk}/change/",
                       {"force": district.force_id, "code": "a", "name": "Renamed A"})
    assert resp.status_code == 302, resp.content[:500]
    entry = LogEntry.objects.get_for_object(district).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes_dict["name"] == ["District A", "Renamed A"]
    # a role change is logged too (profile), and user creation
    from hotpatrol.web import site

    user = site.create_user("newbie", role="officer", district="a")
    site.create_user("newbie", role="sergeant", district="a")
    assert LogEntry.objects.get_for_object(user.profile).filter(action=LogEntry.Action.UPDATE).exists()
    change = LogEntry.objects.get_for_object(user.profile).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert change.changes_dict["role"] == ["officer", "sergeant"]
    assert "password" not in str(LogEntry.objects.get_for_object(user).first().changes_dict)


def test_every_model_is_registered_with_auditlog():
    from auditlog.registry import auditlog
    from django.apps import apps

    ours = set(apps.get_app_config("core").get_models())
    from hotpatrol.web.core.models import AccessLog

    assert ours - {AccessLog} <= set(auditlog.get_models())  # the access log is itself an append-only log


def test_users_api_reads_are_in_the_access_log(world, client):
    from hotpatrol.web.core.models import AccessLog

    client.force_login(world["users"]["admin"])
    listing = client.get("/api/v1/users?limit=3").json()
    assert listing["count"] == 7 and len(listing["items"]) == 3
    rows = AccessLog.objects.filter(object_type="user")
    assert rows.count() == 3 and set(rows.values_list("username", flat=True)) == {"admin-a"}
    assert {int(i) for i in rows.values_list("object_id", flat=True)} == {u["id"] for u in listing["items"]}
    target = world["users"]["officer"]
    assert client.get(f"/api/v1/users/{target.pk}").json()["email"] == target.email
    assert AccessLog.objects.filter(object_id=str(target.pk), reason="users API detail").count() == 1


def test_access_log_is_append_only(world, client):
    from hotpatrol.web.core.models import AccessLog

    client.force_login(world["users"]["admin"])
    client.get("/api/v1/users")
    row = AccessLog.objects.first()
    row.reason = "tampered"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.all().delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.update(reason="x")
    assert client.post(f"/admin/core/accesslog/{row.pk}/delete/", {"post": "yes"}).status_code == 403


def test_audit_pages_filter_and_export_csv(world, client):
    from auditlog.context import set_actor

    admin = world["users"]["admin"]
    with set_actor(admin):
        world["districts"]["b"].name = "Bee"
        world["districts"]["b"].save()
    client.force_login(admin)
    client.get("/api/v1/users")
    page = client.get("/audit/?model=district")
    assert page.status_code == 200 and b"Bee" in page.content
    exported = client.get("/audit/?model=district&format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows and {r["model"] for r in rows} == {"district"} and any(r["user"] == "admin-a" for r in rows)
    access = list(csv.DictReader(io.StringIO(client.get("/audit/access/?format=csv&user=admin-a").content.decode())))
    assert len(access) == 7 and {r["object_type"] for r in access} == {"user"}
    assert list(csv.DictReader(io.StringIO(client.get("/audit/access/?format=csv&user=nobody").content.decode()))) == []
    api = client.get("/api/v1/audit/changes?model=district").json()
    assert api["count"] >= 1 and all(i["model"] == "district" for i in api["items"])
    assert client.get("/api/v1/audit/access?user=admin-a&limit=2").json()["count"] == 7
    client.force_login(world["users"]["analyst"])
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit/access").status_code == 403


def test_admin_user_pages_are_in_the_access_log(world, client):
    from hotpatrol.web.core.models import AccessLog

    client.force_login(world["users"]["admin"])
    assert client.get("/admin/auth/user/").status_code == 200
    listed = AccessLog.objects.filter(reason="admin user list")
    assert listed.count() == 7  # every user on the page
    target = world["users"]["partner"]
    assert client.get(f"/admin/auth/user/{target.pk}/change/").status_code == 200
    assert AccessLog.objects.filter(reason="admin user page", object_id=str(target.pk)).count() == 1


def test_admin_sets_role_district_and_team_on_the_user_page(world, client):
    from django.contrib.auth import get_user_model

    from hotpatrol.web.core.models import Team

    team = Team.objects.create(district=world["districts"]["b"], name="Night")
    target = world["users"]["officer"]
    client.force_login(world["users"]["admin"])
    page = client.get(f"/admin/auth/user/{target.pk}/change/")
    assert b"profile-0-role" in page.content
    form = {"username": target.username, "email": target.email, "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "1", "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1", "profile-0-id": str(target.profile.pk), "profile-0-user": str(target.pk),
            "profile-0-role": "admin", "profile-0-district": str(world["districts"]["b"].pk),
            "profile-0-team": str(team.pk)}
    resp = client.post(f"/admin/auth/user/{target.pk}/change/", form)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    target = get_user_model().objects.get(pk=target.pk)
    assert (target.profile.role, target.profile.district.code, target.profile.team.name) == ("admin", "b", "Night")
    assert target.is_staff and target.is_superuser  # the admin role is the admin site's staff


def test_change_log_reads_of_users_are_in_the_access_log(world, client):
    """The change log shows a user's email and names (and a profile's role): page, CSV and API log the read."""
    from hotpatrol.web import site
    from hotpatrol.web.core.models import AccessLog

    user = site.create_user("newbie", role="officer", district="a", email="newbie@example.org")
    client.force_login(world["users"]["admin"])
    for url, reason in (("/audit/?model=user", "change log page"), ("/audit/?model=user&format=csv", "change log CSV export"),
                        ("/api/v1/audit/changes?model=user", "change log API")):
        resp = client.get(url)
        assert resp.status_code == 200
        assert "newbie@example.org" in resp.content.decode()
        logged = AccessLog.objects.filter(object_type="user", reason=reason)
        assert str(user.pk) in set(logged.values_list("object_id", flat=True)), url
        assert set(logged.values_list("username", flat=True)) == {"admin-a"}
    client.get("/api/v1/audit/changes?model=profile")
    assert AccessLog.objects.filter(object_type="profile", object_id=str(user.profile.pk)).exists()
    # the access log itself is not personal data of the kind: reading it writes nothing
    before = AccessLog.objects.count()
    client.get("/audit/access/")
    assert AccessLog.objects.count() == before


def test_admin_profile_pages_are_in_the_access_log(world, client):
    """The profile list and a profile's page show whose account has which role and district."""
    from hotpatrol.web.core.models import AccessLog, Profile

    client.force_login(world["users"]["admin"])
    assert client.get("/admin/core/profile/").status_code == 200
    listed = AccessLog.objects.filter(object_type="profile", reason="admin profile list")
    assert {int(i) for i in listed.values_list("object_id", flat=True)} == set(Profile.objects.values_list("pk", flat=True))
    target = world["users"]["officer"].profile
    assert client.get(f"/admin/core/profile/{target.pk}/change/").status_code == 200
    assert AccessLog.objects.filter(object_type="profile", reason="admin profile page", object_id=str(target.pk)).count() == 1
