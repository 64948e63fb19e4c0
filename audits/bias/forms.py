from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse

from audits.bias.choices import INDEPENDENCE_STATEMENTS, AuditType, DataFormat, DataSource
from audits.bias.engine import ROLE_SYNONYMS, ColumnMapping
from audits.bias.models import BiasAudit
from audits.bias.services import EDITABLE_FIELDS
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ROLE_LABELS = {
    "selected": "Selected column (0/1, or the selected count for aggregated data)",
    "score": "Score column",
    "label": "Ground-truth label column (0/1)",
    "prediction": "Prediction column (0/1)",
    "applicants": "Applicants column (aggregated data)",
}


class UploadForm(forms.Form):
    """Step one (the file and its columns) and step two (the audit's facts) on one page."""

    deployment = forms.ModelChoiceField(queryset=Deployment.objects.none())
    audit_type = forms.ChoiceField(choices=AuditType.choices, initial=AuditType.SELECTION)
    data_format = forms.ChoiceField(choices=DataFormat.choices, initial=DataFormat.ROWS)
    file = forms.FileField(help_text="CSV in UTF-8 with a header line")
    dimensions = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Columns to audit, e.g. sex and race_ethnicity; their intersection is added",
    )
    selected_column = forms.ChoiceField(choices=(), required=False, label=ROLE_LABELS["selected"])
    score_column = forms.ChoiceField(choices=(), required=False, label=ROLE_LABELS["score"])
    label_column = forms.ChoiceField(choices=(), required=False, label=ROLE_LABELS["label"])
    prediction_column = forms.ChoiceField(
        choices=(), required=False, label=ROLE_LABELS["prediction"]
    )
    applicants_column = forms.ChoiceField(
        choices=(), required=False, label=ROLE_LABELS["applicants"]
    )
    auditor_name = forms.CharField(max_length=200)
    auditor_organisation = forms.CharField(max_length=200)
    attests_not_involved = forms.BooleanField(
        required=False, label=INDEPENDENCE_STATEMENTS["attests_not_involved"]
    )
    attests_no_employment = forms.BooleanField(
        required=False, label=INDEPENDENCE_STATEMENTS["attests_no_employment"]
    )
    attests_no_financial_interest = forms.BooleanField(
        required=False, label=INDEPENDENCE_STATEMENTS["attests_no_financial_interest"]
    )
    data_source = forms.ChoiceField(choices=DataSource.choices)
    data_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Source and explanation of the data"
    )
    test_data_explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Test data only: why historical data was insufficient, how the data was made",
    )
    data_period_start = forms.DateField(widget=DATE)
    data_period_end = forms.DateField(widget=DATE)
    distribution_date = forms.DateField(widget=DATE, label="Tool's distribution date")
    audit_date = forms.DateField(widget=DATE, required=False, help_text="Today when left empty")
    next_due_date = forms.DateField(
        widget=DATE, required=False, help_text="One year after the audit date when left empty"
    )

    MAPPING_FIELDS = ("dimensions", *(f"{role}_column" for role in ROLE_SYNONYMS))

    def __init__(self, *args: Any, header: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deployment = cast(forms.ModelChoiceField, self.fields["deployment"])
        deployment.queryset = Deployment.objects.exclude(
            status=DeploymentStatus.RETIRED
        ).select_related("model_version__system")
        # Choosing a file (or another audit type) asks the server for the mapping guessed from
        # the header and a preview of the first rows; the page works without it too.
        refresh = {
            "hx-post": reverse("bias:audit_upload_preview"),
            "hx-trigger": "change",
            "hx-target": "#mapping",
            "hx-encoding": "multipart/form-data",
            "hx-include": "closest form",
        }
        for name in ("file", "audit_type", "data_format"):
            self.fields[name].widget.attrs.update(refresh)
        columns = [(h, h) for h in header or []]
        cast(forms.ChoiceField, self.fields["dimensions"]).choices = columns
        for role in ROLE_SYNONYMS:
            field = cast(forms.ChoiceField, self.fields[f"{role}_column"])
            field.choices = [("", "—"), *columns]

    def mapping(self) -> ColumnMapping:
        data = self.cleaned_data
        roles = {role: data.get(f"{role}_column") or "" for role in ROLE_SYNONYMS}
        return ColumnMapping(
            dimensions=tuple(data.get("dimensions") or ()),
            roles={role: column for role, column in roles.items() if column},
        )

    def service_arguments(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.MAPPING_FIELDS}
        data["mapping"] = self.mapping()
        data["audit_date"] = data.get("audit_date") or None
        data["next_due_date"] = data.get("next_due_date") or None
        return data

    def mapping_fields(self) -> list[Any]:
        return [self[name] for name in self.MAPPING_FIELDS]

    def fact_fields(self) -> list[Any]:
        skip = {"deployment", "audit_type", "data_format", "file", *self.MAPPING_FIELDS}
        return [self[name] for name in self.fields if name not in skip]


DATE_FIELDS = (
    "data_period_start",
    "data_period_end",
    "distribution_date",
    "audit_date",
    "next_due_date",
)


class AuditEditForm(forms.ModelForm):
    class Meta:
        model = BiasAudit
        fields = EDITABLE_FIELDS
        widgets = {
            "data_description": forms.Textarea(attrs={"rows": 3}),
            "test_data_explanation": forms.Textarea(attrs={"rows": 3}),
            **dict.fromkeys(
                (
                    "data_period_start",
                    "data_period_end",
                    "distribution_date",
                    "audit_date",
                    "next_due_date",
                ),
                DATE,
            ),
        }

    def _post_clean(self) -> None:
        # The service validates the model so that pages and API give the same messages.
        return None


class ExclusionsForm(forms.Form):
    """One checkbox and justification per category eligible under the 2 % rule."""

    def __init__(self, *args: Any, audit: BiasAudit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eligible = [r for r in audit.results.all() if r.below_two_percent]
        for index, row in enumerate(self.eligible):
            self.fields[f"exclude_{index}"] = forms.BooleanField(
                required=False,
                initial=row.excluded,
                label=f"Exclude {row.dimension}: {row.category}",
            )
            self.fields[f"justification_{index}"] = forms.CharField(
                required=False,
                initial=row.exclusion_justification,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                label="Justification",
            )
        dimensions = [s["dimension"] for s in audit.dimension_summaries]
        for index, dimension in enumerate(dimensions):
            categories = [r.category for r in audit.results.all() if r.dimension == dimension]
            self.fields[f"privileged_{index}"] = forms.ChoiceField(
                required=False,
                label=f"Privileged group for disparate impact: {dimension}",
                choices=[("", "—"), *[(c, c) for c in categories]],
                initial=audit.privileged_groups.get(dimension, ""),
            )
        self.dimensions = dimensions

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (row, self[f"exclude_{i}"], self[f"justification_{i}"])
            for i, row in enumerate(self.eligible)
        ]

    def privileged_fields(self) -> list[Any]:
        return [self[f"privileged_{i}"] for i in range(len(self.dimensions))]

    def exclusions(self) -> list[tuple[str, str, str]]:
        chosen = []
        for index, row in enumerate(self.eligible):
            if self.cleaned_data.get(f"exclude_{index}"):
                justification = self.cleaned_data.get(f"justification_{index}") or ""
                chosen.append((row.dimension, row.category, justification))
        return chosen

    def privileged_groups(self) -> dict[str, str]:
        groups = {}
        for index, dimension in enumerate(self.dimensions):
            value = self.cleaned_data.get(f"privileged_{index}")
            if value:
                groups[dimension] = value
        return groups


class DiscardForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)


class FinalizeForm(forms.Form):
    # Finalising cannot be undone (the audit becomes immutable evidence), so the page asks
    # for an explicit confirmation that the server checks, not a script's dialog.
    confirm = forms.BooleanField(
        label="I confirm: once final, the audit and its figures can never change.",
        error_messages={"required": "Tick the confirmation box: finalising cannot be undone."},
    )
