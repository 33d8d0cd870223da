from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.exchange.models import Notification


def notify_organisation(
    *,
    organisation: Organisation,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    roles: Iterable[str] | None = None,
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notifies every member of `organisation` (optionally only some roles), in-app and by
    e-mail after commit. Caller holds a transaction. A repeated `dedupe_key` adds nothing,
    so a retried task never notifies twice."""
    from marketplace.exchange.tasks import send_notification_email_task

    members = Membership.objects.filter(organisation=organisation, user__is_active=True)
    if roles is not None:
        members = members.filter(role__in=list(roles))
    created: list[Notification] = []
    for recipient_id in members.values_list("user_id", flat=True):
        fields = {
            "organisation": organisation,
            "kind": kind,
            "title": title,
            "body": body,
            "url": url,
        }
        if dedupe_key:
            notification, was_created = Notification.objects.get_or_create(
                recipient_id=recipient_id, dedupe_key=dedupe_key, defaults=fields
            )
            if not was_created:
                continue
        else:
            notification = Notification.objects.create(recipient_id=recipient_id, **fields)
        created.append(notification)
    if email:
        for notification in created:
            send_notification_email_task.delay_on_commit(notification.pk)
    return created


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: Iterable[int]) -> int:
    return Notification.objects.filter(
        recipient=user, id__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())
