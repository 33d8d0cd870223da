"""The team page: every member sees who works for their organisation; owners invite
people, change roles and remove members there."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from marketplace.accounts.models import Membership, Role, User
from marketplace.core.web import FORM_TOKEN_FIELD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = reverse("accounts:team")


def role_url(membership: Membership) -> str:
    return reverse("accounts:member_role", args=[membership.pk])


def remove_url(membership: Membership) -> str:
    return reverse("accounts:member_remove", args=[membership.pk])


def membership_of(user: User, organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


def invitation(email: str = "grace@example.test", role: str = Role.REVIEWER, **extra):
    return {"email": email, "full_name": "", "role": role, **extra}


# --- who sees the page -------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client, acme):
    reviewer = membership_of(acme.reviewer, acme.lab.organisation)

    for url in (TEAM, role_url(reviewer), remove_url(reviewer)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_a_member_sees_the_team_with_names_e_mails_and_roles(client, acme, rival):
    client.force_login(acme.reviewer)

    response = client.get(TEAM)

    assert response.status_code == 200
    html = response.text
    assert "<h1>Team</h1>" in html
    assert "Members of Acme AI</caption>" in html
    for user, role in (
        (acme.owner, "Lab owner"),
        (acme.procurement, "Procurement"),
        (acme.reviewer, "Reviewer"),
    ):
        assert user.full_name in html
        assert user.email in html
        assert role in html


def test_another_organisations_members_never_appear(client, acme, rival, medix):
    client.force_login(acme.owner)

    html = client.get(TEAM).text

    for outsider in (rival.owner, rival.procurement, medix.owner):
        assert outsider.email not in html


def test_a_vendor_sees_its_own_team(client, medix, acme):
    client.force_login(medix.bid_manager)

    html = client.get(TEAM).text

    assert "Members of Medix Annotations" in html
    assert medix.owner.email in html
    assert acme.owner.email not in html


def test_a_person_in_no_organisation_gets_404(client):
    client.force_login(UserFactory())

    assert client.get(TEAM).status_code == 404


@pytest.mark.parametrize("who", ["procurement", "reviewer"])
def test_a_member_who_is_not_an_owner_sees_the_team_read_only(client, acme, who):
    client.force_login(getattr(acme, who))

    html = client.get(TEAM).text

    assert "Only an owner of Acme AI can invite members" in html
    assert "Send invitation" not in html
    assert "Change role" not in html
    assert "/remove/" not in html


@pytest.mark.parametrize("who", ["procurement", "reviewer"])
def test_a_member_who_is_not_an_owner_cannot_change_the_team(
    client, acme, who, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(getattr(acme, who))
    reviewer = membership_of(acme.reviewer, acme.lab.organisation)

    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(TEAM, invitation())
        changed = client.post(role_url(reviewer), {"role": Role.LAB_OWNER})
        removing = client.get(remove_url(reviewer))
        removed = client.post(remove_url(reviewer))

    assert [r.status_code for r in (invited, changed, removing, removed)] == [403] * 4
    assert not User.objects.filter(email="grace@example.test").exists()
    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.REVIEWER
    assert mailoutbox == []


def test_the_page_keeps_to_a_query_budget_whatever_the_team_size(
    client, acme, django_assert_max_num_queries
):
    client.force_login(acme.owner)
    with django_assert_max_num_queries(8):
        client.get(TEAM)
    for _ in range(15):
        MembershipFactory(organisation=acme.lab.organisation, role=Role.REVIEWER)

    with django_assert_max_num_queries(8):
        response = client.get(TEAM)

    assert response.text.count("Change role<") == 18


# --- inviting ----------------------------------------------------------------------------------


def test_an_owner_invites_a_new_person_who_then_signs_in(
    client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(acme.owner)
    page = client.get(TEAM).text
    assert "Invite a member" in page
    assert ">E-mail</label>" in page and "Send invitation</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            TEAM, invitation("grace@example.test", Role.PROCUREMENT, full_name="Grace Hopper")
        )

    assert response.status_code == 302
    assert response.url == TEAM
    html = client.get(TEAM).text
    assert "grace@example.test was added as Procurement and told by e-mail." in html
    assert "Grace Hopper" in html and "Invitation pending" in html
    assert len(mailoutbox) == 1

    # The invited person follows the link, chooses a password and signs in.
    client.logout()
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    form_url = client.get(link).url
    assert "Choose a password" in client.get(form_url).text
    done = client.post(
        form_url, {"new_password1": "a-fresh-passphrase-7", "new_password2": "a-fresh-passphrase-7"}
    )
    assert done.url == reverse("password_reset_complete")
    signed_in = client.post(
        reverse("login"), {"username": "grace@example.test", "password": "a-fresh-passphrase-7"}
    )
    assert signed_in.url == reverse("home")
    assert client.get(signed_in.url).url == reverse("lab:dashboard")


def test_an_invited_person_who_lost_the_e_mail_can_ask_for_a_new_link(
    client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(acme.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(TEAM, invitation("grace@example.test"))
    client.logout()
    mailoutbox.clear()

    client.post(reverse("password_reset"), {"email": "grace@example.test"})

    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_inviting_a_member_again_is_refused_next_to_the_e_mail_field(
    client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(acme.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            TEAM, invitation(acme.reviewer.email, Role.PROCUREMENT, full_name="Typed name")
        )

    assert response.status_code == 200
    html = response.text
    assert f"{acme.reviewer.email} is already a member of Acme AI." in html
    assert 'id="id_email_error"' in html
    assert f'value="{acme.reviewer.email}"' in html
    assert 'value="Typed name"' in html
    assert re.search(r'<option value="procurement"[^>]*selected', html)
    assert mailoutbox == []


def test_a_malformed_address_is_refused_next_to_the_field(client, acme):
    client.force_login(acme.owner)

    response = client.post(TEAM, invitation("not-an-address"))

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert 'aria-invalid="true"' in response.text


def test_only_roles_of_this_kind_of_organisation_are_offered(client, acme, medix):
    client.force_login(acme.owner)
    lab_page = client.get(TEAM).text
    refused = client.post(TEAM, invitation(role=Role.BID_MANAGER))
    client.force_login(medix.owner)
    vendor_page = client.get(TEAM).text

    assert 'value="reviewer"' in lab_page and 'value="bid_manager"' not in lab_page
    assert 'value="bid_manager"' in vendor_page and 'value="reviewer"' not in vendor_page
    assert refused.status_code == 200
    assert "Select a valid choice." in refused.text
    assert not User.objects.filter(email="grace@example.test").exists()


def test_an_invitation_sent_twice_with_the_same_form_invites_once(
    client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(acme.owner)
    data = invitation(**{FORM_TOKEN_FIELD: str(uuid.uuid4())})

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(TEAM, data)
        second = client.post(TEAM, data)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Membership.objects.filter(user__email="grace@example.test").count() == 1
    assert len(mailoutbox) == 1


# --- changing roles ---------------------------------------------------------------------------


def test_an_owner_changes_a_members_role(client, acme):
    client.force_login(acme.owner)
    reviewer = membership_of(acme.reviewer, acme.lab.organisation)

    response = client.post(
        role_url(reviewer), {"role": Role.PROCUREMENT, FORM_TOKEN_FIELD: str(uuid.uuid4())}
    )

    assert response.url == TEAM
    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.PROCUREMENT
    assert f"{acme.reviewer.full_name} is now Procurement." in client.get(TEAM).text


def test_demoting_the_last_owner_is_refused_in_that_members_row(client, acme):
    client.force_login(acme.owner)
    own = membership_of(acme.owner, acme.lab.organisation)

    response = client.post(role_url(own), {"role": Role.REVIEWER})

    assert response.status_code == 200
    html = response.text
    assert "Acme AI must keep at least one owner" in html
    assert f'id="id_member_{own.pk}_role_error"' in html
    assert re.search(rf'id="id_member_{own.pk}_role"[^>]*aria-invalid="true"', html) or (
        'aria-invalid="true"' in html
    )
    assert membership_of(acme.owner, acme.lab.organisation).role == Role.LAB_OWNER


def test_changing_the_role_of_another_organisations_member_is_404(client, acme, rival):
    client.force_login(acme.owner)
    outsider = membership_of(rival.reviewer, rival.lab.organisation)

    response = client.post(role_url(outsider), {"role": Role.LAB_OWNER})

    assert response.status_code == 404
    assert membership_of(rival.reviewer, rival.lab.organisation).role == Role.REVIEWER


def test_changing_a_role_is_a_post(client, acme):
    client.force_login(acme.owner)

    response = client.get(role_url(membership_of(acme.reviewer, acme.lab.organisation)))

    assert response.status_code == 405


# --- removing ------------------------------------------------------------------------------------


def test_an_owner_confirms_and_removes_a_member(client, acme):
    client.force_login(acme.owner)
    reviewer = membership_of(acme.reviewer, acme.lab.organisation)

    page = client.get(remove_url(reviewer)).text
    response = client.post(remove_url(reviewer), {FORM_TOKEN_FIELD: str(uuid.uuid4())})

    assert f"Remove {acme.reviewer.full_name} from Acme AI?" in page
    assert "Remove from team</button>" in page
    assert response.url == TEAM
    assert not Membership.objects.filter(pk=reviewer.pk).exists()
    html = client.get(TEAM).text
    assert f"{acme.reviewer.full_name} was removed from Acme AI." in html
    assert acme.reviewer.email not in html


def test_removing_twice_with_the_same_form_removes_once_without_an_error(client, acme):
    client.force_login(acme.owner)
    reviewer = membership_of(acme.reviewer, acme.lab.organisation)
    data = {FORM_TOKEN_FIELD: str(uuid.uuid4())}

    first = client.post(remove_url(reviewer), data)
    second = client.post(remove_url(reviewer), data)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url == TEAM


def test_removing_the_last_owner_is_refused_on_the_confirmation_page(client, acme):
    client.force_login(acme.owner)
    own = membership_of(acme.owner, acme.lab.organisation)

    page = client.get(remove_url(own)).text
    response = client.post(remove_url(own))

    assert "Leave Acme AI?" in page
    assert response.status_code == 200
    assert "Acme AI must keep at least one owner" in response.text
    assert Membership.objects.filter(pk=own.pk).exists()


def test_an_owner_who_leaves_goes_home_with_a_message(client, acme):
    org = acme.lab.organisation
    MembershipFactory(organisation=org, role=Role.LAB_OWNER)
    client.force_login(acme.owner)

    response = client.post(remove_url(membership_of(acme.owner, org)))

    assert response.url == reverse("home")
    assert not Membership.objects.filter(user=acme.owner).exists()


def test_removing_another_organisations_member_is_404(client, acme, rival):
    client.force_login(acme.owner)
    outsider = membership_of(rival.reviewer, rival.lab.organisation)

    assert client.get(remove_url(outsider)).status_code == 404
    assert client.post(remove_url(outsider)).status_code == 404
    assert Membership.objects.filter(pk=outsider.pk).exists()
