"""Settings, read from the environment through small typed helpers.

SQLite (WAL mode) under ``var/`` is the embedded default; ``DATABASE_URL`` selects PostgreSQL.
"""

import os
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
    "django_tasks_db",
    "ninja",  # its API docs page from its own static files, not from a CDN (and passing the CSP)
    "chainboard",
    "regions",
    "industries",
    "organisations",
    "accounts",
    "chains",
    "enterprises",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chainboard.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chainboard.middleware.SecurityHeadersMiddleware",
    "chainboard.audit.AuditOperationMiddleware",
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

# Databases: SQLite in WAL mode by default; PostgreSQL when DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_MMAP_BYTES = env_int("CHAINBOARD_SQLITE_MMAP_BYTES", 1024 * 1024 * 1024)
SQLITE_CACHE_KIB = env_int("CHAINBOARD_SQLITE_CACHE_KIB", 64 * 1024)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
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
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
                f"PRAGMA mmap_size={SQLITE_MMAP_BYTES:d}; PRAGMA cache_size=-{SQLITE_CACHE_KIB:d};",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassValidator"},
]
SESSION_COOKIE_AGE = env_int("CHAINBOARD_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # idle time-out: each request extends the session
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
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # W021: "not preloaded"
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
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("CHAINBOARD_IMPORT_MAX_UNCOMPRESSED_BYTES", 500 * 1024 * 1024)
# A running import with no progress for this long lost its worker and is shown as stopped.
IMPORT_STALL_SECONDS = env_int("CHAINBOARD_IMPORT_STALL_SECONDS", 15 * 60)
# A file of at least IMPORT_PARALLEL_ROWS rows is checked by this many worker processes (1: none).
IMPORT_PROCESSES = env_int(
    "CHAINBOARD_IMPORT_PROCESSES",
    min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1), 8),
)
IMPORT_PARALLEL_ROWS = env_int("CHAINBOARD_IMPORT_PARALLEL_ROWS", 10_000)

# The framework layer asks these hooks; the accounts app answers them.
CHAINBOARD_GRANTS_PROVIDER = "accounts.scope.grants_for"
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
