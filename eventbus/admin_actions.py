"""The bus's admin actions: each asks for confirmation and a reason (kept in the audit trail) first.

Retry, discard and replay on deliveries and dead letters, pause and resume on subscribers, the
buttons on a saga's timeline and on a delivery's page, and the dead-letter groups' actions all go
through ``confirmed``: the first POST shows what the action will do, to which rows (for a discard,
what it leaves behind), and asks why; the second (with ``confirm``) acts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from eventbus import operations
from eventbus.models import Delivery, Subscription

SHOWN_ROWS = 50


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="Kept in the audit trail (Operator actions) with your name.",
    )

    def __init__(self, data: QueryDict | None, *, required: bool) -> None:
        super().__init__(data)
        self.fields["reason"].required = required


@dataclass(frozen=True)
class BusAction:
    """One action: its verb, what it does to the rows, and what confirming it leaves behind."""

    verb: str
    description: str  # in the changelist's action menu
    consequence: str
    warning: str = ""
    reason_required: bool = False
    destructive: bool = False


RETRY = BusAction(
    "Retry", "Retry now (fresh attempts)", "Each dead or discarded delivery gets a fresh set of attempts, due now."
)
DISCARD = BusAction(
    "Discard",
    "Discard (give up)",
    "Each dead delivery is given up for good; later events of an ordered key stop waiting for it.",
    warning="The handler will never run for these events, and nothing will try it again: a saga waiting on "
    "one stays where it is until an operator acts on it.",
    reason_required=True,
    destructive=True,
)
REPLAY = BusAction(
    "Run again",
    "Run again (replay: the handler runs once more)",
    "Each finished delivery runs its handler once more, with fresh attempts.",
)
PAUSE = BusAction(
    "Pause",
    "Pause (deliveries wait and spend no attempts)",
    "The subscribers' deliveries wait, spending no attempts, until they are resumed.",
)
RESUME = BusAction("Resume", "Resume", "The subscribers' waiting deliveries are handed out again.")


@dataclass(frozen=True)
class Button:
    """An action's button on a row's page: it posts to ``url`` (which confirms first), then comes back to ``back``."""

    label: str
    url: str
    back: str
    css: str


def delivery_buttons(delivery: Delivery) -> list[Button]:
    """The actions open to a delivery in its state, and its subscriber's pause or resume; back to the
    delivery's own page (a dead letter's page no longer lists it once retried or discarded)."""
    back = reverse("admin:eventbus_delivery_change", args=[delivery.id])
    verbs = {
        Delivery.State.DEAD: [("retry", "Retry"), ("discard", "Discard…")],
        Delivery.State.DISCARDED: [("retry", "Retry")],
        Delivery.State.DONE: [("replay", "Run again")],
    }.get(Delivery.State(delivery.state), [])
    buttons = [
        Button(label, reverse(f"admin:eventbus_delivery_{verb}", args=[delivery.id]), back, verb)
        for verb, label in verbs
    ]
    subscription = Subscription.objects.filter(id=delivery.subscriber).first()
    return buttons + ([pause_button(subscription, back, named=True)] if subscription else [])


def pause_button(subscription: Subscription, back: str, *, named: bool = False) -> Button:
    verb = "resume" if subscription.paused_at else "pause"
    label = f"{verb.capitalize()} {subscription.id}" if named else verb.capitalize()
    return Button(label, reverse(f"admin:eventbus_subscription_{verb}", args=[subscription.id]), back, verb)


def safe_next(request: HttpRequest) -> str:
    """The page an action came from (``next``), if it is on this site; else ""."""
    asked = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        asked, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return asked if asked and allowed else ""


def operator(request: HttpRequest, reason: str) -> operations.Operator:
    return operations.Operator(request.user.get_username(), via="admin", reason=reason)


def confirmed(
    request: HttpRequest,
    action: BusAction,
    rows: Iterable[object],
    *,
    resubmit: dict[str, list[str]],
    back: str,
    act: Callable[[operations.Operator], None],
    explain: Callable[[], list[operations.LeftBehind]] | None = None,
    saga_page: str = "",
    about: str = "",
) -> HttpResponse | None:
    """Ask first; once confirmed with a valid reason, ``act`` as the operator and answer None.

    ``explain`` says what the action leaves behind (a discard's); ``saga_page`` is the saga's page the
    action came from, linked as the way back; ``about`` says which rows, when a list of them is not enough.
    """
    form = ReasonForm(request.POST if "confirm" in request.POST else None, required=action.reason_required)
    if form.is_valid():
        act(operator(request, form.cleaned_data["reason"]))
        return None
    listed = list(rows)
    context = {
        **admin.site.each_context(request),
        "title": f"{action.verb}: are you sure?",
        "action": action,
        "rows": listed[:SHOWN_ROWS],
        "more": max(len(listed) - SHOWN_ROWS, 0),
        "form": form,
        "resubmit": [(name, value) for name, values in resubmit.items() for value in values],
        "back": back,
        "left_behind": explain() if explain else [],
        "saga_page": saga_page,
        "about": about,
    }
    return TemplateResponse(request, "admin/eventbus/confirm_action.html", context)


def _bulk(
    name: str,
    action: BusAction,
    run: Callable[[QuerySet, operations.Operator], str],
    explain: Callable[[QuerySet], list[operations.LeftBehind]] | None = None,
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]:
    """The changelist action ``name``, which confirms first; ``run`` acts and says what it did, ``explain``
    what it leaves behind."""

    @admin.action(description=action.description, permissions=["change"])
    def bulk(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def act(by: operations.Operator) -> None:
            modeladmin.message_user(request, run(queryset, by), messages.SUCCESS)

        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        resubmit = {"action": [name], helpers.ACTION_CHECKBOX_NAME: selected}
        return confirmed(
            request,
            action,
            queryset,
            resubmit=resubmit,
            back=request.get_full_path(),
            act=act,
            explain=(lambda: explain(queryset)) if explain else None,
        )

    bulk.__name__ = name  # the admin knows an action by its function's name
    return bulk


def _retry_deliveries(deliveries: QuerySet[Delivery], by: operations.Operator) -> str:
    return f"{operations.retry(deliveries, by=by)} delivery(ies) queued again."


def _discard_deliveries(deliveries: QuerySet[Delivery], by: operations.Operator) -> str:
    return f"{operations.discard(deliveries, by=by)} dead letter(s) discarded."


def _replay_deliveries(deliveries: QuerySet[Delivery], by: operations.Operator) -> str:
    return f"{operations.replay(deliveries, by=by)} finished delivery(ies) queued again."


def _pause_subscriptions(subscriptions: QuerySet[Subscription], by: operations.Operator) -> str:
    count = sum(operations.pause(row.id, by=by) for row in subscriptions.filter(paused_at__isnull=True))
    return f"{count} subscriber(s) paused."


def _resume_subscriptions(subscriptions: QuerySet[Subscription], by: operations.Operator) -> str:
    count = sum(operations.resume(row.id, by=by) for row in subscriptions.filter(paused_at__isnull=False))
    return f"{count} subscriber(s) resumed."


retry_deliveries = _bulk("retry_deliveries", RETRY, _retry_deliveries)
discard_deliveries = _bulk("discard_deliveries", DISCARD, _discard_deliveries, operations.left_behind)
replay_deliveries = _bulk("replay_deliveries", REPLAY, _replay_deliveries)
pause_subscriptions = _bulk("pause_subscriptions", PAUSE, _pause_subscriptions)
resume_subscriptions = _bulk("resume_subscriptions", RESUME, _resume_subscriptions)
