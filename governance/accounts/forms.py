from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from governance.accounts.lockout import wait_message


class TokenForm(forms.Form):
    # The form refuses NUL characters, which PostgreSQL cannot store in text.
    name = forms.CharField(required=False, max_length=100)


class LoginForm(AuthenticationForm):
    def get_invalid_login_error(self) -> forms.ValidationError:
        # The slow-down refuses before the password is checked; say so instead of "wrong".
        wait = getattr(self.request, "login_wait_seconds", 0)
        if wait:
            return forms.ValidationError(wait_message(wait), code="slowed_down")
        return super().get_invalid_login_error()
