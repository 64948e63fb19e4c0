from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings

from audits.bias.models import BiasAudit
from audits.reports.models import ReportKind
from audits.reports.sections import missing_requirements
from audits.reports.services.reports import KIND_SUBJECTS
from audits.reports.verification import MAX_UPLOAD_BYTES, SHA256_RE
from governance.inventory.models import Deployment
from governance.monitoring.models import Incident


def available_kinds() -> list[tuple[str, str]]:
    return [
        (value, label) for value, label in ReportKind.choices if not missing_requirements(value)
    ]


class BiasAuditChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        version = obj.model_version
        return f"{version.system.name} {version.version_label}: audit of {obj.audit_date:%Y-%m-%d}"


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        version = obj.deployment.model_version
        system = f"{version.system.name} {version.version_label}"
        return f"{obj.title} ({system}, aware {obj.aware_at:%Y-%m-%d})"


# The subject field each kind asks for, as the service names it; the form shows only the
# chosen kind's.
SUBJECT_FIELDS = frozenset(subject.field for subject in KIND_SUBJECTS.values())


def chosen_kind(value: Any) -> str:
    """The kind asked for, or the first available one when none (or an unknown one) is."""
    kinds = [value for value, _ in available_kinds()]
    return value if value in kinds else (kinds[0] if kinds else "")


class ReportKindForm(forms.Form):
    """The kind alone, sent by GET: the page comes back with only that kind's fields."""

    kind = forms.ChoiceField(choices=(), label="Kind of report")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = available_kinds()


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    deployment: forms.ModelChoiceField[Deployment] = forms.ModelChoiceField(
        queryset=Deployment.objects.none(),
        required=False,
        help_text="The deployment a dossier documents",
    )
    bias_audit = BiasAuditChoiceField(
        queryset=BiasAudit.objects.none(),
        required=False,
        help_text="The final bias audit a bias-audit summary publishes",
    )
    incident = IncidentChoiceField(
        queryset=Incident.objects.none(),
        required=False,
        help_text="The serious incident a serious-incident report (Art 73) describes",
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        deployments: Any,
        bias_audits: Any,
        incidents: Any,
        **kwargs: Any,
    ) -> None:
        kwargs["initial"] = {**kwargs.get("initial", {}), "kind": kind}
        super().__init__(*args, **kwargs)
        self.chosen_kind = kind
        cast(forms.ChoiceField, self.fields["kind"]).choices = available_kinds()
        cast(forms.ModelChoiceField, self.fields["deployment"]).queryset = deployments
        cast(forms.ModelChoiceField, self.fields["bias_audit"]).queryset = bias_audits
        cast(forms.ModelChoiceField, self.fields["incident"]).queryset = incidents
        asked = {KIND_SUBJECTS[kind].field} if kind in KIND_SUBJECTS else set()
        for name in SUBJECT_FIELDS - asked:
            del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A field the kind does not ask for is not on the form; the service takes None.
        for name in SUBJECT_FIELDS:
            data.setdefault(name, None)
        return data


class ExportForm(forms.Form):
    recipient = forms.CharField(
        max_length=200, help_text="Who receives the bundle, e.g. the national supervisory authority"
    )
    deployments: forms.ModelMultipleChoiceField[Deployment] = forms.ModelMultipleChoiceField(
        queryset=Deployment.objects.none(),
        help_text=f"At most {settings.EXPORT_MAX_DEPLOYMENTS} per bundle",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, deployments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["deployments"]).queryset = deployments


class VerifyForm(forms.Form):
    file = forms.FileField(required=False, label="PDF file", help_text="The document to check")
    sha256 = forms.CharField(
        required=False, max_length=64, label="or its SHA-256", help_text="64 hexadecimal characters"
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 200 MB.")
        return upload

    def clean_sha256(self) -> str:
        value = (self.cleaned_data.get("sha256") or "").strip().lower()
        if value and not SHA256_RE.match(value):
            raise forms.ValidationError("A SHA-256 is 64 hexadecimal characters.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("file")) == bool(data.get("sha256")):
            raise forms.ValidationError("Give either a file or its SHA-256.")
        return data
