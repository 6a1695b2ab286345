"""Products on sale in orders' price list, for tests that place orders without running the catalogue."""

from decimal import Decimal

from orders.models import CatalogEntry


def on_sale(sku: str = "SKU-1", price: str = "9.90", *, tax_rate: str = "0", currency: str = "EUR") -> CatalogEntry:
    """The price list as if the catalogue had listed the product (a newer revision each call)."""
    current = CatalogEntry.objects.filter(sku=sku).first()
    entry, _ = CatalogEntry.objects.update_or_create(
        sku=sku,
        defaults={
            "name": f"Product {sku}",
            "price": Decimal(price),
            "currency": currency,
            "tax_rate": Decimal(tax_rate),
            "listed": True,
            "revision": current.revision + 1 if current else 1,
        },
    )
    return entry
