"""Users, the member organisations (labs and vendors) they work for, and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class EmailUserManager(UserManager["User"]):
    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def, override]
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. The e-mail address is the login."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The username column is kept equal to the e-mail so that Django's own tooling
        # (createsuperuser, admin) keeps working; it carries no meaning of its own.
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
