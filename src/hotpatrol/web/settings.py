"""Django settings for the hotpatrol site. Everything a deployment changes comes from the environment.

- ``HOTPATROL_DB``: the store URL (``--db``); Django's tables live beside the store's.
- ``HOTPATROL_SECRET_KEY``: required in production. When absent, a key is generated once and kept in
  ``$HOTPATROL_HOME`` (default ``~/.config/hotpatrol``)/secret_key, outside the repository.
- ``HOTPATROL_DEBUG`` (0/1), ``HOTPATROL_ALLOWED_HOSTS`` (comma list), ``HOTPATROL_SECURE`` (1 behind
  HTTPS: secure cookies, HSTS, SSL redirect), ``HOTPATROL_MFA_REQUIRED`` (1 by default),
  ``HOTPATROL_SESSION_MINUTES`` (idle timeout, 30), ``HOTPATROL_AXES_LIMIT`` (failures before lockout, 5).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hotpatrol.web.dburl import database_config

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


def _secret_key() -> str:
    key = os.environ.get("HOTPATROL_SECRET_KEY")
    if key:
        return key
    home = Path(os.environ.get("HOTPATROL_HOME", Path.home() / ".config" / "hotpatrol"))
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
    except OSError:  # read-only home: a per-process key (sessions do not survive a restart)
        return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
DEBUG = _flag("HOTPATROL_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("HOTPATROL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("HOTPATROL_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "auditlog",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs' scripts locally (no CDN)
    "hotpatrol.web.core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "hotpatrol.web.core.middleware.RequireMFAMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks
]

ROOT_URLCONF = "hotpatrol.web.urls"
WSGI_APPLICATION = "hotpatrol.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "templates"],  # ours first: they restyle allauth's pages
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotpatrol.web.core.views.nav_context",
            ],
        },
    },
]

DATABASES = {"default": database_config(os.environ.get("HOTPATROL_DB"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked accounts before checking passwords
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# accounts: email sign-in, no public sign-up (admins create police accounts)
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "hotpatrol.web.core.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False  # no "remember me": sessions end with the browser or 30 idle minutes
ACCOUNT_RATE_LIMITS = False  # axes does the per-account lockout
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "hotpatrol"
HOTPATROL_MFA_REQUIRED = _flag("HOTPATROL_MFA_REQUIRED", True)

# lockout per account, not per network address (one station's NAT would lock out every officer)
AXES_ENABLED = _flag("HOTPATROL_AXES", True)
AXES_FAILURE_LIMIT = int(os.environ.get("HOTPATROL_AXES_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "email"
AXES_COOLOFF_TIME = 1  # hours; admins can reset earlier (axes_reset_username)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# sessions: idle timeout, cookie not readable by scripts
SESSION_COOKIE_AGE = int(os.environ.get("HOTPATROL_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the page's script sends it back in X-CSRFToken

SECURE = _flag("HOTPATROL_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("HOTPATROL_STATIC_ROOT") or None  # collectstatic target in production (optional)
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {"default": {"BACKEND": os.environ.get("HOTPATROL_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

AUDITLOG_INCLUDE_ALL_MODELS = False  # registered explicitly in core.apps (with the auth user model)

EMAIL_BACKEND = os.environ.get("HOTPATROL_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("HOTPATROL_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("HOTPATROL_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("HOTPATROL_FROM_EMAIL", "hotpatrol@localhost")

# page: how many cells the overview map receives (the highest-harm ones in scope)
HOTPATROL_MAP_CELLS = int(os.environ.get("HOTPATROL_MAP_CELLS", "1000"))
HOTPATROL_OVERVIEW_CACHE_SECONDS = int(os.environ.get("HOTPATROL_OVERVIEW_CACHE_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOTPATROL_LOG_LEVEL", "WARNING")},
}

# axes.W006 asks for ip_address in the lockout parameters; we lock per account on purpose (one police
# station's address is shared by every officer in it), see docs/platform.md
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
