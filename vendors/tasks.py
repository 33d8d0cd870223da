from __future__ import annotations

from celery import shared_task

from marketplace.core.tasks import MarketplaceTask
from vendors import services


@shared_task(base=MarketplaceTask)
def expire_credentials_task() -> int:
    return len(services.credential_expire_due())


@shared_task(base=MarketplaceTask)
def expire_attestations_task() -> int:
    return len(services.attestation_expire_due())
