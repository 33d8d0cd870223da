from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "marketplace.exchange"
    label = "exchange"
    verbose_name = "Exchange"
