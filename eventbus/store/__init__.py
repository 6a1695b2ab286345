"""The store: every query, lock and state change of the bus's tables, in one package.

``waiting`` defines what is due and what waits; ``delivering`` holds the engine's transitions;
``operating`` the operators'; ``subscriptions`` writes the code's subscribers as data; ``outbox``
turns envelopes into rows and back; ``history`` reads what happened (a saga's timeline);
``flow_counts`` counts per edge of the choreography and the bus's health; ``workers`` keeps workers' heartbeats;
``troubles`` reads, by saga, the deliveries that need attention (dead, discarded, retrying);
``statements`` holds the hot path's statements written by hand (and prepared on PostgreSQL).

The delivery state machine (docs/eventbus.md mirrors it):

| from | to | by |
| --- | --- | --- |
| (new) | pending | ``relay``, ``backfill`` |
| pending | running | ``claim`` (an attempt is counted, a lease taken) |
| running | done | ``start_handling`` inside the handler's transaction (it commits with the effects) |
| running | done | ``finish_sent``: a claim sent out of this database at once (forwarding), after the broker confirmed |
| running | pending | ``fail`` with a retry, ``hand_back`` (never started), ``release_expired_leases`` |
| running | dead | ``fail`` without attempts left, ``release_expired_leases`` on the last attempt |
| dead | pending | ``retry`` |
| dead | discarded | ``discard`` |
| pending | discarded | ``hand_over`` (its event forwarded to the service that now runs its subscriber) |
| done, dead, discarded | pending | ``replay`` |
"""

from eventbus.store.delivering import (
    Attempt,
    Claim,
    Relayed,
    claim,
    claimed,
    fail,
    finish_sent,
    hand_back,
    new_delivery,
    record_durations,
    relay,
    release_expired_leases,
    start_handling,
)
from eventbus.store.operating import (
    DEAD_LETTERS_GROUPED,
    DeadLetterGroup,
    DeadLetterGroups,
    Operator,
    audit,
    audit_more,
    backfill,
    dead_letter_group,
    dead_letter_groups,
    dead_letters,
    discard,
    hand_over,
    pause,
    reactions,
    replay,
    resume,
    retry,
    steps_of,
)
from eventbus.store.subscriptions import subscribed_queues
from eventbus.store.waiting import (
    BLOCKING_STATES,
    OPEN_STATES,
    Backlog,
    State,
    backlog,
    due_deliveries,
    due_events,
    queues_with_due_work,
)

__all__ = [
    "BLOCKING_STATES",
    "DEAD_LETTERS_GROUPED",
    "OPEN_STATES",
    "Attempt",
    "Backlog",
    "Claim",
    "DeadLetterGroup",
    "DeadLetterGroups",
    "Operator",
    "Relayed",
    "State",
    "audit",
    "audit_more",
    "backfill",
    "backlog",
    "claim",
    "claimed",
    "dead_letter_group",
    "dead_letter_groups",
    "dead_letters",
    "discard",
    "due_deliveries",
    "due_events",
    "fail",
    "finish_sent",
    "hand_back",
    "hand_over",
    "new_delivery",
    "pause",
    "queues_with_due_work",
    "reactions",
    "record_durations",
    "relay",
    "release_expired_leases",
    "replay",
    "resume",
    "retry",
    "start_handling",
    "steps_of",
    "subscribed_queues",
]
