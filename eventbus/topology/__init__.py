"""Who subscribes: the ``@subscribe`` declarations of this process's code (the store writes them as data)."""

from eventbus.topology.subscribers import Subscriber, all_subscribers, subscribe, subscriber, subscribers_of

__all__ = ["Subscriber", "all_subscribers", "subscribe", "subscriber", "subscribers_of"]
