"""Building orders for the saga tests."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from orders import events as orders_events
from orders import services
from orders.models import Order


def customer(name: str = "customer"):
    user, _ = get_user_model().objects.get_or_create(username=name)
    return user


def place_order(*, token: str = "tok_ok", country: str = "DE", who: str = "customer") -> Order:
    return services.order_place(
        customer=customer(who),
        currency="EUR",
        lines=[orders_events.OrderLine(sku="SKU-1", quantity=2, unit_price=Decimal("9.90"))],
        shipping_address=orders_events.ShippingAddress(
            name="Ada", line1="1 Main St", city="Berlin", postal_code="10115", country=country
        ),
        payment_token=token,
    )
