"""The catalogue publishes what buyers must know, and orders' price list follows it in revision order."""

from decimal import Decimal

import pytest

from catalog import events, services
from catalog.models import Product
from eventbus.testing import capture_published, run_pending
from orders import services as orders_services
from orders.models import CatalogEntry

pytestmark = pytest.mark.django_db


def product(**changes) -> Product:
    fields = {"sku": "MUG", "name": "Mug", "price": Decimal("9.90"), "tax_rate": Decimal("0.19"), "listed": True}
    return Product(**{**fields, **changes})


def saved(item: Product) -> list[str]:
    with capture_published() as published:
        services.product_save(item)
    return published.types()


def test_each_change_a_buyer_must_know_of_publishes_one_event_and_others_none():
    mug = product(listed=False)
    assert saved(mug) == []
    mug.listed = True
    assert saved(mug) == ["catalog.ProductListed"]
    mug.price = Decimal("11.00")
    assert saved(mug) == ["catalog.ProductPriceChanged"]
    mug.name = "Enamel mug"
    assert saved(mug) == ["catalog.ProductListed"]
    assert saved(mug) == []
    mug.listed = False
    assert saved(mug) == ["catalog.ProductDelisted"]
    mug.price = Decimal("12.00")
    assert saved(mug) == []
    assert Product.objects.get().revision == 7


def test_the_price_list_follows_the_catalogue_through_the_bus():
    mug = product()
    services.product_save(mug)
    run_pending()
    assert CatalogEntry.objects.get(sku="MUG").price == Decimal("9.90")

    mug.price = Decimal("11.00")
    services.product_save(mug)
    run_pending()
    entry = CatalogEntry.objects.get(sku="MUG")
    assert (entry.price, entry.tax_rate, entry.listed, entry.revision) == (Decimal("11.00"), Decimal("0.19"), True, 2)

    mug.listed = False
    services.product_save(mug)
    run_pending()
    assert not CatalogEntry.objects.get(sku="MUG").listed


def test_an_older_revision_arriving_late_changes_nothing():
    details = events.ProductDetails(sku="MUG", name="Mug", price=Decimal("11.00"), currency="EUR", tax_rate=Decimal(0))
    orders_services.catalog_entry_copy(product=details, revision=3, listed=False)
    stale = details.model_copy(update={"price": Decimal("9.90")})
    orders_services.catalog_entry_copy(product=stale, revision=2, listed=True)
    orders_services.catalog_entry_copy(product=stale, revision=3, listed=True)

    entry = CatalogEntry.objects.get(sku="MUG")
    assert (entry.price, entry.listed, entry.revision) == (Decimal("11.00"), False, 3)
