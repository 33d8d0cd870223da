"""factory_boy factories. Objects that have invariants beyond one row (a lab with its
policy, a submitted bid with its revision) are made through the services instead: see
the persona fixtures in tests/plugins/personas.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from labs.models import ConflictPolicy, Job, Lab, SeatRequirement
from marketplace.accounts.models import Membership, Organisation, OrganisationKind, User
from marketplace.core.models import (
    AttestationKind,
    CredentialField,
    CredentialKind,
    Domain,
    QualificationLevel,
)
from marketplace.ownership.models import Entity, Provenance, Stake
from vendors.models import Attestation, Credential, CredentialStatus, Specialist, Vendor

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("code",)

    code = "medical"
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())


class AttestationKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttestationKind
        django_get_or_create = ("code",)

    code = "hipaa-baa"
    name = factory.LazyAttribute(lambda o: o.code.upper())


class CredentialFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialField
        django_get_or_create = ("code",)

    code = "medicine"
    name = factory.LazyAttribute(lambda o: o.code.title())


class QualificationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationLevel
        django_get_or_create = ("code",)

    code = "md"
    name = "MD"
    kind = CredentialKind.LICENCE
    ladder = "physician"
    rank = 1


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"Entity {n} Ltd")


class StakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stake

    interested_party = factory.SubFactory(EntityFactory)
    subject = factory.SubFactory(EntityFactory)
    interest_type = "shareholding"
    share_exact = Decimal("10")
    provenance = Provenance.SELF_DECLARED


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.LAB
    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class LabFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lab
        skip_postgeneration_save = True

    organisation = factory.SubFactory(
        OrganisationFactory, kind=OrganisationKind.LAB, name=factory.Sequence(lambda n: f"Lab {n}")
    )
    entity = factory.SubFactory(EntityFactory, name=factory.SelfAttribute("..organisation.name"))
    policy = factory.RelatedFactory("tests.factories.ConflictPolicyFactory", "lab")


class ConflictPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictPolicy

    lab = None


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    organisation = factory.SubFactory(
        OrganisationFactory,
        kind=OrganisationKind.VENDOR,
        name=factory.Sequence(lambda n: f"Vendor {n}"),
    )
    entity = factory.SubFactory(EntityFactory, name=factory.SelfAttribute("..organisation.name"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "lab_owner"


class SpecialistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialist

    vendor = factory.SubFactory(VendorFactory)
    full_name = factory.Faker("name")


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    specialist = factory.SubFactory(SpecialistFactory)
    field = factory.SubFactory(CredentialFieldFactory)
    level = factory.SubFactory(QualificationLevelFactory)
    issuer = "Medical Board"
    identifier = factory.Sequence(lambda n: f"LIC-{n:06d}")
    status = CredentialStatus.PENDING


class AttestationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attestation

    vendor = factory.SubFactory(VendorFactory)
    kind = factory.SubFactory(AttestationKindFactory)
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


class JobFactory(factory.django.DjangoModelFactory):
    """A draft job with sensible dates; publish it with exchange.services.job_publish."""

    class Meta:
        model = Job

    lab = factory.SubFactory(LabFactory)
    title = factory.Sequence(lambda n: f"Clinical answer grading {n}")
    domain = factory.SubFactory(DomainFactory)
    description = "Grade model answers to clinical questions."
    volume = 1000
    volume_unit = "items"
    budget_min = Decimal("10000")
    budget_max = Decimal("50000")
    currency = "USD"
    question_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=5))
    bid_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    delivery_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))
    created_by = factory.SubFactory(UserFactory)


class SeatRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatRequirement

    job = factory.SubFactory(JobFactory)
    count = 2
    field = factory.SubFactory(CredentialFieldFactory)
    min_level = factory.SubFactory(QualificationLevelFactory)
