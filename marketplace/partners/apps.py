from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "marketplace.partners"
    label = "partners"
    verbose_name = "Partner API and webhooks"
