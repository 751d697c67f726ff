"""Sign-in with MFA, MFA enrolment required for police roles, lockout per account, CSRF, session expiry."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.conftest import PASSWORD, make_user  # noqa: F401  (fixtures module)


def _totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def _login(client, email, password=PASSWORD, remote="10.0.0.1"):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=remote)


def test_sign_in_with_password_then_totp(world, client):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = make_user("kim", "commander", "a", mfa=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    assert Authenticator.objects.filter(user=user).exists()
    resp = _login(client, user.email)
    assert resp.status_code == 302 and "/2fa/authenticate" in resp.url  # the password alone is not enough
    assert client.get("/").status_code == 302
    resp = client.post(resp.url, {"code": _totp_code(secret)})
    assert resp.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and b"District A" in page.content


def test_police_roles_without_mfa_are_sent_to_enrolment(world, client):
    for role in ("admin", "analyst", "commander", "sergeant", "officer"):
        user = make_user(f"new-{role}", role, None if role in ("admin", "analyst") else "a", mfa=False)
        client.force_login(user)
        resp = client.get("/")
        assert resp.status_code == 302 and resp.url.startswith("/accounts/2fa/totp/activate"), role
        api = client.get("/api/v1/districts")
        assert api.status_code == 403 and "Two-factor" in api.json()["error"]["message"]
    # after a real password sign-in the enrolment page itself opens (with a QR code to scan)
    fresh = Client()
    resp = _login(fresh, "new-officer@example.org")
    assert resp.status_code == 302
    page = fresh.get("/accounts/2fa/totp/activate/")  # allauth asks for the password again before adding MFA
    assert page.status_code == 302 and page.url.startswith("/accounts/reauthenticate/")
    fresh.post(page.url, {"password": PASSWORD})
    page = fresh.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200 and b"svg" in page.content.lower()
    partner = make_user("new-partner", "partner", "a", mfa=False)
    client.force_login(partner)
    assert client.get("/").status_code == 200  # partners are not police: MFA optional


def test_lockout_is_per_account_not_per_address(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    victim = world["users"]["officer"]
    other = world["users"]["sergeant"]
    attacker = Client()
    for _ in range(3):
        resp = _login(attacker, victim.email, "wrong password", remote="10.9.9.9")
        assert resp.status_code in (200, 429)
    # the right password from another address is refused too: the account is locked
    resp = _login(Client(), victim.email, PASSWORD, remote="10.1.1.1")
    assert resp.status_code == 429
    # another officer behind the same station address still signs in (no per-address lockout)
    resp = _login(Client(), other.email, PASSWORD, remote="10.9.9.9")
    assert resp.status_code == 302
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username=victim.email).exists()


def test_csrf_on_the_browser_api_but_not_for_bearer_tokens(world):
    from hotpatrol.web import site

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["analyst"])
    resp = browser.post("/api/v1/runs", data="{}", content_type="application/json")
    assert resp.status_code == 403 and "CSRF" in resp.json()["error"]["message"]
    browser.get("/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    resp = browser.post("/api/v1/runs", data="{}", content_type="application/json", headers={"X-CSRFToken": token})
    assert resp.status_code == 202, resp.content
    machine = Client(enforce_csrf_checks=True)
    bearer = site.mint_token("analyst-a")
    resp = machine.post("/api/v1/runs", data="{}", content_type="application/json",
                        headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status_code == 202
    assert machine.get("/api/v1/me", headers={"Authorization": "Bearer hp_wrong"}).status_code == 401


def test_sessions_expire(world, client, settings):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE <= 8 * 3600 and settings.SESSION_SAVE_EVERY_REQUEST  # idle timeout
    assert settings.SESSION_COOKIE_HTTPONLY
    client.force_login(world["users"]["commander"])
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    resp = client.get("/")
    assert resp.status_code == 302 and resp.url.startswith("/accounts/login/")
    assert client.get("/api/v1/me").status_code == 401


def test_passwords_are_checked_by_django_validators(world):
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.web import site

    for weak in ("short1", "12345678901234", "password1234"):
        with pytest.raises(HotpatrolError):
            site.create_user("weak", role="analyst", password=weak)


def test_no_public_sign_up(client):
    resp = client.get("/accounts/signup/")
    assert resp.status_code == 200 and b"closed" in resp.content.lower()


def test_deploy_checks_are_clean(monkeypatch):
    """`manage.py check --deploy` with production settings (secure cookies, HSTS) reports nothing."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, HOTPATROL_SECURE="1", HOTPATROL_SECRET_KEY="x" * 30 + "-production-like-secret-key-123456",
               HOTPATROL_DEBUG="0", DJANGO_SETTINGS_MODULE="hotpatrol.web.settings",
               PYTHONPATH=os.pathsep.join([str(p) for p in sys.path if p]))
    done = subprocess.run([sys.executable, "-m", "hotpatrol.web.manage", "check", "--deploy", "--fail-level",
                           "WARNING"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_account_pages_use_the_site_layout(world, client):
    page = client.get("/accounts/login/").content.decode()
    assert "core/site.css" in page and 'name="login"' in page and 'name="password"' in page
    assert "sign up" not in page.lower()
    client.force_login(world["users"]["partner"])
    page = client.get("/accounts/2fa/").content.decode()
    assert "core/site.css" in page and "Sign out" in page


def test_start_run_refuses_unknown_fields(world):
    """A mistyped or unsupported option must not be dropped silently while the run starts with defaults."""
    from hotpatrol.web import site

    machine = Client()
    bearer = site.mint_token("analyst-a")
    resp = machine.post("/api/v1/runs", data='{"cell": -5}', content_type="application/json",
                        headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status_code == 422, resp.content
    error = resp.json()["error"]
    assert error["parameter"] == "cell" and "Invalid request" in error["message"]
