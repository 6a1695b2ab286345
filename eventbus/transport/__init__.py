"""How work is announced to workers: the doorbell (Celery messages behind a per-queue Redis gate)."""
