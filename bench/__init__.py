"""The benchmark behind ``make bench``: the event bus against raw Celery on PostgreSQL + Redis."""
