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
