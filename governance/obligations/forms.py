from __future__ import annotations

from typing import Any, cast

from django import forms

from governance.inventory.models import AISystem
from governance.obligations.choices import AssertionVerdict, DocumentKind
from governance.obligations.models import EvidenceDocument

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DocumentForm(forms.Form):
    file = forms.FileField(help_text="PDF, text, CSV, image, JSON, Word or Excel.")
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    system = forms.ModelChoiceField(
        queryset=AISystem.objects.order_by("name"),
        required=False,
        empty_label="The whole organisation",
        help_text="The AI system the document is about, if only one.",
    )
    valid_from = forms.DateField(widget=DATE, required=False, help_text="Default: today.")
    valid_until = forms.DateField(widget=DATE, required=False, help_text="Empty: no end date.")


class NewVersionForm(forms.Form):
    file = forms.FileField()
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    valid_from = forms.DateField(widget=DATE, required=False, help_text="Default: today.")
    valid_until = forms.DateField(widget=DATE, required=False, help_text="Empty: no end date.")


class AssertionForm(forms.Form):
    verdict = forms.ChoiceField(choices=AssertionVerdict.choices, widget=forms.RadioSelect)
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why it is met (or the reason it does not apply here).",
    )
    documents = forms.ModelMultipleChoiceField(
        queryset=EvidenceDocument.objects.none(),
        required=False,
        help_text="Evidence documents the statement rests on (required for 'met').",
    )
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password.")
    confirm = forms.BooleanField(
        label="I understand this is my signature and is recorded permanently."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelMultipleChoiceField, self.fields["documents"]
        ).queryset = EvidenceDocument.objects.filter(superseded_by__isnull=True).order_by("title")


class LinkForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=EvidenceDocument.objects.filter(superseded_by__isnull=True).order_by("title")
    )
    everywhere = forms.BooleanField(
        required=False, label="For every deployment (an organisation-wide document)"
    )
