"""Settings for the test suite: the project's, plus a small app of test events and handlers."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("HTTPS_ONLY", "false")  # the test client, live server and workers speak plain http
os.environ.setdefault(
    "EVENTBUS_FIELD_KEYS", "dGVzdHMtb25seSBmaWVsZCBrZXksIG5vdCBzZWNyZXQ="
)  # Fernet key of b"tests-only field key, not secret"
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test-prometheus")
)

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, VAR_DIR, filesystem_broker_options

INSTALLED_APPS = [*INSTALLED_APPS, "tests.busapp", "chaos.probe"]

if os.environ.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "test-broker", polling_interval=0.02)

PAYMENTS_FAKE_PROVIDER_LEDGER = str(VAR_DIR / "test-payment-provider.sqlite3")
PAYMENTS_FAKE_PROVIDER_FAULTS = True  # tok_flaky, tok_slow
SHIPPING_FAKE_CARRIER_LEDGER = str(VAR_DIR / "test-carrier.sqlite3")

# The suite places many orders a minute; the throttle's own test sets a low rate for itself.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "100000/minute", "login": "100000/minute"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PROBE_TOKEN = "tests-probe-token"
PROBE_AUTH = {"HTTP_AUTHORIZATION": f"Bearer {PROBE_TOKEN}"}

# A handler that publishes an event it did not declare fails, as in development.
EVENTBUS_CHECK_PUBLISHES = True
