"""The demo data set of DESIGN section 11, with invented names.

Several labs with competitor lists; a dozen vendors with rosters of credentialed
specialists; an ownership web with chains, a joint holding, a cycle, ranges and an
unknown share; and the story: the rival lab Apex Intelligence buys a 49% non-voting
stake in the largest vendor, Scalewise Data, and Scalewise's CEO moves to Apex.

Everything is written through the services, so the demo obeys the same rules as real
data. Loading is idempotent: each object is looked up by a natural key (organisation
slug, entity or stake record id, e-mail, job title within its lab, specialist name
within its vendor, ...) and only what is missing is created. Dates are relative to the
day of loading, so deadlines are in the future and recent events stay recent.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from labs.models import Competitor, ConflictPolicy, Job, JobStatus, Lab
from labs.services import (
    competitor_add,
    conflict_policy_update,
    job_create,
    lab_create,
    seat_requirement_add,
)
from marketplace.accounts.models import Membership, Role, User
from marketplace.accounts.services import membership_set, user_create
from marketplace.core.models import (
    AttestationKind,
    CredentialField,
    CredentialKind,
    Domain,
    QualificationLevel,
)
from marketplace.exchange.models import (
    Award,
    Bid,
    BidRevision,
    BidStatus,
    Contract,
    Notification,
    Question,
)
from marketplace.exchange.services import (
    award_make,
    bid_revise,
    bid_submit,
    contract_complete,
    job_close_bidding,
    job_publish,
    question_answer,
    question_ask,
)
from marketplace.ownership.models import Entity, EntityType, InterestType, Provenance, Stake
from marketplace.ownership.services import entity_create, stake_create, stake_end
from vendors.models import Affiliation, AffiliationRole, Attestation, Credential, Specialist, Vendor
from vendors.services import (
    affiliation_add,
    attestation_add,
    credential_add,
    credential_reject,
    credential_verify,
    specialist_create,
    vendor_create,
)

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_URL = "http://127.0.0.1:8000/admin/"
ADMIN_EMAIL = "admin@exchange.demo"
PLATFORM_ADMIN_ROLE = "platform admin"

# Seeds the invented names and dates of the rosters: the same every run, so a second
# run finds the specialists of the first by name.
ROSTER_SEED = 2026

# Stable record ids of the story, for tests and for whoever explains the demo.
APEX_ENTITY_ID = "demo-entity-apex"
SCALEWISE_ENTITY_ID = "demo-entity-scalewise"
CEO_ENTITY_ID = "demo-entity-dana-whitfield"
APEX_SCALEWISE_STAKE_ID = "demo-stake-apex-scalewise"
CEO_SCALEWISE_STAKE_ID = "demo-stake-whitfield-scalewise"
CEO_APEX_STAKE_ID = "demo-stake-whitfield-apex"


def entity_record_id(key: str) -> str:
    return f"demo-entity-{key}"


def stake_record_id(key: str) -> str:
    return f"demo-stake-{key}"


# --- Vocabularies ---------------------------------------------------------------------

DOMAINS = (
    ("reasoning", "Reasoning", "Step-by-step reasoning traces and proofs checked by experts."),
    ("agent_behavior", "Agent behaviour", "Agent and tool-use trajectories judged by engineers."),
    ("medical", "Medical", "Clinical answers and dialogues graded by physicians and nurses."),
    ("coding", "Coding", "Code, patches and reviews judged by software engineers."),
)
ATTESTATION_KINDS = (
    ("soc2-type2", "SOC 2 Type II", "Independent audit of security controls over a period."),
    ("hipaa-baa", "HIPAA BAA", "Business associate agreement for protected health information."),
    ("iso-27001", "ISO 27001", "Certified information security management system."),
)
CREDENTIAL_FIELDS = (
    ("medicine", "Medicine"),
    ("nursing", "Nursing"),
    ("mathematics", "Mathematics"),
    ("physics", "Physics"),
    ("computer-science", "Computer science"),
    ("law", "Law"),
)
# (code, name, kind, ladder, rank): levels compare only within one ladder.
QUALIFICATION_LEVELS = (
    ("bachelor", "Bachelor's degree", CredentialKind.DEGREE, "degree", 1),
    ("master", "Master's degree", CredentialKind.DEGREE, "degree", 2),
    ("doctorate", "Doctorate", CredentialKind.DEGREE, "degree", 3),
    ("md", "Physician licence (MD)", CredentialKind.LICENCE, "physician", 1),
    ("lpn", "Licensed practical nurse (LPN)", CredentialKind.LICENCE, "nursing", 1),
    ("rn", "Registered nurse (RN)", CredentialKind.LICENCE, "nursing", 2),
    ("np", "Nurse practitioner (NP)", CredentialKind.LICENCE, "nursing", 3),
    ("board-certified", "Board certified", CredentialKind.CERTIFICATION, "physician-board", 1),
)
LEVEL_LADDER = {code: (ladder, rank) for code, _, _, ladder, rank in QUALIFICATION_LEVELS}


# --- Organisations and people ---------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    key: str  # also the e-mail domain: owner@<key>.demo
    name: str
    slug: str
    description: str
    website: str
    jurisdiction: str
    headquarters: str = ""


LABS = (
    OrgSpec(
        "northwind",
        "Northwind AI",
        "northwind-ai",
        "Frontier model lab training assistants for clinicians, mathematicians and "
        "software engineers.",
        "https://northwind.example",
        "US",
        "Seattle",
    ),
    OrgSpec(
        "helios",
        "Helios Labs",
        "helios-labs",
        "Research lab building reasoning models for science and healthcare.",
        "https://helios.example",
        "GB",
        "London",
    ),
    OrgSpec(
        "quanta",
        "Quanta Research",
        "quanta-research",
        "Applied research lab focused on coding agents.",
        "https://quanta.example",
        "DE",
        "Berlin",
    ),
    OrgSpec(
        "apex",
        "Apex Intelligence",
        "apex-intelligence",
        "Frontier model lab building general-purpose assistants and agents.",
        "https://apex.example",
        "US",
        "San Francisco",
    ),
)

VENDORS = (
    OrgSpec(
        "scalewise",
        "Scalewise Data",
        "scalewise-data",
        "The largest generalist vendor: physicians, nurses, mathematicians, physicists "
        "and engineers on one managed platform, with a 24-hour delivery team.",
        "https://scalewise.example",
        "US",
        "San Francisco, CA",
    ),
    OrgSpec(
        "cardia",
        "Cardia Clinical Annotation",
        "cardia-clinical",
        "Boutique medical vendor: practising physicians and nurses, HIPAA-ready "
        "workflows, clinical adjudication by board-certified internists.",
        "https://cardia.example",
        "US",
        "Boston, MA",
    ),
    OrgSpec(
        "vitalis",
        "Vitalis Health Data",
        "vitalis-health",
        "Medical annotation for triage, discharge notes and patient messaging.",
        "https://vitalis.example",
        "US",
        "Austin, TX",
    ),
    OrgSpec(
        "carebridge",
        "Carebridge Nursing Experts",
        "carebridge-nursing",
        "Registered nurses and nurse practitioners grading clinical dialogue.",
        "https://carebridge.example",
        "US",
        "Tampa, FL",
    ),
    OrgSpec(
        "theorem",
        "Theorem Labs",
        "theorem-labs",
        "Research mathematicians checking proofs and reasoning traces.",
        "https://theorem.example",
        "GB",
        "Cambridge, UK",
    ),
    OrgSpec(
        "axiom",
        "Axiom Proofworks",
        "axiom-proofworks",
        "Mathematicians and physicists for derivations, proofs and worked solutions.",
        "https://axiom.example",
        "CA",
        "Waterloo, ON",
    ),
    OrgSpec(
        "lemma",
        "Lemma & Co",
        "lemma-and-co",
        "A small collective of competition mathematicians.",
        "https://lemma.example",
        "FR",
        "Paris",
    ),
    OrgSpec(
        "agentic",
        "Agentic Eval Co",
        "agentic-eval",
        "Engineers who review agent trajectories, tool use and sandboxed sessions.",
        "https://agentic-eval.example",
        "US",
        "New York, NY",
    ),
    OrgSpec(
        "trajectory",
        "Trajectory Works",
        "trajectory-works",
        "Software engineers labelling agent and coding trajectories step by step.",
        "https://trajectory.example",
        "PL",
        "Krakow",
    ),
    OrgSpec(
        "synapse",
        "Synapse Agents",
        "synapse-agents",
        "Start-up vendor for agent evaluation, founded by former SRE leads.",
        "https://synapse.example",
        "US",
        "Denver, CO",
    ),
    OrgSpec(
        "lexica",
        "Lexica Legal Data",
        "lexica-legal",
        "Lawyers annotating legal reasoning, contract review and case analysis.",
        "https://lexica.example",
        "GB",
        "Edinburgh",
    ),
    OrgSpec(
        "polymath",
        "Polymath Collective",
        "polymath-collective",
        "Mid-size generalist: scientists, engineers and clinicians on flexible teams.",
        "https://polymath.example",
        "NL",
        "Amsterdam",
    ),
)
ORG_BY_KEY = {spec.key: spec for spec in (*LABS, *VENDORS)}


@dataclass(frozen=True)
class UserSpec:
    email: str
    full_name: str
    org: str  # an OrgSpec key
    role: str
    featured: bool = False  # printed in the login table


USERS = (
    UserSpec("owner@northwind.demo", "Nora Lindqvist", "northwind", Role.LAB_OWNER, True),
    UserSpec("procurement@northwind.demo", "Priya Raman", "northwind", Role.PROCUREMENT, True),
    UserSpec("reviewer@northwind.demo", "Tomas Ortega", "northwind", Role.REVIEWER, True),
    UserSpec("owner@helios.demo", "Owen Pryce", "helios", Role.LAB_OWNER, True),
    UserSpec("owner@scalewise.demo", "Grace Okafor", "scalewise", Role.VENDOR_OWNER, True),
    UserSpec("bids@scalewise.demo", "Ben Adler", "scalewise", Role.BID_MANAGER, True),
    UserSpec("owner@cardia.demo", "Leila Haddad", "cardia", Role.VENDOR_OWNER, True),
    UserSpec("owner@quanta.demo", "Jonas Weber", "quanta", Role.LAB_OWNER),
    UserSpec("owner@apex.demo", "Victor Lang", "apex", Role.LAB_OWNER),
    UserSpec("owner@vitalis.demo", "Amara Osei", "vitalis", Role.VENDOR_OWNER),
    UserSpec("owner@carebridge.demo", "Rosa Delgado", "carebridge", Role.VENDOR_OWNER),
    UserSpec("owner@theorem.demo", "Ilya Sorensen", "theorem", Role.VENDOR_OWNER),
    UserSpec("owner@axiom.demo", "Mei Tanaka", "axiom", Role.VENDOR_OWNER),
    UserSpec("owner@lemma.demo", "Claire Dubois", "lemma", Role.VENDOR_OWNER),
    UserSpec("owner@agentic.demo", "Sam Whitaker", "agentic", Role.VENDOR_OWNER),
    UserSpec("owner@trajectory.demo", "Piotr Nowak", "trajectory", Role.VENDOR_OWNER),
    UserSpec("owner@synapse.demo", "Ravi Menon", "synapse", Role.VENDOR_OWNER),
    UserSpec("owner@lexica.demo", "Fiona MacLeod", "lexica", Role.VENDOR_OWNER),
    UserSpec("owner@polymath.demo", "Daan Visser", "polymath", Role.VENDOR_OWNER),
)

# Competitors each lab names: (lab key, entity key, note).
COMPETITORS = (
    ("northwind", "apex", "Frontier-model rival."),
    ("northwind", "helios", "Competes for clinical and reasoning customers."),
    ("helios", "apex", "Frontier-model rival."),
    ("helios", "northwind", "Competes in clinical assistants."),
    ("quanta", "apex", "Competes in coding agents."),
    ("quanta", "orion", "Coding-agent rival, not on the platform."),
    ("apex", "northwind", "Frontier-model rival."),
    ("apex", "helios", "Frontier-model rival."),
)
# Helios screens more strictly than the defaults of DESIGN section 4.


@dataclass(frozen=True)
class PolicySpec:
    lab: str
    block_percent: Decimal
    review_percent: Decimal
    lookback_months: int


STRICT_POLICY = PolicySpec("helios", Decimal("10"), Decimal("2"), 24)


# --- Attestations: (vendor, kind, issued days ago, expires in days, issuer) -------------
# Negative "expires in" means already expired; a few expire within the month.

ATTESTATIONS = (
    ("scalewise", "soc2-type2", 200, 165, "Brightline Assurance LLP"),
    ("scalewise", "hipaa-baa", 300, 430, "Scalewise Data legal"),
    ("scalewise", "iso-27001", 400, 695, "Certa Registrars"),
    ("cardia", "soc2-type2", 120, 245, "Brightline Assurance LLP"),
    ("cardia", "hipaa-baa", 90, 640, "Cardia Clinical legal"),
    ("vitalis", "soc2-type2", 150, 215, "Keystone Audit Partners"),
    ("vitalis", "hipaa-baa", 345, 20, "Vitalis Health legal"),
    ("carebridge", "hipaa-baa", 60, 670, "Carebridge legal"),
    ("carebridge", "soc2-type2", 400, -35, "Keystone Audit Partners"),
    ("theorem", "soc2-type2", 80, 285, "Brightline Assurance LLP"),
    ("axiom", "iso-27001", 500, 595, "Certa Registrars"),
    ("agentic", "soc2-type2", 30, 335, "Keystone Audit Partners"),
    ("agentic", "iso-27001", 1070, 25, "Certa Registrars"),
    ("trajectory", "soc2-type2", 210, 155, "Brightline Assurance LLP"),
    ("lexica", "soc2-type2", 100, 265, "Keystone Audit Partners"),
    ("lexica", "iso-27001", 250, 845, "Certa Registrars"),
    ("polymath", "iso-27001", 40, 1055, "Certa Registrars"),
)


# --- Rosters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialTemplate:
    field: str
    level: str
    issuers: tuple[str, ...]
    identifier_prefix: str = ""  # licences and certifications carry a number; degrees do not

    @property
    def expires(self) -> bool:
        return bool(self.identifier_prefix)


MEDICAL_BOARDS = (
    "Medical Board of California",
    "Texas Medical Board",
    "Massachusetts Board of Registration in Medicine",
    "New York State Education Department",
)
NURSING_BOARDS = (
    "California Board of Registered Nursing",
    "Texas Board of Nursing",
    "Florida Board of Nursing",
    "Massachusetts Board of Registration in Nursing",
)
SPECIALTY_BOARDS = (
    "American Board of Internal Medicine",
    "American Board of Emergency Medicine",
    "American Board of Family Medicine",
)
UNIVERSITIES = (
    "Lakeside University",
    "University of Eastmoor",
    "Carrow Institute of Technology",
    "Halden University",
    "Briarwood College",
    "Northfield Polytechnic",
)

MD = CredentialTemplate("medicine", "md", MEDICAL_BOARDS, "MD-")
BOARD = CredentialTemplate("medicine", "board-certified", SPECIALTY_BOARDS, "BC-")
RN = CredentialTemplate("nursing", "rn", NURSING_BOARDS, "RN-")
NP = CredentialTemplate("nursing", "np", NURSING_BOARDS, "NP-")
LPN = CredentialTemplate("nursing", "lpn", NURSING_BOARDS, "LPN-")


def _degree(field_code: str, level: str) -> CredentialTemplate:
    return CredentialTemplate(field_code, level, UNIVERSITIES)


@dataclass(frozen=True)
class Profile:
    headlines: tuple[str, ...]
    credentials: tuple[CredentialTemplate, ...]


PROFILES = {
    "physician": Profile(
        ("Emergency physician", "Internal medicine physician", "Family physician", "Hospitalist"),
        (MD,),
    ),
    "board_physician": Profile(
        ("Board-certified internist", "Board-certified emergency physician"), (MD, BOARD)
    ),
    "physician_nurse": Profile(("Physician, formerly an ICU nurse",), (MD, RN)),
    "nurse": Profile(
        ("ICU nurse", "Emergency department nurse", "Oncology nurse", "Telehealth triage nurse"),
        (RN,),
    ),
    "nurse_practitioner": Profile(
        ("Family nurse practitioner", "Acute-care nurse practitioner"), (NP,)
    ),
    "practical_nurse": Profile(("Licensed practical nurse, long-term care",), (LPN,)),
    "mathematician": Profile(
        (
            "Number theorist",
            "Combinatorialist",
            "Algebraic geometer",
            "Analyst, olympiad coach",
            "Probability theorist",
        ),
        (_degree("mathematics", "doctorate"),),
    ),
    "math_master": Profile(
        ("Olympiad medallist, MSc mathematics", "Mathematics teacher, MSc"),
        (_degree("mathematics", "master"),),
    ),
    "physicist": Profile(
        ("Theoretical physicist", "Condensed-matter physicist", "Astrophysicist"),
        (_degree("physics", "doctorate"),),
    ),
    "cs_master": Profile(
        (
            "Backend engineer",
            "Site reliability engineer",
            "Security engineer",
            "Machine-learning engineer",
            "Compiler engineer",
        ),
        (_degree("computer-science", "master"),),
    ),
    "cs_doctor": Profile(
        ("Programming-languages researcher", "Distributed-systems researcher"),
        (_degree("computer-science", "doctorate"),),
    ),
    "lawyer": Profile(
        ("Commercial litigator", "Contracts lawyer", "Regulatory counsel"),
        (_degree("law", "doctorate"),),
    ),
}

# (vendor key, ((profile, count), ...)). The roster keeps this order, so affiliations
# below can name a specialist by vendor and position.
ROSTERS = (
    (
        "scalewise",
        (
            ("physician", 4),
            ("board_physician", 1),
            ("nurse", 5),
            ("nurse_practitioner", 1),
            ("mathematician", 5),
            ("physicist", 2),
            ("cs_master", 5),
            ("cs_doctor", 2),
        ),
    ),
    (
        "cardia",
        (
            ("physician", 4),
            ("board_physician", 2),
            ("physician_nurse", 1),
            ("nurse", 5),
            ("nurse_practitioner", 2),
        ),
    ),
    ("vitalis", (("physician", 3), ("nurse", 4), ("practical_nurse", 2))),
    ("carebridge", (("nurse", 6), ("nurse_practitioner", 3), ("practical_nurse", 2))),
    ("theorem", (("mathematician", 8), ("math_master", 3))),
    ("axiom", (("mathematician", 5), ("physicist", 4))),
    ("lemma", (("mathematician", 4), ("math_master", 2))),
    ("agentic", (("cs_master", 6), ("cs_doctor", 3))),
    ("trajectory", (("cs_master", 7), ("cs_doctor", 1))),
    ("synapse", (("cs_master", 4), ("cs_doctor", 1))),
    ("lexica", (("lawyer", 6),)),
    (
        "polymath",
        (("mathematician", 2), ("physicist", 2), ("cs_master", 3), ("physician", 1), ("lawyer", 1)),
    ),
)

# The one rejected credential: (vendor, roster position) -> reason.
REJECTED_CREDENTIALS = {
    ("vitalis", 1): "Licence number not found in the Texas Medical Board register; "
    "please upload the licence certificate.",
}

# (vendor, roster position, entity key, role, start, end); dates as days ago (None: open).
AFFILIATIONS = (
    ("theorem", 0, "apex", AffiliationRole.ADVISOR, 90, None),
    ("axiom", 0, "helios", AffiliationRole.ADVISOR, 200, None),
    ("scalewise", 0, "st-aurelia", AffiliationRole.EMPLOYEE, 3200, None),
    ("scalewise", 18, "northwind", AffiliationRole.CONTRACTOR, 900, 500),
    ("cardia", 0, "northgate", AffiliationRole.EMPLOYEE, 4100, None),
    ("cardia", 1, "northgate", AffiliationRole.EMPLOYEE, 5000, 1300),
    ("agentic", 0, "lakeside", AffiliationRole.EMPLOYEE, 2400, 800),
    ("agentic", 1, "lakeside", AffiliationRole.ADVISOR, 700, None),
    ("polymath", 0, "lakeside", AffiliationRole.EMPLOYEE, 1800, None),
)
AFFILIATED = {(vendor, position) for vendor, position, *_ in AFFILIATIONS}

_FIRST_NAMES = """
Ada Aisha Alejandro Amelia Anders Anya Arjun Beatriz Camille Chen Chiara Daniel Deepa
Elena Emeka Farah Felix Gabriel Hana Hugo Ines Isaac Jamal Julia Kenji Kofi Lara Lucas
Maya Mateo Mira Nadia Naveen Noah Olga Omar Paula Rafael Rania Sofia Soren Tariq Thea Uma
Valentina Wei Yara Yusuf Zainab Zoe
"""
FIRST_NAMES = tuple(_FIRST_NAMES.split())
_LAST_NAMES = """
Abara Bergstrom Castillo Dasgupta Eriksen Fontaine Gallagher Hoffmann Ibrahim Jansen
Kowalczyk Larsen Moreau Nakamura Okonkwo Petrov Quintero Rahman Santos Takahashi Ueda
Varga Wojcik Xu Yilmaz Zimmermann Achebe Brennan Costa Duarte Esposito Fischer Grant
Haddad Iyer Kaur Lindgren Mensah Novak Oyelaran Park Rossi Sato Tran Vidal Weiss
"""
LAST_NAMES = tuple(_LAST_NAMES.split())


@dataclass(frozen=True)
class CredentialPlan:
    field: str
    level: str
    issuer: str
    identifier: str
    issued_ago_days: int | None  # degrees: issued on a fixed date instead
    issued_on_fixed: date | None
    expires_in_days: int | None
    outcome: str  # "verified", "pending" or "rejected"
    rejection_reason: str = ""


@dataclass(frozen=True)
class SpecialistPlan:
    full_name: str
    email: str
    headline: str
    credentials: tuple[CredentialPlan, ...]


def plan_rosters() -> dict[str, list[SpecialistPlan]]:
    """Invented specialists, the same on every call."""
    rng = random.Random(ROSTER_SEED)
    used: set[str] = set()
    rosters: dict[str, list[SpecialistPlan]] = {}
    for vendor_key, groups in ROSTERS:
        roster: list[SpecialistPlan] = []
        for profile_name, count in groups:
            profile = PROFILES[profile_name]
            for _ in range(count):
                position = len(roster)
                while True:
                    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    if name not in used:
                        used.add(name)
                        break
                first, last = name.lower().split(" ")
                credentials = []
                for index, template in enumerate(profile.credentials):
                    outcome = "pending" if rng.random() < 0.12 else "verified"
                    reason = ""
                    if (vendor_key, position) in AFFILIATED:
                        outcome = "verified"
                    if index == 0 and (vendor_key, position) in REJECTED_CREDENTIALS:
                        outcome, reason = "rejected", REJECTED_CREDENTIALS[(vendor_key, position)]
                    issuer = rng.choice(template.issuers)
                    if template.expires:
                        identifier = f"{template.identifier_prefix}{rng.randint(100000, 999999)}"
                        issued_ago: int | None = rng.randint(400, 4000)
                        issued_fixed = None
                        soon = rng.random() < 0.18
                        expires: int | None = rng.randint(6, 27) if soon else rng.randint(90, 720)
                    else:
                        identifier, issued_ago, expires = "", None, None
                        issued_fixed = date(rng.randint(1998, 2022), 6, 30)
                    credentials.append(
                        CredentialPlan(
                            field=template.field,
                            level=template.level,
                            issuer=issuer,
                            identifier=identifier,
                            issued_ago_days=issued_ago,
                            issued_on_fixed=issued_fixed,
                            expires_in_days=expires,
                            outcome=outcome,
                            rejection_reason=reason,
                        )
                    )
                roster.append(
                    SpecialistPlan(
                        full_name=name,
                        email=f"{first}.{last}@{vendor_key}.demo",
                        headline=rng.choice(profile.headlines),
                        credentials=tuple(credentials),
                    )
                )
        rosters[vendor_key] = roster
    return rosters


# --- The ownership web -----------------------------------------------------------------


@dataclass(frozen=True)
class EntitySpec:
    key: str
    name: str
    entity_type: str = EntityType.REGISTERED_ENTITY
    jurisdiction: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()


# Entities beyond the labs and vendors (whose entities get the same "demo-entity-<key>" ids).
OTHER_ENTITIES = (
    EntitySpec("dana-whitfield", "Dana Whitfield", EntityType.KNOWN_PERSON, "US"),
    EntitySpec("marcus-hale", "Marcus Hale", EntityType.KNOWN_PERSON, "US"),
    EntitySpec(
        "granite-peak",
        "Granite Peak Ventures LP",
        jurisdiction="US",
        identifiers=(("US-DE", "6120447"),),
    ),
    EntitySpec("orion", "Orion Dynamics Inc.", jurisdiction="US"),
    EntitySpec(
        "apex-ventures", "Apex Ventures LLC", jurisdiction="US", identifiers=(("US-DE", "7045512"),)
    ),
    EntitySpec(
        "tessellate",
        "Tessellate Holdings Ltd",
        jurisdiction="GB",
        identifiers=(("GB-COH", "12873301"),),
    ),
    EntitySpec("harbor-capital", "Harbor Capital Partners", jurisdiction="US"),
    EntitySpec("harbor-holdings", "Harbor Data Holdings Inc.", jurisdiction="US"),
    EntitySpec(
        "lumen", "Lumen Partners LLP", jurisdiction="GB", identifiers=(("GB-COH", "OC431877"),)
    ),
    EntitySpec("orbit", "Orbit Family Office SA", jurisdiction="LU"),
    EntitySpec(
        "lumen-orbit-jv", "Lumen-Orbit Legal Data Joint Venture", EntityType.ARRANGEMENT, "GB"
    ),
    EntitySpec(
        "kestrel", "Kestrel Group plc", jurisdiction="GB", identifiers=(("GB-COH", "08811234"),)
    ),
    EntitySpec(
        "wren", "Wren Holdings Ltd", jurisdiction="GB", identifiers=(("GB-COH", "10455678"),)
    ),
    EntitySpec("ilya-sorensen", "Ilya Sorensen", EntityType.KNOWN_PERSON, "GB"),
    EntitySpec("ravi-menon", "Ravi Menon", EntityType.KNOWN_PERSON, "US"),
    EntitySpec("amara-osei", "Amara Osei", EntityType.KNOWN_PERSON, "US"),
    EntitySpec("daan-visser", "Daan Visser", EntityType.KNOWN_PERSON, "NL"),
    EntitySpec("lakeside", "Lakeside University", jurisdiction="US"),
    EntitySpec("st-aurelia", "St. Aurelia Hospital", jurisdiction="US"),
    EntitySpec("northgate", "Northgate Medical Center", jurisdiction="US"),
)


@dataclass(frozen=True)
class StakeSpec:
    key: str  # record id "demo-stake-<key>"; interests of one relationship share it
    party: str
    subject: str
    interest_type: str
    provenance: str
    exact: str | None = None
    low: str | None = None
    high: str | None = None
    start: date | None = None
    end: date | None = None
    beneficial: bool = False
    index: int = 0
    note: str = ""


SHARE = InterestType.SHAREHOLDING
VOTES = InterestType.VOTING_RIGHTS
SMO = InterestType.SENIOR_MANAGING_OFFICIAL
SELF, IMPORTED, VERIFIED = Provenance.SELF_DECLARED, Provenance.IMPORTED, Provenance.VERIFIED

# The web around the story, loaded before the historical jobs. Apex's own chain gives it
# a small indirect interest in Agentic Eval (8-12% of 55%): a review, not a block.
BACKGROUND_STAKES = (
    # Scalewise's other owners: the co-founder keeps the votes; Granite Peak's share is a range.
    StakeSpec(
        "hale-scalewise",
        "marcus-hale",
        "scalewise",
        SHARE,
        SELF,
        exact="26",
        start=date(2017, 2, 1),
        beneficial=True,
        note="Co-founder",
    ),
    StakeSpec(
        "hale-scalewise",
        "marcus-hale",
        "scalewise",
        VOTES,
        SELF,
        exact="55",
        start=date(2017, 2, 1),
        beneficial=True,
        index=1,
    ),
    StakeSpec(
        "granite-scalewise",
        "granite-peak",
        "scalewise",
        SHARE,
        IMPORTED,
        low="18",
        high="22",
        start=date(2020, 5, 12),
        note="Series B lead; register shows a band",
    ),
    StakeSpec(
        "granite-scalewise",
        "granite-peak",
        "scalewise",
        VOTES,
        IMPORTED,
        exact="45",
        start=date(2020, 5, 12),
        index=1,
    ),
    StakeSpec(
        "whitfield-scalewise",
        "dana-whitfield",
        "scalewise",
        SMO,
        VERIFIED,
        start=date(2019, 4, 1),
        note="Chief executive officer",
    ),
    # Apex controls its venture arm, which holds a stake in a holding company.
    StakeSpec(
        "apex-apex-ventures",
        "apex",
        "apex-ventures",
        SHARE,
        VERIFIED,
        exact="100",
        start=date(2021, 1, 4),
    ),
    StakeSpec(
        "apex-apex-ventures",
        "apex",
        "apex-ventures",
        VOTES,
        VERIFIED,
        exact="100",
        start=date(2021, 1, 4),
        index=1,
    ),
    StakeSpec(
        "apex-ventures-tessellate",
        "apex-ventures",
        "tessellate",
        SHARE,
        SELF,
        low="8",
        high="12",
        start=date(2023, 3, 15),
        note="Declared as 'about 10%'",
    ),
    StakeSpec(
        "tessellate-agentic",
        "tessellate",
        "agentic",
        SHARE,
        IMPORTED,
        exact="55",
        start=date(2022, 9, 1),
    ),
    StakeSpec(
        "tessellate-agentic",
        "tessellate",
        "agentic",
        VOTES,
        IMPORTED,
        exact="55",
        start=date(2022, 9, 1),
        index=1,
    ),
    # A chain: Harbor Capital 60% of Harbor Data Holdings, which holds 50% of Cardia.
    StakeSpec(
        "harbor-capital-holdings",
        "harbor-capital",
        "harbor-holdings",
        SHARE,
        VERIFIED,
        exact="60",
        start=date(2018, 6, 1),
    ),
    StakeSpec(
        "harbor-holdings-cardia",
        "harbor-holdings",
        "cardia",
        SHARE,
        IMPORTED,
        exact="50",
        start=date(2019, 11, 20),
    ),
    StakeSpec(
        "harbor-holdings-carebridge",
        "harbor-holdings",
        "carebridge",
        SHARE,
        SELF,
        exact="15",
        start=date(2022, 2, 1),
    ),
    # A joint holding: two parties each 50% of an arrangement that owns 70% of Lexica.
    StakeSpec(
        "lumen-jv", "lumen", "lumen-orbit-jv", SHARE, VERIFIED, exact="50", start=date(2020, 1, 1)
    ),
    StakeSpec(
        "orbit-jv", "orbit", "lumen-orbit-jv", SHARE, VERIFIED, exact="50", start=date(2020, 1, 1)
    ),
    StakeSpec(
        "jv-lexica", "lumen-orbit-jv", "lexica", SHARE, SELF, exact="70", start=date(2020, 3, 1)
    ),
    # A cycle: Kestrel 30% of Wren, Wren 10% of Kestrel, and Wren 40% of Theorem Labs.
    StakeSpec(
        "kestrel-wren", "kestrel", "wren", SHARE, IMPORTED, exact="30", start=date(2016, 8, 1)
    ),
    StakeSpec(
        "wren-kestrel", "wren", "kestrel", SHARE, IMPORTED, exact="10", start=date(2017, 4, 1)
    ),
    StakeSpec("wren-theorem", "wren", "theorem", SHARE, SELF, exact="40", start=date(2021, 7, 1)),
    StakeSpec(
        "sorensen-theorem",
        "ilya-sorensen",
        "theorem",
        SHARE,
        SELF,
        low="50",
        high="60",
        start=date(2019, 10, 1),
        beneficial=True,
        note="Founder",
    ),
    # Founders; one share is unknown.
    StakeSpec(
        "menon-synapse",
        "ravi-menon",
        "synapse",
        SHARE,
        SELF,
        start=date(2024, 2, 1),
        beneficial=True,
        note="Founder; share not declared",
    ),
    StakeSpec("menon-synapse", "ravi-menon", "synapse", SMO, SELF, start=date(2024, 2, 1), index=1),
    StakeSpec(
        "osei-vitalis",
        "amara-osei",
        "vitalis",
        SHARE,
        VERIFIED,
        exact="80",
        start=date(2018, 3, 1),
        beneficial=True,
    ),
    StakeSpec(
        "granite-vitalis",
        "granite-peak",
        "vitalis",
        SHARE,
        IMPORTED,
        exact="20",
        start=date(2021, 6, 1),
    ),
    StakeSpec(
        "visser-polymath",
        "daan-visser",
        "polymath",
        SHARE,
        VERIFIED,
        exact="100",
        start=date(2015, 9, 1),
        beneficial=True,
    ),
)


# The story's dates, in days before loading.
APEX_BOUGHT_DAYS_AGO = 150
CEO_MOVED_DAYS_AGO = 120


def story_stakes(today: date) -> tuple[StakeSpec, ...]:
    """The rival lab buys 49% of Scalewise as shares without votes, and Scalewise's former
    CEO becomes a senior managing official of the rival (her Scalewise role is ended by
    `stake_end` the same day)."""
    return (
        StakeSpec(
            "apex-scalewise",
            "apex",
            "scalewise",
            SHARE,
            VERIFIED,
            exact="49",
            start=today - timedelta(days=APEX_BOUGHT_DAYS_AGO),
            note="Non-voting preferred shares; no voting rights attached",
        ),
        StakeSpec(
            "whitfield-apex",
            "dana-whitfield",
            "apex",
            SMO,
            VERIFIED,
            start=today - timedelta(days=CEO_MOVED_DAYS_AGO),
            note="Chief operating officer",
        ),
    )


# --- Jobs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidSpec:
    vendor: str
    price: str
    timeline_days: int
    note: str
    revised_price: str | None = None
    revised_note: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    vendor: str
    body: str
    answer: str = ""
    answered_by: str = ""  # a user e-mail


@dataclass(frozen=True)
class ContractSpec:
    vendor: str
    share: str
    rating: int
    delivered_ago_days: int
    comment: str


@dataclass(frozen=True)
class JobSpec:
    lab: str
    title: str
    domain: str
    description: str
    volume: int
    volume_unit: str
    budget: tuple[str, str]
    currency: str
    # Days from today, or for a historical job days ago: questions close, bids close, delivery.
    days: tuple[int, int, int]
    seats: tuple[tuple[int, str, str, str], ...]  # (count, field, level, note)
    status: str = JobStatus.OPEN  # open, draft or completed
    sensitivity: str = "standard"
    bidding: str = "sealed"
    split_max: str | None = None  # the maximum share per vendor when splitting is allowed
    attestations: tuple[str, ...] = ()
    bids: tuple[BidSpec, ...] = ()
    questions: tuple[QuestionSpec, ...] = ()
    contracts: tuple[ContractSpec, ...] = ()


HISTORICAL_JOBS = (
    JobSpec(
        "northwind",
        "Math reasoning trace grading (pilot)",
        "reasoning",
        "Mathematicians graded chain-of-thought traces on competition problems.",
        3000,
        "items",
        ("60000", "95000"),
        "USD",
        (240, 235, 180),
        ((3, "mathematics", "doctorate", ""),),
        status=JobStatus.COMPLETED,
        split_max="70",
        bids=(
            BidSpec("scalewise", "84000", 60, "Three reviewers per trace."),
            BidSpec("theorem", "91000", 60, "Research mathematicians only."),
        ),
        contracts=(
            ContractSpec("scalewise", "70", 4, 178, "Solid work, delivered two days late."),
            ContractSpec("theorem", "30", 5, 186, "Excellent error analysis."),
        ),
    ),
    JobSpec(
        "northwind",
        "Agent trajectory labelling (pilot)",
        "agent_behavior",
        "Engineers labelled each step of web-agent trajectories as helpful, neutral or harmful.",
        500,
        "hours",
        ("40000", "65000"),
        "USD",
        (305, 300, 250),
        ((3, "computer-science", "master", ""),),
        status=JobStatus.COMPLETED,
        bids=(
            BidSpec("scalewise", "56000", 40, "Dedicated pod of five engineers."),
            BidSpec("trajectory", "61000", 45, "Senior engineers with agent experience."),
        ),
        contracts=(ContractSpec("scalewise", "100", 4, 255, "On time; good labelling guide."),),
    ),
)

OPEN_AND_DRAFT_JOBS = (
    JobSpec(
        "northwind",
        "Clinical answer grading",
        "medical",
        "Physicians and nurses grade model answers to patient and clinician questions for "
        "accuracy, safety and completeness, with a short rationale for every grade.",
        12000,
        "items",
        ("180000", "260000"),
        "USD",
        (7, 14, 75),
        (
            (3, "medicine", "md", "Practising physicians, any specialty"),
            (4, "nursing", "rn", "Registered nurses with acute-care experience"),
        ),
        sensitivity="phi",
        split_max="70",
        attestations=("hipaa-baa",),
        bids=(
            BidSpec("scalewise", "238000", 55, "Managed team with a clinical lead and QA pass."),
            BidSpec(
                "cardia",
                "226000",
                60,
                "Practising clinicians; adjudication by internists.",
                revised_price="214500",
                revised_note="Revised after the Q&A: de-identified transcripts shorten "
                "our onboarding.",
            ),
            BidSpec(
                "carebridge", "98000", 50, "Nursing seats only; we would welcome a split award."
            ),
        ),
        questions=(
            QuestionSpec(
                "vitalis",
                "Will graders see identifiable patient data, or are transcripts de-identified "
                "before release?",
                "Transcripts are de-identified (HIPAA Safe Harbor) before release. A BAA is still "
                "required because the residual re-identification risk is not zero.",
                "reviewer@northwind.demo",
            ),
        ),
    ),
    JobSpec(
        "northwind",
        "Olympiad proof verification",
        "reasoning",
        "Mathematicians check model-written olympiad proofs line by line, mark the first "
        "invalid step and classify the error.",
        4000,
        "items",
        ("90000", "140000"),
        "USD",
        (10, 18, 80),
        ((5, "mathematics", "doctorate", "Research mathematicians"),),
        bids=(
            BidSpec("scalewise", "132000", 60, "Two-pass review with a senior adjudicator."),
            BidSpec("theorem", "118000", 70, "Every proof read by two research mathematicians."),
            BidSpec("axiom", "109500", 75, "Proof review with error taxonomy reports."),
            BidSpec("lemma", "96000", 80, "Competition mathematicians; four reviewers."),
        ),
        questions=(
            QuestionSpec(
                "theorem",
                "Are proofs expected in natural language only, or may reviewers formalise "
                "disputed steps in Lean?",
                "Natural language is the deliverable. Formalising a disputed step is welcome "
                "but optional and not billed separately.",
                "procurement@northwind.demo",
            ),
        ),
    ),
    JobSpec(
        "northwind",
        "Tool-use trajectory review",
        "agent_behavior",
        "Engineers review agent trajectories (tool calls, shell sessions, browser actions), "
        "label each step and judge whether the task was really accomplished.",
        800,
        "hours",
        ("60000", "95000"),
        "USD",
        (6, 12, 60),
        ((4, "computer-science", "master", "Software engineers"),),
        bidding="open",
        split_max="60",
        bids=(
            BidSpec("scalewise", "88000", 45, "Pod of engineers with a calibration week."),
            BidSpec("agentic", "79000", 40, "Reviewers who build agent sandboxes for a living."),
            BidSpec("trajectory", "74500", 50, "Step-level labels with a second-reviewer audit."),
            BidSpec("synapse", "69000", 55, "Former SRE leads; small but senior team."),
        ),
        questions=(
            QuestionSpec(
                "trajectory",
                "Can reviewers work from recorded sessions, or must they replay trajectories in "
                "the live sandbox?",
            ),
        ),
    ),
    JobSpec(
        "northwind",
        "Radiology report error labelling",
        "medical",
        "Board-certified radiologists mark clinically significant errors in model-drafted "
        "radiology reports.",
        2000,
        "items",
        ("50000", "80000"),
        "USD",
        (20, 30, 90),
        ((2, "medicine", "board-certified", "Board-certified radiologists"),),
        status=JobStatus.DRAFT,
        sensitivity="phi",
        attestations=("hipaa-baa",),
    ),
    JobSpec(
        "helios",
        "Nursing triage dialogue review",
        "medical",
        "Registered nurses review model triage conversations for safe escalation advice.",
        5000,
        "items",
        ("70000", "110000"),
        "USD",
        (8, 15, 70),
        ((6, "nursing", "rn", "Triage or emergency experience preferred"),),
        sensitivity="phi",
        split_max="50",
        attestations=("hipaa-baa",),
        bids=(
            BidSpec("carebridge", "88000", 45, "Triage nurses, all with telehealth experience."),
            BidSpec("cardia", "94000", 50, "Nurses supervised by an emergency physician."),
            BidSpec("scalewise", "99000", 40, "Fast start: team already onboarded."),
        ),
    ),
    JobSpec(
        "helios",
        "Physics derivation checking",
        "reasoning",
        "Physicists check multi-step derivations in mechanics, electromagnetism and "
        "statistical physics.",
        2500,
        "items",
        ("45000", "70000"),
        "USD",
        (9, 16, 65),
        ((3, "physics", "doctorate", ""),),
        bids=(
            BidSpec("axiom", "58000", 50, "Physicists with teaching experience."),
            BidSpec("polymath", "52500", 55, "Two physicists and a reviewer."),
            BidSpec("scalewise", "66000", 40, "Dedicated physics pod."),
        ),
    ),
    JobSpec(
        "quanta",
        "Code agent patch review",
        "coding",
        "Engineers review patches written by coding agents against real repositories: "
        "correctness, tests and style.",
        600,
        "hours",
        ("40000", "65000"),
        "EUR",
        (5, 11, 55),
        ((4, "computer-science", "master", ""),),
        bids=(
            BidSpec("trajectory", "52000", 40, "Reviewers fluent in Python, Go and Rust."),
            BidSpec("polymath", "47000", 45, "Three engineers; scalable on request."),
        ),
    ),
    JobSpec(
        "apex",
        "Agent safety transcript review",
        "agent_behavior",
        "Engineers review transcripts of agents attempting risky tool calls and label "
        "policy violations.",
        400,
        "hours",
        ("30000", "50000"),
        "USD",
        (6, 13, 60),
        ((3, "computer-science", "master", ""),),
        bids=(
            BidSpec("scalewise", "41000", 30, "Priority team for Apex."),
            BidSpec("agentic", "44000", 35, "Safety-trained reviewers."),
        ),
    ),
)


# --- Loading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    organisation: str
    email: str


@dataclass
class DemoSummary:
    created: Counter[str] = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)
    other_logins: list[DemoLogin] = field(default_factory=list)
    password: str = DEMO_PASSWORD
    admin_url: str = ADMIN_URL

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


class Writer(Protocol):
    def write(self, msg: str, /) -> object: ...


@transaction.atomic
def demo_load(*, stdout: Writer | None = None) -> DemoSummary:
    """Loads the demo data set, creating only what is missing. One transaction."""
    return _DemoLoader(stdout).load()


class _DemoLoader:
    def __init__(self, stdout: Writer | None) -> None:
        self.stdout = stdout
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.summary = DemoSummary()
        self.created = self.summary.created
        self.entities: dict[str, Entity] = {}
        self.labs: dict[str, Lab] = {}
        self.vendors: dict[str, Vendor] = {}
        self.users: dict[str, User] = {}
        self.rosters = plan_rosters()
        self.specialists: dict[tuple[str, str], Specialist] = {}
        self.password_hash: str | None = None

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")

    def load(self) -> DemoSummary:
        notifications_before = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        steps: list[tuple[str, Callable[[], None]]] = [
            ("vocabularies", self.load_vocabularies),
            ("platform admin", self.load_admin),
            ("entities", self.load_entities),
            ("labs", self.load_labs),
            ("vendors", self.load_vendors),
            ("users and memberships", self.load_users),
            ("competitors and conflict policies", self.load_competitors_and_policies),
            ("attestations", self.load_attestations),
            ("rosters, credentials and affiliations", self.load_rosters),
            ("ownership web", lambda: self.load_stakes(BACKGROUND_STAKES)),
            # History first: these jobs were awarded before Apex bought into Scalewise.
            ("past jobs, awards and ratings", lambda: self.load_jobs(HISTORICAL_JOBS)),
            ("the story: Apex buys into Scalewise, its CEO moves", self.load_story),
            (
                "open and draft jobs, bids and questions",
                lambda: self.load_jobs(OPEN_AND_DRAFT_JOBS),
            ),
        ]
        for label, step in steps:
            before = self.summary.total_created
            step()
            self.say(f"{label}: {self.summary.total_created - before} created")
        # The demo's addresses are invented (.demo), so its notifications stay in-app:
        # marking them as sent keeps the e-mail task from mailing addresses that do not exist.
        Notification.objects.filter(pk__gt=notifications_before, emailed_at__isnull=True).update(
            emailed_at=self.now
        )
        self.collect_logins()
        return self.summary

    # Vocabularies ----------------------------------------------------------------------

    def load_vocabularies(self) -> None:
        for code, name, description in DOMAINS:
            _, made = Domain.objects.get_or_create(
                code=code, defaults={"name": name, "description": description}
            )
            self.created["vocabulary entries"] += made
        for code, name, description in ATTESTATION_KINDS:
            _, made = AttestationKind.objects.get_or_create(
                code=code, defaults={"name": name, "description": description}
            )
            self.created["vocabulary entries"] += made
        for code, name in CREDENTIAL_FIELDS:
            _, made = CredentialField.objects.get_or_create(code=code, defaults={"name": name})
            self.created["vocabulary entries"] += made
        for code, name, kind, ladder, rank in QUALIFICATION_LEVELS:
            if not QualificationLevel.objects.filter(code=code).exists():
                QualificationLevel.objects.create(
                    code=code, name=name, kind=kind, ladder=ladder, rank=rank
                )
                self.created["vocabulary entries"] += 1
        self.domains = {d.code: d for d in Domain.objects.all()}
        self.attestation_kinds = {k.code: k for k in AttestationKind.objects.all()}
        self.fields = {f.code: f for f in CredentialField.objects.all()}
        self.levels = {level.code: level for level in QualificationLevel.objects.all()}

    # People and organisations -----------------------------------------------------------

    def _user(self, *, email: str, full_name: str, **extra: object) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = user_create(email=email, password=None, full_name=full_name, **extra)
            # Every demo user has the one published password. The hash is slow on purpose,
            # so it is computed once per run and shared, which keeps loading fast.
            if self.password_hash is None:
                self.password_hash = make_password(DEMO_PASSWORD)
            user.password = self.password_hash
            user.save(update_fields=["password"])
            self.created["users"] += 1
        self.users[email] = user
        return user

    def load_admin(self) -> None:
        self.admin = self._user(
            email=ADMIN_EMAIL, full_name="Platform Admin", is_staff=True, is_superuser=True
        )

    def load_entities(self) -> None:
        specs = [
            *(EntitySpec(o.key, o.name, jurisdiction=o.jurisdiction) for o in (*LABS, *VENDORS)),
            *OTHER_ENTITIES,
        ]
        ids = [entity_record_id(spec.key) for spec in specs]
        existing = {e.record_id: e for e in Entity.objects.filter(record_id__in=ids)}
        for spec in specs:
            entity = existing.get(entity_record_id(spec.key))
            if entity is None:
                entity = entity_create(
                    name=spec.name,
                    entity_type=spec.entity_type,
                    jurisdiction=spec.jurisdiction,
                    identifiers=[{"scheme": s, "id": i} for s, i in spec.identifiers],
                    record_id=entity_record_id(spec.key),
                    source="demo",
                )
                self.created["entities"] += 1
            self.entities[spec.key] = entity

    def load_labs(self) -> None:
        for spec in LABS:
            lab = Lab.objects.filter(organisation__slug=spec.slug).first()
            if lab is None:
                lab = lab_create(
                    name=spec.name,
                    slug=spec.slug,
                    entity=self.entities[spec.key],
                    description=spec.description,
                    website=spec.website,
                )
                self.created["labs"] += 1
            self.labs[spec.key] = lab

    def load_vendors(self) -> None:
        for spec in VENDORS:
            vendor = Vendor.objects.filter(organisation__slug=spec.slug).first()
            if vendor is None:
                vendor = vendor_create(
                    name=spec.name,
                    slug=spec.slug,
                    entity=self.entities[spec.key],
                    description=spec.description,
                    website=spec.website,
                    headquarters=spec.headquarters,
                )
                self.created["vendors"] += 1
            self.vendors[spec.key] = vendor

    def _organisation(self, key: str) -> Lab | Vendor:
        return self.labs[key] if key in self.labs else self.vendors[key]

    def load_users(self) -> None:
        for spec in USERS:
            user = self._user(email=spec.email, full_name=spec.full_name)
            organisation = self._organisation(spec.org).organisation
            if not Membership.objects.filter(user=user, organisation=organisation).exists():
                membership_set(organisation=organisation, user=user, role=spec.role)
                self.created["memberships"] += 1

    def _member(self, org_key: str, *roles: str) -> User:
        """The demo user of `org_key` holding the first of `roles` that someone holds."""
        for role in roles:
            for spec in USERS:
                if spec.org == org_key and spec.role == role:
                    return self.users[spec.email]
        raise LookupError(f"no demo user of {org_key} holds {roles}")

    def _lab_buyer(self, lab_key: str) -> User:
        return self._member(lab_key, Role.PROCUREMENT, Role.LAB_OWNER)

    def _lab_reviewer(self, lab_key: str) -> User:
        return self._member(lab_key, Role.REVIEWER, Role.PROCUREMENT, Role.LAB_OWNER)

    def _vendor_bidder(self, vendor_key: str) -> User:
        return self._member(vendor_key, Role.BID_MANAGER, Role.VENDOR_OWNER)

    def load_competitors_and_policies(self) -> None:
        for lab_key, entity_key, note in COMPETITORS:
            lab, entity = self.labs[lab_key], self.entities[entity_key]
            if not Competitor.objects.filter(lab=lab, entity=entity).exists():
                competitor_add(lab=lab, user=self._lab_buyer(lab_key), entity=entity, note=note)
                self.created["competitors"] += 1
        lab = self.labs[STRICT_POLICY.lab]
        policy = ConflictPolicy.objects.get(lab=lab)
        wanted = (
            STRICT_POLICY.block_percent,
            STRICT_POLICY.review_percent,
            STRICT_POLICY.lookback_months,
        )
        if (policy.block_percent, policy.review_percent, policy.lookback_months) != wanted:
            conflict_policy_update(
                lab=lab,
                user=self._member(STRICT_POLICY.lab, Role.LAB_OWNER),
                block_percent=STRICT_POLICY.block_percent,
                review_percent=STRICT_POLICY.review_percent,
                lookback_months=STRICT_POLICY.lookback_months,
            )
            self.created["conflict policies tightened"] += 1

    # Vendors' compliance and rosters ----------------------------------------------------

    def load_attestations(self) -> None:
        held = set(
            Attestation.objects.filter(vendor__in=self.vendors.values()).values_list(
                "vendor_id", "kind_id"
            )
        )
        for vendor_key, kind_code, issued_ago, expires_in, issuer in ATTESTATIONS:
            vendor, kind = self.vendors[vendor_key], self.attestation_kinds[kind_code]
            if (vendor.pk, kind.pk) in held:
                continue
            attestation_add(
                vendor=vendor,
                user=self._member(vendor_key, Role.VENDOR_OWNER),
                kind=kind,
                issued_on=self.today - timedelta(days=issued_ago),
                expires_on=self.today + timedelta(days=expires_in),
                issuer=issuer,
            )
            self.created["attestations"] += 1

    def load_rosters(self) -> None:
        existing = {
            (s.vendor_id, s.full_name): s
            for s in Specialist.objects.filter(vendor__in=self.vendors.values())
        }
        held = set(
            Credential.objects.filter(specialist__vendor__in=self.vendors.values()).values_list(
                "specialist_id", "field_id", "level_id"
            )
        )
        for vendor_key, roster in self.rosters.items():
            vendor = self.vendors[vendor_key]
            manager = self._vendor_bidder(vendor_key)
            for plan in roster:
                specialist = existing.get((vendor.pk, plan.full_name))
                if specialist is None:
                    specialist = specialist_create(
                        vendor=vendor,
                        user=manager,
                        full_name=plan.full_name,
                        email=plan.email,
                        headline=plan.headline,
                    )
                    self.created["specialists"] += 1
                self.specialists[(vendor_key, plan.full_name)] = specialist
                for credential_plan in plan.credentials:
                    field_, level = (
                        self.fields[credential_plan.field],
                        self.levels[credential_plan.level],
                    )
                    if (specialist.pk, field_.pk, level.pk) not in held:
                        self._add_credential(specialist, manager, credential_plan)
        self.load_affiliations()

    def _add_credential(self, specialist: Specialist, manager: User, plan: CredentialPlan) -> None:
        issued_on = plan.issued_on_fixed or (self.today - timedelta(days=plan.issued_ago_days or 0))
        expires_on = (
            self.today + timedelta(days=plan.expires_in_days)
            if plan.expires_in_days is not None
            else None
        )
        credential = credential_add(
            specialist=specialist,
            user=manager,
            field=self.fields[plan.field],
            level=self.levels[plan.level],
            issuer=plan.issuer,
            identifier=plan.identifier,
            issued_on=issued_on,
            expires_on=expires_on,
        )
        self.created["credentials"] += 1
        if plan.outcome == "verified":
            credential_verify(credential=credential, user=self.admin)
        elif plan.outcome == "rejected":
            credential_reject(credential=credential, user=self.admin, reason=plan.rejection_reason)

    def _days_ago(self, days: int | None) -> date | None:
        return None if days is None else self.today - timedelta(days=days)

    def load_affiliations(self) -> None:
        held = set(
            Affiliation.objects.filter(specialist__vendor__in=self.vendors.values()).values_list(
                "specialist_id", "organisation_id", "role"
            )
        )
        for vendor_key, position, entity_key, role, start_ago, end_ago in AFFILIATIONS:
            plan = self.rosters[vendor_key][position]
            specialist = self.specialists[(vendor_key, plan.full_name)]
            entity = self.entities[entity_key]
            if (specialist.pk, entity.pk, role) in held:
                continue
            affiliation_add(
                specialist=specialist,
                user=self._vendor_bidder(vendor_key),
                organisation=entity,
                role=role,
                start_date=self._days_ago(start_ago),
                end_date=self._days_ago(end_ago),
            )
            self.created["affiliations"] += 1

    # Ownership ----------------------------------------------------------------------------

    def load_stakes(self, specs: tuple[StakeSpec, ...]) -> None:
        ids = {stake_record_id(spec.key) for spec in specs}
        held = set(
            Stake.objects.filter(record_id__in=ids).values_list("record_id", "interest_index")
        )
        for spec in specs:
            if (stake_record_id(spec.key), spec.index) in held:
                continue
            stake_create(
                interested_party=self.entities[spec.party],
                subject=self.entities[spec.subject],
                interest_type=spec.interest_type,
                provenance=spec.provenance,
                share_exact=_decimal(spec.exact),
                share_min=_decimal(spec.low),
                share_max=_decimal(spec.high),
                start_date=spec.start,
                end_date=spec.end,
                beneficial_ownership_or_control=spec.beneficial,
                record_id=stake_record_id(spec.key),
                interest_index=spec.index,
                source_note=spec.note,
                declared_at=spec.start,
            )
            held.add((stake_record_id(spec.key), spec.index))
            self.created["stakes"] += 1

    def load_story(self) -> None:
        ceo_at_scalewise = Stake.objects.get(record_id=CEO_SCALEWISE_STAKE_ID, interest_index=0)
        if ceo_at_scalewise.end_date is None:
            stake_end(
                stake=ceo_at_scalewise, end_date=self.today - timedelta(days=CEO_MOVED_DAYS_AGO)
            )
            self.created["stakes ended"] += 1
        self.load_stakes(story_stakes(self.today))

    # Jobs ---------------------------------------------------------------------------------

    def _deadline(self, days: int) -> datetime:
        return datetime.combine(self.today + timedelta(days=days), time(17, 0), tzinfo=UTC)

    def load_jobs(self, specs: tuple[JobSpec, ...]) -> None:
        for spec in specs:
            self.load_job(spec)

    def load_job(self, spec: JobSpec) -> None:
        lab = self.labs[spec.lab]
        job = Job.objects.filter(lab=lab, title=spec.title).first()
        if job is None:
            job = self._create_job(spec)
            if spec.status == JobStatus.COMPLETED:
                self._run_history(job, spec)
                return
            if spec.status == JobStatus.OPEN:
                job = job_publish(job=job, user=self._lab_buyer(spec.lab))
        # An open job still taking bids gets any missing bids and questions.
        if job.status == JobStatus.OPEN and job.bid_deadline > timezone.now():
            for bid_spec in spec.bids:
                self._ensure_bid(job, bid_spec)
            for question_spec in spec.questions:
                self._ensure_question(job, question_spec)

    def _create_job(self, spec: JobSpec) -> Job:
        buyer = self._lab_buyer(spec.lab)
        question_days, bid_days, delivery_days = spec.days
        if spec.status == JobStatus.COMPLETED:
            # Published as if new (the services refuse past deadlines), then backdated.
            question_days, bid_days, delivery_days = 1, 2, 30
        job = job_create(
            lab=self.labs[spec.lab],
            user=buyer,
            title=spec.title,
            domain=self.domains[spec.domain],
            description=spec.description,
            volume=spec.volume,
            volume_unit=spec.volume_unit,
            budget_min=Decimal(spec.budget[0]),
            budget_max=Decimal(spec.budget[1]),
            currency=spec.currency,
            question_deadline=self._deadline(question_days),
            bid_deadline=self._deadline(bid_days),
            delivery_date=self.today + timedelta(days=delivery_days),
            sensitivity=spec.sensitivity,
            bidding=spec.bidding,
            split_allowed=spec.split_max is not None,
            max_share_per_vendor=Decimal(spec.split_max or "100"),
            required_attestations=[self.attestation_kinds[c] for c in spec.attestations],
        )
        for count, field_code, level_code, note in spec.seats:
            seat_requirement_add(
                job=job,
                user=buyer,
                count=count,
                field=self.fields[field_code],
                min_level=self.levels[level_code],
                note=note,
            )
        self.created["jobs"] += 1
        return job

    def _run_history(self, job: Job, spec: JobSpec) -> None:
        """Publishes, bids, closes, awards and completes a past job, then moves its dates
        back to when it happened."""
        buyer, reviewer = self._lab_buyer(spec.lab), self._lab_reviewer(spec.lab)
        job = job_publish(job=job, user=buyer)
        bids = {bid_spec.vendor: self._ensure_bid(job, bid_spec) for bid_spec in spec.bids}
        question_ago, bid_ago, delivery_ago = spec.days
        published = self.now - timedelta(days=bid_ago + 15)
        closed = self._deadline(-bid_ago)
        Job.objects.filter(pk=job.pk).update(
            created_at=published - timedelta(days=3),
            published_at=published,
            question_deadline=self._deadline(-question_ago),
            bid_deadline=closed,
            delivery_date=self.today - timedelta(days=delivery_ago),
        )
        submitted = closed - timedelta(days=2)
        Bid.objects.filter(job=job).update(created_at=submitted, submitted_at=submitted)
        BidRevision.objects.filter(bid__job=job).update(created_at=submitted)
        job = job_close_bidding(job=job, user=None)
        award = award_make(
            job=job,
            user=buyer,
            shares={bids[c.vendor].pk: Decimal(c.share) for c in spec.contracts},
            note="Awarded after a calibration round.",
        )
        last_completed = closed
        for contract_spec in spec.contracts:
            contract = award.contracts.get(vendor=self.vendors[contract_spec.vendor])
            delivered = self.today - timedelta(days=contract_spec.delivered_ago_days)
            contract_complete(
                contract=contract,
                user=reviewer,
                delivered_on=delivered,
                rating=contract_spec.rating,
                comment=contract_spec.comment,
            )
            completed = datetime.combine(delivered + timedelta(days=2), time(12, 0), tzinfo=UTC)
            Contract.objects.filter(pk=contract.pk).update(completed_at=completed)
            last_completed = max(last_completed, completed)
        awarded = closed + timedelta(days=5)
        Award.objects.filter(pk=award.pk).update(awarded_at=awarded)
        Bid.objects.filter(job=job).update(decided_at=awarded)
        Job.objects.filter(pk=job.pk).update(evaluation_started_at=closed, closed_at=last_completed)

    def _pick_specialists(self, vendor_key: str, job: Job) -> list[Specialist]:
        """Distinct specialists of the vendor whose planned credentials are verified, valid
        at delivery and satisfy a seat, up to each seat's count (a bid may fall short)."""
        roster = self.rosters[vendor_key]
        chosen: list[SpecialistPlan] = []
        delivery_in = (job.delivery_date - self.today).days
        for seat in job.seat_requirements.select_related("field", "min_level"):
            need_ladder, need_rank = seat.min_level.ladder, seat.min_level.rank
            fits = [
                plan
                for plan in roster
                if plan not in chosen
                and any(
                    c.outcome == "verified"
                    and c.field == seat.field.code
                    and LEVEL_LADDER[c.level][0] == need_ladder
                    and LEVEL_LADDER[c.level][1] >= need_rank
                    and (c.expires_in_days is None or c.expires_in_days > delivery_in)
                    for c in plan.credentials
                )
            ]
            chosen.extend(fits[: seat.count])
        return [self.specialists[(vendor_key, plan.full_name)] for plan in chosen]

    def _ensure_bid(self, job: Job, spec: BidSpec) -> Bid:
        vendor = self.vendors[spec.vendor]
        bid = Bid.objects.filter(job=job, vendor=vendor).exclude(status=BidStatus.WITHDRAWN).first()
        user = self._vendor_bidder(spec.vendor)
        if bid is None:
            bid = bid_submit(
                job=job,
                vendor=vendor,
                user=user,
                price=Decimal(spec.price),
                currency=job.currency,
                timeline_days=spec.timeline_days,
                note=spec.note,
                specialists=self._pick_specialists(spec.vendor, job),
            )
            self.created["bids"] += 1
        if spec.revised_price and bid.status == BidStatus.SUBMITTED and bid.revision_number < 2:
            bid = bid_revise(
                bid=bid, user=user, price=Decimal(spec.revised_price), note=spec.revised_note
            )
            self.created["bid revisions"] += 1
        return bid

    def _ensure_question(self, job: Job, spec: QuestionSpec) -> None:
        question = Question.objects.filter(job=job, body=spec.body).first()
        if question is None:
            if job.question_deadline <= timezone.now():
                return
            question = question_ask(
                job=job,
                vendor=self.vendors[spec.vendor],
                user=self._vendor_bidder(spec.vendor),
                body=spec.body,
            )
            self.created["questions"] += 1
        if spec.answer and question.answered_at is None:
            question_answer(
                question=question, user=self.users[spec.answered_by], answer=spec.answer
            )
            self.created["answers"] += 1

    # Output -------------------------------------------------------------------------------

    def collect_logins(self) -> None:
        self.summary.logins.append(DemoLogin(PLATFORM_ADMIN_ROLE, "(platform)", ADMIN_EMAIL))
        for spec in USERS:
            login = DemoLogin(Role(spec.role).label, ORG_BY_KEY[spec.org].name, spec.email)
            (self.summary.logins if spec.featured else self.summary.other_logins).append(login)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
