"""The bench's own PostgreSQL database and Redis databases, made fresh for every run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from catalog.events import ProductDetails
from orders import services as orders_services


def reset_database() -> None:
    """Drop and recreate the bench database, then migrate it.

    Refuses a database whose name does not say ``bench``: this one is thrown away every run.
    """
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        raise SystemExit(f"the bench needs PostgreSQL, not {db['ENGINE']} (set BENCH_DATABASE_URL)")
    name = db["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    connections.close_all()
    with psycopg.connect(**_server_params(db), dbname="postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names (a URL without options); refuses one whose name
    does not say ``bench``."""
    server, name = url.rsplit("/", 1)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _server_params(db: dict) -> dict:
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"] or None}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    return {k: v for k, v in params.items() if v is not None}


def stock_price_list() -> None:
    """SKU-1 at 9.90 in orders' price list, as the catalogue's event would have put it there."""
    product = ProductDetails(sku="SKU-1", name="Bench item", price=Decimal("9.90"), currency="EUR", tax_rate=Decimal(0))
    orders_services.catalog_entry_copy(product=product, revision=1, listed=True)


def flush_redis() -> None:
    """Empty the broker's and the doorbell's Redis databases (the bench's own, numbered 2 and 3)."""
    for url in {settings.CELERY_BROKER_URL, settings.EVENTBUS_DOORBELL_REDIS_URL}:
        redis.Redis.from_url(url).flushdb()


def truncate_bus_tables() -> None:
    """Start a measurement on empty bus tables."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE eventbus_delivery_attempt, eventbus_delivery, eventbus_outbox RESTART IDENTITY")


def reset_fake_ledgers() -> None:
    """Start the saga on empty ledgers of the fake payment provider and carrier (SQLite files)."""
    for ledger in (settings.PAYMENTS_FAKE_PROVIDER_LEDGER, settings.SHIPPING_FAKE_CARRIER_LEDGER):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(ledger + suffix).unlink(missing_ok=True)
