"""Risk API: methodologies, a deployment's assessments and its risk register."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can
from governance.core.api import UUID_PATTERN, UUIDLookup
from governance.core.errors import InvalidInput, PermissionRefused
from governance.core.parsers import JSONField
from governance.inventory.selectors import deployments_for
from governance.risk import selectors, services
from governance.risk.filters import (
    AssessmentFilter,
    MethodologyFilter,
    RiskFilter,
    StatutoryFilter,
)
from governance.risk.models import (
    Methodology,
    Risk,
    RiskAcceptance,
    RiskAssessment,
    StatutoryAssessment,
)
from governance.risk.services.register import RISK_FIELDS

# --- Methodologies ----------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    points = serializers.IntegerField()
    exclusive = serializers.BooleanField()


class QuestionSerializer(serializers.Serializer):
    id = serializers.CharField()
    section = serializers.CharField()
    text = serializers.CharField()
    help = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["single", "multi", "text"], help_text="text: a written answer, no options"
    )
    scores = serializers.ChoiceField(choices=["risk", "mitigation"], allow_null=True)
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field, not Field.required
    prefill = serializers.CharField(help_text="Inventory fact the answer starts from, if any")
    reference = serializers.CharField(
        default="", help_text="The provision the question follows, e.g. Art 27(1)(a)"
    )
    options = OptionSerializer(many=True)


class LevelSerializer(serializers.Serializer):
    level = serializers.CharField()
    max_pct = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=False)


class DeductionSerializer(serializers.Serializer):
    threshold = serializers.DecimalField(max_digits=6, decimal_places=4, coerce_to_string=False)
    factor = serializers.DecimalField(max_digits=6, decimal_places=4, coerce_to_string=False)


class RuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    eu_class = serializers.CharField(source="class")
    when = serializers.JSONField(help_text="Condition: question/any_of, all, any or not")
    rationale = serializers.CharField()


class MethodologyRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    sha256 = serializers.CharField()


class MethodologySerializer(serializers.ModelSerializer):
    description = serializers.CharField(source="definition.description")
    eu_classification = MethodologyRefSerializer(allow_null=True)
    mitigation_deduction = DeductionSerializer(
        source="definition.mitigation_deduction", allow_null=True
    )
    levels = LevelSerializer(source="definition.levels", many=True)
    questions = QuestionSerializer(source="definition.questions", many=True)
    rules = RuleSerializer(source="definition.rules", many=True)
    default = serializers.JSONField(source="definition.default", allow_null=True)
    max_raw_score = serializers.IntegerField(source="spec.max_raw")
    max_mitigation_score = serializers.IntegerField(source="spec.max_mitigation")

    class Meta:
        model = Methodology
        fields = (
            "id",
            "slug",
            "version",
            "kind",
            "title",
            "description",
            "sha256",
            "file_name",
            "eu_classification",
            "mitigation_deduction",
            "levels",
            "max_raw_score",
            "max_mitigation_score",
            "questions",
            "rules",
            "default",
            "created_at",
        )
        read_only_fields = fields


class MethodologyViewSet(
    UUIDLookup, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Loaded methodology versions with their questions. Loading is `manage.py load_methodology`."""

    serializer_class = MethodologySerializer
    filterset_class = MethodologyFilter
    ordering_fields = ("slug", "version", "created_at")
    ordering = ("slug", "version")

    def get_queryset(self) -> Any:
        return selectors.methodologies_for(self.request.user)


# --- Deployment-scoped plumbing ---------------------------------------------------------

DEPLOYMENT_PARAMETER = OpenApiParameter(
    "deployment_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Deployment id"
)


class _DeploymentScoped:
    """Views under /deployments/{deployment_pk}/: the deployment must exist and be visible."""

    request: Any
    kwargs: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("POST", "PUT", "PATCH"):
            # Parse the body before any lookup, so malformed JSON is a 400 wherever it is sent.
            request.data  # noqa: B018

    @cached_property
    def deployment(self) -> Any:
        return get_object_or_404(
            deployments_for(self.request.user), pk=self.kwargs["deployment_pk"]
        )


# --- Assessments ------------------------------------------------------------------------


class SectionScoreSerializer(serializers.Serializer):
    section = serializers.CharField()
    risk = serializers.IntegerField()
    max_risk = serializers.IntegerField()
    mitigation = serializers.IntegerField()
    max_mitigation = serializers.IntegerField()
    answered = serializers.IntegerField()
    questions = serializers.IntegerField()


class AssessmentSerializer(serializers.ModelSerializer):
    methodology = MethodologyRefSerializer()
    eu_methodology = MethodologyRefSerializer(allow_null=True)
    answers = serializers.JSONField(help_text="question id → option id, or a list for multi")
    inventory_facts = serializers.JSONField()
    score_pct = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    breakdown = SectionScoreSerializer(many=True)
    is_stale = serializers.BooleanField()
    stale_since = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username")
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    carried_over = serializers.ListField(
        child=serializers.CharField(),
        help_text="Question ids whose answer came from `carried_over_from` and has not been "
        "changed or confirmed since",
    )

    class Meta:
        model = RiskAssessment
        fields = (
            "id",
            "deployment",
            "status",
            "methodology",
            "eu_methodology",
            "answers",
            "inventory_facts",
            "raw_score",
            "max_raw_score",
            "mitigation_score",
            "max_mitigation_score",
            "deduction_applied",
            "score",
            "score_pct",
            "level",
            "eu_class",
            "eu_rule",
            "rationale",
            "tier",
            "breakdown",
            "fingerprint",
            "is_stale",
            "stale_since",
            "supersedes",
            "superseded_by",
            "carried_over_from",
            "carried_over",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_at",
        )
        read_only_fields = fields

    # The newer assessment's id; null while this one is the latest.
    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_superseded_by(self, obj: RiskAssessment) -> str | None:
        try:
            return str(obj.superseded_by.pk)
        except RiskAssessment.DoesNotExist:
            return None


class AssessmentCreateSerializer(serializers.Serializer):
    methodology = serializers.CharField(max_length=50, help_text="Slug of an impact methodology")
    version = serializers.CharField(max_length=30)
    answers = JSONField(
        required=False, default=dict, help_text="question id → option id, or a list for multi"
    )
    submit = serializers.BooleanField(
        default=False, help_text="Submit at once (all required questions must be answered)"
    )
    start_blank = serializers.BooleanField(
        default=False,
        help_text="Do not carry over the answers of the previous submitted assessment",
    )


class AssessmentUpdateSerializer(serializers.Serializer):
    answers = JSONField(
        required=False, default=dict, help_text="Merged into the draft's answers; null clears one"
    )
    replace = serializers.BooleanField(default=False, help_text="Replace all answers instead")
    confirm = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        help_text="Question ids whose carried-over answer still holds: their mark is removed",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Replacing with answers left out would wipe the draft by accident.
        if attrs["replace"] and "answers" not in self.initial_data:
            raise serializers.ValidationError({"answers": "Required when replace is true."})
        return attrs


CREATE_DESCRIPTION = """Start an assessment (a draft, or submitted at once with `submit`).

A re-assessment starts from the answers of the deployment's latest **submitted** assessment
with the same methodology slug. When the methodology version changed, only answers whose
question id still exists and whose options are still among its options are carried over.
Their question ids are listed in `carried_over` (the source is `carried_over_from`) until a
PATCH changes them or names them in `confirm`; the `risk_assessment.created` ledger event
records the source assessment. Answers given in the request win over carried-over ones.
Send `start_blank: true` to start from the inventory's values only.

A submission with missing answers is a 400 listing each one under `answers.<question id>`
with the question's text as the message."""


@extend_schema(parameters=[DEPLOYMENT_PARAMETER])
class AssessmentViewSet(
    _DeploymentScoped,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A deployment's risk assessments. Drafts change; a submitted assessment never does (409)."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ("created_at", "submitted_at")
    ordering = ("-created_at",)
    write_perm = Perm.RISK_ASSESS
    action_perms = {"submit": Perm.RISK_ASSESS}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no deployment
            return RiskAssessment.objects.none()
        return selectors.assessments_for(self.request.user).filter(deployment=self.deployment)

    def _respond(self, assessment: RiskAssessment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(fresh).data, status=code)

    @extend_schema(
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer},
        description=CREATE_DESCRIPTION,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = AssessmentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        methodology = selectors.methodology_by_version(
            request.user, data["methodology"], data["version"]
        )
        if methodology is None:
            raise InvalidInput(
                f"No methodology {data['methodology']} v{data['version']} is loaded.",
                fields={"methodology": "not loaded", "version": "not loaded"},
            )
        assessment = services.risk_assessment_create(
            deployment=self.deployment,
            methodology=methodology,
            actor=request.user,
            answers=data["answers"],
            submit=data["submit"],
            start_blank=data["start_blank"],
        )
        return self._respond(assessment, status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentUpdateSerializer, responses=AssessmentSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.get_object()
        payload = AssessmentUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updated = services.risk_assessment_update(
            assessment=assessment,
            actor=request.user,
            answers=payload.validated_data["answers"],
            replace=payload.validated_data["replace"],
            confirm=payload.validated_data["confirm"],
        )
        return self._respond(updated)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.risk_assessment_discard(assessment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submitted = services.risk_assessment_submit(
            assessment=self.get_object(), actor=request.user
        )
        return self._respond(submitted)


# --- Risk register ----------------------------------------------------------------------


class AcceptanceSerializer(serializers.ModelSerializer):
    accepted_by = serializers.CharField(source="accepted_by.username")

    class Meta:
        model = RiskAcceptance
        fields = (
            "id",
            "accepted_by",
            "accepted_by_name",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "executive_required",
            "rationale",
            "created_at",
        )
        read_only_fields = fields


class RiskSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    needs_executive_acceptance = serializers.BooleanField(source="needs_executive", read_only=True)
    acceptances = AcceptanceSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Risk
        fields = (
            "id",
            "deployment",
            *RISK_FIELDS,
            "owner_name",
            "inherent_score",
            "residual_score",
            "needs_executive_acceptance",
            "status",
            "acceptances",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("deployment", "inherent_score", "residual_score", "status")


class AcceptSerializer(serializers.Serializer):
    rationale = serializers.CharField(max_length=4000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema(parameters=[DEPLOYMENT_PARAMETER])
class RiskViewSet(
    _DeploymentScoped,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A deployment's risk register. Status moves only through accept, close and reopen."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    ordering_fields = ("created_at", "residual_score", "inherent_score", "due_date")
    ordering = ("-residual_score", "-created_at")
    write_perm = Perm.RISK_REGISTER_EDIT
    # Executives accept risks without editing the register; the service enforces who may.
    action_perms = {"accept": Perm.VIEW}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no deployment
            return Risk.objects.none()
        return (
            selectors.risks_for(self.request.user)
            .filter(deployment=self.deployment)
            .select_related("created_by")
            .prefetch_related("acceptances__accepted_by")
        )

    def _respond(self, risk: Risk, code: int = status.HTTP_200_OK) -> Response:
        return Response(RiskSerializer(self.get_queryset().get(pk=risk.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = services.risk_create(
            deployment=self.deployment, actor=request.user, **serializer.validated_data
        )
        return self._respond(risk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        risk = services.risk_update(
            risk=instance, actor=request.user, fields=serializer.validated_data
        )
        return self._respond(risk)

    def perform_destroy(self, instance: Risk) -> None:
        services.risk_delete(risk=instance, actor=self.request.user)

    @extend_schema(request=AcceptSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not (can(user, Perm.RISK_REGISTER_EDIT) or can(user, Perm.RISK_ACCEPT_HIGH)):
            raise PermissionRefused("Your roles do not allow accepting risks.")
        payload = AcceptSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        risk = self.get_object()
        services.risk_accept(risk=risk, actor=user, rationale=payload.validated_data["rationale"])
        return self._respond(risk)

    @extend_schema(request=ReasonSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        risk = services.risk_close(
            risk=self.get_object(), actor=request.user, reason=payload.validated_data["reason"]
        )
        return self._respond(risk)

    @extend_schema(request=ReasonSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        risk = services.risk_reopen(
            risk=self.get_object(), actor=request.user, reason=payload.validated_data["reason"]
        )
        return self._respond(risk)


# --- Assessments the law names (FRIA, DPIA) ---------------------------------------------


class StatutoryAssessmentSerializer(serializers.ModelSerializer):
    methodology = MethodologyRefSerializer()
    answers = serializers.JSONField(
        help_text="question id → option id, a list of option ids (multi) or text"
    )
    created_by = serializers.CharField(source="created_by.username")
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    signed_by = serializers.CharField(source="signed_by.username", allow_null=True)
    superseded_by = serializers.SerializerMethodField()
    is_current = serializers.SerializerMethodField(
        help_text="Signed and not superseded: what counts as evidence of the duty"
    )
    changed_since_signed = serializers.BooleanField(
        help_text="The deployment changed materially after the signature"
    )

    class Meta:
        model = StatutoryAssessment
        fields = (
            "id",
            "deployment",
            "kind",
            "version",
            "status",
            "methodology",
            "answers",
            "answers_sha256",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_at",
            "signed_by",
            "signer_name",
            "signed_at",
            "signature_meaning",
            "supersedes",
            "superseded_by",
            "is_current",
            "changed_since_signed",
        )
        read_only_fields = fields

    def _successor(self, obj: StatutoryAssessment) -> StatutoryAssessment | None:
        try:
            return obj.superseded_by
        except StatutoryAssessment.DoesNotExist:
            return None

    @extend_schema_field(OpenApiTypes.UUID)
    def get_superseded_by(self, obj: StatutoryAssessment) -> str | None:
        successor = self._successor(obj)
        return str(successor.pk) if successor is not None else None

    def get_is_current(self, obj: StatutoryAssessment) -> bool:
        return obj.is_signed and self._successor(obj) is None


@extend_schema(parameters=[DEPLOYMENT_PARAMETER])
class StatutoryAssessmentViewSet(
    _DeploymentScoped,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A deployment's EU AI Act Art 27 fundamental-rights impact assessments and GDPR Art 35
    data protection impact assessments, every version. Read only: they are filled in, submitted
    and signed (with the signer's password) on the deployment's pages."""

    serializer_class = StatutoryAssessmentSerializer
    filterset_class = StatutoryFilter
    ordering_fields = ("created_at", "version", "signed_at")
    ordering = ("kind", "-version")

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no deployment
            return StatutoryAssessment.objects.none()
        return selectors.statutory_for(self.request.user).filter(deployment=self.deployment)


router = SimpleRouter()
router.register("risk-methodologies", MethodologyViewSet, basename="risk-methodology")
router.register(
    rf"deployments/(?P<deployment_pk>{UUID_PATTERN})/risk-assessments",
    AssessmentViewSet,
    basename="risk-assessment",
)
router.register(
    rf"deployments/(?P<deployment_pk>{UUID_PATTERN})/risks", RiskViewSet, basename="risk"
)
router.register(
    rf"deployments/(?P<deployment_pk>{UUID_PATTERN})/statutory-assessments",
    StatutoryAssessmentViewSet,
    basename="statutory-assessment",
)

urlpatterns = router.urls
