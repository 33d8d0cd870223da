from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "marketplace.ownership"
    label = "ownership"
    verbose_name = "Ownership"
