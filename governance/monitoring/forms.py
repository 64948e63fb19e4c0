from __future__ import annotations

from django import forms

from governance.monitoring.choices import (
    AuthorityReportKind,
    IncidentStatus,
    SeriousCategory,
    Severity,
)

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    occurred_at = forms.DateTimeField(widget=MOMENT, label="Occurred at (UTC)")
    aware_at = forms.DateTimeField(
        widget=MOMENT,
        label="Became aware at (UTC)",
        help_text="The Art 73 clock of a serious incident runs from this moment.",
    )
    severity = forms.ChoiceField(choices=Severity.choices)
    serious = forms.BooleanField(
        required=False,
        label="Serious incident (EU AI Act Art 3(49))",
        help_text="Death or serious harm to health, serious and irreversible disruption of "
        "critical infrastructure, an infringement of fundamental rights, or serious harm to "
        "property or the environment.",
    )
    serious_category = forms.ChoiceField(
        choices=[("", "— not serious —"), *SeriousCategory.choices], required=False
    )


class IncidentTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=IncidentStatus.choices, label="Move to")
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reported_at = forms.DateTimeField(widget=MOMENT, required=False, label="Reported at (UTC)")
    authority = forms.CharField(max_length=200, required=False)
    authority_reference = forms.CharField(max_length=200, required=False)
    report_kind = forms.ChoiceField(
        choices=[("", "—"), *AuthorityReportKind.choices], required=False
    )
    corrective_action = forms.CharField(
        max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeploymentActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("suspend", "Suspend this deployment"), ("rollback", "Roll back to its target")]
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label="I understand this takes the deployment out of service now", required=True
    )
