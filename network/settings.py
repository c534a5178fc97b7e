"""Settings for the Global US Merchants Network, read from environment variables.

Every variable is listed in the README. Without ``DATABASE_URL`` / ``REDIS_URL`` the embedded
PostgreSQL and Redis of ``network.devservices`` are started on demand.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from network import devservices

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker secrets)."""
    if os.environ.get(f"{name}_FILE"):
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return os.environ.get(name) or None


def _local_secret_key() -> str:
    """A key kept in the data folder, so a laptop run keeps its sessions across restarts."""
    key_file = devservices.data_dir() / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_config(url: str) -> dict:
    import dj_database_url

    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"} or not parsed.hostname:
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({url!r}); expected postgres://USER:PASSWORD@HOST:PORT/NAME."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {error}.") from error
    config["ATOMIC_REQUESTS"] = False
    config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    config["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_network")}
    # Behind PgBouncer in transaction pooling, a server connection is this client's for one
    # transaction only, so no state may outlive one. Django's server-side cursors do (outside a
    # transaction ``.iterator()`` declares a WITH HOLD cursor, then fetches from it on whatever
    # connection comes next), so they are off. The code's own state is transaction-scoped
    # (pg_advisory_xact_lock, SET LOCAL), psycopg2 prepares no statements, and PgBouncer carries
    # the time zone Django sets on connecting from one server connection to the next.
    if env_bool("DATABASE_PGBOUNCER", False):
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


def _redis_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss", "unix"} or (
        parsed.scheme != "unix" and not parsed.hostname
    ):
        raise ImproperlyConfigured(
            f"REDIS_URL is malformed ({url!r}); expected redis://HOST:PORT/DB."
        )
    return url


DEBUG = env_bool("DJANGO_DEBUG", False)
PRODUCTION = env_bool("DJANGO_PRODUCTION", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or (None if PRODUCTION else _local_secret_key())
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set in production."
    )
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Global US Merchants Network"

try:
    DATABASES = {"default": _database_config(devservices.database_url())}
    # Read replicas (streaming standbys of the primary) as replica1, replica2, …: which reads
    # they answer is network.db_router's to decide. Tests create no database for them.
    for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", ""), start=1):
        try:
            _replica = _database_config(_url)
        except ImproperlyConfigured:
            # Not chained: the message would repeat the URL and its password.
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: entry {_number} is not a PostgreSQL URL; expected "
                "comma-separated postgres://USER:PASSWORD@HOST:PORT/NAME."
            ) from None
        _server = (_replica["HOST"], _replica["PORT"], _replica["NAME"])
        if _server in [(c["HOST"], c["PORT"], c["NAME"]) for c in DATABASES.values()]:
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: entry {_number} names the database of DATABASE_URL "
                "or of an earlier entry."
            )
        _replica["OPTIONS"]["connect_timeout"] = 2  # a replica that is down is passed over fast
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica{_number}"] = _replica
    REDIS_URL = _redis_url(devservices.redis_url())
except devservices.ServiceError as error:
    raise ImproperlyConfigured(str(error)) from error
DATABASE_ROUTERS = ["network.db_router.ReplicaRouter"]
# Seconds a person (or an API key's organisation) reads the primary after writing, and the
# replay lag past which a replica is passed over. Keep the first at least twice the second:
# results read on a replica are kept for their difference (network.db_router).
try:
    REPLICA_STICKY_SECONDS = float(os.environ.get("REPLICA_STICKY_SECONDS") or "10")
    REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS") or "5")
except ValueError:
    raise ImproperlyConfigured(
        "REPLICA_STICKY_SECONDS and REPLICA_MAX_LAG_SECONDS are numbers of seconds (e.g. 10, 5)."
    ) from None
if not (0 <= REPLICA_STICKY_SECONDS <= 3600 and 0 <= REPLICA_MAX_LAG_SECONDS <= 3600):
    raise ImproperlyConfigured(
        "REPLICA_STICKY_SECONDS and REPLICA_MAX_LAG_SECONDS must be from 0 to 3600 seconds."
    )

INSTALLED_APPS = [
    "network.apps.NetworkAdminConfig",  # django.contrib.admin on the network's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "network",
    "merchants",
    "catalog",
    "moderation",
    "orders",
    "shipping",
    "payments",
    "deals",
    "training",
]

MIDDLEWARE = [
    # Outermost: every response, redirects included, carries the request id and is counted.
    "network.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "network.middleware.ApiKeyMiddleware",
    "network.middleware.ActiveOrganizationMiddleware",
    "network.middleware.UserPreferencesMiddleware",
    # NUL characters and oversized bodies, refused before any view (after the language and the
    # person are known, so the 400 page speaks their language).
    "network.request_guard.RequestGuardMiddleware",
    "network.middleware.OperatorMFAMiddleware",
    # Which reads a replica may answer, and the primary after a write (network.db_router).
    "network.db_router.ReplicaReadsMiddleware",
    # Innermost: an /api/ write with an Idempotency-Key runs in one transaction with its key.
    "network.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "network.urls"
WSGI_APPLICATION = "network.wsgi.application"
AUTH_USER_MODEL = "network.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "network.context_processors.network",
            ],
            "builtins": ["network.templatetags.when"],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    # OWASP ASVS 4.0 level 2: at least 12 characters, checked against common passwords.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "network.auth_backends.NetworkAdministratorBackend",
]

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# One date format, one time format and one of both per language; times name their zone.
FORMAT_MODULE_PATH = ["network.formats"]
LANGUAGE_COOKIE_NAME = "network_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files: all served by the app itself (buyers in China cannot rely on CDNs) ---------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or devservices.data_dir() / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    # Public uploads (product images) and private ones (network.storage): folders here, the
    # buckets of an S3-compatible store when S3_* is set (below).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "network.storage.PrivateFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps are read by developer tools, not by buyers' browsers: not worth compressing. They
# are half the bytes collected (the API reference's bundles), and compressing them took half the
# CPU time of `collectstatic`, which the image's build and the compose drill run.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Files browsers ask for at the site's root (/favicon.ico, also for PDFs and other pages that
# link no icon), served by WhiteNoise before any session or database work.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or devservices.data_dir() / "media")
MEDIA_URL = "/media/"
# Private uploads (KYC documents, evidence) live outside any served path.
PRIVATE_MEDIA_ROOT = Path(
    os.environ.get("PRIVATE_MEDIA_ROOT") or devservices.data_dir() / "private"
)
# How long a signed link to a private file works: the browser follows it at once.
S3_SIGNED_URL_SECONDS = int(os.environ.get("S3_SIGNED_URL_SECONDS") or 60)
if not 1 <= S3_SIGNED_URL_SECONDS <= 604800:
    raise ImproperlyConfigured("S3_SIGNED_URL_SECONDS must be between 1 and 604800 (a week).")


def object_storages() -> dict[str, dict]:
    """The ``STORAGES`` entries for the two buckets of an S3-compatible store, from ``S3_*``:
    none when no bucket is named; ImproperlyConfigured when one is named without the rest."""
    public_bucket = os.environ.get("S3_PUBLIC_BUCKET", "")
    private_bucket = os.environ.get("S3_PRIVATE_BUCKET", "")
    if not (public_bucket or private_bucket):
        return {}
    connection = {
        "endpoint_url": os.environ.get("S3_ENDPOINT_URL", ""),
        "access_key": env_secret("S3_ACCESS_KEY_ID") or "",
        "secret_key": env_secret("S3_SECRET_ACCESS_KEY") or "",
    }
    required = {
        "S3_PUBLIC_BUCKET": public_bucket,
        "S3_PRIVATE_BUCKET": private_bucket,
        "S3_ENDPOINT_URL": connection["endpoint_url"],
        "S3_ACCESS_KEY_ID": connection["access_key"],
        "S3_SECRET_ACCESS_KEY": connection["secret_key"],
    }
    if missing := [name for name, value in required.items() if not value]:
        raise ImproperlyConfigured(
            f"Uploads go to object storage once a bucket is named, and then {', '.join(missing)} "
            "must be set too. Set them, or unset the S3_* variables to keep uploads in "
            "MEDIA_ROOT and PRIVATE_MEDIA_ROOT."
        )
    if urlparse(connection["endpoint_url"]).scheme not in {"http", "https"}:
        raise ImproperlyConfigured("S3_ENDPOINT_URL must be an http(s):// URL.")
    common = {
        **connection,
        "region_name": os.environ.get("S3_REGION") or "us-east-1",
        "signature_version": "s3v4",
        # Path-style URLs (endpoint/bucket/key) work with every S3-compatible server.
        "addressing_style": "path",
        # As in a folder: a second upload of the same name gets a name of its own.
        "file_overwrite": False,
    }
    public = {
        **common,
        "bucket_name": public_bucket,
        "querystring_auth": False,
        # Where the store grants reads per object rather than by bucket policy: public-read.
        "default_acl": os.environ.get("S3_PUBLIC_ACL") or None,
    }
    if public_url := os.environ.get("S3_PUBLIC_URL", ""):
        parsed = urlparse(public_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ImproperlyConfigured("S3_PUBLIC_URL must be an http(s):// URL.")
        public["custom_domain"] = f"{parsed.netloc}{parsed.path.rstrip('/')}"
        public["url_protocol"] = f"{parsed.scheme}:"
    private = {
        **common,
        "bucket_name": private_bucket,
        # Never a public object, never an unsigned link: every URL expires.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": S3_SIGNED_URL_SECONDS,
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": public},
        "private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": private},
    }


STORAGES.update(object_storages())
# Where pages' images and frames of uploads come from besides the site itself (signed links to
# private files redirect there): for the Content-Security-Policy's img-src and frame-src.
OBJECT_STORAGE_ORIGINS: list[str] = []
if STORAGES["private"]["BACKEND"].endswith("S3Storage"):
    _endpoint = urlparse(os.environ["S3_ENDPOINT_URL"])
    OBJECT_STORAGE_ORIGINS.append(f"{_endpoint.scheme}://{_endpoint.netloc}")

# --- Cache, sessions, Celery -----------------------------------------------------------------
# Two Redis roles, each on REDIS_URL unless named apart: the broker holds what must not be lost
# (Celery's queues, the workers' heartbeats, the task counts of /metrics), so it keeps its data
# on disk; the cache holds only what can be computed again, so it may evict under memory
# pressure (allkeys-lru), and a cache that fills up never refuses a task.


def _redis_role_url(name: str) -> str:
    url = os.environ.get(name) or REDIS_URL
    try:
        return _redis_url(url)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            f"{name} is malformed ({url!r}); expected redis://HOST:PORT/DB."
        ) from None


REDIS_BROKER_URL = _redis_role_url("REDIS_BROKER_URL")
REDIS_CACHE_URL = _redis_role_url("REDIS_CACHE_URL")
CACHES = {
    "default": {
        # Answers a miss while Redis is down, so pages keep rendering from the database.
        "BACKEND": "network.health.DegradingRedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "network"),
        "TIMEOUT": 300,
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "network_session"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Tasks are idempotent, so a task whose worker dies is run again rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message taken by a worker that then died outright (kill -9, lost host) goes back to its
# queue after the visibility timeout; the beat re-drives below recover such work sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# While Redis is down, enqueueing gives up after about a second instead of holding the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues per kind of work. Mail has its own ("mail"); the rest of the platform's follow-ups
# (webhooks, housekeeping) stay on "notifications". Exact names are matched before patterns.
CELERY_TASK_ROUTES = {
    "network.tasks.notification_deliver": {"queue": "mail"},
    "network.tasks.notification_mail_batch": {"queue": "mail"},
    "deals.tasks.*": {"queue": "mail"},
    "network.tasks.*": {"queue": "notifications"},
    "orders.tasks.*": {"queue": "orders"},
    "shipping.tasks.*": {"queue": "shipping"},
    "payments.tasks.*": {"queue": "payments"},
}
# The Celery workers that `make run` and docker-compose.yml start, and the queues each one
# consumes: the fan-out and money, carrier calls, and mail with everything that may wait. Every
# queue has exactly one worker, so thousands of mails never stand in front of a fan-out.
WORKER_QUEUES: dict[str, tuple[str, ...]] = {
    "worker": ("orders", "payments"),
    "worker-shipping": ("shipping",),
    "worker-mail": ("mail", "notifications", "default"),
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
for _app in (
    "network",
    "merchants",
    "catalog",
    "orders",
    "shipping",
    "payments",
    "deals",
    "training",
):
    # Each app lists its own periodic work in <app>/schedule.py (plain data, no Django imports).
    CELERY_BEAT_SCHEDULE.update(__import__(f"{_app}.schedule", fromlist=["x"]).BEAT_SCHEDULE)
# Work whose task was lost (broker down when it was enqueued, worker killed) is enqueued again.
CELERY_BEAT_SCHEDULE.update(
    {
        "orders-redrive-purchase-order-fan-outs": {
            "task": "orders.tasks.redrive_purchase_order_fan_outs",
            "schedule": 60.0,
        },
        "shipping-redrive-booking-syncs": {
            "task": "shipping.tasks.redrive_booking_syncs",
            "schedule": 60.0,
        },
    }
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True

# --- Mail ------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = devservices.data_dir() / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Global US Merchants Network <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A person's notifications about one organisation's business are mailed together: the first
# one waits this many seconds for the others, then one mail lists them all (one alone is mailed
# as it is). Account mail (no organisation) is never held back; 0 mails each one on its own.
NOTIFICATION_MAIL_WINDOW_SECONDS = int(os.environ.get("NOTIFICATION_MAIL_WINDOW_SECONDS", "30"))

# --- Accounts (django-allauth) ---------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "network.adapters.AccountAdapter"
# Failed sign-ins (wrong passwords, and wrong second-factor codes, which allauth counts under
# the same action per person): an account is locked for itself after a few, while an address
# gets a much larger budget, so a shared NAT or proxy is not locked out by one person's
# mistakes. The account's limit comes first: tries at a locked account no longer count
# against its address.
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "100"))
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"5/5m/key,{LOGIN_FAILURES_PER_ADDRESS}/15m/ip",
    # Every sign-in attempt from one address, right or wrong: a flood guard above any one
    # account's lock, so someone hammering a locked account does not lock out the address.
    "login": "60/m/ip",
    "signup": "20/m/ip",
    "reset_password": "5/m/ip,3/m/key",
    "confirm_email": "3/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# A right code takes back only its own try from the failure counts (see network.adapters).
MFA_FORMS = {
    "authenticate": "network.adapters.SecondFactorForm",
    "reauthenticate": "network.adapters.SecondFactorReauthenticateForm",
}
# The client address that rate limits count by: the REMOTE_ADDR, or behind N proxies of our own
# the Nth address from the right of X-Forwarded-For (anything further left is the client's to
# forge). 0 ignores X-Forwarded-For, which anyone can send.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
MFA_TOTP_ISSUER = SITE_NAME

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "network.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "network.permissions.IsOrganizationMember",
        "network.api_auth.HasApiScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["network.api_auth.ApiKeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "network.api_schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "network.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "network.api.CursorPagination",
    # JSON only, with a limit on nesting: the schema describes JSON bodies, and form encodings
    # cannot carry the nested ones.
    "DEFAULT_PARSER_CLASSES": ["network.request_guard.JSONParser"],
    # The API answers JSON only; ``format`` is a filter of the seminars, not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Global US Merchants Network API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",  # the network's own icon, served by WhiteNoise
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "MerchantApplicationStatusEnum": "merchants.models.ApplicationStatus",
        "BookingStatusEnum": "shipping.models.BookingStatus",
        "MerchantOrderStatusEnum": "orders.models.MerchantOrderStatus",
        "USStateEnum": "localflavor.us.us_states.STATE_CHOICES",
        "WebhookEventEnum": "network.models.WebhookEvent",
    },
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "network.api_schema.document_idempotency_key",
    ],
    "DESCRIPTION": "Sync products and inventory, place and track purchase orders, book "
    "container space, read seminars and manage webhook endpoints. "
    "See docs/integration-guide.md.",
}

# --- Network rules -----------------------------------------------------------------------------
# Every project setting is declared here, once, with its default; code reads ``settings.X`` when
# it runs (never into a module constant at import, never ``getattr`` with a second default), so
# ``override_settings`` and the ``settings`` test fixture take effect everywhere.
# tests/network/test_settings_read.py keeps it so.

# Days an invitation link stays valid.
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "7"))
# Seconds a webhook receiver has to answer one delivery.
WEBHOOK_TIMEOUT_SECONDS = 10
# Hours a failing webhook delivery is retried before it is given up.
WEBHOOK_RETRY_HOURS = 24
# Consecutive failed deliveries after which an endpoint is switched off.
WEBHOOK_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "15"))
# Webhooks go to the public internet only, and over HTTPS in production. A laptop may send to
# a receiver on its own network (tests turn this on where they need one); production never.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", not PRODUCTION)
if PRODUCTION and (WEBHOOK_ALLOW_PRIVATE_ADDRESSES or WEBHOOK_ALLOW_HTTP):
    raise ImproperlyConfigured(
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES and WEBHOOK_ALLOW_HTTP must not be true in production."
    )
# Hours an API answer is kept for replay under its Idempotency-Key.
IDEMPOTENCY_RETENTION_HOURS = 48
# Requests one API key may make per period ("<n>/<sec|min|hour|day>").
API_KEY_RATE = os.environ.get("API_KEY_RATE", "1200/min")
# Days within which operators aim to decide a merchant application.
MERCHANT_REVIEW_TARGET_DAYS = int(os.environ.get("MERCHANT_REVIEW_TARGET_DAYS", "2"))
# Largest KYC document a merchant may upload.
MERCHANT_DOCUMENT_MAX_BYTES = int(os.environ.get("MERCHANT_DOCUMENT_MAX_BYTES", str(10 * 2**20)))
# Hours a waitlisted person has to take up a freed seminar seat before it goes to the next one.
TRAINING_OFFER_VALID_HOURS = int(os.environ.get("TRAINING_OFFER_VALID_HOURS", "24"))
# Largest seminar material file.
TRAINING_MATERIAL_MAX_BYTES = int(os.environ.get("TRAINING_MATERIAL_MAX_BYTES", str(25 * 2**20)))
# A merchant order not accepted within this many days is cancelled and its stock released.
ORDERS_ACCEPT_WITHIN_DAYS = int(os.environ.get("ORDERS_ACCEPT_WITHIN_DAYS", "3"))
# Active strikes that suspend a merchant, and how long a strike stays active.
STRIKES_TO_SUSPEND = 3
STRIKE_VALID_DAYS = 365
# Listing reports one person may send per hour.
LISTING_REPORTS_PER_HOUR = int(os.environ.get("LISTING_REPORTS_PER_HOUR", "10"))
# Trigram similarity (0..1) from which a title is held for review as resembling a protected
# brand's name.
BRAND_SIMILARITY_THRESHOLD = float(os.environ.get("BRAND_SIMILARITY_THRESHOLD", "0.45"))
# Photos whose 64-bit difference hashes differ in at most this many bits are the same picture
# (re-encoded, resized or lightly retouched).
BRAND_IMAGE_MATCH_BITS = int(os.environ.get("BRAND_IMAGE_MATCH_BITS", "6"))

# --- Shipping ------------------------------------------------------------------------------------
# Hours an unconfirmed booking holds its space before it expires.
# --- Landed cost in CNY ------------------------------------------------------------------------
# Insurance in the CIF value of the landed-cost estimate, % of price and freight (the share China
# customs adds when the actual premium is not declared).
LANDED_COST_INSURANCE_PERCENT = Decimal(os.environ.get("LANDED_COST_INSURANCE_PERCENT") or "0.3")

# --- Payments (trade assurance) ---------------------------------------------------------------
# Deposit plans: the share paid at order (%); the balance is due before shipment.
PAYMENTS_DEPOSIT_PERCENT = Decimal(os.environ.get("PAYMENTS_DEPOSIT_PERCENT") or "30")
# The network's commission on released funds (%).
PAYMENTS_COMMISSION_PERCENT = Decimal(os.environ.get("PAYMENTS_COMMISSION_PERCENT") or "5")
# Escrow is released this many days after the goods arrived when no claim is open.
PAYMENTS_RELEASE_AFTER_DAYS = int(os.environ.get("PAYMENTS_RELEASE_AFTER_DAYS") or "14")
# A buyer may open a claim until this many days after the goods arrived.
PAYMENTS_CLAIM_WINDOW_DAYS = int(os.environ.get("PAYMENTS_CLAIM_WINDOW_DAYS") or "30")
# The merchant answers a claim within this many days, else it goes to the operators.
PAYMENTS_CLAIM_RESPONSE_DAYS = int(os.environ.get("PAYMENTS_CLAIM_RESPONSE_DAYS") or "5")
# The network's collection account, shown to buyers with each purchase order's reference, and
# the debtor of the payout files.
PAYMENTS_COLLECTION_ACCOUNT = {
    "name": os.environ.get("PAYMENTS_ACCOUNT_NAME") or "Global US Merchants Network LLC",
    "bank": os.environ.get("PAYMENTS_BANK_NAME") or "First Republic Trust Bank, New York",
    "bic": os.environ.get("PAYMENTS_BANK_BIC") or "FRTBUS33XXX",
    "routing_number": os.environ.get("PAYMENTS_ROUTING_NUMBER") or "021000021",
    "account_number": os.environ.get("PAYMENTS_ACCOUNT_NUMBER") or "000123456789",
    "address": os.environ.get("PAYMENTS_ACCOUNT_ADDRESS") or "1 Liberty Plaza, New York, NY 10006",
}

SHIPPING_HOLD_HOURS = int(os.environ.get("SHIPPING_HOLD_HOURS") or "48")
# Seconds after which a carrier is asked about a request it acknowledged but did not yet decide.
SHIPPING_POLL_AFTER_SECONDS = float(os.environ.get("SHIPPING_POLL_AFTER_SECONDS") or "10")
# Seconds a confirmed booking's tracking may stay quiet (no pushed event, no poll) before the
# carrier is polled for its events.
SHIPPING_TRACKING_QUIET_SECONDS = float(
    os.environ.get("SHIPPING_TRACKING_QUIET_SECONDS") or "21600"
)
# Each carrier's connection (CARRIER_<SCAC>_API_URL, …) is read from the environment when it
# is used: see shipping/carriers/http.py and the README's "Connecting a real carrier".
# Seconds to wait for a carrier to accept a connection, and for its answer once connected.
CARRIER_CONNECT_TIMEOUT = float(os.environ.get("CARRIER_CONNECT_TIMEOUT") or "5")
CARRIER_READ_TIMEOUT = float(os.environ.get("CARRIER_READ_TIMEOUT") or "20")
# Attempts per call for requests safe to repeat (5xx, 429, unreachable), the first backoff
# step and its cap in seconds (full jitter), and the longest Retry-After waited within a call.
CARRIER_RETRY_ATTEMPTS = int(os.environ.get("CARRIER_RETRY_ATTEMPTS") or "3")
CARRIER_RETRY_BASE_SECONDS = float(os.environ.get("CARRIER_RETRY_BASE_SECONDS") or "0.5")
CARRIER_RETRY_MAX_SECONDS = float(os.environ.get("CARRIER_RETRY_MAX_SECONDS") or "8")
CARRIER_RETRY_AFTER_MAX_SECONDS = float(os.environ.get("CARRIER_RETRY_AFTER_MAX_SECONDS") or "30")
# Failed calls in a row after which a carrier is not called for the cool-down (seconds).
CARRIER_BREAKER_THRESHOLD = int(os.environ.get("CARRIER_BREAKER_THRESHOLD") or "5")
CARRIER_BREAKER_COOLDOWN = float(os.environ.get("CARRIER_BREAKER_COOLDOWN") or "60")
# A booking request whose fate is unknown (timeout, worker lost) is sent again only after this
# many seconds without a word from the carrier about it.
SHIPPING_RECEIPT_WAIT_SECONDS = float(os.environ.get("SHIPPING_RECEIPT_WAIT_SECONDS") or "300")

# One JSON object per line (time, level, logger, message, request_id, user_id, organization_id)
# for web and Celery alike; LOG_FORMAT=plain for a person reading a terminal.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}; use json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "network.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO; the carrier client logs its own failures (no secrets).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# /metrics answers only with this bearer token; unset, the endpoint is off (see network.metrics).
METRICS_TOKEN = env_secret("METRICS_TOKEN") or ""

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Probes and scrapers inside the deployment speak plain HTTP to the container.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Everything the pages use is served by the app itself; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *OBJECT_STORAGE_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'", *OBJECT_STORAGE_ORIGINS],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
