"""Django settings, all taken from the environment through :mod:`ombud.config`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from csp.constants import NONE, SELF

from ombud import config as _config
from ombud.web.headers import add_static_headers

try:
    CONFIG = _config.load()
except _config.ConfigError as _error:
    sys.stderr.write(f"ombud: configuration error: {_error}\n")
    raise SystemExit(2) from None

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir

DEBUG = False
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
OMBUD_ORGANISATION_NAME = CONFIG.organisation_name
OMBUD_QUICK_EXIT_URL = CONFIG.quick_exit_url
OMBUD_TRUSTED_PROXIES = CONFIG.trusted_proxies
OMBUD_BASE_URL = CONFIG.base_url
OMBUD_COUNTRY = CONFIG.country
OMBUD_AUDIT_CHECKPOINT_INTERVAL = CONFIG.audit_checkpoint_interval
OMBUD_MAIL_CONFIGURED = CONFIG.mail_configured
OMBUD_MAIL = CONFIG.mail  # "smtp", "folder" (development) or "off"
OMBUD_MAIL_FOLDER = str(CONFIG.mail_folder)

INSTALLED_APPS = [
    "ombud.directory",
    "ombud.audit",
    "ombud.cases",
    "ombud.intake",
    "ombud.deadlines",
    "ombud.access",
    "ombud.operations",
    "ombud.investigation",
    "ombud.signin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ombud.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Counts a public write before anything reads its body (CSRF reads forms).
    "ombud.intake.ratelimit.PublicWriteMiddleware",
    "ombud.web.csrf.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ombud.access.session.KeyCookieMiddleware",
    "ombud.access.session.SessionKeyRequired",
    "ombud.web.headers.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ombud.urls"
WSGI_APPLICATION = "ombud.wsgi.application"
AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    # First: a locked-out account or address is refused before any Argon2 is computed.
    "axes.backends.AxesStandaloneBackend",
    "ombud.signin.backends.KeyUnlockingBackend",
]
OMBUD_ARGON2_MEMORY_MIB = CONFIG.argon2_memory_mib
OMBUD_ARGON2_PASSES = CONFIG.argon2_passes
OMBUD_ARGON2_CONCURRENCY = CONFIG.argon2_concurrency
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60
OMBUD_RESET_LIMIT = CONFIG.reset_limit  # reset mails asked per hour, per address and per e-mail

# Sign-in throttling (django-axes, see ombud.signin.throttle): failures counted in the
# cache by account and by address (a keyed hash of it, never the address).
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = CONFIG.signin_failure_limit
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "ombud.signin.throttle.address_hash"
AXES_CLIENT_STR_CALLABLE = "ombud.signin.throttle.client_str"
AXES_LOCKOUT_CALLABLE = "ombud.signin.views.locked_out"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The auditors' pages live in the web face, which is no app: its tag library
            # ({% load audit %}: whether to offer a link into the log) is named here.
            "libraries": {"audit": "ombud.web.audit.templatetags"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ombud.views.organisation",
                "ombud.navigation.navigation",
            ],
            "builtins": ["ombud.web.text"],
        },
    },
]

_database = dict(CONFIG.database)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take the write lock when it begins, so the
    # web processes and the worker queue up instead of failing with "database is
    # locked" when a read turns into a write. ombud.sqlite queues the writers fairly
    # (a lock file beside the database) instead of leaving them to SQLite's busy
    # handler, which sleeps and retries.
    _database["ENGINE"] = "ombud.sqlite"
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    _database.setdefault("CONN_MAX_AGE", 60)
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Only the peppered verifier: a stock hash in the database could be checked offline.
PASSWORD_HASHERS = ["ombud.signin.hashers.PepperedArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The organisation's language (OMBUD_LANGUAGE): the default of every page and the
# language of the e-mails to staff. Each person may choose another with the chooser
# in the header; the choice is kept in a cookie holding only the language code.
LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "ombud_language"
LANGUAGE_COOKIE_AGE = None  # until the browser closes: a year-long cookie is a trace
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = CONFIG.production
USE_I18N = True
USE_TZ = True
TIME_ZONE = CONFIG.time_zone
# Dates one way per language, in TIME_ZONE: src/ombud/formats/<language>/formats.py.
FORMAT_MODULE_PATH = ["ombud.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Served from the installed package by WhiteNoise: nothing to collect on a fresh machine.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers

# Security headers on every response.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Uploads never touch the disk in clear: they stay in memory until encrypted.
FILE_UPLOAD_HANDLERS = ["ombud.intake.uploads.MemoryOnlyUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# The cache holds only rate-limit counts (ombud.intake.ratelimit), shared by every
# web process and host: a table of the database, or Redis when OMBUD_REDIS_URL is set.
if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "ombud",
            # A Redis that hangs fails the request instead of holding a worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ombud_cache",  # made by `ombud serve` (createcachetable)
            "KEY_PREFIX": "ombud",
            # Past this many rows Django deletes a third of the live counts; keep it
            # well above what the reporters of one hour can fill.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# scope: (attempts, window in seconds); the counts come from OMBUD_RATELIMIT_*.
OMBUD_RATELIMITS = {
    scope: (CONFIG.ratelimits[scope], window)
    for scope, (_variable, _default, window) in _config.RATELIMIT_VARIABLES.items()
}
# Cleaning a file (src/ombud/intake/attachments.py) and what one draft may hold.
OMBUD_IMAGE_MEGAPIXELS = CONFIG.image_megapixels
OMBUD_CLEANER_MEMORY_MIB = CONFIG.cleaner_memory_mib
OMBUD_CLEANER_SECONDS = CONFIG.cleaner_seconds
OMBUD_DRAFT_FILES_MB = CONFIG.draft_files_mb
# Only a keyed hash of each session id is stored (ombud.signin.sessions).
SESSION_ENGINE = "ombud.signin.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # on the server; in the browser the cookie ends with its session
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = CONFIG.production
CSRF_COOKIE_SECURE = CONFIG.production
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_AGE = None  # ends with the browser session: nothing on her device outlives it

if CONFIG.mail == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.smtp_host or ""
    EMAIL_PORT = CONFIG.smtp_port
    EMAIL_HOST_USER = CONFIG.smtp_user
    EMAIL_HOST_PASSWORD = CONFIG.smtp_password
    EMAIL_USE_TLS = CONFIG.smtp_security == "starttls"
    EMAIL_USE_SSL = CONFIG.smtp_security == "tls"
    EMAIL_TIMEOUT = 20
elif CONFIG.mail == "folder":
    # Development without a mail server: one .eml file per message, to be read.
    EMAIL_BACKEND = "ombud.operations.mailfolder.FolderBackend"
else:
    # OMBUD_MAIL=off, on purpose: the outbox marks each message "not sent", and
    # /healthz, the outbox and the deadline figures say that no notice goes out.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG.mail_from
SERVER_EMAIL = CONFIG.mail_from

# Logs go to standard error. No handler logs request addresses: Ombud never
# records where a reporter connects from.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # One line per idle round of the worker is noise.
        "django_tasks_db": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        # The written outcome's PDF: font subsetting chatter, never the text.
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "django.tasks": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
