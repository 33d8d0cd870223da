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


class ScreeningBatchTask(MarketplaceTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        if args:
            services.screening_record_failures(screening_ids=args[0], error=repr(exc))
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=ScreeningBatchTask)
def screening_run_batch_task(screening_ids: list[int]) -> int:
    return len(services.screening_run_batch(screening_ids=screening_ids))


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


@shared_task(base=MarketplaceTask)
def reevaluate_vendor_invitations_task(vendor_ids: list[int]) -> list[int]:
    """Asked for by name by the vendors app after credentials or attestations expire."""
    from marketplace.exchange.services.invitations import invitations_reevaluate

    return invitations_reevaluate(vendor_ids=vendor_ids)


@shared_task(base=MarketplaceTask)
def notify_vendor_expiries_task(credential_ids: list[int], attestation_ids: list[int]) -> int:
    """Asked for by name by the vendors app after credentials or attestations expire."""
    from marketplace.exchange.services.invitations import vendor_expiries_notify

    return len(
        vendor_expiries_notify(credential_ids=credential_ids, attestation_ids=attestation_ids)
    )


class MatchingTask(MarketplaceTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        if args:
            services.job_matching_record_failure(job_id=args[0], error=repr(exc))
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=MatchingTask)
def match_job_task(job_id: int) -> list[int] | None:
    """Ranks vendors for the job and invites the top N; returns the newly invited."""
    result = services.job_match(job_id=job_id)
    return result.newly_invited_vendor_ids if result else None


@shared_task(base=MarketplaceTask)
def reconcile_matching_task() -> int:
    return len(services.reconcile_matching())
