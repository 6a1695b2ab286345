"""What the catalog context publishes: each event carries the product's whole state for buyers.

Event-carried state transfer: a context that sells products keeps its own copy from these events
alone, and ``revision`` (one more with every save) tells it which of two events is newer, whatever
order they arrive in. No Django here, only pydantic.
"""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from eventbus.kernel import Event


class ProductDetails(BaseModel):
    """What a buyer pays for a product: the net unit price and the tax rate on it (0.19 = 19 %)."""

    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price: Decimal = Field(gt=0, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tax_rate: Decimal = Field(ge=0, le=1, decimal_places=4)


class ProductListed(Event, type="catalog.ProductListed"):
    """On sale with these details: a product newly listed, or a listed product renamed."""

    product: ProductDetails
    revision: int = Field(gt=0)


class ProductPriceChanged(Event, type="catalog.ProductPriceChanged"):
    """A listed product's price, currency or tax rate changed; ``product`` holds the new ones."""

    product: ProductDetails
    revision: int = Field(gt=0)
    previous_price: Decimal = Field(gt=0, decimal_places=2)


class ProductDelisted(Event, type="catalog.ProductDelisted"):
    """No longer on sale; ``product`` holds its last details."""

    product: ProductDetails
    revision: int = Field(gt=0)
