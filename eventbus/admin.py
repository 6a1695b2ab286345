"""Admin pages for the outbox (read-only), subscriptions (pause, resume), deliveries and dead letters."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from eventbus import operations
from eventbus.admin_actions import (
    DISCARD,
    RETRY,
    confirmed,
    discard_deliveries,
    pause_subscriptions,
    replay_deliveries,
    resume_subscriptions,
    retry_deliveries,
)
from eventbus.kernel import sensitive
from eventbus.models import DeadLetter, Delivery, InboxRejection, OperatorAction, OutboxEvent, Subscription


class BusRowsAdmin(admin.ModelAdmin):
    """The bus's rows: never added or deleted by hand, every field read-only.

    They change only through the page's actions, which need the change permission.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


@admin.register(OutboxEvent)
class OutboxEventAdmin(BusRowsAdmin):
    """Published events are facts: no action changes them."""

    list_display = ["id", "type", "version", "key", "time", "deliver_at", "dispatched_at", "received_from"]
    list_filter = ["type", "received_from"]
    search_fields = ["=event_id", "=key", "=correlation_id"]
    date_hierarchy = "time"

    exclude = ["data"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [name if name != "data" else "payload" for name in super().get_readonly_fields(request, obj)]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """No filtering on the payload from the URL (``?data__payment_token=...``): it would answer
        guesses about values the page masks."""
        return not lookup.startswith("data") and super().lookup_allowed(lookup, value, request)

    @admin.display(description="data")
    def payload(self, row: OutboxEvent) -> str:
        """The payload with its sensitive fields masked, sealed or (stored before sealing) in clear."""
        shown = sensitive.masked(row.data, sensitive.sensitive_fields_of(row.type))
        return format_html("<pre>{}</pre>", json.dumps(shown, indent=2, ensure_ascii=False))


@admin.register(Subscription)
class SubscriptionAdmin(BusRowsAdmin):
    list_display = [
        "id",
        "event_type",
        "queue",
        "ordered",
        "max_attempts",
        "timeout_seconds",
        "paused_at",
        "retired_at",
        "forward_to",
    ]
    list_filter = ["queue", "event_type"]
    search_fields = ["id", "event_type"]
    actions = [pause_subscriptions, resume_subscriptions]


@admin.register(Delivery)
class DeliveryAdmin(BusRowsAdmin):
    list_display = [
        "id",
        "subscriber",
        "event_type",
        "key",
        "state",
        "attempts",
        "duration_ms",
        "available_at",
        "finished_at",
    ]
    list_filter = ["state", "subscriber", "event__type"]
    search_fields = ["=key", "=event__event_id"]
    list_select_related = ["event"]
    actions = [retry_deliveries, discard_deliveries, replay_deliveries]

    def get_urls(self) -> list[URLPattern]:
        buttons = [
            path(
                f"<int:delivery_id>/{verb}/",
                self.admin_site.admin_view(require_POST(self.button_view)),
                {"verb": verb},
                name=f"eventbus_delivery_{verb}",
            )
            for verb in ("retry", "discard")
        ]
        return [*buttons, *super().get_urls()]

    def button_view(self, request: HttpRequest, delivery_id: int, verb: str) -> HttpResponse:
        """Retry or discard one dead delivery (buttons on a saga's timeline), once confirmed; then back there."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:eventbus_delivery_change", args=[delivery_id])
        deliveries = Delivery.objects.filter(id=delivery_id)
        action, run = (RETRY, operations.retry) if verb == "retry" else (DISCARD, operations.discard)

        def act(by: operations.Operator) -> None:
            done = run(deliveries, by=by)
            message = (
                f"Delivery {delivery_id}: {action.verb.lower()} done."
                if done
                else f"Delivery {delivery_id} is not dead."
            )
            self.message_user(request, message, messages.SUCCESS if done else messages.WARNING)

        asked = confirmed(request, action, deliveries, resubmit={"next": [back]}, back=back, act=act)
        return asked or HttpResponseRedirect(back)

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdmin):
    list_display = ["id", "subscriber", "event_type", "key", "attempts", "finished_at", "last_error"]
    list_filter = ["subscriber", "event__type"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(state=Delivery.State.DEAD)

    def get_urls(self) -> list[URLPattern]:
        # The retry and discard buttons live on the deliveries page alone.
        return admin.ModelAdmin.get_urls(self)


@admin.register(OperatorAction)
class OperatorActionAdmin(BusRowsAdmin):
    """The audit trail, read-only for everyone: no action changes or deletes a record."""

    list_display = ["at", "operator", "via", "action", "target", "count", "reason"]
    list_filter = ["action", "via", "operator"]
    search_fields = ["operator", "target", "reason"]
    date_hierarchy = "at"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(InboxRejection)
class InboxRejectionAdmin(BusRowsAdmin):
    """Messages from other services that the inbox could not read, with why; kept, never retried."""

    list_display = ["received_at", "queue", "reason"]
    list_filter = ["queue"]
    search_fields = ["reason"]
    date_hierarchy = "received_at"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
