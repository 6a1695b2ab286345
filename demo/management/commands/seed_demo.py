"""manage.py seed_demo: a demo customer, an admin operator, and one order down each path of the saga."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from orders import events, services

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
OPERATOR_USER = "operator"
OPERATOR_PASSWORD = "operator-password"

PATHS = [
    ("happy path: paid, shipped, confirmed", "tok_ok", "DE", False),
    ("flaky provider: retried twice, then confirmed", "tok_flaky", "FR", False),
    ("declined card: cancelled (payment_declined)", "tok_declined", "DE", False),
    ("unserved country: refunded, cancelled (shipping_failed)", "tok_ok", "AQ", False),
    ("customer cancels at once: cancelled (customer_cancelled)", "tok_ok", "NL", True),
]
# tok_slow (cancelled at the payment deadline, then refunded) is left out: its fake provider holds a
# worker for the whole deadline (15 minutes by default), which would stall the embedded SQLite demo.


class Command(BaseCommand):
    help = "Create a demo customer (printing its API token), an admin operator, and orders covering every saga path."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with known passwords: run it with DEBUG=1 only")
        user = self._user(DEMO_USER, DEMO_PASSWORD)
        self._user(OPERATOR_USER, OPERATOR_PASSWORD, is_staff=True, is_superuser=True)
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"customer: {DEMO_USER} / {DEMO_PASSWORD}   API token: {token.key}")
        self.stdout.write(f"admin:    {OPERATOR_USER} / {OPERATOR_PASSWORD}   http://127.0.0.1:8000/admin/")
        for title, payment_token, country, cancel in PATHS:
            order = services.order_place(
                customer=user,
                currency="EUR",
                lines=[events.OrderLine(sku="DEMO-1", quantity=1, unit_price=Decimal("19.90"))],
                shipping_address=events.ShippingAddress(
                    name="Demo Customer", line1="1 Demo Street", city="Demo City", postal_code="12345", country=country
                ),
                payment_token=payment_token,
            )
            if cancel:
                services.order_cancel(order_id=order.id)
            self.stdout.write(f"{order.id}  {title}")
        self.stdout.write(
            "Watch them move: manage.py eventbus status; dispatch a confirmed one: manage.py dispatch_shipment ORDER_ID"
        )

    def _user(self, username: str, password: str, **flags: bool) -> Any:
        user, created = get_user_model().objects.get_or_create(username=username, defaults=flags)
        if created:
            user.set_password(password)
            user.save()
        return user
