"""The site's database schema and a representative part of the web suite on PostgreSQL.

The web tests use pytest-django's test database, which comes from the site's ``db`` setting
(``HOTPATROL_DB``) when pytest starts; so the PostgreSQL run is the same tests in a fresh pytest process with
``HOTPATROL_DB`` pointing at the server (127.0.0.1:5432 in CI). Its test database has a name of its own
(``test_hotpatrol_web_<pid>``, created by applying every migration and dropped at the end), so it never
meets the store tests' database ``test``. Skipped locally without a server, a failure when ``CI=true``
(the ``pg_url`` fixture). The run covers the migrations (the database is built by them, and nothing is
left unmigrated), the authorisation matrix, the overview and analysis, the audit trails, accounts and
security, and the site basics.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUBSET = ["tests/web/test_schema_postgres.py", "tests/web/test_authorisation_matrix.py",
          "tests/web/test_overview_and_analysis.py", "tests/web/test_audit.py", "tests/web/test_web_basics.py",
          "tests/web/test_accounts_security.py"]
EXPECT = "HOTPATROL_TEST_EXPECT_VENDOR"


@pytest.mark.django_db
def test_database_is_fully_migrated():
    """Every migration applied, on whichever database this run uses (PostgreSQL in the run below)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if os.environ.get(EXPECT):
        assert connection.vendor == os.environ[EXPECT]
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    tables = set(connection.introspection.table_names())
    assert {"core_district", "core_hotspotcell", "core_accesslog", "auditlog_logentry", "axes_accessattempt",
            "mfa_authenticator"} <= tables


@pytest.mark.slow
@pytest.mark.postgres
def test_web_suite_on_postgres(pg_url):
    import sqlalchemy as sa

    url = sa.engine.make_url(pg_url).set(database=f"hotpatrol_web_{os.getpid()}")
    env = dict(os.environ, HOTPATROL_DB=url.render_as_string(hide_password=False), **{EXPECT: "postgresql"})
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                           "-m", "not postgres", "--create-db", *SUBSET], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=1200)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    assert done.returncode == 0, tail
    assert " passed" in tail and " failed" not in tail and "error" not in tail.splitlines()[-1], tail
