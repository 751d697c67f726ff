"""The store URL (SQLAlchemy style, or a file path) as a Django ``DATABASES`` entry."""

from __future__ import annotations

from pathlib import Path

from hotpatrol.errors import HotpatrolError

SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"


def database_config(url: str | None = None) -> dict:
    """Django's database settings for the store ``url`` (default the ``db`` setting).

    ``sqlite:///path`` or a bare path: the same SQLite file as the store, in WAL mode with
    ``synchronous=NORMAL`` and ``transaction_mode="IMMEDIATE"`` (without them concurrent
    read-then-write requests fail with "database is locked"). ``postgresql[+driver]://user:pw@host:port/db``
    (``?options`` kept): Django's PostgreSQL backend on psycopg 3.

    Raises
    ------
    HotpatrolError
        for a URL of another kind, naming the ``db`` parameter.
    """
    import sqlalchemy as sa

    from hotpatrol import settings

    raw = str(url or settings.get("db"))
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    try:
        parsed = sa.engine.make_url(raw)
    except Exception:
        raise HotpatrolError("Cannot read the store URL.", parameter="db", given=raw,
                             fix="Use sqlite:///path/to/file.db, a file path, or postgresql+psycopg://user@host/db.") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        name = parsed.database or ""
        if name in ("", ":memory:"):
            raise HotpatrolError("The web site needs a file, not an in-memory SQLite store.", parameter="db",
                                 given=raw, fix="Use sqlite:///path/to/hotpatrol.db.")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(name).expanduser().resolve()),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": SQLITE_INIT, "timeout": 20},
            "TEST": {"NAME": None},
        }
    if backend == "postgresql":
        options = dict(parsed.query)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.database or "",
            "USER": parsed.username or "",
            "PASSWORD": parsed.password or "",
            "HOST": parsed.host or "",
            "PORT": str(parsed.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise HotpatrolError("The web site runs on SQLite or PostgreSQL stores only.", parameter="db",
                         allowed=["sqlite", "postgresql"], given=backend)
