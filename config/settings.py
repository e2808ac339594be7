"""Panelwave settings: the only settings module, configured by environment variables.

Every variable read here is listed in the README's configuration table. With nothing set,
Panelwave runs embedded: SQLite under var/, Celery tasks run in-process, a local-memory
cache and e-mail printed to the console.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.dbtimeouts import DEFAULT_CONNECT_TIMEOUT, database_connect_timeout
from config.env import env_bool, env_int, env_list, env_secret, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PANELWAVE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Three modes. DJANGO_DEBUG=true is the demo (`make demo` sets it): Django's debug pages.
# Unset is the embedded default for scripts and tests on one machine: no debug pages (they
# print settings and request data), but secrets are generated under var/ and cookies go over
# plain HTTP. DJANGO_DEBUG=false is production: secrets must come from the environment.
DEBUG = env_bool("DJANGO_DEBUG", False)
PRODUCTION = not env_bool("DJANGO_DEBUG", True)

# Secrets: generated once under var/ outside production (keyed hashes must stay stable);
# required from the environment in production.
_GENERATE_SECRETS = not PRODUCTION
SECRET_KEY = env_secret("SECRET_KEY", var_dir=VAR_DIR, generate=_GENERATE_SECRETS)
# Fernet keys for contact details at rest, newest first: rotation adds a key in front, then
# `rotate_contact_keys` re-encrypts and the old key can be dropped.
PANELWAVE_CONTACT_KEYS = [
    key.strip()
    for key in env_secret(
        "PANELWAVE_CONTACT_KEYS", var_dir=VAR_DIR, generate=_GENERATE_SECRETS
    ).split(",")
    if key.strip()
]
# HMAC key for blind indexes (finding duplicate contacts) and imported panel keys.
PANELWAVE_HASH_KEY = env_secret("PANELWAVE_HASH_KEY", var_dir=VAR_DIR, generate=_GENERATE_SECRETS)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin, with study staff kept to the project's own models (config/admin.py).
    "config.admin.PanelwaveAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "axes",
    "surveys",
    "respondents",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything parses a body (the CSRF check reads request.POST).
    "config.bodylimits.RequestBodyLimitMiddleware",
    # Django's, saving the session on respondent pages only when they use it.
    "config.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, django-otp's and messages' own, skipped on respondent pages
    # (config/staffonly.py); the two-factor check looks at the path first.
    "config.staffonly.AuthenticationMiddleware",
    "config.staffonly.OTPMiddleware",
    "config.accounts.middleware.TwoFactorRequiredMiddleware",
    "config.staffonly.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes requires: it turns a lockout raised during authentication into a page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "respondents.context_processors.leave_quickly",
                "surveys.workspace.context.workspace",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # Off by default: the check is a round trip before every request's first query, a
        # fifth of a respondent page's time under load (bench/submit.py). Without it, a
        # connection broken by a database restart fails one request per process (an error
        # page, nothing half-written: each page saves in one transaction), and Django then
        # drops it, so service still resumes by itself (bench/pg_restart.py).
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the form keep saving while a cleaning run reads; the timeout rides out
    # short write locks instead of failing a respondent's page.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let psycopg prepare a statement it has run five times on a
    # connection (kept CONN_MAX_AGE): the respondent pages repeat a handful of joins whose
    # planning cost more than their execution (bench/submit.py).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True
    )
    # Without it psycopg waits 130 s for a database that does not answer (a host gone in a
    # failover, a server that took the TCP connection and never replies): a respondent's
    # page would hang instead of showing the error page (docs/operations.md).
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = database_connect_timeout(
        env_int("DATABASE_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
# Seconds: a Redis that answers does so in milliseconds.
CACHE_SOCKET_TIMEOUT = 2
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "panelwave",
            # A Redis that stops answering (frozen, or a network that drops packets) holds a
            # respondent's start until these expire, then the start's rate limit fails open
            # (docs/operations.md). Set here rather than left to redis-py's defaults (5 s in
            # 8.x, unset - wait for ever - in older releases).
            "OPTIONS": {
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
                "socket_timeout": CACHE_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/workspace/"
# Axes first: it refuses a locked-out username before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login rate limiting by username only, counted in the cache: the database handler would
# store each attempt's IP address and user agent, and no raw IP is written anywhere (staff
# included). The IP callable returns None so not even axes' log lines carry one.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "config.accounts.ratelimit.no_client_ip"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
# Quiet: axes' start banner would land in every management command's output.
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# axes warns that username-only lockout lets an attacker rotate usernames; locking by IP
# would mean keeping IPs, which the privacy model forbids.
# In embedded mode (no REDIS_URL) one process serves everything, so axes' counts in the
# local-memory cache are complete, though axes warns about it (W001).
SILENCED_SYSTEM_CHECKS = ["axes.W006"] + ([] if REDIS_URL else ["axes.W001"])
# Two-factor authentication is always required of owners and fieldwork managers (they see
# contact details); superusers see everything, so it is required of them too in production,
# unless this says otherwise.
PANELWAVE_SUPERUSER_2FA = env_bool("PANELWAVE_SUPERUSER_2FA", PRODUCTION)

# Staff sessions expire after a working day of inactivity; respondents keep no login session.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie lives as long as the browser session, not Django's default year: a
# respondent who closes the browser leaves no cookie behind that shows they took part.
CSRF_COOKIE_AGE = None
# The "leave quickly" link on every respondent page replaces the page with this address
# (a study may set its own).
PANELWAVE_LEAVE_URL = env_url("PANELWAVE_LEAVE_URL", "https://www.google.com/")
# Request bodies, refused before anything reads them (config/bodylimits.py). Respondent
# pages post small url-encoded forms: 256 KB holds a page of twenty 2,000-character answers
# in Cyrillic, each letter six bytes once url-encoded. Staff uploads are questionnaires.
RESPONDENT_MAX_BODY_BYTES = env_int("RESPONDENT_MAX_BODY_BYTES", 256 * 1024)
STAFF_MAX_UPLOAD_BYTES = env_int("STAFF_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# Form files (XLSForm, JSON), checked before any parser reads them (surveys/filebounds.py),
# whichever way they arrive (command, API, admin, workspace). The largest real XLSForms
# (a few thousand rows, a dozen languages) stay far inside these; a zip bomb or a row bomb
# does not.
FORM_MAX_FILE_BYTES = env_int("FORM_MAX_FILE_BYTES", 10 * 1024 * 1024)
FORM_MAX_UNPACKED_BYTES = env_int("FORM_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
FORM_MAX_ZIP_MEMBERS = env_int("FORM_MAX_ZIP_MEMBERS", 1000)
# Spreadsheet XML compresses about 10 to 1; a bomb compresses hundreds to one.
FORM_MAX_ZIP_RATIO = env_int("FORM_MAX_ZIP_RATIO", 100)
FORM_MAX_ROWS = env_int("FORM_MAX_ROWS", 50_000)
FORM_MAX_COLUMNS = env_int("FORM_MAX_COLUMNS", 1000)
FORM_MAX_CELLS = env_int("FORM_MAX_CELLS", 2_000_000)
# A form with more rows than this is imported by a Celery task, not inside the request
# (a 20,000-row form takes tens of seconds).
FORM_IMPORT_INLINE_ROWS = env_int("FORM_IMPORT_INLINE_ROWS", 2000)
# Uploads being read and imports in progress keep their files here; a sweep removes any a
# killed process left behind.
PANELWAVE_TMP_DIR = VAR_DIR / "tmp"
PANELWAVE_TMP_DIR.mkdir(exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(PANELWAVE_TMP_DIR)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env_str("PANELWAVE_MEDIA_DIR", str(VAR_DIR / "media")))
# Export files are never served by URL from MEDIA_ROOT: downloads go through a signed,
# audited view.
EXPORT_LINK_TTL = timedelta(hours=env_int("EXPORT_LINK_TTL_HOURS", 24))
EXPORT_RETENTION = timedelta(days=env_int("EXPORT_RETENTION_DAYS", 7))
# An export still queued (or running) after this long has lost its message: the broker was
# down when it was requested, or its worker died. The sweep enqueues it again.
EXPORT_REQUEUE_AFTER = timedelta(minutes=env_int("EXPORT_REQUEUE_AFTER_MINUTES", 10))
# Retention defaults for studies that set none (docs/operations.md): days contact details
# are kept after the study ends or a member leaves the panel, and days an unfinished
# response is kept after its last saved page.
CONTACT_RETENTION_DAYS = env_int("CONTACT_RETENTION_DAYS", 90)
UNFINISHED_RETENTION_DAYS = env_int("UNFINISHED_RETENTION_DAYS", 90)
# Days after a wave closes before its fingerprint key is destroyed.
FINGERPRINT_RETENTION_DAYS = env_int("FINGERPRINT_RETENTION_DAYS", 90)
# Backups (docs/operations.md): encrypted to an age public key whose private half the server
# never holds; the identity file is needed only by restore and verify_backup.
PANELWAVE_BACKUP_RECIPIENT = env_str("PANELWAVE_BACKUP_RECIPIENT", "")
PANELWAVE_BACKUP_IDENTITY = env_str("PANELWAVE_BACKUP_IDENTITY", "")
BACKUP_DIR = Path(env_str("PANELWAVE_BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("PANELWAVE_BACKUP_KEEP", 14)
BACKUP_HOUR_UTC = env_int("PANELWAVE_BACKUP_HOUR", 2)
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (0: use REMOTE_ADDR
# only, so a client cannot forge its network). Read only by respondents/fingerprints.py.
PANELWAVE_TRUSTED_PROXY_COUNT = env_int("PANELWAVE_TRUSTED_PROXY_COUNT", 0)
# Survey starts allowed per fingerprint per window: generous, because a Tor exit or a
# carrier NAT puts many real respondents behind one network prefix.
RESPONSE_START_LIMIT = env_int("RESPONSE_START_LIMIT", 30)
# Starts allowed per network prefix alone (any browser) per window, so changing the user
# agent does not escape the limit above; five times higher, since one prefix (a Tor exit, a
# carrier NAT) can carry several real respondents with different browsers.
RESPONSE_START_NETWORK_LIMIT = env_int("RESPONSE_START_NETWORK_LIMIT", 150)
RESPONSE_START_WINDOW_SECONDS = env_int("RESPONSE_START_WINDOW_SECONDS", 600)

EMAIL_URL = env_str("EMAIL_URL", "console://")
_email = dj_email_url.parse(EMAIL_URL)
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured(
        f"EMAIL_URL has an unknown scheme; use one of {', '.join(sorted(dj_email_url.SCHEMES))}"
    )
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Panelwave <noreply@localhost>")
# Invitations per minute per worker: SMTP relays throttle or blacklist bursts.
INVITATION_RATE_LIMIT = env_str("INVITATION_RATE_LIMIT", "60/m")
# Reminders to invited panelists who have not completed: at most this many, this many days
# apart (counted from the invitation or the previous reminder).
INVITATION_MAX_REMINDERS = env_int("INVITATION_MAX_REMINDERS", 2)
INVITATION_REMINDER_DAYS = env_int("INVITATION_REMINDER_DAYS", 4)

# Verified linking through Telegram (docs/panel-analysis.md): the bot's username (without
# "@") for the deep link on respondent pages, the token BotFather gave (used to register the
# webhook, see docs/operations.md), and the secret Telegram sends with every update
# (X-Telegram-Bot-Api-Secret-Token). Unset: no Telegram option is offered.
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME", "").lstrip("@")
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET", "")

# Behind a TLS-terminating proxy in production.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Respondent pages load nothing from other hosts and run no inline script (docs/design.md,
# privacy model); the browsable API docs loosen this per view.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# "same-origin": a link to another site carries no Referer (a respondent's token or a study's
# name in the path never leaves), while the site's own form posts carry their Origin, which
# Django's CSRF check compares. With no referrer at all, Chromium posts forms with `Origin: null`,
# so every form failed CSRF. Firefox and Safari send the real Origin under this policy too.
SECURE_REFERRER_POLICY = "same-origin"
# Debug pages and error reports never print a connection URL's password.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.errorreports.CredentialSafeReporterFilter"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token auth that also enforces two-factor enrolment (config/accounts/tokens.py).
        "config.accounts.tokens.TwoFactorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["config.apifilters.FilterBackend"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Panelwave API",
    "DESCRIPTION": "Longitudinal online panel surveys: questionnaires, waves, cleaning, exports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: embedded mode runs tasks in-process when no REDIS_URL is set.
# The in-memory broker is named with a host: kombu warns on stderr ("No hostname was
# supplied") whenever a broker URL has none.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# An export of a million responses takes minutes; the limits leave room and still stop a
# runaway task.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3900)
# Longer than the hard time limit, so an unacknowledged long task is not redelivered while
# it still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "UTC"
# Periodic jobs. Each entry says when and why.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Re-clean every open wave each half hour: fieldwork dashboards and exports then see
    # flags at most 30 minutes old, and a 10,000-response wave cleans in seconds, so runs
    # never overlap (a run takes the wave's row lock to write).
    "clean-open-waves": {
        "task": "respondents.clean_open_waves",
        "schedule": timedelta(minutes=env_int("CLEANING_INTERVAL_MINUTES", 30)),
    },
    # Hourly reminder sweep: spacing is counted in days, so an hour's lag is immaterial,
    # and the sweep only enqueues due reminders (each send re-checks under a row lock).
    "send-reminders": {
        "task": "respondents.send_reminders",
        "schedule": timedelta(hours=1),
    },
    # Every ten minutes: free-text answers whose scrub is missing (the broker was down when
    # the response completed) or was made by an older scrubber version are scrubbed again,
    # up to 5,000 responses a run (a few seconds), so a new scrubber reaches old data within
    # hours and exports rarely have to scrub anything themselves.
    "rescrub-stale-free-text": {
        "task": "respondents.rescrub_stale",
        "schedule": timedelta(minutes=10),
    },
    # Every fifteen minutes: a wave past its scheduled close is closed, so its break-offs
    # become abandoned (exports, figures) at most a quarter of an hour late.
    "close-overdue-waves": {
        "task": "respondents.close_overdue_waves",
        "schedule": timedelta(minutes=15),
    },
    # Every five minutes: an export whose message was lost (broker down at request time, or
    # its worker killed) starts at most EXPORT_REQUEUE_AFTER plus five minutes late.
    "requeue-waiting-exports": {
        "task": "exports.requeue_waiting_exports",
        "schedule": timedelta(minutes=5),
    },
    # Hourly, like the reminders: first invitations that a broker outage left unsent.
    "send-unsent-invitations": {
        "task": "respondents.send_unsent_invitations",
        "schedule": timedelta(hours=1),
    },
    # Daily: FINGERPRINT_RETENTION_DAYS is counted in days, so a wave's fingerprint key
    # outlives it by at most a day; after that no stored fingerprint can be recomputed or
    # matched (docs/design.md, privacy model). Covers waves left open past their closes_at.
    "destroy-expired-fingerprint-keys": {
        "task": "respondents.destroy_expired_fingerprint_keys",
        "schedule": timedelta(days=1),
    },
    # Hourly: temporary files of uploads and imports older than an hour belong to a process
    # that was killed (a request or an import never takes that long).
    "delete-stale-temp-files": {
        "task": "surveys.delete_stale_temp_files",
        "schedule": timedelta(hours=1),
    },
    # Every five minutes, like exports: a large form import whose message was lost.
    "requeue-waiting-imports": {
        "task": "surveys.requeue_waiting_imports",
        "schedule": timedelta(minutes=5),
    },
    # Hourly: export files live EXPORT_RETENTION days (a week by default), so an hour's lag
    # past expiry is immaterial; the sweep also removes partial files of killed workers.
    "delete-expired-exports": {
        "task": "exports.delete_expired_exports",
        "schedule": timedelta(hours=1),
    },
    # Daily: retention periods are counted in days. Deletes contacts, unfinished responses
    # and export files past their study's periods and writes the counts to the audit log.
    "apply-retention": {
        "task": "exports.apply_retention",
        "schedule": crontab(hour=3, minute=41),
    },
    # Nightly, at a quiet hour: one encrypted snapshot into BACKUP_DIR, keeping the newest
    # BACKUP_KEEP. Off (the task says so in the log) until PANELWAVE_BACKUP_RECIPIENT is set.
    "nightly-backup": {
        "task": "exports.nightly_backup",
        "schedule": crontab(hour=BACKUP_HOUR_UTC, minute=17),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.logredact.RedactFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry personal-link tokens in their paths; the filter redacts them,
        # and 404s are not worth a log line that could hold a guessed token.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Tasks run in-process (embedded mode) would log "Task ... succeeded" into the output
        # of the command that queued them; a worker keeps these lines.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}
