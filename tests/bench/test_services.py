"""The bench throws its databases away: only those whose name says so."""

import psycopg
import pytest
from django.db import transaction

from bench.services import recreate_database, truncate_bus_tables
from eventbus import publish
from eventbus.models import Delivery, DeliveryAttempt, OutboxEvent
from eventbus.testing import run_pending
from tests.busapp.events import Fanout

pytestmark = pytest.mark.postgres
SERVER = "postgres://root@127.0.0.1:5432"


def test_a_bench_database_is_dropped_and_made_again_empty():
    url = f"{SERVER}/bench_recreate_check"
    recreate_database(url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE leftover (id int)")

    recreate_database(url)

    with psycopg.connect(url, autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'").fetchone() == (0,)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as server:
        server.execute('DROP DATABASE "bench_recreate_check" WITH (FORCE)')


def test_a_database_whose_name_does_not_say_bench_is_refused():
    with pytest.raises(SystemExit, match="refusing to drop database 'test'"):
        recreate_database(f"{SERVER}/test")


@pytest.mark.django_db(transaction=True)
def test_a_measurement_starts_on_empty_bus_tables_attempts_and_all():
    with transaction.atomic():
        publish(Fanout(n=1), key="k")
    run_pending()
    assert DeliveryAttempt.objects.exists()

    truncate_bus_tables()

    assert (OutboxEvent.objects.count(), Delivery.objects.count(), DeliveryAttempt.objects.count()) == (0, 0, 0)
