from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors and specialists"

    def ready(self) -> None:
        # Register the tasks with Celery as soon as Django starts, so other apps can
        # enqueue them by name (see marketplace.core.async_work).
        from vendors import tasks  # noqa: F401
