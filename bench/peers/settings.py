"""Django settings of a peer, inside the peers' environment: ``BENCH_PEER`` names the peer.

Only what the peer needs: its app, PostgreSQL (``BENCH_PEERS_DATABASE_URL``), and the Celery
settings that matter to speed, as the project's (late acks, prefetch 1, no results). Logging is
at WARNING, as the bench's own worker logs.
"""

import logging
import os
from urllib.parse import unquote, urlsplit

import structlog
from jaiminho.constants import PublishStrategyType

PEER = os.environ["BENCH_PEER"]
_database = urlsplit(os.environ["BENCH_PEERS_DATABASE_URL"])

SECRET_KEY = "bench-peers-only-not-secret"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "django_celery_outbox" if PEER == "celery-outbox" else "jaiminho"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": unquote(_database.username or ""),
        "PASSWORD": unquote(_database.password or ""),
        "HOST": _database.hostname or "",
        "PORT": _database.port or "",
        "CONN_MAX_AGE": None,  # as the project's workers: one connection kept per process
    }
}

CELERY_OUTBOX_APP = "bench.peers.app.app"
MONITORING_METRICS_ENABLED = False  # its StatsD metrics: no agent listens here
JAIMINHO_CONFIG = {
    "PUBLISH_STRATEGY": (
        PublishStrategyType.KEEP_ORDER if PEER == "jaiminho-keep-order" else PublishStrategyType.PUBLISH_ON_COMMIT
    ),
    "PERSIST_ALL_EVENTS": True,  # on commit: the row is written in the transaction, so nothing is lost
    "DEFAULT_CAPTURE_EXCEPTION": None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# django-celery-outbox logs through structlog, by default every batch and every idle second.
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
