"""Idempotency-Key is now read as a structured-field String: '"k"' and 'k' are one key, stored as k.
Keys stored before kept their quotes; a client retrying across the upgrade must find its first
answer, so each stored quoted key becomes its String's value (unless that key is stored already)."""

import http_sf
from django.db import migrations


def string_value(header: str) -> str | None:
    try:
        item = http_sf.parse(header.encode("latin-1"), tltype="item")
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        return None
    return item[0] if isinstance(item, tuple) and isinstance(item[0], str) and item[0] else None


def unquote(apps, schema_editor):
    IdempotencyKey = apps.get_model("orders", "IdempotencyKey")
    for record in IdempotencyKey.objects.filter(key__startswith='"').iterator():
        key = string_value(record.key)
        if key and not IdempotencyKey.objects.filter(user_id=record.user_id, key=key).exists():
            IdempotencyKey.objects.filter(pk=record.pk).update(key=key)


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_cancel_requested_by")]
    operations = [migrations.RunPython(unquote, migrations.RunPython.noop)]
