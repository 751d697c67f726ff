"""WSGI entry point: ``gunicorn hotpatrol.web.wsgi:application`` (set HOTPATROL_DB and HOTPATROL_SECRET_KEY)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotpatrol.web.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
