"""manage.py dispatch_shipment: the carrier picks a parcel up, or a one-line reason why not."""

from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command

from shipping.models import Shipment

pytestmark = pytest.mark.django_db


def dispatch(order_id: str) -> str:
    out = StringIO()
    call_command("dispatch_shipment", order_id, stdout=out)
    return out.getvalue()


def test_an_unknown_order_gets_a_clear_message():
    order_id = uuid4()

    with pytest.raises(CommandError, match=f"^no shipment for order {order_id}: is that an order's id\\?$"):
        dispatch(str(order_id))


def test_a_shipment_not_yet_booked_says_what_it_is():
    order_id = uuid4()
    Shipment.objects.create(order_id=order_id, status=Shipment.Status.AWAITING_PAYMENT, customer_id=1)

    with pytest.raises(CommandError, match=f"^shipment for {order_id} is awaiting_payment$"):
        dispatch(str(order_id))
