from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.findings.choices import Severity
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Everyone but auditors can act on a finding (auditors read and change nothing).
OWNER_ROLES = [r for r in Role.values if r != Role.AUDITOR]


def possible_owners() -> Any:
    return (
        User.objects.filter(is_active=True, role_grants__role__in=OWNER_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class FindingForm(forms.Form):
    deployment = forms.ModelChoiceField(queryset=Deployment.objects.none())
    severity = forms.ChoiceField(
        choices=Severity.choices,
        help_text="Sets the due date: critical 7 days, high 30, medium 90, low 180.",
    )
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), help_text="The person who must act on it."
    )
    due_date = forms.DateField(
        required=False, widget=DATE, help_text="Leave empty to follow the severity policy."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = possible_owners()
        cast(forms.ModelChoiceField, self.fields["deployment"]).queryset = (
            Deployment.objects.exclude(status=DeploymentStatus.RETIRED)
            .select_related("model_version__system")
            .order_by("model_version__system__name", "environment")
        )

    def clean_due_date(self) -> Any:
        value = self.cleaned_data.get("due_date")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        return value


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), label="New owner", help_text="The person who acts next."
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown beside the step forms, which have a note too: element ids stay unique.
        kwargs.setdefault("auto_id", "id_owner_%s")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = possible_owners()


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What was done to fix the problem."
    )
    attachments = MultipleFileField(required=False, label="Evidence files")


class EvidenceForm(forms.Form):
    attachments = MultipleFileField(label="Evidence files")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown beside the resolve form, which has a field of the same name: its own ids keep
        # each label pointing at its own form's input.
        kwargs.setdefault("auto_id", "id_evidence_%s")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class AcceptRiskForm(forms.Form):
    signed_as = forms.ChoiceField(choices=(), label="Sign as")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the risk is acceptable."
    )
    expires_on = forms.DateField(
        widget=DATE, help_text="The finding reopens on this date unless fixed by then."
    )
    password = forms.CharField(
        widget=forms.PasswordInput, help_text="Re-enter your password to sign."
    )
    confirm = forms.BooleanField(
        label="I understand this signature accepts the risk and is recorded permanently."
    )

    def __init__(
        self,
        *args: Any,
        roles: list[str] | None = None,
        with_provider: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["signed_as"]).choices = [
            (r, Role(r).label) for r in (roles or Role.values)
        ]
        if with_provider:
            # The signer confirms with a fresh login at the provider instead of a password.
            del self.fields["password"]
