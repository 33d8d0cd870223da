"""Users, the member organisations (labs and vendors) they work for, and their roles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


class EmailUserManager(BaseUserManager["User"]):
    """Creates users by e-mail; there is no separate username."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail addresses are unique whatever their case, so sign-in ignores case too.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. The e-mail address is the login."""

    # Kept equal to the e-mail so Django's own tooling keeps working; no meaning of its own.
    username = models.CharField(max_length=254, unique=True, editable=False)
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.username = self.email
        super().save(*args, **kwargs)


class OrganisationKind(models.TextChoices):
    LAB = "lab", "Lab"
    VENDOR = "vendor", "Vendor"


class Organisation(models.Model):
    """A member organisation: the tenant every query is scoped to."""

    kind = models.CharField(max_length=10, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in OrganisationKind]),
                name="organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    LAB_OWNER = "lab_owner", "Lab owner"
    PROCUREMENT = "procurement", "Procurement"
    REVIEWER = "reviewer", "Reviewer"
    VENDOR_OWNER = "vendor_owner", "Vendor owner"
    BID_MANAGER = "bid_manager", "Bid manager"


ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.LAB: frozenset({Role.LAB_OWNER, Role.PROCUREMENT, Role.REVIEWER}),
    OrganisationKind.VENDOR: frozenset({Role.VENDOR_OWNER, Role.BID_MANAGER}),
}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.organisation} ({self.get_role_display()})"
