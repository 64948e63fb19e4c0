from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from governance.accounts.lockout import wait_message
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
