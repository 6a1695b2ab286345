"""Catalogue commands: saving a product publishes what changed for buyers, in the same transaction."""

from __future__ import annotations

from django.db import transaction

from common.iso_codes import validate_currency
from eventbus import Event, publish

from . import events
from .models import Product

PRICE_FIELDS = ("price", "currency", "tax_rate")


def product_save(product: Product) -> list[Event]:
    """Save ``product`` (new or changed) and publish its news; returns the events published.

    A currency not in ISO 4217 is refused (Django's ValidationError) before anything is saved:
    buyers' price lists would carry it.
    """
    validate_currency(product.currency)
    with transaction.atomic():
        before = Product.objects.select_for_update().filter(pk=product.pk).first() if product.pk else None
        product.revision = (before.revision if before else 0) + 1
        product.save()
        news = _news(before, product)
        for event in news:
            publish(event, key=product.sku)
    return news


def _news(before: Product | None, after: Product) -> list[Event]:
    was_listed = before is not None and before.listed
    details = _details(after)
    if after.listed and not was_listed:
        return [events.ProductListed(product=details, revision=after.revision)]
    if was_listed and not after.listed:
        return [events.ProductDelisted(product=details, revision=after.revision)]
    if not after.listed or before is None:
        return []
    if after.name != before.name:
        return [events.ProductListed(product=details, revision=after.revision)]
    if any(getattr(after, field) != getattr(before, field) for field in PRICE_FIELDS):
        return [events.ProductPriceChanged(product=details, revision=after.revision, previous_price=before.price)]
    return []


def _details(product: Product) -> events.ProductDetails:
    return events.ProductDetails(
        sku=product.sku, name=product.name, price=product.price, currency=product.currency, tax_rate=product.tax_rate
    )
