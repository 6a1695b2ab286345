"""The fake provider's decline once quoted the card token ("card declined (token tok_...)"), and that
text reached Payment.failure_reason (returned by the API) and the PaymentFailed events payments
published. Both now say "card declined"; this scrubs what was stored before."""

from django.db import migrations

LEAKED = "card declined (token "
SCRUBBED = "card declined"


def scrub(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(failure_reason__startswith=LEAKED).update(failure_reason=SCRUBBED)
    OutboxEvent = apps.get_model("eventbus", "OutboxEvent")
    for row in OutboxEvent.objects.filter(type="payments.PaymentFailed").only("id", "data").iterator():
        if str(row.data.get("reason", "")).startswith(LEAKED):
            OutboxEvent.objects.filter(pk=row.pk).update(data={**row.data, "reason": SCRUBBED})


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_payment_refund_reason"), ("eventbus", "0006_operator_action")]
    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
