"""Admin for the catalogue: the one place products and prices are set; every save publishes its news."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.iso_codes import validate_currency

from . import services
from .models import Product


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "price", "currency", "tax_rate", "listed"]

    def clean_currency(self) -> str:
        """ISO 4217, checked against the list: the model's own check is only the shape."""
        currency: str = self.cleaned_data["currency"]
        validate_currency(currency)
        return currency


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["sku", "name", "price", "currency", "tax_rate", "listed", "revision", "updated_at"]
    list_filter = ["listed", "currency"]
    search_fields = ["sku", "name"]
    actions = ["list_products", "delist_products"]

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        """A sku names the product in orders: set once."""
        return ["sku", "revision"] if obj else ["revision"]

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        services.product_save(obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # delist instead: orders keep referring to the sku

    @admin.action(description="List the selected products (on sale)", permissions=["change"])
    def list_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_listed(request, queryset, listed=True)

    @admin.action(description="Delist the selected products", permissions=["change"])
    def delist_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_listed(request, queryset, listed=False)

    def _set_listed(self, request: HttpRequest, queryset: QuerySet[Product], *, listed: bool) -> None:
        changed = 0
        for product in queryset.exclude(listed=listed):
            product.listed = listed
            services.product_save(product)
            changed += 1
        messages.success(request, f"{changed} product(s) {'listed' if listed else 'delisted'}.")
