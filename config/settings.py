"""Settings, read from the environment only (django-environ); see docs/configuration.md."""

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from pythonjsonlogger.core import RESERVED_ATTRS

from eventbus import conf as bus_conf

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

# Prometheus counters of every process on this host are summed from this directory; it must be set
# before prometheus_client is first imported, and emptied when the processes are (re)started.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

env = environ.Env()


def _setting(name: str, read: Callable[..., Any], **kwargs: Any) -> Any:
    """Read one variable; a malformed value fails start-up with a message naming it."""
    try:
        return read(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as error:
        raise ImproperlyConfigured(f"{name} is malformed: {error}") from error


def _boolean(name: str, *, default: bool) -> bool:
    """A yes/no variable; anything but the usual words is an error, not a silent False."""
    text = env.str(name, default="").strip().lower() or str(default).lower()
    if text not in bus_conf.BOOLEAN_WORDS:
        raise ImproperlyConfigured(f"{name} is malformed: expected true/false, 1/0, yes/no or on/off, got {text!r}")
    return bus_conf.BOOLEAN_WORDS[text]


DEBUG = _boolean("DEBUG", default=False)
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = _setting("ALLOWED_HOSTS", env.list, default=LOCAL_HOSTS if DEBUG else [])
if DEBUG and not set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
    # The development key is public: it may sign sessions only on this machine.
    SECRET_KEY = _setting("SECRET_KEY", env.str, default="development-only-not-secret")
elif not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured(
        "Set the SECRET_KEY environment variable: it is required unless DEBUG=1 with only local "
        "ALLOWED_HOSTS (docs/configuration.md)"
    )
else:
    SECRET_KEY = _setting("SECRET_KEY", env.str)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "eventbus",
    "catalog",
    "orders",
    "payments",
    "shipping",
    "demo",
]

# The bounded contexts. A split deployment runs some of them in another service (config/contexts.py).
CONTEXTS = ["catalog", "orders", "payments", "shipping"]
DATABASE_ROUTERS = ["config.contexts.ContextRouter"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into a 429 on every login door
]

# Logins: django-axes locks out password guessing on every door (admin, API session, API token),
# per account and per client address, for LOGIN_LOCKOUT_MINUTES after LOGIN_FAILURE_LIMIT failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "common.auth_backend.ModelBackend"]
AXES_FAILURE_LIMIT = _setting("LOGIN_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES", env.float, default=15.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not clear failures: axes would clear those of the client address too, so a guesser
# with an account of their own could log in between guesses at someone else's and never be locked.
AXES_RESET_ON_SUCCESS = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "common.client_ip.client_ip"
# No banner on every manage.py command and process start; lockouts are still logged (as warnings).
AXES_VERBOSE = False
# How many reverse proxies in front of the web processes append to X-Forwarded-For: the client's
# address is the one they saw. 0 (the default): REMOTE_ADDR, and X-Forwarded-For is ignored.
# What /metrics and /readyz's details need as a Bearer token (config/probe_access.py); unset: development only.
PROBE_TOKEN = _setting("PROBE_TOKEN", env.str, default="")
TRUSTED_PROXIES = _setting("TRUSTED_PROXIES", env.int, default=0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("TRUSTED_PROXIES is malformed: it counts proxies, 0 or more")

# HTTPS only, outside development: plain http is redirected, cookies are sent over TLS only, and
# browsers are told (HSTS) to use nothing else for HSTS_SECONDS. The load balancer's probes and the
# per-host metrics scrape reach the web processes directly, over plain http inside the network.
HTTPS_ONLY = _boolean("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = _setting("HSTS_SECONDS", env.int, default=365 * 24 * 3600) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _boolean("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = _boolean("HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a promise to browser vendors that takes months to undo: the operator's to make.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if TRUSTED_PROXIES:
    # The TLS-terminating proxies say which scheme the client used; without them the header is the client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every answer: scripts and styles from this origin, or inline with the
# request's nonce (admin's templates and ours carry it); no plugins, no framing, forms post here only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],  # admin's and Swagger UI's icons are data: URLs in their CSS
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "common.api.csrf_failure"  # a problem+json under /api/, Django's page elsewhere
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # the project's overrides of installed apps' templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",  # csp_nonce, for {% csp_nonce_attr %}
            ],
        },
    },
]


def _database() -> dict:
    config = _setting("DATABASE_URL", env.db_url, default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    if "." not in config["ENGINE"]:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: unknown database scheme {config['ENGINE']!r}")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and a busy timeout let the web process and the workers write side by side;
        # IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # Worker processes started by the tests must open the same file, not a private memory db.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    else:
        config["CONN_MAX_AGE"] = _setting("CONN_MAX_AGE", env.int, default=60)
        config["CONN_HEALTH_CHECKS"] = True
        # A database that does not answer a connection, or a peer that vanished, ends the wait.
        config.setdefault("OPTIONS", {}).update(
            connect_timeout=5, keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3
        )
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

CACHES = {"default": _setting("CACHE_URL", env.cache_url, default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A hung cache ends the wait quickly; the throttles (common.throttling) then let the request through.
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_timeout=0.5, socket_connect_timeout=0.5)

# The REST API: token or session login, customers see their own records, writes are throttled.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.token_auth.TokenAuthentication",  # knox's, without its per-request sweep
        "rest_framework.authentication.SessionAuthentication",
    ],
    "NUM_PROXIES": TRUSTED_PROXIES,
    # DRF's HTML pages for browsing the API are a development tool; production answers JSON only.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["common.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",  # a document nested too deeply is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],  # the throttles' client address, as django-axes sees it
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.LimitOffset",
    "PAGE_SIZE": _setting("API_PAGE_SIZE", env.int, default=50),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "writes": _setting("API_WRITE_RATE", env.str, default="60/minute"),
        "login": _setting("API_LOGIN_RATE", env.str, default="10/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}
# API tokens (django-rest-knox): stored as SHA-512 digests, each expiring API_TOKEN_TTL_HOURS after
# its login; POST /api/auth/token/logout/ revokes one, /logoutall/ every token of the caller.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=_setting("API_TOKEN_TTL_HOURS", env.float, default=24.0 * 30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "USER_SERIALIZER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop orders API",
    "DESCRIPTION": "Place, follow and cancel orders; read their payments and shipments. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package's static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A JavaScript expression, in the start-up script Swagger UI loads from its own URL (no inline
    # script): Swagger UI's own dark theme, which only its standalone layout switches on, follows
    # the system's colour scheme.
    "SWAGGER_UI_SETTINGS": """(() => {
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const follow = () => document.documentElement.classList.toggle("dark-mode", dark.matches);
  follow();
  dark.addEventListener("change", follow);
  return {deepLinking: true};
})()""",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "ShipmentStatusEnum": "shipping.models.Shipment.Status",
    },
    # The token scheme first in Swagger UI's Authorize dialog; a 201 links to the order it created.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.schema.token_auth_first",
        "common.schema.link_created_to_detail",
    ],
}

# Logs: JSON lines in production, readable lines in development; inside a handler every line also
# carries its trace and span ids, the saga's correlation id, the event id and the subscriber.
LOG_FORMAT = _setting("LOG_FORMAT", env.str, default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT is malformed: expected json or text, got {LOG_FORMAT!r}")
LOG_LEVEL = _setting("LOG_LEVEL", env.str, default="INFO").upper()
# Celery's lines for every task received and done (each relay and delivery, and the sweep every
# EVENTBUS_SWEEP_SECONDS) bury the shop's own in development; failures are logged all the same.
# LOG_LEVEL=DEBUG brings them back.
_QUIET_IN_DEVELOPMENT = ["celery.app.trace", "celery.worker.strategy", "celery.beat"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"bus_context": {"()": "eventbus.observability.log_context.BusContextFilter"}},
    "formatters": {
        "text": {  # one record per line: control characters escaped (common/log_format.py)
            "()": "common.log_format.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s%(bus_context)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "reserved_attrs": [*RESERVED_ATTRS, "bus_context"],
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["bus_context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Through the root's handler only: Django's own would print each line again under DEBUG,
        # and runserver's request lines with a time format of their own.
        "django": {"handlers": []},
        "django.server": {"handlers": [], "propagate": True},
        **{name: {"level": "WARNING"} for name in (_QUIET_IN_DEVELOPMENT if DEBUG and LOG_LEVEL != "DEBUG" else [])},
    },
}


def filesystem_broker_options(folder: Path, *, polling_interval: float) -> dict:
    for sub in ("queue", "claimed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "claimed"),
        "control_folder": str(folder / "control"),
        "polling_interval": polling_interval,
    }


REDIS_URL = _setting("REDIS_URL", env.str, default="")

# Celery: the broker is only a doorbell; every pending piece of work lives in the database.
CELERY_BROKER_URL = _setting("CELERY_BROKER_URL", env.str, default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "broker", polling_interval=0.02)
else:
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        CELERY_BROKER_TRANSPORT = "config.redis_broker:Transport"  # recovers from Redis out of memory
    # A kick that cannot reach the broker gives up at once: the sweep re-drives the work later,
    # and a web request must not wait on kombu's default connection retries (seconds).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.2,
        "socket_connect_timeout": 1,
        # A Redis that accepts connections but never answers (paused, stopped, swapping) ends a
        # send after this; above the worker's 1 s BRPOP, so an idle consumer is not cut off.
        "socket_timeout": 2,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "eventbus"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic tasks are frequent or harmless to repeat: an in-memory schedule needs no file to share or corrupt.
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"

# The bus's settings and their defaults live in eventbus.conf.BusSettings; an EVENTBUS_* variable overrides one.
globals().update(bus_conf.environment_overrides(os.environ))
# The services a split deployment runs (docs/split-a-context.md); EVENTBUS_SERVICE, empty by default,
# picks one of them, and then events between services travel over EVENTBUS_BROKER_URL (RabbitMQ).
EVENTBUS_SERVICES = _setting("EVENTBUS_SERVICES", env.str, default="shop=*;payments=payments")
# Where another service's admin lives, for links to a context that does not run here.
CONTEXT_ADMIN_URLS = _setting("CONTEXT_ADMIN_URLS", env.dict, default={})
EVENTBUS_DOORBELL_REDIS_URL = _setting("EVENTBUS_DOORBELL_REDIS_URL", env.str, default=REDIS_URL)
# Sensitive event fields (the card token) are sealed with these Fernet keys, newest first. The
# development key is public, like the development SECRET_KEY: only on this machine's host names.
DEVELOPMENT_FIELD_KEY = "ZGV2ZWxvcG1lbnQgb25seSwgbm90IGEgc2VjcmV0ISE="
if "EVENTBUS_FIELD_KEYS" not in globals():
    if not (DEBUG and not set(ALLOWED_HOSTS) - set(LOCAL_HOSTS)):
        raise ImproperlyConfigured(
            "Set the EVENTBUS_FIELD_KEYS environment variable (docs/security.md): generate a key with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    EVENTBUS_FIELD_KEYS = DEVELOPMENT_FIELD_KEY
_FIELD_CIPHER = bus_conf.BusSettings(field_keys=EVENTBUS_FIELD_KEYS).field_cipher  # a bad key fails start-up
_SWEEP_SECONDS = globals().get("EVENTBUS_SWEEP_SECONDS", bus_conf.DEFAULTS.sweep_seconds)

CELERY_BEAT_SCHEDULE = {
    "eventbus-sweep": {"task": "eventbus.sweep", "schedule": _SWEEP_SECONDS},
    "orders-purge-idempotency-keys": {"task": "orders.purge_idempotency_keys", "schedule": 3600.0},
}

ORDERS_PAYMENT_DEADLINE_SECONDS = _setting("ORDERS_PAYMENT_DEADLINE_SECONDS", env.float, default=900.0)
# Every saga state has a deadline and a way out (docs/saga.md, "Every saga ends").
ORDERS_PAID_DEADLINE_SECONDS = _setting("ORDERS_PAID_DEADLINE_SECONDS", env.float, default=900.0)
ORDERS_PAID_DEADLINE_ACTION = _setting("ORDERS_PAID_DEADLINE_ACTION", env.str, default="compensate")
if ORDERS_PAID_DEADLINE_ACTION not in {"compensate", "operator"}:
    raise ImproperlyConfigured("ORDERS_PAID_DEADLINE_ACTION is malformed: it is compensate or operator")
ORDERS_CANCELLING_DEADLINE_SECONDS = _setting("ORDERS_CANCELLING_DEADLINE_SECONDS", env.float, default=600.0)
# When a saga counts as stuck for `manage.py stuck_sagas`, the admin and /metrics (docs/saga.md,
# "Stuck sagas"): past each state's deadline by a grace that lets its way out run first.
ORDERS_STUCK_PENDING_SECONDS = _setting("ORDERS_STUCK_PENDING_SECONDS", env.float, default=300.0)
ORDERS_STUCK_PAID_SECONDS = _setting(
    "ORDERS_STUCK_PAID_SECONDS", env.float, default=ORDERS_PAID_DEADLINE_SECONDS + 300.0
)
ORDERS_STUCK_CANCELLING_SECONDS = _setting(
    "ORDERS_STUCK_CANCELLING_SECONDS", env.float, default=ORDERS_CANCELLING_DEADLINE_SECONDS + 300.0
)
SHIPPING_UNSERVED_COUNTRIES = _setting("SHIPPING_UNSERVED_COUNTRIES", env.list, default=["AQ"])
# The outside world's adapters (docs/configuration.md): a dotted path to a callable of the timeout
# every call must respect. The fakes are deterministic; their fault tokens are for development and tests.
PAYMENTS_GATEWAY = _setting("PAYMENTS_GATEWAY", env.str, default="payments.gateway.fake_provider")
PAYMENTS_GATEWAY_TIMEOUT_SECONDS = _setting("PAYMENTS_GATEWAY_TIMEOUT_SECONDS", env.float, default=10.0)
PAYMENTS_FAKE_PROVIDER_FAULTS = _boolean("PAYMENTS_FAKE_PROVIDER_FAULTS", default=False)
SHIPPING_CARRIER = _setting("SHIPPING_CARRIER", env.str, default="shipping.carrier.fake_carrier")
SHIPPING_CARRIER_TIMEOUT_SECONDS = _setting("SHIPPING_CARRIER_TIMEOUT_SECONDS", env.float, default=10.0)
PAYMENTS_FAKE_PROVIDER_LEDGER = _setting(
    "PAYMENTS_FAKE_PROVIDER_LEDGER", env.str, default=str(VAR_DIR / "fake-payment-provider.sqlite3")
)
SHIPPING_FAKE_CARRIER_LEDGER = _setting(
    "SHIPPING_FAKE_CARRIER_LEDGER", env.str, default=str(VAR_DIR / "fake-carrier.sqlite3")
)
