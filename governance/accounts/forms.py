from __future__ import annotations

from django import forms


class TokenForm(forms.Form):
    # The form refuses NUL characters, which PostgreSQL cannot store in text.
    name = forms.CharField(required=False, max_length=100)
