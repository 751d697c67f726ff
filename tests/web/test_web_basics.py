"""Settings, store URL conversion, restrict() scoping, the site's services."""

from __future__ import annotations

import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.web.dburl import database_config


def test_sqlite_url_gets_wal_normal_and_immediate_transactions(tmp_path):
    cfg = database_config(f"sqlite:///{tmp_path / 'x.db'}")
    assert cfg["ENGINE"] == "django.db.backends.sqlite3"
    assert cfg["NAME"] == str((tmp_path / "x.db").resolve())
    assert cfg["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in cfg["OPTIONS"]["init_command"]
    assert "synchronous=NORMAL" in cfg["OPTIONS"]["init_command"]
    assert database_config(str(tmp_path / "y.db"))["NAME"].endswith("y.db")  # a bare path is an SQLite file


def test_postgres_sqlalchemy_url_becomes_django_settings():
    cfg = database_config("postgresql+psycopg://alice:s3cret@db.example:5433/hot?sslmode=require")
    assert cfg["ENGINE"] == "django.db.backends.postgresql"
    assert (cfg["NAME"], cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"]) == ("hot", "alice", "s3cret",
                                                                                      "db.example", "5433")
    assert cfg["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url, parameter", [("mysql://x@y/z", "db"), ("sqlite://", "db")])
def test_other_databases_are_refused_naming_db(url, parameter):
    with pytest.raises(HotpatrolError) as err:
        database_config(url)
    assert err.value.parameter == parameter


def test_sqlite_connection_really_uses_wal(world):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous")
        assert cur.fetchone()[0] == 1  # NORMAL


def test_restrict_scopes_every_model_by_district(world):
    from hotpatrol.web.core.models import District, HotspotCell, Profile, Team

    u = world["users"]
    a, b = world["districts"]["a"], world["districts"]["b"]
    Team.objects.create(district=b, name="B team")
    for role in ("commander", "sergeant", "officer", "partner"):
        user = u[role]
        assert list(District.objects.restrict(user)) == [a]
        assert set(HotspotCell.objects.restrict(user).values_list("district__code", flat=True)) == {"a"}
        assert set(Team.objects.restrict(user).values_list("district__code", flat=True)) <= {"a"}
        assert list(Profile.objects.restrict(user)) == [user.profile]  # only their own profile
        assert not District.objects.restrict(user, "change").exists()
    for role in ("admin", "analyst"):
        assert District.objects.restrict(u[role]).count() == 2
        assert HotspotCell.objects.restrict(u[role]).count() == 6
    assert District.objects.restrict(u["admin"], "change").count() == 2
    assert not District.objects.restrict(u["analyst"], "change").exists()
    from django.contrib.auth.models import AnonymousUser

    assert not HotspotCell.objects.restrict(AnonymousUser()).exists()


def test_rules_predicates_for_single_objects(world):
    u = world["users"]
    a, b = world["districts"]["a"], world["districts"]["b"]
    cell_b = world["cells"]["b"][0]
    assert u["commander"].has_perm("core.view_district", a)
    assert not u["commander"].has_perm("core.view_district", b)
    assert not u["commander"].has_perm("core.view_hotspotcell", cell_b)
    assert u["analyst"].has_perm("core.view_hotspotcell", cell_b)
    assert u["admin"].has_perm("core.change_district", b) and not u["analyst"].has_perm("core.change_district", b)


def test_create_user_checks_role_district_and_password(world):
    from hotpatrol.web import site

    with pytest.raises(HotpatrolError) as err:
        site.create_user("x", role="chief")
    assert err.value.parameter == "role" and "commander" in err.value.allowed
    with pytest.raises(HotpatrolError) as err:
        site.create_user("x", role="commander")
    assert err.value.parameter == "district"
    with pytest.raises(HotpatrolError) as err:
        site.create_user("x", role="officer", district="Nowhere")
    assert err.value.parameter == "district" and "District A" in err.value.allowed
    with pytest.raises(HotpatrolError) as err:
        site.create_user("x", role="analyst", password="password")
    assert err.value.parameter == "password"
    user = site.create_user("sgt", role="sergeant", district="District B", team="Response")
    assert user.profile.district.code == "b" and user.profile.team.name == "Response"
    assert not user.has_usable_password()


def test_tokens_are_stored_hashed(world):
    from hotpatrol.web import site
    from hotpatrol.web.core.models import ApiToken

    token = site.mint_token("analyst-a")
    row = ApiToken.objects.get(user=world["users"]["analyst"])
    assert token not in (row.key_hash, row.prefix) and row.key_hash == ApiToken.hash(token)
    with pytest.raises(HotpatrolError):
        site.mint_token("nobody")


def test_token_by_sign_in_email(world):
    """`hotpatrol demo` prints sign-in emails; `users token EMAIL` must find that account."""
    from hotpatrol.web import site
    from hotpatrol.web.core.models import ApiToken

    token = site.mint_token("Analyst-A@example.org")
    assert ApiToken.objects.get(key_hash=ApiToken.hash(token)).user == world["users"]["analyst"]
    with pytest.raises(HotpatrolError) as err:
        site.mint_token("nobody@example.org")
    assert err.value.parameter == "USERNAME" and "nobody@example.org" in str(err.value)


def test_secret_key_is_generated_once_outside_the_repo(tmp_path, monkeypatch):
    from hotpatrol.web import settings as s

    monkeypatch.delenv("HOTPATROL_SECRET_KEY", raising=False)
    monkeypatch.setenv("HOTPATROL_HOME", str(tmp_path))
    first = s._secret_key()
    assert len(first) > 40 and (tmp_path / "secret_key").read_text() == first
    assert s._secret_key() == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    monkeypatch.setenv("HOTPATROL_SECRET_KEY", "from-env")
    assert s._secret_key() == "from-env"
