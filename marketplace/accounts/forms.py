"""Browser forms for signing in, password resets and the team page. They check the shape
of the input; the services in marketplace/accounts/services.py decide what is allowed."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from marketplace.accounts.models import ROLES_BY_KIND, Organisation, Role


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for an e-mail login."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "E-mail"
        username.widget.input_type = "email"  # type: ignore[attr-defined]
        username.widget.attrs.update({"autocomplete": "email", "autocapitalize": "none"})


class InvitationAwarePasswordResetForm(PasswordResetForm):
    """Django's password-reset form, which also answers people who were invited and have
    not chosen a password yet (an unusable one), so a lost invitation e-mail is not a
    dead end. Inactive accounts still get nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail"

    def get_users(self, email: str) -> Iterator[Any]:
        user_model = get_user_model()
        for user in user_model._default_manager.filter(email__iexact=email, is_active=True):
            # As Django's own form: a database's case-insensitive match may pair different
            # Unicode addresses, so only an address that is really the same one counts.
            if _same_address(email, user.email):
                yield user


def _same_address(typed: str, stored: str) -> bool:
    return (
        unicodedata.normalize("NFKC", typed).casefold()
        == unicodedata.normalize("NFKC", stored).casefold()
    )


def role_choices(organisation: Organisation) -> list[tuple[str, str]]:
    """The roles of this kind of organisation, in the order Role declares them."""
    allowed = ROLES_BY_KIND[organisation.kind]
    return [(value, label) for value, label in Role.choices if value in allowed]


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(
        label="Name",
        max_length=150,
        required=False,
        help_text="Only used when the person has no account yet.",
    )
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(organisation)  # type: ignore[attr-defined]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(organisation)  # type: ignore[attr-defined]


class OrganisationSwitchForm(forms.Form):
    organisation = forms.IntegerField(min_value=1)
