"""Shared fixtures. Tests reading ../shared/data skip when it is absent; PostgreSQL tests skip
without a server locally but fail when CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HOTPATROL_SHARED_DATA", REPO.parent / "shared" / "data"))
# worktrees live beside the main checkout; fall back to /work/shared/data
if not SHARED_DATA.exists() and Path("/work/shared/data").exists():
    SHARED_DATA = Path("/work/shared/data")
RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("HOTPATROL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    return SHARED_DATA


def _pg_available() -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    if _pg_available():
        return PG_URL
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is not reachable at {PG_URL}")
    pytest.skip("PostgreSQL not reachable")
