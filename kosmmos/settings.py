"""One settings module, driven by environment variables, that works right after cloning.

Defaults give the embedded set-up: SQLite and a file-system message queue under ``./var/``, email
written to an outbox on disk. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to Redis for
the Celery broker and the cache, ``SMTP_HOST`` to real email. Secrets come from the environment or
from ``<NAME>_FILE``.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KOSMMOS_VAR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    """A setting from ``NAME``, else from the file named by ``NAME_FILE``, else ``default``."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The configured key, or one generated once and kept under var/ so sessions survive restarts."""
    key = env("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
# Encrypts tokens at rest (kosmmos/lib/crypto.py); derived from SECRET_KEY when empty.
KOSMMOS_ENCRYPTION_KEY = env("KOSMMOS_ENCRYPTION_KEY")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]
# Absolute base for links in emails and embed snippets.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "kosmmos.lib",
    "kosmmos.accounts",
    "kosmmos.notifications",
    "kosmmos.mail",
    "kosmmos.briefs",
    "kosmmos.proposals",
    "kosmmos.channels",
    "kosmmos.content",
    "kosmmos.publishing",
    "kosmmos.inbox",
    "kosmmos.competitors",
    "kosmmos.ord",
    "kosmmos.giveaways",
    "kosmmos.links",
    "kosmmos.ads",
    "kosmmos.audiences",
    "kosmmos.results",
    "kosmmos.api",
    "kosmmos.overview",
    "kosmmos.demo",
    "kosmmos.audit",
    "kosmmos.backup",
    "kosmmos.privacy",
    "kosmmos.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kosmmos.accounts.middleware.LanguageMiddleware",
    "kosmmos.accounts.middleware.OrganisationMiddleware",
    "kosmmos.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kosmmos.overview.errors.FormAddressMiddleware",
]

ROOT_URLCONF = "kosmmos.urls"
WSGI_APPLICATION = "kosmmos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kosmmos" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kosmmos.accounts.context.organisation",
                "kosmmos.backup.context.backup_status",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Health checks: after a database restart a kept connection is replaced, not reused broken.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60,
                                                  conn_health_checks=True)}
    DATABASES["default"].setdefault("TEST", {})
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "kosmmos.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE transactions
                # take the write lock up front instead of failing on a lock upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Kept per thread: opening a SQLite connection (PRAGMAs, Django's ~30 SQL functions)
            # per Celery task cost workers more CPU than the tasks' own queries.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache --------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kosmmos",
        }
    }
else:
    # File-based so the web server and the worker processes share counters (rate limits).
    CACHES = {
        "default": {
            "BACKEND": "kosmmos.lib.cache.LockedFileCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    # A real Celery transport with no external service: messages are files under var/broker.
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's transport with atomic message files (see kosmmos/jobs/fstransport.py).
    CELERY_BROKER_TRANSPORT = "kosmmos.jobs.fstransport:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often each worker's ticker looks for due rows (emails, posts, syncs).
KOSMMOS_TICK_SECONDS = float(env("KOSMMOS_TICK_SECONDS", "1.0"))
# Client reports: how long a worker holds a report it renders before the sweep assumes it died,
# and how long a queued report's message may wait before it is sent again (the bench shortens
# both so a killed worker's reports come back within its run).
REPORTS_LEASE_SECONDS = int(env("REPORTS_LEASE_SECONDS", "300"))
REPORTS_REQUEUE_SECONDS = int(env("REPORTS_REQUEUE_SECONDS", "120"))
# Reports queued for the workers at once; the others wait pending in the database (a schedule
# makes hundreds at a time, and a queued one should start well within the requeue time).
REPORTS_QUEUED_AHEAD = int(env("REPORTS_QUEUED_AHEAD", "8"))

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "overview:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
X_FRAME_OPTIONS = "DENY"

# --- Email --------------------------------------------------------------------------------------
# Every email is first a row (kosmmos.mail.Delivery) sent by a job; EMAIL_BACKEND turns Django's
# own emails (password reset) into such rows. KOSMMOS_EMAIL_TRANSPORT is what the job sends with.
EMAIL_BACKEND = "kosmmos.mail.backends.QueuedBackend"
SMTP_HOST = env("SMTP_HOST")
if SMTP_HOST:
    KOSMMOS_EMAIL_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = int(env("SMTP_PORT", "587"))
    EMAIL_HOST_USER = env("SMTP_USER")
    EMAIL_HOST_PASSWORD = env("SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("SMTP_STARTTLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("SMTP_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = int(env("SMTP_TIMEOUT", "20"))
else:
    KOSMMOS_EMAIL_TRANSPORT = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "outbox")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Kosmmos <noreply@kosmmos.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kosmmos" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
LANGUAGE_COOKIE_NAME = "kosmmos_language"

# --- Static -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root even when using finders
# django-ninja's own static files (Swagger UI for the API docs page), found without importing it:
# as an installed app it would load pydantic into every worker process (~17 MB each) that never
# serves the API.
_NINJA = importlib.util.find_spec("ninja")
STATICFILES_DIRS = [BASE_DIR / "kosmmos" / "static",
                    *([Path(_NINJA.origin).parent / "static"] if _NINJA and _NINJA.origin else [])]
# Served from the app directories without collectstatic, so `make run` needs no build step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded media (the content library) live under var/, served only through access-checked views.
MEDIA_ROOT = VAR_DIR / "uploads"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 2**20

# --- Product knobs ------------------------------------------------------------------------------
# Public brief form: at most this many submissions per client address per window.
BRIEF_RATE_LIMIT = int(env("BRIEF_RATE_LIMIT", "5"))
BRIEF_RATE_WINDOW_S = int(env("BRIEF_RATE_WINDOW_S", "600"))
# Set when a trusted reverse proxy puts the client address in X-Forwarded-For.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR")
INVITATION_DAYS = 7
# Resolve host names of user-supplied URLs to refuse ones pointing inside our network (SSRF).
KOSMMOS_RESOLVE_URLS = env_bool("KOSMMOS_RESOLVE_URLS", default=True)
# JSON API: calls per token per minute (kosmmos/api/security.py; its default is the same 600).
API_RATE_LIMIT_PER_MIN = int(env("API_RATE_LIMIT_PER_MIN", "600"))

# Logs go to files under var/logs/ (one per process kind, rotated at 10 MB, five kept); the
# console gets warnings and errors only, so `make run` shows its URL, the login and what matters.
LOG_DIR = Path(env("LOG_DIR", str(VAR_DIR / "logs")))
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"quiet_4xx": {"()": "kosmmos.lib.logs.Ordinary4xx", "drop": True},
                "short_4xx": {"()": "kosmmos.lib.logs.Ordinary4xx"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "level": env("LOG_CONSOLE_LEVEL", "WARNING"),
                    "filters": ["quiet_4xx"]},
        "file": {"class": "logging.handlers.RotatingFileHandler", "formatter": "plain",
                 "filename": str(LOG_DIR / f"{env('KOSMMOS_LOG_NAME', 'kosmmos')}.log"),
                 "maxBytes": 10 * 1024 * 1024, "backupCount": 5, "delay": True,
                 "encoding": "utf-8", "filters": ["short_4xx"]},
    },
    "root": {"handlers": ["console", "file"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The embedded file transport has no host; kombu warns so at every worker start.
        "kombu.connection": {"level": "ERROR"},
        # WeasyPrint logs every layout step at INFO: noise in the worker log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # httpx logs every request at INFO: thousands a minute when publishing.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}


# --- Links, clicks and money (kosmmos/links) ----------------------------------------------------
# Short links are served by the lean redirect service (`kosmmos redirect`, port 8001 embedded).
LINKS_BASE_URL = env("LINKS_BASE_URL", "http://127.0.0.1:8001").rstrip("/")
# Clicks go to an append-only local spool first (no database write in the request path); the
# flusher tails it into the event store.
LINKS_SPOOL_DIR = Path(env("LINKS_SPOOL_DIR", str(VAR_DIR / "clicks-spool")))
# Event store for clicks and hourly rollups: a separate SQLite file embedded, tables in
# PostgreSQL when DATABASE_URL is set ("sqlite" | "postgres").
LINKS_EVENTS_BACKEND = env("LINKS_EVENTS_BACKEND", "postgres" if IS_POSTGRES else "sqlite")
LINKS_EVENTS_PATH = Path(env("LINKS_EVENTS_PATH", str(VAR_DIR / "events.sqlite3")))
# A link's target host must resolve when it is saved: KOSMMOS_RESOLVE_URLS above (tests: off).
# How often the redirect service re-reads links changed in the database.
LINKS_CACHE_REFRESH_S = float(env("LINKS_CACHE_REFRESH_S", "2.0"))
# Signed postbacks: accepted this many seconds either side of their timestamp.
LINKS_POSTBACK_WINDOW_S = int(env("LINKS_POSTBACK_WINDOW_S", "300"))
# Public collect endpoint (JS snippet): events per client address per minute.
LINKS_COLLECT_RATE_LIMIT = int(env("LINKS_COLLECT_RATE_LIMIT", "60"))
# Yandex.Metrica API base (tests point it at a fake).
METRICA_API_URL = env("METRICA_API_URL", "https://api-metrika.yandex.net").rstrip("/")
# VK Ads API base (kosmmos/ads); a rehearsal cabinet talks to SANDBOX_URL + "/vkads" instead.
VKADS_API_URL = env("VKADS_API_URL", "https://ads.vk.com").rstrip("/")
# How often each cabinet's statistics are imported, and how many past days each import re-reads
# (VK Ads settles a day's figures later: a day is replaced, never added to).
VKADS_IMPORT_HOURS = float(env("VKADS_IMPORT_HOURS", "6"))
VKADS_IMPORT_DAYS = int(env("VKADS_IMPORT_DAYS", "7"))


# --- Publishing and the sandbox network (kosmmos/publishing, connectors/sandbox) -----------------
# The local simulated network (`kosmmos sandbox`, a child of `kosmmos serve` in the embedded set-up).
SANDBOX_URL = env("SANDBOX_URL", "http://127.0.0.1:8002").rstrip("/")
# The public randomness beacon for giveaway draws (drand's HTTP API; kosmmos/giveaways/beacon.py).
DRAND_URL = env("DRAND_URL", "https://api.drand.sh").rstrip("/")
# A worker holding a post this long without finishing is presumed dead: the post is then looked up
# on the network (never re-sent blindly). Short, so a killed worker's posts are recovered fast.
PUBLISH_LEASE_SECONDS = float(env("PUBLISH_LEASE_SECONDS", "10"))
# The dispatcher claims posts due within this many seconds and the worker waits for the exact
# second, so a 1 s tick does not add up to a second of lateness. Keep it above the tick.
PUBLISH_LOOKAHEAD_SECONDS = float(env("PUBLISH_LOOKAHEAD_SECONDS", "2.0"))
# Ad marking (kosmmos/ord): when the ORD is first asked for a new object's ЕРИР status, and how
# many days after a month ends its statistics and acts are due (30: api-facts-2 §1, unverified).
ORD_STATUS_FIRST_CHECK_S = float(env("ORD_STATUS_FIRST_CHECK_S", "5"))
ORD_REPORT_DAYS = int(env("ORD_REPORT_DAYS", "30"))
# A job's lease: after it the sweep assumes the worker died and the job runs again (upserts).
ORD_JOB_LEASE_S = float(env("ORD_JOB_LEASE_S", "300"))
# Network calls in flight per worker process (they wait on the network, not on the CPU).
PUBLISH_THREADS = int(env("PUBLISH_THREADS", "256"))
# Targets per Celery message: one claim, one load and one write transaction per batch.
PUBLISH_BATCH = int(env("PUBLISH_BATCH", "50"))


# --- Inbox (kosmmos/inbox) -----------------------------------------------------------------------
# Polling channels without a webhook: VK long poll / Telegram getUpdates are due again this soon
# after an answer; OK and the sandbox (comment lists of recent posts) less often.
INBOX_POLL_SECONDS = float(env("INBOX_POLL_SECONDS", "2"))
INBOX_SLOW_POLL_SECONDS = float(env("INBOX_SLOW_POLL_SECONDS", "60"))
# VK Bots Long Poll `wait` (seconds the request is held open when nothing happens; VK max 90).
INBOX_LONGPOLL_WAIT = int(env("INBOX_LONGPOLL_WAIT", "25"))
# Publishing has its own queue, listed first: a due post never waits behind a backlog of other
# jobs (inbox polls, PDFs). Redis BRPOP serves the first listed queue first; the file queue
# alternates between them. Emails have theirs, next: a report's email goes out after at most
# the one render in progress, not behind every report still to draw. (jobs/app.py makes them
# kombu queues: the processes that only read the settings — the supervisor, the redirect
# service, the click flusher — never load kombu.)
TASK_QUEUE_NAMES = ["publish", "mail", "celery"]
CELERY_TASK_ROUTES = {
    "publishing.publish_targets": {"queue": "publish"},
    "publishing.reconcile_targets": {"queue": "publish"},
    "mail.send_delivery": {"queue": "mail"},
}


# --- Backups, audit log, personal data (kosmmos/backup, kosmmos/audit, kosmmos/privacy) ---------
# `kosmmos backup` writes here by default; the embedded worker also does on a schedule.
BACKUP_DIR = Path(env("BACKUP_DIR", str(VAR_DIR / "backups")))
# Scheduled backups (embedded set-up; 0 turns them off) and how many archives are kept.
BACKUP_EVERY_HOURS = float(env("BACKUP_EVERY_HOURS", "24"))
BACKUP_KEEP = int(env("BACKUP_KEEP", "7"))


# --- Notifications (kosmmos/notifications) ------------------------------------------------------
# The Bot API base (an agency's bot may point elsewhere, as the demo's does at the sandbox).
NOTIFY_TELEGRAM_API = env("NOTIFY_TELEGRAM_API", "https://api.telegram.org").rstrip("/")
# Telegram's limits: one message a second per chat (a little over, for clock jitter) and about 30
# a second overall — 15 per whole second, so no sliding second ever sees more than 30.
NOTIFY_TELEGRAM_SPACING_S = float(env("NOTIFY_TELEGRAM_SPACING_S", "1.05"))
NOTIFY_TELEGRAM_PER_S = int(env("NOTIFY_TELEGRAM_PER_S", "15"))
# One notification email per member this often at most; what comes between is grouped.
NOTIFY_EMAIL_SPACING_S = float(env("NOTIFY_EMAIL_SPACING_S", "60"))
# Webhooks may target the sandbox's receiver (SANDBOX_URL/hooks/<name>), loopback or not.
NOTIFY_SANDBOX_HOOKS = env_bool("NOTIFY_SANDBOX_HOOKS", default=True)
