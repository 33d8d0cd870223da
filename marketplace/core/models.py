"""Shared vocabularies that labs and vendors both speak: job domains, attestation kinds,
credential fields and qualification levels. Admins curate them."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VocabularyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Vocabulary(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Domain(Vocabulary):
    """The kind of annotation work a job asks for (reasoning, agent_behavior, medical, ...)."""

    description = models.TextField(blank=True)


class AttestationKind(Vocabulary):
    """A compliance attestation a vendor can hold and a job can require (SOC 2, HIPAA BAA)."""

    description = models.TextField(blank=True)


class CredentialField(Vocabulary):
    """The subject of a credential: medicine, nursing, mathematics, ..."""


class CredentialKind(models.TextChoices):
    DEGREE = "degree", "Degree"
    LICENCE = "licence", "Licence"
    CERTIFICATION = "certification", "Certification"


class QualificationLevel(Vocabulary):
    """A level a credential is held at. Levels compare only within one ladder: a
    doctorate satisfies a master's requirement (degree ladder), an NP satisfies an RN
    requirement (nursing ladder), but an MD never satisfies an RN seat or the reverse."""

    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    ladder = models.SlugField(max_length=50, help_text="Levels compare only within a ladder.")
    rank = models.PositiveSmallIntegerField(help_text="Higher satisfies lower on one ladder.")

    class Meta(Vocabulary.Meta):
        ordering = ["ladder", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "rank"], name="qualification_level_rank_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[c.value for c in CredentialKind]),
                name="qualification_level_kind_valid",
            ),
        ]

    def satisfies(self, required: QualificationLevel) -> bool:
        return self.ladder == required.ladder and self.rank >= required.rank


class FormSubmission(models.Model):
    """One row per browser form submission token: the unique token makes a double click
    (or a re-posted form) act once, and the stored redirect sends the repeat where the
    first went. Rows are short-lived; the periodic purge removes old ones."""

    token = models.UUIDField(unique=True)
    user_id = models.BigIntegerField()
    redirect_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return str(self.token)


class TaskFailure(models.Model):
    """A Celery task that failed for good: its retries ran out or its error was not one
    worth retrying. Written by MarketplaceTask.on_failure, one row per task id, so a
    platform admin sees what work was given up on instead of finding it in the logs."""

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=255, unique=True)
    args = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    exception = models.TextField()
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0, help_text="Retries made before giving up.")
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"
