from __future__ import annotations

from typing import Any

from django import forms

from governance.accounts.roles import Role
from governance.approvals.models import POLICY_TIERS, Decision


class SignForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    meaning = forms.CharField(widget=forms.HiddenInput)
    conditions = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Conditions of your approval, e.g. canary at most 5 % for two weeks",
    )
    comment = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you reject or request changes",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password: it is the second component of your signature",
    )
    confirm = forms.BooleanField(
        label="I have read the statement above and sign it with its meaning"
    )
    stage = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, with_provider: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_provider:
            # The signer confirms with a fresh login at the provider instead of a password.
            del self.fields["password"]


class RequestForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the signers should know (optional)",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)


class PolicyForm(forms.Form):
    tier = forms.ChoiceField(choices=POLICY_TIERS)
    recertification_months = forms.IntegerField(min_value=1, max_value=60)
    stages = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "One stage per line: name | required role | quorum | SLA hours | escalation role, "
            f"roles among {', '.join(Role.values)}"
        ),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_stages(self) -> list[dict[str, Any]]:
        stages = []
        for number, line in enumerate(self.cleaned_data["stages"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 5:
                raise forms.ValidationError(f"Line {number}: expected 5 parts separated by |.")
            name, role, quorum, sla, escalation = parts
            try:
                quorum_n, sla_n = int(quorum), int(sla)
            except ValueError:
                raise forms.ValidationError(
                    f"Line {number}: quorum and SLA hours must be whole numbers."
                ) from None
            stages.append(
                {
                    "name": name,
                    "required_role": role,
                    "quorum": quorum_n,
                    "sla_hours": sla_n,
                    "escalation_role": escalation,
                }
            )
        return stages
