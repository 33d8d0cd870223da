from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "marketplace.exchange"
    label = "exchange"
    verbose_name = "Exchange"

    def ready(self) -> None:
        # Register the tasks with Celery as soon as Django starts, so other apps can
        # enqueue them by name (see marketplace.core.async_work).
        from marketplace.exchange import tasks  # noqa: F401
