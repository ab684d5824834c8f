"""Accord settings. Everything configurable comes from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accord.core import network

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_number(
    name: str, default: float, *, minimum: float, maximum: float | None = None, whole: bool = False
) -> float:
    """A number from the environment, at least `minimum` (and at most `maximum`); ImproperlyConfigured
    naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum or (maximum is not None and value > maximum):
        kind = "a whole number" if whole else "a number"
        upto = f" and at most {maximum:g}" if maximum is not None else ""
        raise ImproperlyConfigured(f"{name} must be {kind} of at least {minimum:g}{upto}, not {raw!r}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Debug pages show tracebacks, settings and SQL: only when asked for by name.
DEBUG = env_bool("ACCORD_DEBUG", False)
DATA_DIR = Path(env("ACCORD_DATA_DIR", str(Path.cwd() / "var"))).resolve()

MIN_SECRET_KEY_LENGTH = 50


def _generated_secret_key(data_dir: Path) -> str:
    """The key in `data_dir/secret_key`, written there once (readable by its owner only).

    Enough for one server (`make run`); servers sharing sessions set ACCORD_SECRET_KEY instead.
    """
    path = data_dir / "secret_key"
    if not path.exists():
        import secrets

        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(secrets.token_urlsafe(64))
        except FileExistsError:  # another process wrote it first
            pass
    return path.read_text().strip()


SECRET_KEY = env("ACCORD_SECRET_KEY")
if SECRET_KEY:
    if not DEBUG and (len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5):
        raise ImproperlyConfigured(
            f"ACCORD_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters (of at least 5 different ones); "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
elif DEBUG:
    SECRET_KEY = "accord-insecure-development-key-do-not-use-in-production"
else:
    SECRET_KEY = _generated_secret_key(DATA_DIR)

ALLOWED_HOSTS = env_list("ACCORD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ACCORD_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",  # the API docs' own copy of Swagger UI (no CDN)
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accord.core",
    "accord.accounts",
    "accord.contacts",
    "accord.playbook",
    "accord.lifecycle",
    "accord.notify",
    "accord.sla",
    "accord.reporting",
    "accord.deals",
    "accord.scoring",
    "accord.campaigns",
    "accord.tracking",
    "accord.imports",
    "accord.trust",
    "accord.web",
    "accord.demo",
]

MIDDLEWARE = [
    "accord.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accord.core.middleware.RequestTooLargeMiddleware",
    "accord.core.middleware.SecureCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accord.web.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "accord.config.urls"
WSGI_APPLICATION = "accord.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.web.context.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'accord.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("ACCORD_DB_CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server and background jobs write at once; the busy timeout makes
        # a writer wait for the lock instead of failing with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
        ),
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests get a file too, not a shared in-memory database: with WAL, the live test server's
    # writes and a test's reads do not lock each other out ("database table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-accord.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while an account or an address is locked out
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes; docs/security.md): 5 failures lock the account and, apart, the
# address they came from; each further lockout of the same account or address lasts longer.
AXES_FAILURE_LIMIT = int(env("ACCORD_LOGIN_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accord.accounts.signin.attempted_email"
AXES_CLIENT_IP_CALLABLE = "accord.accounts.signin.client_address"
AXES_COOLOFF_TIME = "accord.accounts.signin.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each lockout keeps its own length (the cool-off grows)
AXES_LOCKOUT_CALLABLE = "accord.accounts.signin.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins go to the audit log instead
AXES_SENSITIVE_PARAMETERS = ["username", "password", "code"]
AXES_VERBOSE = False

# Sessions end 12 hours after sign-in (ACCORD_SESSION_HOURS), and when the browser closes if asked.
SESSION_COOKIE_AGE = int(float(env("ACCORD_SESSION_HOURS", "12")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("ACCORD_SESSION_ENDS_WITH_BROWSER", False)

OTP_TOTP_ISSUER = env("ACCORD_TOTP_ISSUER", "Accord")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("ACCORD_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there from the first request
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Plotly's browser bundle is served from the installed plotly package: no CDN.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "accord.web.staticfinders.PlotlyFinder",
]
WHITENOISE_USE_FINDERS = DEBUG

# Request bodies above this size are answered with HTTP 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("ACCORD_MAX_BODY_BYTES", str(1024 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """'X-Forwarded-Proto: https' as Django's SECURE_PROXY_SSL_HEADER; '' for none."""
    if not raw.strip():
        return None
    name, sep, value = raw.partition(":")
    if not sep or not name.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"ACCORD_SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {raw!r}"
        )
    return "HTTP_" + name.strip().upper().replace("-", "_"), value.strip()


# Behind a TLS proxy: the header it sets on requests that came over HTTPS. Requests over HTTPS get
# secure cookies and HSTS (accord.core.middleware.SecureCookiesMiddleware, SecurityMiddleware).
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(
    env("ACCORD_SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto: https")
)
# Cookies are marked Secure on every HTTPS request; ACCORD_SECURE_COOKIES=true marks them always.
SESSION_COOKIE_SECURE = env_bool("ACCORD_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = 0 if DEBUG else int(env("ACCORD_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ACCORD_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("ACCORD_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The proxies whose X-Forwarded-For is believed about the client's address (addresses or networks).
try:
    TRUSTED_PROXIES = network.networks(env_list("ACCORD_TRUSTED_PROXIES", "127.0.0.1,::1"))
except ValueError as exc:
    raise ImproperlyConfigured(f"ACCORD_TRUSTED_PROXIES: {exc}") from None

# A strict Content-Security-Policy: scripts, styles, images and connections from Accord itself only;
# no inline scripts, style sheets or style attributes anywhere (tests/browser/test_csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'none'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Caches: Redis when ACCORD_CACHE_URL (or a Redis ACCORD_BROKER_URL) is set, so that rate limits are
# counted across every worker; each process's memory otherwise.
CACHE_URL = env("ACCORD_CACHE_URL") or (
    env("ACCORD_BROKER_URL") if env("ACCORD_BROKER_URL").startswith("redis") else ""
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "accord"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "accord"}
    )
}

# Tracking: client addresses are stored with their host part zeroed (ACCORD_IP_ANONYMIZE); raw events
# are kept this many days (ACCORD_EVENT_RETENTION_DAYS; empty: for ever), enforced daily.
ACCORD_IP_ANONYMIZE = env_bool("ACCORD_IP_ANONYMIZE", True)
_retention = env("ACCORD_EVENT_RETENTION_DAYS")
if _retention and (not _retention.isdigit() or int(_retention) < 1):
    raise ImproperlyConfigured(f"ACCORD_EVENT_RETENTION_DAYS must be a whole number of days, not {_retention!r}")
ACCORD_EVENT_RETENTION_DAYS = int(_retention) if _retention else None
# Browser keys: messages a minute per key, and per client address, unless the key sets its own.
ACCORD_BROWSER_RATE_PER_MINUTE = int(env("ACCORD_BROWSER_RATE_PER_MINUTE", "60000"))
ACCORD_BROWSER_IP_RATE_PER_MINUTE = int(env("ACCORD_BROWSER_IP_RATE_PER_MINUTE", "600"))
# The keyed hash of an erased person's email (the suppression list) uses this key; keep it stable.
ACCORD_SUPPRESSION_KEY = env("ACCORD_SUPPRESSION_KEY") or SECRET_KEY

EMAIL_BACKEND = env(
    "ACCORD_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("ACCORD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("ACCORD_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("ACCORD_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("ACCORD_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("ACCORD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("ACCORD_EMAIL_FROM", "accord@localhost")
# With ACCORD_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (as `make run` sets),
# each email is a file here: the demo's notifications can be read without a mail server.
EMAIL_FILE_PATH = env("ACCORD_EMAIL_FILE_PATH", str(DATA_DIR / "mail"))

# Background work: Celery with Redis when ACCORD_BROKER_URL is set, in-process otherwise.
CELERY_TASK_ALWAYS_EAGER = not env("ACCORD_BROKER_URL")
# In-process runs still open a producer; the in-memory transport keeps it from looking for a broker.
CELERY_BROKER_URL = env("ACCORD_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# Where workers keep task results, for callers that wait on one (`accord.ping`, tests); none by default.
CELERY_RESULT_BACKEND = env("ACCORD_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"
# Interest fades day by day: the worker's beat refreshes stored interest scores once a day
# (`celery -A accord.config.celery worker --beat`, or `accord score refresh` from cron).
# `accord beat` runs this schedule for the workers; without a broker `accord serve` runs the same
# jobs in a process of its own (`accord jobs`). Every job is idempotent and safe to run twice at once.
ACCORD_JOBS = {
    # name: (task, every so many seconds)
    "sla-sweep": ("accord.sla.sweep", 60.0),
    "outbox": ("accord.notify.deliver_due", env_number("ACCORD_OUTBOX_POLL_SECONDS", 5.0, minimum=1)),
    "reengage": ("accord.lifecycle.reengage", 15 * 60.0),
    "digest": ("accord.notify.digest", 15 * 60.0),
    "scoreboard-rollup": ("accord.reporting.rollup", 15 * 60.0),
    "refresh-interest": ("accord.scoring.decay", 24 * 3600.0),
    "event-retention": ("accord.tracking.retention", 24 * 3600.0),
}
CELERY_BEAT_SCHEDULE = {name: {"task": task, "schedule": every} for name, (task, every) in ACCORD_JOBS.items()}

# Notifications: links in emails, Slack messages and webhooks point here; webhook receivers get
# this long to answer; deliveries are sent this many at a time by each worker.
ACCORD_BASE_URL = env("ACCORD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ACCORD_WEBHOOK_TIMEOUT = env_number("ACCORD_WEBHOOK_TIMEOUT", 5.0, minimum=0.1)
ACCORD_DELIVERY_THREADS = int(env_number("ACCORD_DELIVERY_THREADS", 8, minimum=1, whole=True))
# Daily digests go from this hour (0-23) in each person's own time zone.
ACCORD_DIGEST_HOUR = int(env_number("ACCORD_DIGEST_HOUR", 8, minimum=0, maximum=23, whole=True))

# What happens to events once stored, in order (accord.tracking.pipeline; docs/adr/0009).
ACCORD_EVENT_STEPS = ["accord.scoring.pipeline.events_accepted"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("ACCORD_LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root's handler only: Django's own console handler (on under ACCORD_DEBUG)
        # would print each of its records, tracebacks included, a second time.
        "django": {"level": env("ACCORD_LOG_LEVEL", "INFO")},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line per sign-in otherwise; lockouts go to the audit log
        # In-process tasks would log a line each into command output; workers keep theirs.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
