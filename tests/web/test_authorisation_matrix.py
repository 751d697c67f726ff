"""The authorisation matrix, generated from the URL configuration and the OpenAPI document.

Every route (URL name) and every API operation (operationId) must have a rule in
``core.rules.ROUTE_RULES``; a route without one fails ``test_every_route_has_a_rule``. Then every role
(and anonymous) x every page/operation x own/other district is requested and the status compared with
what the rule says it must be.
"""

from __future__ import annotations

import pytest

from hotpatrol.web.core.rules import ROUTE_RULES, RULES, rule_for

ROLES = ("anonymous", "admin", "analyst", "commander", "sergeant", "officer", "partner")
FORCE_WIDE = {"admin", "analyst"}


def _walk(patterns, prefix="", namespace=""):
    from django.urls import URLPattern, URLResolver

    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            # an unnamed route inside a namespace (Django admin's redirects) falls under the namespace's rule
            name = p.name or (f"{namespace}<unnamed>" if namespace else None)
            yield (f"{namespace}{p.name}" if p.name else name), prefix + str(p.pattern)


def url_routes():
    from django.urls import get_resolver

    return list(_walk(get_resolver().url_patterns))


def openapi_document() -> dict:
    """The OpenAPI document as served (JSON keys)."""
    import json

    from hotpatrol.web.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))


def openapi_operations():
    doc = openapi_document()
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield method.upper(), path, op


def routes_without_rule(routes, ops) -> list[tuple[str, str]]:
    """(name, pattern) of every page route and (operation id, "api") of every API operation with no rule."""
    missing = [(name, pattern) for name, pattern in routes
               if not pattern.startswith("api/v1/") and rule_for(name) is None]  # API routes: per operation
    return missing + [(op, "api") for op in sorted(ops) if rule_for(op) is None]


def test_every_route_has_a_rule():
    routes = url_routes()
    assert len(routes) > 20
    unnamed = [pattern for name, pattern in routes if name is None and not pattern.startswith("api/v1/")]
    assert not unnamed, f"routes without a name (cannot carry a rule): {unnamed}"
    ops = {op["operationId"] for _, _, op in openapi_operations()}
    missing = routes_without_rule(routes, ops)
    assert not missing, f"routes without an authorisation rule in ROUTE_RULES: {missing}"
    # and no stale rules: every exact (non-prefix) entry names a real page or operation
    names = {n for n, _ in routes} | ops | {"static"}
    stale = [k for k in ROUTE_RULES if not k.endswith("*") and k not in names]
    assert not stale, f"rules for routes that no longer exist: {stale}"
    unknown = {k: v for k, v in ROUTE_RULES.items() if v not in RULES}
    assert not unknown, f"rules not among the documented ones {RULES}: {unknown}"


def test_every_operation_declares_401_403_422_and_the_error_shape():
    doc = openapi_document()
    for method, path, op in openapi_operations():
        for code in ("401", "403", "422"):
            assert code in op["responses"], f"{method} {path} does not declare {code}"
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut")
    assert "error" in doc["components"]["schemas"]["ErrorOut"]["properties"]


def test_a_route_or_operation_without_a_rule_is_caught():
    """The check above is not vacuous: a new page or operation that nobody gave a rule is reported."""
    routes = url_routes() + [("reports_export", "reports/export/")]
    ops = {op["operationId"] for _, _, op in openapi_operations()} | {"delete_everything"}
    assert routes_without_rule(routes, ops) == [("reports_export", "reports/export/"), ("delete_everything", "api")]
    # prefix rules cover their namespace, and an exact rule beats its prefix
    assert rule_for("admin:anything_new") == "admin_site" and rule_for("account_email") == "signed_in"


def expected(rule: str, role: str, own: bool, api: bool, ok: int = 200) -> int:
    """The status the rule demands."""
    if rule == "public":
        return ok
    if role == "anonymous":
        return 401 if api else 302
    if rule == "signed_in":
        return ok
    if rule == "district":
        return ok if (own or role in FORCE_WIDE) else 404
    if rule == "force_wide":
        return ok if role in FORCE_WIDE else 403
    if rule == "admin":
        return ok if role == "admin" else 403
    if rule == "admin_site":
        return ok if role == "admin" else 302
    raise AssertionError(f"unknown rule {rule}")


# the concrete pages requested (prefix rules by a representative route)
PAGES = [("overview", {}), ("district", {"code": "{district}"}), ("audit_changes", {}), ("audit_access", {}),
         ("health", {}), ("admin:index", {}), ("admin:core_district_changelist", {}), ("account_login", {}),
         ("mfa_index", {}), ("account_email", {}), ("account_change_password", {})]


def test_pages_cover_every_rule_and_every_page_of_ours():
    ours = {n for n, p in url_routes() if n and not (n.startswith(("admin:", "account_", "mfa_", "api:")))}
    assert ours <= {name for name, _ in PAGES}, f"pages missing from the matrix: {ours - {n for n, _ in PAGES}}"


def _client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world, client, role):
    from django.urls import reverse

    _client_for(client, world, role)
    failures = []
    for name, kwargs in PAGES:
        rule = rule_for(name)
        for own in (True, False):
            if not kwargs and not own:
                continue
            code = "a" if own else "b"
            url = reverse(name, kwargs={k: v.format(district=code) for k, v in kwargs.items()})
            got = client.get(url).status_code
            want = expected(rule, role, own, api=False)
            if name == "account_login" and role != "anonymous":
                want = 302  # signed-in users are sent on from the sign-in page
            if got != want:
                failures.append(f"{role} GET {url} ({rule}, {'own' if own else 'other'}): {got} != {want}")
    assert not failures, "\n".join(failures)


def _api_path(path: str, world, role: str, own: bool) -> str:
    code = "a" if own else "b"
    cell = world["cells"][code][0].pk
    user = world["users"]["commander" if own else "commander_b"]
    return (path.replace("{code}", code).replace("{cell}", str(cell)).replace("{user_id}", str(user.pk)))


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(world, client, role, auth):
    from hotpatrol.web import site

    headers = {}
    if role != "anonymous":
        if auth == "session":
            client.force_login(world["users"][role])
        else:
            headers["Authorization"] = "Bearer " + site.mint_token(world["users"][role].username)
    elif auth == "token":
        headers["Authorization"] = "Bearer hp_not-a-real-token"
    failures = []
    for method, path, op in openapi_operations():
        rule = rule_for(op["operationId"])
        params = "{" in path
        for own in ((True, False) if params else (True,)):
            url = _api_path(path, world, role, own)
            if method == "GET":
                resp = client.get(url, headers=headers)
            else:
                resp = client.generic(method, url, data="{}", content_type="application/json", headers=headers)
            ok = 202 if method == "POST" else 200
            want = expected(rule, role, own, api=not path.endswith(("openapi.json", "/docs")), ok=ok)
            if resp.status_code != want:
                failures.append(f"{role}/{auth} {method} {url} ({rule}, {'own' if own else 'other'}): "
                                f"{resp.status_code} != {want} {resp.content[:200]!r}")
            elif resp.status_code >= 400:
                assert set(resp.json()) == {"error"} and resp.json()["error"]["message"]
    assert not failures, "\n".join(failures)


def test_scoped_lists_only_hold_own_district(world, client):
    client.force_login(world["users"]["commander"])
    cells = client.get("/api/v1/hotspots?limit=1000").json()
    assert cells["count"] == 3 and {c["district"] for c in cells["items"]} == {"a"}
    assert client.get("/api/v1/hotspots?district=b").status_code == 404
    assert [d["code"] for d in client.get("/api/v1/districts").json()["items"]] == ["a"]
    assert client.get("/api/v1/ranking?district=b").status_code == 404
    assert client.get("/api/v1/ranking").json()["scope"] == "a"
    page = client.get("/").content.decode()
    assert "District A" in page and "District B" not in page
    client.force_login(world["users"]["analyst"])
    assert client.get("/api/v1/hotspots").json()["count"] == 6
    assert client.get("/api/v1/ranking").json()["scope"] == "force"
