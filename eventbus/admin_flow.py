"""The admin's flow page: the choreography drawn with each reaction's counts, and the workers seen.

``?window=`` chooses the span of the finished counts (15m, 1h, 24h, 7d); the page reloads itself
every ``REFRESH_SECONDS`` unless ``?refresh=off``. Every count links to the deliveries it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from eventbus.kernel.durations import age_label, duration_label
from eventbus.operations.flow import Reaction, choreography
from eventbus.operations.flow_chart import Lane, Node, chart
from eventbus.store import workers
from eventbus.store.flow_counts import EdgeCounts

WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
DEFAULT_WINDOW = "1h"
REFRESH_SECONDS = 30


@dataclass(frozen=True)
class Figure:
    """One number on the page, with what it counts and where those deliveries are listed."""

    value: str
    label: str
    href: str
    tone: str = ""


@dataclass(frozen=True)
class DrawnHandler:
    """A reaction's figures, each a link: the window's (done, recovered, p95) and now's."""

    node: Node
    done: Figure
    recovered: Figure
    p95: Figure | None
    retrying: Figure
    dead: Figure
    waiting: Figure
    oldest: Figure | None
    tone: str

    @property
    def window(self) -> list[Figure]:
        shown = [self.done] + ([self.recovered] if self.recovered.value != "0" else [])
        return shown + ([self.p95] if self.p95 else [])

    @property
    def now(self) -> list[Figure]:
        shown = [figure for figure in (self.retrying, self.dead, self.waiting) if figure.value != "0"]
        return shown + ([self.oldest] if self.oldest else [])


@dataclass(frozen=True)
class DrawnLane:
    lane: Lane
    queues: list[str]
    workers_up: int


def flow_page(request: HttpRequest) -> TemplateResponse:
    if not request.user.has_perm("eventbus.view_delivery"):
        raise PermissionDenied("The event flow is for staff who may view deliveries.")
    window = request.GET.get("window", DEFAULT_WINDOW)
    window = window if window in WINDOWS else DEFAULT_WINDOW
    refresh = request.GET.get("refresh") != "off"
    now = timezone.now()
    since = (now - WINDOWS[window]).replace(microsecond=0)
    flows = choreography(since=since, now=now)
    drawn = chart(flows)
    seen = workers.seen(now)
    handlers = [_drawn(node, node.reaction, since, now) for node in drawn.nodes if node.reaction is not None]
    tones = {handler.node.id: handler.tone for handler in handlers}
    by_subscriber = {handler.node.id: handler for handler in handlers}
    context = {
        **admin.site.each_context(request),
        "title": "Event flow",
        "flows": [(flow, [by_subscriber[reaction.subscriber] for reaction in flow.reactions]) for flow in flows],
        "chart": drawn,
        "handlers": handlers,
        "edges": [(edge, tones.get(edge.target.id, "") if edge.kind == "reacts" else "") for edge in drawn.edges],
        "lanes": [_lane(lane, seen, now) for lane in drawn.lanes],
        "workers": [(worker, worker.is_up(now)) for worker in seen],
        "workers_up": sum(worker.is_up(now) for worker in seen),
        "since": since,
        "window": window,
        "windows": [(name, _query(window=name, refresh=None if refresh else "off")) for name in WINDOWS],
        "refresh": REFRESH_SECONDS if refresh else None,
        "refresh_toggle": _query(window=window, refresh="off" if refresh else None),
        "dead_letters_url": reverse("admin:eventbus_deadletter_changelist"),
    }
    return TemplateResponse(request, "admin/eventbus/flow.html", context)


def _drawn(node: Node, reaction: Reaction, since: datetime, now: datetime) -> DrawnHandler:
    counts = reaction.counts
    edge = {"subscriber": reaction.subscriber, "event__type": node.flow.event_type if node.flow else ""}
    finished = {**edge, "state": "done", "finished_at__gte": since.isoformat()}
    pending = _deliveries({**edge, "state": "pending"})
    return DrawnHandler(
        node,
        done=Figure(str(counts.handled), "done", _deliveries(finished)),
        recovered=Figure(str(counts.recovered), "recovered", _deliveries({**finished, "attempts__gt": 1})),
        p95=Figure(duration_label(counts.p95_ms), "p95", _deliveries(finished)) if counts.p95_ms is not None else None,
        retrying=Figure(
            str(counts.retrying), "retrying", _deliveries({**edge, "state": "pending", "attempts__gt": 0}), "warn"
        ),
        dead=Figure(str(counts.dead), "dead", _dead_letters(edge), "dead"),
        waiting=Figure(str(counts.backlog), "waiting", pending),
        oldest=Figure(age_label((now - counts.oldest_due).total_seconds()), "oldest", pending, "late")
        if counts.oldest_due
        else None,
        tone=_tone(counts),
    )


def _lane(lane: Lane, seen: list[workers.SeenWorker], now: datetime) -> DrawnLane:
    queues = sorted({node.reaction.queue for node in lane.nodes if node.reaction and node.reaction.queue})
    up = sum(1 for worker in seen if worker.is_up(now) and set(worker.queues) & set(queues))
    return DrawnLane(lane, queues, up)


def _tone(counts: EdgeCounts) -> str:
    if counts.dead:
        return "dead"
    return "retrying" if counts.retrying else ""


def _deliveries(query: Mapping[str, object]) -> str:
    return f"{reverse('admin:eventbus_delivery_changelist')}?{urlencode(query)}"


def _dead_letters(query: Mapping[str, object]) -> str:
    return f"{reverse('admin:eventbus_deadletter_changelist')}?{urlencode(query)}"


def _query(**params: str | None) -> str:
    return "?" + urlencode({name: value for name, value in params.items() if value is not None})
