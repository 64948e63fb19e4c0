from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from governance.accounts.models import User
from governance.inventory.choices import AnnexIIIArea
from governance.liability import conf
from governance.liability.choices import AIActRole, PartyKind, Raci, RoleShiftTrigger
from governance.liability.models import Contract, Party
from governance.liability.services.parties import CONTRACT_FIELDS, PARTY_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def qualifying_users() -> Any:
    return (
        User.objects.filter(is_active=True, role_grants__role__in=conf.qualifying_roles())
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class OfferForm(forms.Form):
    to_user = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Offer to", help_text="They must accept to own it."
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_user"]).queryset = qualifying_users()


class AcceptForm(forms.Form):
    statement = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you sign. Its meaning: you take responsibility for this deployment.",
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign.",
    )

    def __init__(self, *args: Any, with_provider: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_provider:
            # The acceptor confirms with a fresh login at the provider instead of a password.
            del self.fields["password"]


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class AssignmentForm(forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none())
    raci = forms.ChoiceField(label="RACI role", choices=Raci.choices)
    scope = forms.ChoiceField(choices=())
    ai_act_role = forms.ChoiceField(
        label="Party's EU AI Act role",
        choices=[("", "—"), *AIActRole.choices],
        required=False,
    )
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        help_text="The contract that sets this party's liability terms",
    )
    effective_from = forms.DateField(widget=DATE)
    effective_to = forms.DateField(widget=DATE, required=False, help_text="Last day; empty if open")
    notes = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("effective_from", timezone.localdate())
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["party"]).queryset = Party.objects.order_by("name")
        cast(
            forms.ModelChoiceField, self.fields["contract"]
        ).queryset = Contract.objects.select_related("party").order_by("reference")
        cast(forms.ChoiceField, self.fields["scope"]).choices = conf.scope_choices()


class EndAssignmentForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class RoleShiftForm(forms.Form):
    trigger = forms.ChoiceField(label="What happened", choices=RoleShiftTrigger.choices)
    high_risk_area = forms.ChoiceField(
        label="New high-risk area (for a new purpose)",
        choices=[("", "—"), *[c for c in AnnexIIIArea.choices if c[0] != AnnexIIIArea.NONE]],
        required=False,
    )
    explanation = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class PartyForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Party
        fields = (*PARTY_FIELDS, "members")
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = "Defaults to the person's name"
        users = User.objects.filter(is_active=True).order_by("username")
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = users
        if not self.instance._state.adding:
            # Who the party is does not change; a different one is a new party.
            self.fields["kind"].disabled = True
            self.fields["user"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != PartyKind.PERSON and not data.get("name"):
            self.add_error("name", "Name the team or organisation.")
        return data

    def validate_unique(self) -> None:
        return None

    def _post_clean(self) -> None:
        # The service validates, so pages and the API give the same messages.
        return None


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = CONTRACT_FIELDS
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "insurance_expires_on": DATE,
            "indemnity": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = Party.objects.order_by("name")
        cast(forms.ModelChoiceField, self.fields["party"]).queryset = parties.exclude(
            kind__in=[PartyKind.PERSON, PartyKind.TEAM]
        )
        cast(forms.ModelChoiceField, self.fields["insurer"]).queryset = parties.filter(
            kind=PartyKind.INSURER
        )
        if not self.instance._state.adding:
            self.fields["party"].disabled = True
            self.fields["reference"].disabled = True

    def validate_unique(self) -> None:
        return None

    def _post_clean(self) -> None:
        return None
