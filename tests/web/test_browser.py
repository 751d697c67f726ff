"""Browser tests: the site in Debian's chromium through Playwright, against a live server on 127.0.0.1.

Sign-in with password then TOTP (the code computed from the enrolled secret), the overview map drawing its
district and cell layers (SVG paths in Leaflet's overlay pane, then a cell's sparkline from the API), a
commander of district A refused district B (page and API), and no request leaving 127.0.0.1 (every request
of every test is recorded and checked).

Chromium is Debian's (``apt-get install chromium``, done by ``.ci/run``); Playwright downloads no browser.
Skipped locally when chromium or playwright is absent; a failure when ``CI=true`` (as PostgreSQL is).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import PASSWORD, make_user

CHROMIUM = Path(os.environ.get("HOTPATROL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 20_000


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: .ci/run installs chromium and the dev extras")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _missing(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API keeps an event loop running in this thread while the browser is open: Django's
    # ORM (the test's fixtures, the database flush after each test) must be allowed to run beside it
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context; every request it makes is recorded and must stay on 127.0.0.1."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.requests = requests
    yield page
    context.close()
    outside = [u for u in requests if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).hostname not in LOCAL_HOSTS]
    assert requests and not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def mapped(world):
    """The world with each district's map outline in lon/lat from its BNG square (as ``districts load``
    writes it), so the cells (converted from BNG on the server) fall inside their districts on the map."""
    import json

    from hotpatrol.web import library

    for d in world["districts"].values():
        xs = [d.min_x, d.max_x, d.max_x, d.min_x, d.min_x]
        ys = [d.min_y, d.min_y, d.max_y, d.max_y, d.min_y]
        lon, lat = library.to_lonlat(xs, ys)
        d.map_geometry = json.dumps({"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat)]]})
        d.save(update_fields=["map_geometry"])
    return world


def _totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 5:  # the code would expire before the form reaches the server: use the next one
        time.sleep(left + 0.2)
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def _sign_in_session(page, user, live_server):
    """A signed-in session (password and MFA done server-side) as the browser's cookie."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def _assert_local(page) -> None:
    """Every request the page made went to the live server on 127.0.0.1 (no CDN, no tiles, no fonts)."""
    hosts = {urlsplit(u).hostname for u in page.requests if urlsplit(u).scheme not in ("data", "blob")}
    assert hosts and hosts <= LOCAL_HOSTS, hosts


def _open_signed_in(page, user, live_server, path: str, selector: str):
    """Sign ``user`` in, open ``path`` (must answer 200) and wait until ``selector`` is drawn in the map's
    overlay pane; returns the response."""
    _sign_in_session(page, user, live_server)
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_selector(f".leaflet-overlay-pane svg {selector}")
    return response


def _drawn(page, selector: str) -> int:
    return page.locator(f".leaflet-overlay-pane svg {selector}").count()


def test_sign_in_with_password_then_totp(mapped, page):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = make_user("kim", "commander", "a", mfa=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    page.goto("/")
    assert "/accounts/login/" in page.url  # signed out: to the sign-in page
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    assert page.locator("input[name=code]").count() == 1  # the password alone is not enough
    page.fill("input[name=code]", "000000" if _totp_code(secret) != "000000" else "111111")
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()
    assert "/accounts/2fa/authenticate/" in page.url  # a wrong code keeps us out
    assert page.locator("#map").count() == 0
    page.fill("input[name=code]", _totp_code(secret))
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_selector(".leaflet-overlay-pane svg path.district")
    assert urlsplit(page.url).path == "/"
    assert page.locator("h1").inner_text().strip() == "District A"  # a commander lands on their district
    _assert_local(page)


def test_overview_map_draws_district_and_cell_layers(mapped, page, live_server):
    world = mapped
    _open_signed_in(page, world["users"]["admin"], live_server, "/", "path.cell")
    for cell in page.locator(".leaflet-overlay-pane path.cell").all():  # drawn with extent, not clipped away
        box = cell.bounding_box()
        assert box and box["width"] >= 1 and box["height"] >= 1
    # the force view: both districts and all six cells drawn as SVG paths, nothing else in the pane
    assert _drawn(page, "path.district") == 2
    assert _drawn(page, "path.cell") == 6
    assert _drawn(page, "path") == 8
    codes = sorted(page.locator(".leaflet-overlay-pane path.district").evaluate_all(
        "els => els.map(e => e.getAttribute('data-district'))"))
    assert codes == ["a", "b"]
    # cells are coloured by harm: more than one fill among the six
    fills = set(page.locator(".leaflet-overlay-pane path.cell").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))"))
    assert len(fills) > 1
    # the drawn paths have real extent on screen (not zero-size)
    box = page.locator(".leaflet-overlay-pane path.district").first.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 20
    # clicking a cell fetches its detail from the API (session) and draws the 13-month sparkline
    page.locator(".leaflet-overlay-pane path.cell").first.click()
    page.wait_for_selector("#cell svg.spark")
    assert page.locator("#cell svg.spark circle").count() == 13
    assert any("/api/v1/hotspots/" in u for u in page.requests)
    assert any(u.endswith("leaflet.js") for u in page.requests)  # the vendored Leaflet, from this site
    _assert_local(page)


def test_commander_of_a_cannot_open_district_b(mapped, page, live_server):
    world = mapped
    _open_signed_in(page, world["users"]["commander"], live_server, "/districts/a/", "path.district")
    assert _drawn(page, "path.district") == 1 and _drawn(page, "path.cell") == 3  # own district only
    response = page.goto("/districts/b/")
    assert response.status in (403, 404)
    assert page.locator(".leaflet-overlay-pane").count() == 0
    b_cell = world["cells"]["b"][0].pk
    for path in ("/api/v1/districts/b", f"/api/v1/hotspots/{b_cell}", "/api/v1/hotspots?district=b"):
        api = page.request.get(path)
        assert api.status in (403, 404), path
        assert "error" in api.json()
    page.goto("/")
    page.wait_for_selector(".leaflet-overlay-pane svg path.cell")
    assert page.locator("h1").inner_text().strip() == "District A"
    assert _drawn(page, "path.cell") == 3
    _assert_local(page)
