from __future__ import annotations

from typing import Any, cast

from django import forms

from governance.core.parsers import loads as json_loads
from governance.inventory import services
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion


class AISystemForm(forms.ModelForm):
    class Meta:
        model = AISystem
        fields = services.SYSTEM_FIELDS
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "intended_use": forms.Textarea(attrs={"rows": 3}),
            "people_affected": forms.Textarea(attrs={"rows": 2}),
        }


class CommaListField(forms.Field):
    """A list of short names typed as comma-separated text."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = str(value or "")
        return [item.strip() for item in text.split(",") if item.strip()]


class DatasetForm(forms.ModelForm):
    personal_data_categories = CommaListField(
        required=False, help_text="Comma-separated, e.g. contact details, financial data"
    )

    class Meta:
        model = Dataset
        fields = services.DATASET_FIELDS
        widgets = {
            "source": forms.Textarea(attrs={"rows": 2}),
            "collection_purpose": forms.Textarea(attrs={"rows": 2}),
            "minimisation_notes": forms.Textarea(attrs={"rows": 2}),
        }


class MetricsField(forms.Field):
    """Evaluation metrics typed as `name = number` lines."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k} = {v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, float]:
        text = str(value or "")
        metrics: dict[str, float] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, raw = line.partition("=")
            try:
                if not sep or not name.strip():
                    raise ValueError
                metrics[name.strip()] = float(json_loads(raw.strip()))
            except (ValueError, TypeError):
                raise forms.ValidationError(
                    f"Line {number}: write 'name = number', e.g. auc = 0.91."
                ) from None
        return metrics


class ModelVersionForm(forms.ModelForm):
    evaluation_metrics = MetricsField(required=False, help_text="One per line: name = number")

    class Meta:
        model = ModelVersion
        fields = (
            "system",
            *services.MODEL_VERSION_FIELDS,
            "training_datasets",
            "evaluation_metrics",
        )
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in services.MODEL_CARD_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            # The artifact identifies the version; a new artifact is a new version.
            for name in ("system", "version_label", "artifact_uri", "artifact_sha256"):
                self.fields[name].disabled = True


class DeploymentForm(forms.ModelForm):
    class Meta:
        model = Deployment
        fields = services.DEPLOYMENT_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version_field = cast(forms.ModelChoiceField, self.fields["model_version"])
        version_field.queryset = ModelVersion.objects.select_related("system")
        target = cast(forms.ModelChoiceField, self.fields["rollback_target"])
        target.queryset = Deployment.objects.select_related("model_version__system")
        if not self.instance._state.adding:
            self.fields["model_version"].disabled = True
            target.queryset = target.queryset.filter(
                model_version__system=self.instance.model_version.system
            ).exclude(pk=self.instance.pk)

    def validate_unique(self) -> None:
        # The service checks uniqueness and constraints with the rest of its rules.
        return None

    def _post_clean(self) -> None:
        # Leave model validation to the service so that pages and API give the same messages.
        return None


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=(), label="New status")
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        required=False,
        label="I understand that retiring is permanent: a retired deployment never runs or "
        "changes again.",
    )

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[str, str]],
        irreversible: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # No choice is made for the person: the first option is a prompt, not a status.
        choices = [("", "— choose —"), *targets]
        cast(forms.ChoiceField, self.fields["to"]).choices = choices
        self.irreversible = irreversible

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to") in self.irreversible and not data.get("confirm"):
            self.add_error("confirm", "Tick this box to confirm: this change cannot be undone.")
        return data
