"""Settings of a chaos run: the project's, on the run's private servers, with its clocks shortened.

``python -m chaos.run`` sets ``CHAOS_*`` before Django starts and hands the same environment to
every process it starts. Leases, back-off and saga deadlines are scaled down from minutes to
seconds so that every row ends within a minute or two; recovery times scale with them
(docs/reliability.md gives both).
"""

import os
from pathlib import Path

os.environ["DATABASE_URL"] = os.environ["CHAOS_DATABASE_URL"]
os.environ["CELERY_BROKER_URL"] = os.environ["CHAOS_BROKER_URL"]
os.environ["REDIS_URL"] = os.environ["CHAOS_CACHE_URL"]
os.environ["EVENTBUS_DOORBELL_REDIS_URL"] = os.environ["CHAOS_DOORBELL_URL"]
os.environ.setdefault("SECRET_KEY", "chaos-only-not-secret")
os.environ.setdefault(
    "EVENTBUS_FIELD_KEYS", "Y2hhb3Mtb25seSBmaWVsZCBrZXksIG5vdCBzZWNyZXQ="
)  # Fernet key of b"chaos-only field key, not secret"
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("HTTPS_ONLY", "false")  # its clients speak plain http to 127.0.0.1
os.environ.setdefault("API_WRITE_RATE", "1000000/minute")
SHORT_CLOCKS = {
    "EVENTBUS_LEASE_SECONDS": "15",  # outlives the handler time limit below, as the docs require
    "EVENTBUS_HANDLER_TIMEOUT": "8",
    "EVENTBUS_BACKOFF_SECONDS": "0.2",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "1",
    "ORDERS_PAYMENT_DEADLINE_SECONDS": "45",
    "ORDERS_PAID_DEADLINE_SECONDS": "45",
    "ORDERS_CANCELLING_DEADLINE_SECONDS": "45",
}
for name, value in SHORT_CLOCKS.items():
    os.environ.setdefault(name, value)

from config.settings import *  # noqa: E402, F403
from config.settings import INSTALLED_APPS  # noqa: E402

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "chaos.probe"]
CHAOS_DIR = Path(os.environ["CHAOS_DIR"])
PAYMENTS_FAKE_PROVIDER_LEDGER = str(CHAOS_DIR / "fake-payment-provider.sqlite3")
PAYMENTS_FAKE_PROVIDER_FAULTS = True  # the load mixes in tok_flaky
SHIPPING_FAKE_CARRIER_LEDGER = str(CHAOS_DIR / "fake-carrier.sqlite3")
