"""manage.py dispatch_shipment ORDER_ID: the carrier picks a booked parcel up."""

from argparse import ArgumentParser
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from shipping import services
from shipping.models import Shipment


class Command(BaseCommand):
    help = "Hand a booked shipment to the carrier; from then on its order cannot be cancelled."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("order_id", type=UUID)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shipment = services.shipment_dispatch(order_id=options["order_id"])
        except Shipment.DoesNotExist:
            raise CommandError(f"no shipment for order {options['order_id']}: is that an order's id?") from None
        except services.ShipmentNotDispatchable as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"dispatched {shipment.carrier_reference}")
