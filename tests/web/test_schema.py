"""The REST API against its own OpenAPI document (schemathesis), as an admin and as a commander.

Every operation of ``/api/v1/openapi.json`` gets 25 generated requests per role (Hypothesis, derandomised so
runs are repeatable), plus known-good requests naming real districts, cells and users (generated path
parameters are almost never real, so the 200 answers would otherwise go unchecked). Every answer must: not
be a 5xx, carry a status code the document declares for the operation, have the declared content type, and
match the declared schema for that status. The document is read through the site itself (WSGI), as a
client reads it.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings

MAX_EXAMPLES = 25
OPENAPI = "/api/v1/openapi.json"


def _operations() -> list[tuple[str, str]]:
    from hotpatrol.web.api import api

    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


OPERATIONS = _operations()


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    """The document as the site serves it (read once: it does not depend on the data)."""
    from hotpatrol.web.wsgi import application

    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi(OPENAPI, application)


def _token(user) -> str:
    from hotpatrol.web.core.models import ApiToken

    return ApiToken.mint(user, name="schemathesis")[1]


def _known_good(world, path: str, role: str) -> list[dict]:
    """Requests with real path parameters and filters: (keyword arguments of ``Case``, expected status)."""
    own, other = world["cells"]["a"][0].pk, world["cells"]["b"][0].pk
    admin_only = role != "admin"
    cases = {
        "/api/v1/districts/{code}": [({"path_parameters": {"code": "a"}}, 200),
                                     ({"path_parameters": {"code": "b"}}, 200 if role == "admin" else 404)],
        "/api/v1/hotspots/{cell}": [({"path_parameters": {"cell": own}}, 200),
                                    ({"path_parameters": {"cell": other}}, 200 if role == "admin" else 404)],
        "/api/v1/users/{user_id}": [({"path_parameters": {"user_id": world["users"]["officer"].pk}},
                                     403 if admin_only else 200)],
        "/api/v1/hotspots": [({"query": {"district": "a", "period": "2021-04..2022-03", "limit": 2}}, 200),
                             ({"query": {"district": "b"}}, 200 if role == "admin" else 404)],
        "/api/v1/districts": [({"query": {"geometry": "true"}}, 200)],
        "/api/v1/ranking": [({"query": {"district": "a"}}, 200), ({"query": {"period": "2021-04..2022-03"}}, 200)],
        "/api/v1/concentration": [({"query": {"district": "a"}}, 200)],
        "/api/v1/audit/changes": [({"query": {"since": "2020-01-01", "until": "2099-12-31"}},
                                   403 if admin_only else 200)],
        "/api/v1/audit/access": [({"query": {"model": "user"}}, 403 if admin_only else 200)],
    }
    return cases.get(path, [])


def _generated(operation, headers: dict, checks) -> dict[int, int]:
    """25 generated requests (derandomised); returns how many answers of each status were seen."""
    seen: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=checks, headers=headers)

    run()
    return seen


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(api_schema, world, method, path):
    operation = api_schema[path][method]
    checks = _checks()
    for role in ("admin", "commander"):
        headers = {"Authorization": f"Bearer {_token(world['users'][role])}"}
        seen = _generated(operation, headers, checks)
        assert sum(seen.values()) >= 1, role
        for kwargs, expected in _known_good(world, path, role):
            case = operation.Case(**kwargs)
            response = case.call(headers=headers)
            assert response.status_code == expected, (role, kwargs, response.status_code, response.text[:300])
            case.validate_response(response, checks=checks, headers=headers)
