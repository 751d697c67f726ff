"""Build the demo site in a store: ``python -m hotpatrol.web.demo_site DB DISTRICTS`` (password in
``HOTPATROL_DEMO_PASSWORD``). ``hotpatrol demo`` calls :func:`build` in-process, or this module in a
fresh process when Django is already set up for another database (e.g. under pytest-django)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def build(db: str, districts_path, password: str) -> dict:
    """Migrate the store ``db``, load the demo districts, rank its hotspots, create one user per role."""
    from django.conf import settings

    from hotpatrol.web.dburl import database_config

    if settings.configured and str(settings.DATABASES["default"]["NAME"]) != str(database_config(db)["NAME"]):
        from pathlib import Path

        import hotpatrol

        src = str(Path(hotpatrol.__file__).resolve().parents[1])  # this hotpatrol, whatever is installed
        env = dict(os.environ, HOTPATROL_DEMO_PASSWORD=password, HOTPATROL_DB=db,
                   PYTHONPATH=os.pathsep.join([src] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        env.pop("DJANGO_SETTINGS_MODULE", None)
        done = subprocess.run([sys.executable, "-m", "hotpatrol.web.demo_site", db, str(districts_path)], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            from hotpatrol.errors import HotpatrolError

            raise HotpatrolError(f"Building the demo site failed: {done.stderr.strip()[-2000:]}", parameter="db", given=db)
        return json.loads(done.stdout)
    from hotpatrol.web import configure

    configure(db)
    from hotpatrol.web import site

    return site.build_demo_site(db, districts_path, password=password)


if __name__ == "__main__":
    out = build(sys.argv[1], sys.argv[2], os.environ["HOTPATROL_DEMO_PASSWORD"])
    sys.stdout.write(json.dumps(out, default=str))
