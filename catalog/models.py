"""The catalogue's products. Products are delisted, never deleted: orders refer to their sku."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True, validators=[RegexValidator(SKU_PATTERN)])
    name = models.CharField(max_length=200)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))], help_text="Net, per unit"
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[RegexValidator(r"^[A-Z]{3}\Z")])
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="0.19 for 19 %",
    )
    listed = models.BooleanField(default=False, help_text="On sale: customers can order it")
    revision = models.PositiveIntegerField(default=0, editable=False, help_text="One more with every save")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
