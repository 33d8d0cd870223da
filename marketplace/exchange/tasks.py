"""Thin task edges: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from marketplace.core.tasks import MarketplaceTask
from marketplace.exchange import services
from marketplace.exchange.models import Notification


@shared_task(base=MarketplaceTask)
def close_due_bidding_task() -> list[int]:
    return services.close_due_bidding()


class ScreeningTask(MarketplaceTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        if args:
            services.screening_record_failure(screening_id=args[0], error=repr(exc))
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=ScreeningTask)
def screening_run_task(screening_id: int) -> str | None:
    screening = services.screening_run(screening_id=screening_id)
    return screening.verdict if screening else None


@shared_task(base=MarketplaceTask)
def process_ownership_changes_task() -> int:
    return len(services.process_ownership_changes())


@shared_task(base=MarketplaceTask)
def rescreen_lab_task(lab_id: int) -> int:
    return len(services.lab_rescreen(lab_id=lab_id))


@shared_task(base=MarketplaceTask)
def reconcile_screenings_task() -> dict[str, int]:
    return services.reconcile_screenings()


@shared_task(base=MarketplaceTask)
def send_notification_email_task(notification_id: int) -> bool:
    """Sends one notification by e-mail, at most once: the row is claimed first."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        send_mail(
            subject=notification.title,
            message=f"{notification.body}\n\n{notification.url}".strip(),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
