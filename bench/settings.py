"""Settings for the benchmark: the project's, on a dedicated database and Redis databases.

The bench drops and recreates its database, so it never reads the generic ``DATABASE_URL``:
only ``BENCH_DATABASE_URL`` (or the default below) can point it somewhere.
"""

import os

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/2"
DEFAULT_DOORBELL_URL = "redis://127.0.0.1:6379/3"

os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)
os.environ["EVENTBUS_DOORBELL_REDIS_URL"] = os.environ.get("BENCH_DOORBELL_URL", DEFAULT_DOORBELL_URL)
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault(
    "EVENTBUS_FIELD_KEYS", "YmVuY2gtb25seSBmaWVsZCBrZXksIG5vdCBzZWNyZXQ="
)  # Fernet key of b"bench-only field key, not secret"
os.environ.setdefault("HTTPS_ONLY", "false")  # its clients speak plain http to 127.0.0.1

from config.settings import *  # noqa: E402, F403
from config.settings import INSTALLED_APPS, VAR_DIR  # noqa: E402

# DEBUG would make Django keep every query in memory: not what production runs.
DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "bench.noop"]

# The saga's fake provider and carrier keep their ledgers here, not in the development ones;
# the bench deletes them at the start of every run.
PAYMENTS_FAKE_PROVIDER_LEDGER = str(VAR_DIR / "bench" / "fake-payment-provider.sqlite3")
SHIPPING_FAKE_CARRIER_LEDGER = str(VAR_DIR / "bench" / "fake-carrier.sqlite3")
