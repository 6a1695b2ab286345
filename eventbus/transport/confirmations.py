"""Publisher confirms: the broker's answers (ack, nack, return) to what one confirm-mode channel
published, kept by delivery tag, so a batch published at once learns each event's outcome."""

from __future__ import annotations

from amqp import Message


class BrokerUnavailable(Exception):
    """The broker did not confirm the message: it is down, slow, full, or has no queue for it."""


class Confirmations:
    """The broker's answers to what one channel in confirm mode published, by delivery tag."""

    def __init__(self) -> None:
        self.published = 0  # the last delivery tag used: the broker numbers a channel's messages from 1
        self.waiting: dict[int, str] = {}  # delivery tag → event id, until the broker answers
        self.refused: dict[int, str] = {}  # delivery tag → why, until the publisher reads it
        self._tags: dict[str, int] = {}  # event id → delivery tag, to place a returned message

    def sent(self, event_id: str) -> int:
        self.published += 1
        self.waiting[self.published] = event_id
        self._tags[event_id] = self.published
        return self.published

    def ack(self, tag: int, multiple: bool) -> None:
        for settled in self._settled(tag, multiple):
            self._tags.pop(self.waiting.pop(settled), None)

    def nack(self, tag: int, multiple: bool) -> None:
        for settled in self._settled(tag, multiple):
            self.refused.setdefault(settled, "the broker refused it (nack)")
            self._tags.pop(self.waiting.pop(settled), None)

    def returned(self, error: BaseException, exchange: str, routing_key: str, message: Message) -> None:
        """An unroutable message comes back before the broker's ack of it."""
        event_id = (message.properties.get("application_headers") or {}).get("id")
        tag = self._tags.get(str(event_id))
        if tag is not None:
            self.refused[tag] = f"returned unroutable ({routing_key}): {error}"

    def outcome(self, tag: int, unanswered: BrokerUnavailable | None = None) -> BrokerUnavailable | None:
        """None once the broker confirmed ``tag``; why it refused it; or ``unanswered`` while it has not answered."""
        if tag in self.waiting:
            return unanswered
        reason = self.refused.pop(tag, None)
        return None if reason is None else BrokerUnavailable(reason)

    def _settled(self, tag: int, multiple: bool) -> list[int]:
        return [found for found in self.waiting if found <= tag] if multiple else [tag] if tag in self.waiting else []
