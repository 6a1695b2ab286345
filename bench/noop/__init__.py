"""A no-op event, its no-op subscriber and a no-op Celery task: what the bench pushes through."""
