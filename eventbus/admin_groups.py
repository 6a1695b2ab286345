"""Dead letters grouped by subscriber and error fingerprint (``/admin/eventbus/deadletter/groups/``), each group
retried or discarded at once through the same confirmation and audit trail as every bus action."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from eventbus import operations
from eventbus.admin_actions import DISCARD, RETRY, confirmed, safe_next


def urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    site = model_admin.admin_site
    return [
        path("groups/", site.admin_view(partial(groups_view, model_admin)), name="eventbus_deadletter_groups"),
        *(
            path(
                f"groups/{verb}/",
                site.admin_view(require_POST(partial(group_action_view, model_admin, verb=verb))),
                name=f"eventbus_deadletter_groups_{verb}",
            )
            for verb in ("retry", "discard")
        ),
    ]


def groups_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    subscriber = request.GET.get("subscriber", "")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Dead letters by subscriber and error",
        "opts": model_admin.opts,
        "found": operations.dead_letter_groups(subscriber=subscriber),
        "subscriber": subscriber,
        "can_act": model_admin.has_change_permission(request),
        "here": request.get_full_path(),
    }
    return TemplateResponse(request, "admin/eventbus/dead_letter_groups.html", context)


def group_action_view(model_admin: admin.ModelAdmin, request: HttpRequest, *, verb: str) -> HttpResponse:
    """Retry or discard one group's dead letters, those up to the newest the operator saw, once confirmed."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    subscriber, fingerprint, up_to = _group(request)
    letters = operations.dead_letter_group(subscriber, fingerprint, up_to=up_to)
    back = safe_next(request) or reverse("admin:eventbus_deadletter_groups")
    action, run = (RETRY, operations.retry) if verb == "retry" else (DISCARD, operations.discard)

    def act(by: operations.Operator) -> None:
        done = run(letters, by=by)
        told = f"{done} dead letter(s) of {subscriber} ({fingerprint}): {action.verb.lower()} done."
        model_admin.message_user(request, told, messages.SUCCESS if done else messages.WARNING)

    asked = confirmed(
        request,
        action,
        letters,
        resubmit={"subscriber": [subscriber], "fingerprint": [fingerprint], "up_to": [str(up_to)], "next": [back]},
        back=back,
        act=act,
        explain=(lambda: operations.left_behind(letters)) if action is DISCARD else None,
        about=f"The dead letters of {subscriber} failing with “{fingerprint}”.",
    )
    return asked or HttpResponseRedirect(back)


def _group(request: HttpRequest) -> tuple[str, str, int]:
    try:
        return request.POST["subscriber"], request.POST["fingerprint"], int(request.POST["up_to"])
    except (KeyError, ValueError):
        raise BadRequest("a group is a subscriber, a fingerprint and the newest id seen") from None
