"""Idempotency records keep the answer's exact bytes and headers; records never completed (left
by requests that died while their record was already committed) are forgotten, which frees
their keys."""

import json

from django.db import migrations, models


def keep_answers_as_bytes(apps, schema_editor):
    IdempotencyRecord = apps.get_model("network", "IdempotencyRecord")
    IdempotencyRecord.objects.filter(completed_at__isnull=True).delete()
    for record in IdempotencyRecord.objects.iterator():
        record.response_content = json.dumps(record.response_body).encode()
        record.response_headers = {"Content-Type": "application/json"}
        record.save(update_fields=["response_content", "response_headers"])


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0006_webhook_delivery_outcome_without_body"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_headers",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_content",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(keep_answers_as_bytes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="idempotencyrecord",
            name="response_body",
        ),
    ]
