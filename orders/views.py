"""The orders REST API: place (idempotently), list, read with the saga timeline, and cancel."""

from __future__ import annotations

from typing import Any

import django_filters
import http_sf
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from common.api import PROBLEM_JSON, READ_ERRORS, errors, field_errors, problem, problem_schema, signed_in
from common.ownership import reads_all
from common.parsers import JSONParser
from common.throttling import ScopedRateThrottle
from eventbus import Operator

from . import idempotency, selectors, services
from .api_examples import IDEMPOTENCY_KEY_EXAMPLE, PLACE_ORDER_EXAMPLES, PLACED_EXAMPLE
from .models import Order
from .serializers import CancelRequestSerializer, OrderDetailSerializer, OrderPlacementSerializer, OrderSerializer

IDEMPOTENCY_HEADER = "Idempotency-Key"
WRITE_ACTIONS = {"create", "cancel"}

KEY_IN_FLIGHT = "urn:shop:problem:idempotency-key-in-flight"
KEY_REUSED = "urn:shop:problem:idempotency-key-reused"
TOO_LATE_TO_CANCEL = "urn:shop:problem:too-late-to-cancel"
Refusal = problem_schema("Refusal", reason=serializers.ChoiceField(["already_dispatched", "already_cancelled"]))
FieldErrors = field_errors("Validation errors, by field")
WRITE_ERRORS = {**READ_ERRORS, **errors(429)}


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)

    class Meta:
        model = Order
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="Orders the caller may see, newest first",
        responses={200: OrderSerializer, **FieldErrors, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One order with its payment, shipment and saga timeline",
        responses={200: OrderDetailSerializer, **READ_ERRORS},
    ),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    throttle_scope = "writes"
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Order]:
        orders = selectors.order_list(user=self.request.user)
        return orders.prefetch_related("lines") if self.action == "retrieve" else orders

    def get_throttles(self) -> list[BaseThrottle]:
        return [ScopedRateThrottle()] if self.action in WRITE_ACTIONS else []

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        staff_view = reads_all(request.user, Order)
        context = {
            **self.get_serializer_context(),
            "timeline": selectors.order_timeline(order.id, across_services=staff_view),
            "staff_view": staff_view,
        }
        return Response(OrderDetailSerializer(order, context=context).data)

    @extend_schema(
        summary="Place an order",
        description="Pick an example (one per saga path, its card token or country named), set the "
        "`Idempotency-Key`, and execute: 201 with the order, `pending`, and its URL in `Location` (the "
        "link below). Poll `GET /api/orders/{id}/` to watch its saga. Each new order needs a new key: "
        "Swagger UI keeps the value between tries, and the same key answers again with the first "
        "order (same body) or 422 (another body).",
        request=OrderPlacementSerializer,
        examples=[*PLACE_ORDER_EXAMPLES, PLACED_EXAMPLE],
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Chosen by the client, unique per order it means to place; kept 24 hours. "
                "A retry with the same key and body gets the first answer. An RFC 8941 String, as "
                "draft-ietf-httpapi-idempotency-key-header says: in double quotes, "
                f'`{IDEMPOTENCY_KEY_EXAMPLE}`, printable ASCII, `\\"` and `\\\\` its only escapes; the '
                "same key unquoted is accepted and is the same key. Change it (any character) for each "
                "new order.",
                examples=[
                    OpenApiExample(
                        "uuid",
                        summary="A UUID, as an RFC 8941 String (quotes included)",
                        value=IDEMPOTENCY_KEY_EXAMPLE,
                    )
                ],
            ),
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                required=True,
                response=[201],
                description="The new order's URL, `GET /api/orders/{id}/`",
            ),
        ],
        responses={
            201: OrderSerializer,
            **FieldErrors,
            **errors(409, 415, 422),
            **WRITE_ERRORS,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _idempotency_key(request)
        placement = OrderPlacementSerializer(data=request.data)
        placement.is_valid(raise_exception=True)
        try:
            outcome = idempotency.begin(
                user=signed_in(request), key=key, request_fingerprint=idempotency.fingerprint(request.data)
            )
        except idempotency.KeyInFlight:
            return _key_in_flight()
        except idempotency.KeyReused:
            detail = "This Idempotency-Key was used with a different request body."
            return problem(422, detail, type=KEY_REUSED, title="Idempotency-Key reused")
        if isinstance(outcome, idempotency.Replay):
            return Response(
                outcome.body, status=outcome.status, headers={**outcome.headers, "Idempotent-Replayed": "true"}
            )
        return self._place(request, placement, outcome)

    def _place(self, request: Request, placement: OrderPlacementSerializer, claim: idempotency.Claim) -> Response:
        try:
            with transaction.atomic():
                order = _placed(request, placement)
                body = OrderSerializer(order).data
                headers = {"Location": request.build_absolute_uri(reverse("order-detail", kwargs={"pk": order.id}))}
                idempotency.complete(claim, status=status.HTTP_201_CREATED, body=body, headers=headers)
        except idempotency.ClaimLost:
            return _key_in_flight()
        except BaseException:
            idempotency.abandon(claim)
            raise
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        summary="Ask to cancel an order",
        description="202: the request is on its way to shipping, which alone knows whether the parcel can "
        "still be stopped; the order's `cancellation` then shows the outcome. 409: too late. Staff "
        "cancelling another customer's order need `orders.cancel_order` (else 403); it is recorded as "
        "`operator_cancelled`, with their username, and joins the audit trail with the `reason` given.",
        request=CancelRequestSerializer,
        responses={
            202: OrderSerializer,
            (409, PROBLEM_JSON): Refusal,
            **field_errors("A reason longer than 500 characters, or not a string."),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        user = signed_in(request)
        asked = CancelRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        operator = None
        if order.customer_id != user.pk:  # staff who may see it; cancelling it is a permission of its own
            if not user.has_perm("orders.cancel_order"):
                return problem(
                    status.HTTP_403_FORBIDDEN, "Cancelling another customer's order needs orders.cancel_order."
                )
            operator = Operator(user.get_username(), via="api", reason=asked.validated_data["reason"])
        try:
            order = services.order_cancel(order_id=order.id, operator=operator)
        except services.OrderCannotBeCancelled as refused:
            detail = "This order can no longer be cancelled."
            return problem(409, detail, type=TOO_LATE_TO_CANCEL, title="Too late to cancel", reason=refused.reason)
        return Response(OrderSerializer(order).data, status=status.HTTP_202_ACCEPTED)


def _key_in_flight() -> Response:
    detail = "A request with this Idempotency-Key is still in flight."
    return problem(status.HTTP_409_CONFLICT, detail, type=KEY_IN_FLIGHT, title="Idempotency-Key in flight")


def _placed(request: Request, placement: OrderPlacementSerializer) -> Order:
    """The order, priced by the shop; a line it cannot price is a 400 naming the line (by index)."""
    try:
        return services.order_place(customer=signed_in(request), **placement.command())
    except services.LinesNotPriced as unpriced:
        raise ValidationError({"lines": {str(i): {"sku": [why]} for i, why in unpriced.problems.items()}}) from None
    except services.OrderTooLarge as too_large:
        raise ValidationError({"lines": [str(too_large)]}) from None


def _idempotency_key(request: Request) -> str:
    """The key: an RFC 8941 String (``"8e03…"``), as the IETF draft says; a bare value is taken as it is."""
    value = request.headers.get(IDEMPOTENCY_HEADER, "").strip(" \t")
    if not value:
        raise ValidationError({IDEMPOTENCY_HEADER: ["This header is required."]})
    if value.startswith('"'):
        key = _structured_string(value)
    elif all(" " <= character <= "~" for character in value):
        key = value  # the bare form clients sent before the draft: the same key as its quoted form
    else:
        raise ValidationError({IDEMPOTENCY_HEADER: ["This header may contain only printable ASCII characters."]})
    if not key:
        raise ValidationError({IDEMPOTENCY_HEADER: ["This header must not be an empty String."]})
    if len(key) > 255:
        raise ValidationError({IDEMPOTENCY_HEADER: ["Ensure this header has no more than 255 characters."]})
    return key


def _structured_string(value: str) -> str:
    """A String Item's value (its parameters, none defined, are ignored as RFC 8941 says)."""
    try:  # WSGI hands header bytes over as latin-1: encoding gives the parser the bytes sent
        item = http_sf.parse(value.encode("latin-1"), tltype="item")
    except (http_sf.StructuredFieldError, UnicodeEncodeError) as malformed:
        message = f"This header is not a structured-field String: {malformed}."
        raise ValidationError({IDEMPOTENCY_HEADER: [message]}) from None
    if not (isinstance(item, tuple) and isinstance(item[0], str)):
        raise ValidationError({IDEMPOTENCY_HEADER: ["This header is not a structured-field String."]})
    return item[0]
