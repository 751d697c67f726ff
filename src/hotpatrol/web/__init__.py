"""The hotpatrol web platform: one Django site and REST API on top of the library.

Layering: this package calls the library's public names only (all through :mod:`hotpatrol.web.library`);
nothing in the library imports it. :func:`configure` points Django at a store URL and sets it up.
"""

from __future__ import annotations

import os

SETTINGS_MODULE = "hotpatrol.web.settings"


def configure(db: str | None = None) -> None:
    """Set Django up for the store ``db`` (SQLAlchemy URL or file path; default the ``db`` setting).

    Raises HotpatrolError when Django is already set up for a different database in this process
    (one process serves one store).
    """
    import django
    from django.conf import settings as dj

    from hotpatrol.errors import HotpatrolError
    from hotpatrol.web.dburl import database_config

    if dj.configured:
        want = database_config(db)["NAME"] if db else None
        have = dj.DATABASES["default"]["NAME"]
        if want is not None and str(want) != str(have):
            raise HotpatrolError("Django is already set up for another database in this process.",
                                 parameter="db", given=db, fix="Run the command in a new process.")
        django.setup()
        return
    if db:
        os.environ["HOTPATROL_DB"] = str(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    django.setup()


def manage(*args: str) -> None:
    """Run a Django management command (``manage("migrate")``) on the configured site."""
    from django.core.management import call_command

    call_command(*args)
