"""manage.py seed_demo: demo products, a demo customer, an admin operator, one order down each saga path.

The products are listed through the catalogue, whose events reach orders' price list through the
workers: with ``make run`` going, that takes a moment, and the command waits for it.
"""

import os
import sys
import time
from argparse import ArgumentParser
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from knox.models import AuthToken

from catalog import services as catalog_services
from catalog.models import Product
from common.auth_backend import DEMO_GROUP
from orders import events, services
from orders.models import CatalogEntry, Order

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
OPERATOR_USER = "operator"
OPERATOR_PASSWORD = "operator-password"

PRODUCTS = [
    ("DEMO-1", "Enamel mug", Decimal("19.90"), Decimal("0.19")),
    ("DEMO-2", "Paper notebook, A5", Decimal("7.50"), Decimal("0.07")),
    ("DEMO-3", "Fountain pen", Decimal("42.00"), Decimal("0.19")),
]
PRICE_LIST_WAIT_SECONDS = 60.0
SITE = "http://127.0.0.1:8000"  # where make run serves


@dataclass(frozen=True)
class SagaPath:
    """One order down one path of the saga, and what it ends as."""

    shows: str
    payment_token: str
    country: str
    cancel: bool = False


PATHS = [
    SagaPath("happy path: confirmed (paid, parcel booked)", "tok_ok", "DE"),
    SagaPath("flaky provider: charge retried, confirmed", "tok_flaky", "FR"),
    SagaPath("declined card: cancelled (payment_declined)", "tok_declined", "DE"),
    SagaPath("unserved country: refunded, cancelled (shipping_failed)", "tok_ok", "AQ"),
    SagaPath("customer cancels at once: cancelled (customer_cancelled)", "tok_ok", "NL", cancel=True),
]
# tok_slow (cancelled at the payment deadline, then refunded) is left out: its fake provider answers only
# after the deadline (15 minutes by default), holding a worker for each attempt's whole timeout meanwhile.


class Command(BaseCommand):
    help = "List demo products; create a demo customer (printing its API token), an admin operator, and orders."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--site", default=SITE, help=f"the address the printed links start with ({SITE})")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with known passwords: run it with DEBUG=1 only")
        site = options["site"].rstrip("/")
        user = self._user(DEMO_USER, DEMO_PASSWORD)
        self._user(OPERATOR_USER, OPERATOR_PASSWORD, is_staff=True, is_superuser=True)
        _, token = AuthToken.objects.create(user=user)
        self.stdout.write("Products:")
        self._list_products()
        self.stdout.write("\nOrders, one per saga path (each order's page in admin shows its saga):")
        placed = [(path, self._place(user, path)) for path in PATHS]
        width = max(len(path.shows) for path in PATHS)
        for path, order in placed:
            url = site + reverse("admin:orders_order_change", args=[order.id])
            self.stdout.write(f"  {path.shows:<{width}}  {order.id}  {url}")
        python, happy = _python(), placed[0][1]
        self.stdout.write(
            f"""
Admin:    {site}/admin/ as {OPERATOR_USER} / {OPERATOR_PASSWORD}; the event flow at {site}/admin/flow/
Customer: {DEMO_USER} / {DEMO_PASSWORD}; its API token, for docs/api.md's examples (paste this line):

export TOKEN={token}

Then, in this terminal:
  curl -H "Authorization: Token $TOKEN" {site}/api/orders/   # the orders, as the customer sees them
  {python} manage.py eventbus status   # deliveries by subscriber and state
  {python} manage.py dispatch_shipment {happy.id}   # the carrier picks the happy path's parcel up"""
        )

    def _place(self, user: Any, path: SagaPath) -> Order:
        order = services.order_place(
            customer=user,
            lines=[services.Wanted(sku="DEMO-1", quantity=1), services.Wanted(sku="DEMO-2", quantity=2)],
            shipping_address=events.ShippingAddress(
                name="Demo Customer", line1="1 Demo Street", city="Demo City", postal_code="12345", country=path.country
            ),
            payment_token=path.payment_token,
        )
        if path.cancel:
            services.order_cancel(order_id=order.id)
        return order

    def _list_products(self) -> None:
        for sku, name, price, tax_rate in PRODUCTS:
            product = Product.objects.filter(sku=sku).first() or Product(sku=sku)
            product.name, product.price, product.currency, product.tax_rate = name, price, "EUR", tax_rate
            product.listed = True
            catalog_services.product_save(product)
            self.stdout.write(f"  {sku}  {name}  {price} EUR + {(tax_rate * 100).normalize()} % tax")
        wait_for_price_list({sku for sku, *_ in PRODUCTS})

    def _user(self, username: str, password: str, **flags: bool) -> Any:
        user, created = get_user_model().objects.get_or_create(username=username, defaults=flags)
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get_or_create(name=DEMO_GROUP)[0])  # refused at login outside development
        return user


def wait_for_price_list(skus: set[str]) -> None:
    """Until orders' price list has the products (the workers carry the catalogue's events there)."""
    deadline = time.monotonic() + PRICE_LIST_WAIT_SECONDS
    while CatalogEntry.objects.filter(sku__in=skus, listed=True).count() < len(skus):
        if time.monotonic() > deadline:
            raise CommandError(
                "orders' price list has not received the demo products: are the workers running (make run)?"
            )
        time.sleep(0.2)


def _python() -> str:
    """This interpreter as the reader would type it: .venv/bin/python from the project's root."""
    here = Path(sys.executable)
    return os.path.relpath(here) if here.is_relative_to(Path.cwd()) else str(here)
