"""Building orders for the saga tests."""

from django.contrib.auth import get_user_model

from orders import events as orders_events
from orders import services
from orders.models import Order
from tests.price_list import on_sale


def customer(name: str = "customer"):
    user, _ = get_user_model().objects.get_or_create(username=name)
    return user


def place_order(*, token: str = "tok_ok", country: str = "DE", who: str = "customer") -> Order:
    on_sale("SKU-1", "9.90")
    return services.order_place(
        customer=customer(who),
        lines=[services.Wanted(sku="SKU-1", quantity=2)],
        shipping_address=orders_events.ShippingAddress(
            name="Ada", line1="1 Main St", city="Berlin", postal_code="10115", country=country
        ),
        payment_token=token,
    )
