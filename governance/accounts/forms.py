from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from governance.accounts.lockout import wait_message
from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.accounts.scopes import Scope


class TokenForm(forms.Form):
    # The form refuses NUL characters, which PostgreSQL cannot store in text.
    name = forms.CharField(required=False, max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day the token works; empty: until revoked",
    )

    def __init__(self, *args: Any, mintable: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only the scopes this person may give; any other is refused by the service
        # with its reason.
        self.fields["scopes"].widget.choices = [
            (value, f"{value}: {label}") for value, label in Scope.choices if value in mintable
        ]

    def clean_expires_on(self) -> dt.date | None:
        expires_on: dt.date | None = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        if expires_on < timezone.localdate():
            raise forms.ValidationError("The last day cannot be in the past.")
        if expires_on == dt.date.max:
            # The token expires as the next day begins, and the calendar has no day after it.
            raise forms.ValidationError(
                "That day is too far ahead: leave it empty for a token that works until revoked."
            )
        return expires_on

    def expires_at(self) -> dt.datetime | None:
        """The token works through its last day, so it expires as the next day begins."""
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        next_day = dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(next_day)


class LoginForm(AuthenticationForm):
    def get_invalid_login_error(self) -> forms.ValidationError:
        # The slow-down refuses before the password is checked; say so instead of "wrong".
        wait = getattr(self.request, "login_wait_seconds", 0)
        if wait:
            return forms.ValidationError(wait_message(wait), code="slowed_down")
        return super().get_invalid_login_error()


# --- User administration ---------------------------------------------------------------------

ROLE_FIELD_HELP = "A person may hold several roles; each grants what its description says."


def _roles_field(**kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=ROLE_FIELD_HELP,
        **kwargs,
    )


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The invitation link is sent here.")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    roles = _roles_field()


class RolesForm(forms.Form):
    roles = _roles_field()


class DeactivateForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Recorded in the audit log.")
    successor = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody: flag what they owned as needing a new owner",
        help_text="Optional. Their open findings pass to this person, and the deployments "
        "they were accountable for are offered to them. Without one, both are flagged on the "
        "compliance overview as needing a new owner.",
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        if user is not None:
            others = others.exclude(pk=user.pk)
        cast(forms.ModelChoiceField, self.fields["successor"]).queryset = others


class ReactivateForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class AcceptInviteForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
