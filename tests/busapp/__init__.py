"""A small app of events and handlers that the event bus tests drive."""
