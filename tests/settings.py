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
from config.settings import DATABASE_ROUTERS, DATABASES, INSTALLED_APPS, VAR_DIR, filesystem_broker_options

INSTALLED_APPS = [*INSTALLED_APPS, "tests.busapp", "chaos.probe"]

if os.environ.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
    # TEST_BROKER_FOLDER gives a second service of a split topology a broker of its own (tests/split.py).
    broker_folder = os.environ.get("TEST_BROKER_FOLDER", str(VAR_DIR / "test-broker"))
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(Path(broker_folder), polling_interval=0.02)

# The payments service's own database, for the saga tests run with payments as a service (tests/split.py);
# set up only for the tests that ask for it. Payments' rows are read there while that topology runs.
_default = DATABASES["default"]
if _default["ENGINE"].endswith("sqlite3"):
    _payments = {"NAME": f"{_default['NAME']}-payments", "TEST": {"NAME": str(VAR_DIR / "test-payments-db.sqlite3")}}
else:
    _payments = {"NAME": f"{_default['NAME']}_payments", "TEST": {}}
DATABASES = {**DATABASES, "payments": {**_default, **_payments}}
DATABASE_ROUTERS = [*DATABASE_ROUTERS, "tests.split.PaymentsElsewhere"]

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
