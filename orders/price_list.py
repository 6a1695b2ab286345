"""GET /api/products/: what can be ordered, at the prices an order placed now is charged.

Served from orders' own copy of the catalogue, the same rows that price an order, so what a
customer reads here is what the next order costs (unless the catalogue changes in between).
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from common.api import errors

from .models import CatalogEntry
from .serializers import ProductSerializer


@extend_schema_view(
    list=extend_schema(summary="Products on sale, with their prices (no login needed)"),
    retrieve=extend_schema(summary="One product on sale", responses={200: ProductSerializer, **errors(404)}),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProductSerializer
    authentication_classes = []  # public: nothing here depends on who asks
    permission_classes = [AllowAny]
    lookup_field = "sku"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

    def get_queryset(self) -> QuerySet[CatalogEntry]:
        return CatalogEntry.objects.filter(listed=True).order_by("sku")
