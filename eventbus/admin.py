"""Admin pages for the outbox (read-only), subscriptions (pause, resume), deliveries and dead letters."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from eventbus import admin_groups, operations
from eventbus.admin_actions import (
    DISCARD,
    PAUSE,
    REPLAY,
    RESUME,
    RETRY,
    BusAction,
    confirmed,
    delivery_buttons,
    discard_deliveries,
    pause_button,
    pause_subscriptions,
    replay_deliveries,
    resume_subscriptions,
    retry_deliveries,
    safe_next,
)
from eventbus.kernel import sensitive
from eventbus.models import DeadLetter, Delivery, InboxRejection, OperatorAction, OutboxEvent, Subscription


class BusRowsAdmin(admin.ModelAdmin):
    """The bus's rows: never added or deleted by hand, every field read-only.

    They change only through the page's actions, which need the change permission: a row's page
    shows the buttons of those actions and no Save, Delete or Save and continue.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Asked without a row, the actions' permission; of a row, no: its page is a view (no Save), with
        the actions as buttons."""
        return obj is None and super().has_change_permission(request)

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
    change_form_template = "admin/eventbus/row_change_form.html"

    def get_urls(self) -> list[URLPattern]:
        buttons = [
            path(
                f"<str:subscriber>/{verb}/",
                self.admin_site.admin_view(require_POST(self.button_view)),
                {"verb": verb},
                name=f"eventbus_subscription_{verb}",
            )
            for verb in ("pause", "resume")
        ]
        return [*buttons, *super().get_urls()]

    def button_view(self, request: HttpRequest, subscriber: str, verb: str) -> HttpResponse:
        """Pause or resume one subscriber (buttons on its page and its deliveries'), once confirmed."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        back = safe_next(request) or reverse("admin:eventbus_subscription_change", args=[quote(subscriber)])
        action, run = (PAUSE, operations.pause) if verb == "pause" else (RESUME, operations.resume)

        def act(by: operations.Operator) -> None:
            if run(subscriber, by=by):
                self.message_user(request, f"{subscriber}: {verb}d.", messages.SUCCESS)
            else:
                self.message_user(request, f"{subscriber}: nothing changed.", messages.WARNING)

        rows = Subscription.objects.filter(id=subscriber)
        return confirmed(request, action, rows, resubmit={"next": [back]}, back=back, act=act) or (
            HttpResponseRedirect(back)
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        subscription = self.get_object(request, object_id)
        if subscription is not None and self.has_change_permission(request):
            here = request.get_full_path()
            extra_context = {**(extra_context or {}), "bus_buttons": [pause_button(subscription, here)]}
        return super().change_view(request, object_id, form_url, extra_context)


@dataclass(frozen=True)
class DeliveryVerb:
    """A button's action on one delivery: what it runs, and what it says after."""

    action: BusAction
    run: Callable[..., int]
    done: str
    nothing: str
    explained: bool = False


DELIVERY_VERBS = {
    "retry": DeliveryVerb(
        RETRY, operations.retry, "queued again, with fresh attempts", "is neither dead nor discarded"
    ),
    "discard": DeliveryVerb(DISCARD, operations.discard, "discarded", "is not dead", explained=True),
    "replay": DeliveryVerb(REPLAY, operations.replay, "queued to run again", "is not finished"),
}


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
    change_form_template = "admin/eventbus/row_change_form.html"

    def get_urls(self) -> list[URLPattern]:
        buttons = [
            path(
                f"<int:delivery_id>/{verb}/",
                self.admin_site.admin_view(require_POST(self.button_view)),
                {"verb": verb},
                name=f"eventbus_delivery_{verb}",
            )
            for verb in DELIVERY_VERBS
        ]
        return [*buttons, *super().get_urls()]

    def button_view(self, request: HttpRequest, delivery_id: int, verb: str) -> HttpResponse:
        """Retry, discard or run again one delivery (buttons on a saga's timeline and on the delivery's page),
        once confirmed; then back to the page it came from (``next``), or to the delivery's."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        own_page = reverse("admin:eventbus_delivery_change", args=[delivery_id])
        back = safe_next(request) or own_page
        deliveries = Delivery.objects.filter(id=delivery_id)
        chosen = DELIVERY_VERBS[verb]

        def act(by: operations.Operator) -> None:
            done = chosen.run(deliveries, by=by)
            if done:
                told = f"Delivery {delivery_id}: {chosen.action.verb.lower()} done ({chosen.done})."
            else:
                told = f"Delivery {delivery_id} {chosen.nothing}: nothing changed."
            self.message_user(request, told, messages.SUCCESS if done else messages.WARNING)

        asked = confirmed(
            request,
            chosen.action,
            deliveries,
            resubmit={"next": [back]},
            back=back,
            act=act,
            explain=(lambda: operations.left_behind(deliveries)) if chosen.explained else None,
            saga_page=back if back != own_page else "",
        )
        return asked or HttpResponseRedirect(back)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        delivery = self.get_object(request, object_id)
        if delivery is not None and self.has_change_permission(request):
            extra_context = {**(extra_context or {}), "bus_buttons": delivery_buttons(delivery)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdmin):
    list_display = ["id", "subscriber", "event_type", "key", "attempts", "finished_at", "last_error"]
    list_filter = ["subscriber", "event__type"]
    change_list_template = "admin/eventbus/dead_letter_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(state=Delivery.State.DEAD)

    # A dead letter is a delivery: the deliveries' permissions, not the proxy's own, which would let
    # a holder of change_deadletter act on deliveries without change_delivery.
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return any(request.user.has_perm(f"eventbus.{perm}_delivery") for perm in ("view", "change"))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and request.user.has_perm("eventbus.change_delivery")

    def get_urls(self) -> list[URLPattern]:
        # The delivery buttons live on the deliveries' URLs; the groups are the dead letters' own.
        return [*admin_groups.urls(self), *admin.ModelAdmin.get_urls(self)]


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
