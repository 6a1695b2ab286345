"""seed_demo: products, a customer with a token, an admin operator, one order per path — in development only."""

import io
import subprocess

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from demo.management.commands.seed_demo import PATHS
from eventbus.testing import run_pending
from orders.models import CatalogEntry, Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def bus_in_process(monkeypatch):
    """The workers' part, carrying the catalogue's events to orders' price list, played in this process."""
    monkeypatch.setattr("demo.management.commands.seed_demo.wait_for_price_list", lambda skus: run_pending())


def seed_demo(**options: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_lists_products_and_creates_a_customer_an_operator_and_an_order_per_path(settings, bus_in_process):
    settings.DEBUG = True
    out = seed_demo()
    assert sorted(CatalogEntry.objects.filter(listed=True).values_list("sku", flat=True)) == [
        "DEMO-1",
        "DEMO-2",
        "DEMO-3",
    ]
    assert "DEMO-3  Fountain pen  42.00 EUR" in out
    users = get_user_model().objects
    assert users.get(username="operator").is_superuser
    demo = users.get(username="demo")
    assert not demo.is_staff
    assert Order.objects.filter(customer=demo).count() == len(PATHS)


def test_seed_demo_prints_a_token_line_to_paste_that_the_api_accepts(settings, bus_in_process, client):
    settings.DEBUG = True
    [line] = [line for line in seed_demo().splitlines() if line.startswith("export TOKEN=")]
    pasted = subprocess.run(["sh", "-c", f'{line}\nprintf %s "$TOKEN"'], capture_output=True, text=True, check=True)
    token = pasted.stdout

    answer = client.get("/api/orders/", headers={"Authorization": f"Token {token}"})

    assert answer.status_code == 200
    assert answer.json()["count"] == len(PATHS)


def test_seed_demo_prints_each_order_with_its_path_and_admin_page(settings, bus_in_process):
    settings.DEBUG = True
    out = seed_demo(site="http://shop.test:8001/")
    for path in PATHS:
        [line] = [line for line in out.splitlines() if path.shows in line]
        order_id = line.split()[-2]
        order = Order.objects.get(id=order_id)
        assert line.split()[-1] == f"http://shop.test:8001/admin/orders/order/{order.id}/change/"
    happy = Order.objects.get(id=next(line for line in out.splitlines() if PATHS[0].shows in line).split()[-2])
    assert f"manage.py dispatch_shipment {happy.id}" in out


def test_seed_demo_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_the_demo_accounts_cannot_log_in_outside_development(settings, bus_in_process, client):
    from django.test import RequestFactory

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    request = RequestFactory().post("/admin/login/")
    assert authenticate(request, username="operator", password="operator-password") is not None

    settings.DEBUG = False

    assert authenticate(request, username="operator", password="operator-password") is None
    client.post("/admin/login/", {"username": "operator", "password": "operator-password"})
    assert "_auth_user_id" not in client.session
    other = get_user_model().objects.create_user("real-staff", password="a-real-password", is_staff=True)
    assert authenticate(request, username="real-staff", password="a-real-password") == other
