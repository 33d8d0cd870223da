"""Idempotency-Key records are kept 24 hours: an hourly Celery beat task purges older ones."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketplace.celery import app
from marketplace.core.tasks import MarketplaceTask
from marketplace.partners.models import IdempotencyRecord
from marketplace.partners.tasks import idempotency_purge_expired_task

TASK = "marketplace.partners.tasks.idempotency_purge_expired_task"


def _record(organisation, key: str, age: timedelta) -> IdempotencyRecord:  # type: ignore[no-untyped-def]
    record = IdempotencyRecord.objects.create(
        organisation=organisation,
        key=key,
        method="POST",
        path="/api/v1/lab/jobs/",
        body_hash="0" * 64,
        response_status=201,
        response_body={"id": 1},
    )
    # created_at is auto_now_add: age the row afterwards.
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_the_task_removes_expired_records_and_keeps_fresh_ones(db, acme, medix):
    lab, vendor = acme.lab.organisation, medix.vendor.organisation
    _record(lab, "old", timedelta(hours=25))
    _record(vendor, "old", timedelta(days=3))
    fresh = _record(lab, "fresh", timedelta(hours=1))
    almost = _record(vendor, "almost", timedelta(hours=23, minutes=50))

    # Run as a Celery task, as beat would.
    assert idempotency_purge_expired_task.apply().get() == 2

    remaining = set(IdempotencyRecord.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, almost.pk}
    assert idempotency_purge_expired_task.apply().get() == 0


def test_beat_runs_the_purge_hourly():
    app.loader.import_default_modules()
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == TASK]
    assert len(entries) == 1
    assert isinstance(app.tasks[TASK], MarketplaceTask)
    schedule = entries[0]["schedule"]
    # A crontab firing once an hour.
    assert schedule.minute == {15} and len(schedule.hour) == 24
