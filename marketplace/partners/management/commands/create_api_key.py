"""Creates an organisation API key and prints it (alone on the last line), or lists the
organisations keys can be made for."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.accounts.models import Organisation
from marketplace.core.errors import DomainError
from marketplace.partners.models import APIKeyScope
from marketplace.partners.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organisation: create_api_key ORG_SLUG --scope read|write"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="The organisation's short name (slug).")
        parser.add_argument("--scope", choices=APIKeyScope.values, default=APIKeyScope.READ)
        parser.add_argument("--name", default="", help="What the key is for (default: cli).")
        parser.add_argument(
            "--list", action="store_true", help="List organisations: slug, kind, name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for org in Organisation.objects.filter(is_active=True).order_by("slug"):
                self.stdout.write(f"{org.slug}\t{org.kind}\t{org.name}")
            return
        if not options["slug"]:
            raise CommandError("Name the organisation's slug, or use --list to see them.")
        try:
            organisation = Organisation.objects.get(slug=options["slug"])
        except Organisation.DoesNotExist:
            raise CommandError(
                f"No organisation {options['slug']!r}; see create_api_key --list."
            ) from None
        try:
            api_key, raw_key = api_key_create(
                organisation=organisation,
                scope=options["scope"],
                name=options["name"] or f"{options['scope']} key (command line)",
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Created {api_key.scope} key {api_key.prefix} for {organisation.name}. "
            "It is shown once:"
        )
        self.stdout.write(raw_key)
