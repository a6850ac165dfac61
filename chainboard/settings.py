"""Settings, read from the environment through small typed helpers.

SQLite (WAL mode) under ``var/`` is the embedded default; ``DATABASE_URL`` selects PostgreSQL.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_json(name: str, default=None):
    """A JSON value (an object of overrides, say); malformed JSON stops the start with its name."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None


VAR_DIR = Path(env_str("CHAINBOARD_VAR_DIR", str(BASE_DIR / "var")))
DEBUG = env_bool("CHAINBOARD_DEBUG", False)
SECRET_KEY = env_str("CHAINBOARD_SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("CHAINBOARD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CHAINBOARD_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tasks",
    "ninja",  # its API docs page from its own static files, not from a CDN (and passing the CSP)
    "axes",  # log-in lockout (docs/login-security.md)
    "django_otp",  # second factor: TOTP devices and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Before django_tasks_db: its `db_worker` command is chainboard's (a worker that heartbeats and, at
    # start, settles the tasks of workers that died; chainboard/workers.py).
    "chainboard",
    "django_tasks_db",
    "regions",
    "industries",
    "organisations",
    "accounts",
    "chains",
    "enterprises",
    "projects",
    "investment",
    "problems",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, writing a session only when it changes (and once a minute for the idle time-out), and
    # answering 503 when the database is busy instead of 400.
    "chainboard.middleware.SessionMiddleware",
    "chainboard.middleware.LanguageMiddleware",
    "chainboard.middleware.RefuseNulMiddleware",  # after the language: its 400 speaks the user's
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor was given
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # CSP and no-store on what every later middleware and view answers (log-in policy redirects included).
    "chainboard.middleware.SecurityHeadersMiddleware",
    # An htmx request sent to log in (or to what a pending log-in owes) is sent there whole (HX-Redirect).
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    # A session whose second factor, forced password change or 2FA enrolment is pending reaches only
    # the pages that settle it.
    "accounts.middleware.LoginPolicyMiddleware",
    "chainboard.audit.AuditOperationMiddleware",
    "axes.middleware.AxesMiddleware",  # late, as django-axes asks: turns a lockout into its response
    "chainboard.middleware.PlanningFactsMiddleware",  # what search plans are decided on, read once
    # Last, so it is the first to see a view's exception: "database is locked" becomes 503 + Retry-After.
    "chainboard.middleware.BusyDatabaseMiddleware",
]

ROOT_URLCONF = "chainboard.urls"
WSGI_APPLICATION = "chainboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chainboard.navigation.context",
            ],
        },
    }
]

# Widgets' plain templates rendered in Python, the same markup (chainboard/formrender.py).
FORM_RENDERER = "chainboard.formrender.WidgetRenderer"

# Databases: SQLite in WAL mode by default; PostgreSQL when DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_MMAP_BYTES = env_int("CHAINBOARD_SQLITE_MMAP_BYTES", 1024 * 1024 * 1024)
SQLITE_CACHE_KIB = env_int("CHAINBOARD_SQLITE_CACHE_KIB", 64 * 1024)
# How long a connection waits for SQLite's write lock before giving up (the page then answers 503 with
# Retry-After). SQLite has one writer at a time: an import's transaction holds the lock for seconds
# (100,000 rows: 7-11 s on a quiet machine, docs/availability.md), and a save waits for it rather than fail.
SQLITE_BUSY_SECONDS = env_int("CHAINBOARD_SQLITE_BUSY_SECONDS", 60)
# A page that found the database busy asks the browser or client to try again after this many seconds.
BUSY_RETRY_SECONDS = env_int("CHAINBOARD_BUSY_RETRY_SECONDS", 5)
# PostgreSQL session settings for every connection (bench/README.md, "PostgreSQL without JIT, cursors
# planned for every row"):
# - JIT compiles a query's expressions to machine code when the planner's cost estimate passes
#   jit_above_cost; for this application's queries the compiling took longer than it saved (1.3 s of a
#   2.4 s export query; nothing gained on the statistics). Off unless CHAINBOARD_PG_JIT=true.
# - cursor_tuple_fraction = 1: the application opens a server-side cursor only through
#   QuerySet.iterator() (exports, the audit trail's CSV, digests, escalation, drop-down choices), and
#   always reads it to the end; PostgreSQL's default (0.1) plans a cursor for its first tenth, so an
#   export sorted by name walked the name index over the whole table instead of sorting the region's
#   rows (the city's 100,000 enterprises: 2.4 s against 0.4 s).
PG_JIT = env_bool("CHAINBOARD_PG_JIT", False)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})
        session = " -c cursor_tuple_fraction=1" + ("" if PG_JIT else " -c jit=off")
        DATABASES["default"]["OPTIONS"]["options"] = (
            DATABASES["default"]["OPTIONS"].get("options", "") + session
        ).strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("CHAINBOARD_SQLITE_PATH", str(VAR_DIR / "chainboard.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server read while the task worker writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing with "database is locked".
                # mmap: pages are read from the operating system's cache in place instead of copied into
                # each connection's own 2 MB cache, which a count over 1,000,000 rows overflows (5 ms
                # against 0.2 ms; bench/README.md). SQLite maps 2 GiB at most; beyond that (the search
                # keys of a province) a page cache of 64 MiB a connection, filled only as pages are read,
                # keeps the upper levels of the big indexes (search "jh": 10.0 -> 6.4 ms).
                # recursive_triggers: INSERT OR REPLACE onto an audit entry then fires the delete trigger,
                # which refuses it (otherwise REPLACE deletes the old row silently; docs/audit-trail.md).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000:d}; "
                f"PRAGMA mmap_size={SQLITE_MMAP_BYTES:d}; PRAGMA cache_size=-{SQLITE_CACHE_KIB:d}; "
                "PRAGMA recursive_triggers=ON;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Password policy (等保 2.0 level 3; docs/login-security.md): length, three of four character classes,
# none of the last CHAINBOARD_PASSWORD_HISTORY passwords, expiry after CHAINBOARD_PASSWORD_MAX_AGE_DAYS
# (0: never), and a change at first log-in for users an administrator created.
PASSWORD_MIN_LENGTH = env_int("CHAINBOARD_PASSWORD_MIN_LENGTH", 12)
PASSWORD_HISTORY = env_int("CHAINBOARD_PASSWORD_HISTORY", 5)
PASSWORD_MAX_AGE_DAYS = env_int("CHAINBOARD_PASSWORD_MAX_AGE_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassValidator"},
    {"NAME": "accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY}},
]
# Log-in throttling (django-axes): a user name is locked for LOGIN_LOCK_MINUTES after LOGIN_FAILURE_LIMIT
# failures in a row; the right password is refused while the lock lasts. Failures during a lock do not
# extend it. An administrator lifts a lock at /accounts/lockouts/.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked user name before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("CHAINBOARD_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CHAINBOARD_LOGIN_LOCK_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants the IP address among the lockout parameters; here the user name alone is locked (a shared
# office address must not lock everyone behind it) and addresses are slowed separately (LOGIN_IP_*).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# models.W040: "SQLite does not support indexes with non-key columns". An index's included key
# (``include=["id"]``, enterprises' (region, name)) is for PostgreSQL's index-only scans; SQLite's index
# entries carry the row's key anyway, and Django leaves the clause out there.
SILENCED_SYSTEM_CHECKS += ["models.W040"]
AXES_RESET_ON_SUCCESS = True  # "in a row": a successful log-in clears the count
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.login.lockout_response"
AXES_ENABLE_ADMIN = False  # no Django admin site: the lock page is /accounts/lockouts/
AXES_VERBOSE = False
# Per address: after LOGIN_IP_FREE_FAILURES failures from one IP address within the lock time (whatever
# the user names), each further attempt from it must wait 2, 4, 8 ... seconds after the last failure, up to
# LOGIN_IP_MAX_DELAY_SECONDS; an attempt too early is answered 429 without checking the password.
LOGIN_IP_FREE_FAILURES = env_int("CHAINBOARD_LOGIN_IP_FREE_FAILURES", 10)
LOGIN_IP_MAX_DELAY_SECONDS = env_int("CHAINBOARD_LOGIN_IP_MAX_DELAY_SECONDS", 300)
# Two factors (django-otp): optional for everyone; required for the roles listed (e.g. "admin,auditor"),
# who are sent to enrol at their next log-in.
TWO_FACTOR_REQUIRED_ROLES = env_list("CHAINBOARD_2FA_REQUIRED_ROLES", "")
TWO_FACTOR_RECOVERY_CODES = env_int("CHAINBOARD_2FA_RECOVERY_CODES", 10)
OTP_TOTP_ISSUER = env_str("CHAINBOARD_2FA_ISSUER", "chainboard")
SESSION_COOKIE_AGE = env_int("CHAINBOARD_SESSION_SECONDS", 30 * 60)
# Idle time-out without a database write per request: a session is saved when it changes, and a
# signed-in user's session is extended (saved with a new expiry) at most once every
# SESSION_REFRESH_SECONDS (chainboard.middleware.SessionMiddleware). An idle user is signed out between
# SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after their last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("CHAINBOARD_SESSION_REFRESH_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CHAINBOARD_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# HTTPS (等保 2.0 level 3; docs/http-security.md): with secure cookies on, the site is HTTPS only, so
# browsers are told to come back over HTTPS for a year (HSTS; sent on HTTPS responses only) and a plain
# HTTP request is redirected. Preloading is the domain owner's decision, made outside the application.
SECURE_HSTS_SECONDS = env_int("CHAINBOARD_HSTS_SECONDS", 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CHAINBOARD_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("CHAINBOARD_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("CHAINBOARD_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # W021: "not preloaded"
# The Content-Security-Policy of every page (chainboard.middleware.SecurityHeadersMiddleware; Django 6.0's
# setting name and shape). Scripts and styles come from our own static files only: no inline script, no
# eval, no style attribute. data: images are the SVG icons inside Tabler's CSS (checkboxes, selects).
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "chainboard" / "locale"]
TIME_ZONE = "Asia/Shanghai"  # rules.md: dates are local dates in Asia/Shanghai
USE_I18N = True
# One date format on screen in both languages (2026-12-04); docs/formatting.md.
FORMAT_MODULE_PATH = ["chainboard.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from npm at set-up; only their dist folders are served.
STATICFILES_DIRS = [
    ("vendor/tabler", NODE_MODULES / "@tabler" / "core" / "dist"),
    ("vendor/tabler-icons", NODE_MODULES / "@tabler" / "icons-webfont" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the finders, no collectstatic needed for the demo
MEDIA_ROOT = Path(env_str("CHAINBOARD_MEDIA_ROOT", str(VAR_DIR / "media")))
# `chainboard backup` writes here (docs/backup.md); keep it on another disk, or copy it off the machine.
BACKUP_DIR = Path(env_str("CHAINBOARD_BACKUP_DIR", str(VAR_DIR / "backups")))
MEDIA_URL = "/media/"  # never served directly: attachments go through a scoped view

TASKS = {
    "default": {
        "BACKEND": env_str("CHAINBOARD_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Attachments: allowed kinds, extensions and size (bytes).
ATTACHMENT_MAX_BYTES = env_int("CHAINBOARD_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
ATTACHMENT_EXTENSIONS = {
    "document": [".pdf", ".docx", ".xlsx", ".xls", ".doc", ".pptx", ".txt", ".csv", ".ofd"],
    "photo": [".jpg", ".jpeg", ".png", ".webp"],
}

# Imports: checked before parsing (chainboard/tabular.py).
IMPORT_MAX_BYTES = env_int("CHAINBOARD_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("CHAINBOARD_IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_ZIP_ENTRIES = env_int("CHAINBOARD_IMPORT_MAX_ZIP_ENTRIES", 1_000)
# What a workbook's parts may inflate to in all, counted as they inflate (docs/imports.md, "Limits"): a
# 200,000-row, ten-column ledger is about 190 MiB of sheet XML.
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("CHAINBOARD_IMPORT_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024)
# A sheet's columns, and its extent (rows x columns, the grid the parser builds), before it is parsed.
IMPORT_MAX_COLUMNS = env_int("CHAINBOARD_IMPORT_MAX_COLUMNS", 500)
IMPORT_MAX_CELLS = env_int("CHAINBOARD_IMPORT_MAX_CELLS", 5_000_000)
# A running import with no progress for this long lost its worker and is shown as stopped.
IMPORT_STALL_SECONDS = env_int("CHAINBOARD_IMPORT_STALL_SECONDS", 15 * 60)
# A file of at least IMPORT_PARALLEL_ROWS rows is checked by this many worker processes (1: none).
IMPORT_PROCESSES = env_int(
    "CHAINBOARD_IMPORT_PROCESSES",
    min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1), 8),
)
IMPORT_PARALLEL_ROWS = env_int("CHAINBOARD_IMPORT_PARALLEL_ROWS", 10_000)
# Uploaded import files (refused ones too) are kept this many days, then deleted by the task worker or
# `chainboard purge-imports`, each deletion audited (chainboard/importlog.py).
IMPORT_RETENTION_DAYS = env_int("CHAINBOARD_IMPORT_RETENTION_DAYS", 30)
# The task worker records a heartbeat this often; a worker on another host whose heartbeat is older than
# WORKER_STALE_SECONDS is taken for dead (one on the same host is checked by its process id at once).
WORKER_HEARTBEAT_SECONDS = env_int("CHAINBOARD_WORKER_HEARTBEAT_SECONDS", 15)
WORKER_STALE_SECONDS = env_int("CHAINBOARD_WORKER_STALE_SECONDS", 120)

# Periodic jobs (chainboard/scheduler.py, docs/scheduler.md). CHAINBOARD_SCHEDULE overrides a registered
# job's cron per deployment, {"purge-imports": "30 2 * * *"}, or switches it off, {"verify-audit-trail":
# null}; the environment variable holds the same as a JSON object. Give every app server the same value.
CHAINBOARD_SCHEDULE: dict[str, str | None] = env_json("CHAINBOARD_SCHEDULE", {})
# `chainboard serve` runs the scheduler beside the worker unless this is false (or --no-scheduler): an
# extra app server may leave it to the others, though running it everywhere is safe (one claim per run).
SCHEDULER_ENABLED = env_bool("CHAINBOARD_SCHEDULER", True)
SCHEDULER_SECONDS = env_int("CHAINBOARD_SCHEDULER_SECONDS", 30)  # how often the loop looks for due jobs

# The audit trail is kept at least this many days; `chainboard audit purge` refuses anything younger.
# Six months (183 days) is the floor (网络安全法 第二十一条; 等保 level 3): a smaller value is refused here,
# and the database's delete trigger refuses younger rows whatever this says (migration 0009).
CHAINBOARD_AUDIT_RETENTION_DAYS = env_int("CHAINBOARD_AUDIT_RETENTION_DAYS", 183)
if CHAINBOARD_AUDIT_RETENTION_DAYS < 183:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"CHAINBOARD_AUDIT_RETENTION_DAYS is {CHAINBOARD_AUDIT_RETENTION_DAYS}; audit entries are kept "
        "for at least 183 days"
    )

# Project traffic lights (rules.md, docs/projects.md): the thresholds are configuration. Each key may be
# overridden from the environment: CHAINBOARD_LIGHT_START_YELLOW_MONTHS, …_START_RED_MONTHS,
# …_BEHIND_YELLOW_POINTS, …_BEHIND_RED_POINTS.
CHAINBOARD_LIGHT_RULES = {
    # a project not started (before 开工) this many months after its planned start month: yellow, red
    "start_yellow_months": env_int("CHAINBOARD_LIGHT_START_YELLOW_MONTHS", 0),
    "start_red_months": env_int("CHAINBOARD_LIGHT_START_RED_MONTHS", 3),
    # completed investment this many points behind the time-proportional plan (时序进度): yellow, red
    "behind_yellow_points": env_int("CHAINBOARD_LIGHT_BEHIND_YELLOW_POINTS", 10),
    "behind_red_points": env_int("CHAINBOARD_LIGHT_BEHIND_RED_POINTS", 30),
}
# Monthly scheduling rounds (调度): opened on this day of the month by the scheduler (or earlier by the
# office), due on the last day of the month unless the office says otherwise.
CHAINBOARD_ROUND_OPEN_DAY = env_int("CHAINBOARD_ROUND_OPEN_DAY", 25)
# The desk's strip of counts (docs/desk.md): on PostgreSQL, a count of a whole table (no scope narrows it)
# whose statistics say it holds at least this many rows is shown as the statistics' estimate, marked 约
# ("about"), instead of counting every row on each view; below it, and on SQLite, every count is exact.
CHAINBOARD_DESK_EXACT_BELOW = env_int("CHAINBOARD_DESK_EXACT_BELOW", 100_000)
# The closed loop (docs/closed-loop.md): an open item overdue by this many working days rises to the chain
# office, then to the chief (problems/escalation.py, job escalate-overdue).
CHAINBOARD_ESCALATE_OFFICE_AFTER = env_int("CHAINBOARD_ESCALATE_OFFICE_AFTER", 2)
CHAINBOARD_ESCALATE_CHIEF_AFTER = env_int("CHAINBOARD_ESCALATE_CHIEF_AFTER", 5)

# Mail (round reminders): printed on the console unless a real backend is configured (SMTP: set
# CHAINBOARD_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and Django's EMAIL_HOST…).
EMAIL_BACKEND = env_str("CHAINBOARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("CHAINBOARD_FROM_EMAIL", "chainboard@localhost")
EMAIL_HOST = env_str("CHAINBOARD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CHAINBOARD_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("CHAINBOARD_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("CHAINBOARD_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CHAINBOARD_EMAIL_USE_TLS", False)  # STARTTLS (port 587)
EMAIL_USE_SSL = env_bool("CHAINBOARD_EMAIL_USE_SSL", False)  # TLS from the start (port 465)
EMAIL_TIMEOUT = env_int("CHAINBOARD_EMAIL_TIMEOUT", 30)
# The daily digest (chainboard/digest.py): in the app, and by mail to users with an address.
CHAINBOARD_DIGEST_EMAIL = env_bool("CHAINBOARD_DIGEST_EMAIL", True)
# The address users open the product at (https://chainboard.example.gov.cn): links in mail are absolute.
CHAINBOARD_BASE_URL = env_str("CHAINBOARD_BASE_URL", "").rstrip("/")

# Webhooks (chainboard/webhooks.py): how a delivery is sent (a dotted path; tests put a fake here), how
# many attempts before it is given up, the first retry's delay (doubled each time, at most a day) and
# the receiver's time to answer.
CHAINBOARD_WEBHOOK_SENDER = env_str("CHAINBOARD_WEBHOOK_SENDER", "chainboard.webhooks.http_send")
CHAINBOARD_WEBHOOK_MAX_ATTEMPTS = env_int("CHAINBOARD_WEBHOOK_MAX_ATTEMPTS", 8)
CHAINBOARD_WEBHOOK_BACKOFF_SECONDS = env_int("CHAINBOARD_WEBHOOK_BACKOFF_SECONDS", 60)
CHAINBOARD_WEBHOOK_TIMEOUT_SECONDS = env_int("CHAINBOARD_WEBHOOK_TIMEOUT_SECONDS", 10)

# The framework layer asks these hooks; the accounts app answers them.
CHAINBOARD_GRANTS_PROVIDER = "accounts.scope.grants_for"
CHAINBOARD_SCOPE_NAMER = "accounts.scope.grant_name"  # a grant's reach in words (高平市), for scope labels
# rules.md: the OpenAPI document is readable without a token by default; false asks for a log-in.
CHAINBOARD_API_SCHEMA_PUBLIC = env_bool("CHAINBOARD_API_SCHEMA_PUBLIC", True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env_bool("CHAINBOARD_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CHAINBOARD_LOG_LEVEL", "WARNING")},
}
