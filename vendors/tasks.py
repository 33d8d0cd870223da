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


class RosterImportTask(MarketplaceTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        if args:
            services.roster_import_record_failure(import_id=args[0])
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=RosterImportTask)
def roster_import_task(import_id: int) -> str | None:
    roster_import = services.roster_import_run(import_id=import_id)
    return roster_import.status if roster_import else None


@shared_task(base=MarketplaceTask)
def reconcile_roster_imports_task() -> int:
    return len(services.roster_import_reconcile())
