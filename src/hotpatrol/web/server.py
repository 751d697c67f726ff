"""``hotpatrol serve``: migrations, gunicorn (gthread) and one django-tasks database worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def run(db: str | None, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 2, threads: int = 8,
        task_worker: bool = True) -> None:
    """Serve the site for the store ``db`` until interrupted (blocks)."""
    from gunicorn.app.base import BaseApplication

    from hotpatrol.web import configure

    configure(db)
    from hotpatrol.web import site

    site.migrate()
    from django.db import connections

    connections.close_all()  # no connection crosses the fork into gunicorn's workers
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hotpatrol.web.settings")
    child = None
    if task_worker:
        child = subprocess.Popen([sys.executable, "-m", "hotpatrol.web.manage", "db_worker", "--interval", "2"],
                                 env=env)

    class Application(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "accesslog": "-", "timeout": 120,
                               "graceful_timeout": 10}.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: one shared ~/.gunicorn/gunicorn.ctl
                self.cfg.set("control_socket_disable", True)  # would be taken over by each concurrent server

        def load(self):
            from hotpatrol.web.wsgi import application

            return application

    print(f"hotpatrol: serving http://{host}:{port}/ (store {os.environ.get('HOTPATROL_DB', 'default')})", flush=True)
    try:
        Application().run()
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
