from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from governance.accounts.models import User
from governance.risk.methodology import MAX_TEXT_ANSWER, Question
from governance.risk.models import Methodology, Risk, StatutoryKind
from governance.risk.scoring import Answer
from governance.risk.services.register import RISK_FIELDS

SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class MethodologyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} — {obj.slug} v{obj.version}"


class StartAssessmentForm(forms.Form):
    methodology = MethodologyChoiceField(
        queryset=Methodology.objects.none(),
        empty_label=None,
        help_text="The EU AI Act questionnaire linked to it is answered in the same assessment.",
    )
    start_blank = forms.BooleanField(
        required=False,
        label="Start blank",
        help_text="Leave out the answers of the previous submitted assessment with this "
        "methodology (otherwise they are carried over, marked for checking).",
    )

    def __init__(self, *args: Any, methodologies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["methodology"].queryset = methodologies  # type: ignore[attr-defined]


def field_name(question: Question) -> str:
    return f"q-{question.id}"


class AnswersForm(forms.Form):
    """The questions of one wizard step, built from the methodology (no database access)."""

    def __init__(
        self, *args: Any, questions: Sequence[Question], answers: dict[str, Answer], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            choices = [(o.id, o.label) for o in question.options]
            current = answers.get(question.id)
            field: forms.Field
            if question.is_text:
                field = forms.CharField(
                    required=False,
                    max_length=MAX_TEXT_ANSWER,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
            elif question.is_multi:
                field = forms.MultipleChoiceField(
                    choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
            else:
                field = forms.ChoiceField(choices=choices, required=False, widget=forms.RadioSelect)
            field.label = question.text
            field.help_text = question.help
            field.initial = current
            self.fields[field_name(question)] = field

    def step_answers(self) -> dict[str, Answer | None]:
        """This step's answers; None clears a question left blank."""
        result: dict[str, Answer | None] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if question.is_text:
                result[question.id] = (value or "").strip() or None
            elif question.is_multi:
                # Nothing ticked on an optional question is an answer ("none of these"); on a
                # required one it is no answer yet.
                result[question.id] = list(value or []) if value or not question.required else None
            else:
                result[question.id] = value or None
        return result

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"question": question, "field": self[field_name(question)]}
            for question in self.questions
        ]


class RiskForm(forms.ModelForm):
    inherent_likelihood = forms.TypedChoiceField(choices=SCALE_CHOICES, coerce=int)
    inherent_impact = forms.TypedChoiceField(choices=SCALE_CHOICES, coerce=int)
    residual_likelihood = forms.TypedChoiceField(
        choices=SCALE_CHOICES, coerce=int, help_text="After the control"
    )
    residual_impact = forms.TypedChoiceField(
        choices=SCALE_CHOICES, coerce=int, help_text="After the control"
    )
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Risk
        fields = RISK_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "control_description": forms.Textarea(attrs={"rows": 3}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }


class AcceptForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why the residual risk is acceptable, and until when.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class StartStatutoryForm(forms.Form):
    kind = forms.ChoiceField(choices=StatutoryKind.choices)


class StatutorySignForm(forms.Form):
    # The hash of the answers on the page the signer read: what the signature covers.
    answers_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password: it is the second component of your signature",
    )
    confirm = forms.BooleanField(
        label="I have read the statement above and sign it with its meaning"
    )


class StatutoryReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What must change before it can be signed",
    )
