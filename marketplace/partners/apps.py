from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "marketplace.partners"
    label = "partners"
    verbose_name = "Partner API and webhooks"

    def ready(self) -> None:
        # Register the tasks with Celery as soon as Django starts, so other apps can
        # enqueue them by name (see marketplace.core.async_work).
        from marketplace.partners import tasks  # noqa: F401
