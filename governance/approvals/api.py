from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from governance.accounts.permissions import Perm
from governance.accounts.scopes import GATE_SCOPES
from governance.approvals import gate_replay, selectors, services
from governance.approvals.gate import GateAnswer, GateResult, gate_answer, gate_record_answer
from governance.approvals.models import ApprovalPolicy, ApprovalRequest, Decision, SignOff
from governance.approvals.services.signoffs import current_stage, signing_refusal
from governance.core.api import UUIDLookup
from governance.inventory.choices import DeploymentStatus
from governance.inventory.selectors import deployments_for, may_see_deployments
from governance.ledger import selectors as ledger_selectors


class SignOffSerializer(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.username")

    class Meta:
        model = SignOff
        fields = (
            "id",
            "stage_order",
            "stage_name",
            "signed_as",
            "signer",
            "printed_name",
            "decision",
            "meaning",
            "comment",
            "conditions",
            "signed_at",
            "dossier_hash",
            "signature_hash",
            "authenticated_by",
        )


class StageSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    required_role = serializers.CharField()
    quorum = serializers.IntegerField()
    sla_hours = serializers.IntegerField()
    escalation_role = serializers.CharField()


class ApprovalRequestSerializer(serializers.ModelSerializer):
    deployment = serializers.UUIDField(source="deployment_id")
    requested_by = serializers.CharField(source="requested_by.username")
    policy_version = serializers.IntegerField(source="policy.version")
    stages = serializers.SerializerMethodField()
    signoffs = SignOffSerializer(many=True)
    completed_stages = serializers.SerializerMethodField()
    you_may_sign = serializers.SerializerMethodField()
    why_not = serializers.SerializerMethodField()
    meanings = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRequest
        fields = (
            "id",
            "deployment",
            "status",
            "tier",
            "policy_version",
            "current_stage",
            "stage_started_at",
            "stages",
            "completed_stages",
            "dossier",
            "dossier_hash",
            "requested_by",
            "reason",
            "created_at",
            "decided_at",
            "expires_at",
            "closed_reason",
            "signoffs",
            "you_may_sign",
            "why_not",
            "meanings",
        )

    def _viewer(self) -> Any:
        return self.context["request"].user

    def get_stages(self, obj: ApprovalRequest) -> list[dict[str, Any]]:
        return [StageSerializer(s).data for s in obj.policy.stages.all()]

    def get_completed_stages(self, obj: ApprovalRequest) -> list[int]:
        return [c.stage_order for c in obj.completions.all()]

    def _refusal(self, obj: ApprovalRequest) -> Any:
        stage = current_stage(obj)
        signers = {s.signer_id for s in obj.signoffs.all()}
        return signing_refusal(obj, stage, self._viewer(), signers)

    def get_you_may_sign(self, obj: ApprovalRequest) -> bool:
        return self._refusal(obj) is None

    def get_why_not(self, obj: ApprovalRequest) -> str | None:
        refusal = self._refusal(obj)
        return refusal.message if refusal is not None else None

    def get_meanings(self, obj: ApprovalRequest) -> dict[str, str]:
        stage = current_stage(obj)
        if stage is None or obj.status != "pending":
            return {}
        return {d: services.expected_meaning(obj, stage, d) for d in Decision.values}


class RequestCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class SignOffInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    meaning = serializers.CharField(max_length=1000)
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    conditions = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, style={"input_type": "password"}
    )
    stage = serializers.IntegerField(
        required=False, min_value=1, help_text="The stage you mean to sign (409 if it completed)"
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApprovalRequestViewSet(
    UUIDLookup, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ApprovalRequestSerializer
    filterset_fields = ("status", "deployment", "tier")
    ordering_fields = ("created_at", "stage_started_at")
    ordering = ("-created_at",)
    action_perms = {"signoffs": Perm.APPROVAL_SIGN, "withdraw": Perm.APPROVAL_REQUEST}

    def get_queryset(self) -> Any:
        return selectors.requests_for(self.request.user)

    @extend_schema(request=SignOffInputSerializer, responses={201: SignOffSerializer})
    @action(detail=True, methods=["post"])
    def signoffs(self, request: Request, pk: str | None = None) -> Response:
        approval = self.get_object()
        payload = SignOffInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        signoff = services.signoff_record(
            request=approval,
            signer=request.user,
            decision=data["decision"],
            meaning=data["meaning"],
            comment=data["comment"],
            conditions=data["conditions"],
            password=data["password"],
            stage_order=data.get("stage"),
            http_request=request._request,
        )
        return Response(SignOffSerializer(signoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses=ApprovalRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        approval = self.get_object()
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.approval_request_withdraw(
            request=approval, actor=request.user, reason=payload.validated_data["reason"]
        )
        fresh = selectors.request_detail(request.user, approval.pk)
        return Response(self.get_serializer(fresh).data)


class DeploymentApprovalRequests(APIView):
    """List a deployment's approval requests, or open a new one."""

    write_perm = Perm.APPROVAL_REQUEST

    def _deployment(self, request: Request, pk: Any) -> Any:
        return get_object_or_404(deployments_for(request.user), pk=pk)

    @extend_schema(responses=ApprovalRequestSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        deployment = self._deployment(request, pk)
        rows = selectors.requests_for_deployment(request.user, deployment)
        return Response(
            ApprovalRequestSerializer(rows, many=True, context={"request": request}).data
        )

    @extend_schema(request=RequestCreateSerializer, responses={201: ApprovalRequestSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        deployment = self._deployment(request, pk)
        payload = RequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = services.approval_request_create(
            deployment=deployment, actor=request.user, reason=payload.validated_data["reason"]
        )
        fresh = selectors.request_detail(request.user, created.pk)
        return Response(
            ApprovalRequestSerializer(fresh, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class GateSignOffSerializer(serializers.Serializer):
    printed_name = serializers.CharField()
    signed_as = serializers.CharField()
    decision = serializers.CharField()
    meaning = serializers.CharField()
    conditions = serializers.CharField()
    signed_at = serializers.DateTimeField()


class GateApprovalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    tier = serializers.CharField()
    policy_version = serializers.IntegerField(source="policy.version")
    approved_at = serializers.DateTimeField(source="decided_at")
    expires_at = serializers.DateTimeField()
    dossier_hash = serializers.CharField()


class GateSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    deployment = serializers.UUIDField(source="deployment.pk")
    reasons = serializers.ListField(child=serializers.CharField())
    approval = GateApprovalSerializer(allow_null=True)
    conditions = serializers.SerializerMethodField()
    signoffs = GateSignOffSerializer(many=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    fingerprint = serializers.CharField()
    dossier_hash = serializers.CharField()

    def get_conditions(self, obj: GateResult) -> list[str]:
        return [s.conditions for s in obj.signoffs if s.conditions]


def _render_gate(result: GateResult) -> dict[str, Any]:
    return dict(GateSerializer(result).data)


class GateResponse(Response):
    """The gate's answer, carrying what GateView.dispatch keeps for a replay."""

    def __init__(self, answer: GateAnswer) -> None:
        super().__init__(answer.payload)
        self.answer = answer


def _gate_response(request: Request, deployment_id: Any) -> Response:
    answer = gate_answer(deployment_id, render=_render_gate)
    if answer is None:
        raise Http404
    gate_record_answer(deployment_id, answer, asked_by=request.user)
    return GateResponse(answer)


class GateView(APIView):
    """Replays the answer a pipeline got last time when nothing has changed since.

    Authentication, the permission checks and the evaluation all run on the full path; what
    a replay skips is guarded by one statement (see governance/approvals/gate_replay.py).
    A pipeline's token limited to `gate:read` may ask it; so may one that reads everything.
    """

    read_scopes = GATE_SCOPES

    def asked(self, request: HttpRequest, kwargs: dict[str, Any]) -> tuple[str, ...] | None:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        asked = self.asked(request, kwargs)
        question = gate_replay.question_for(request, asked) if asked is not None else None
        head_before = None
        if question is not None:
            replayed = gate_replay.replay(question)
            if replayed is not None:
                return replayed
            # Read before authentication: the answer is kept only if nothing was recorded
            # while the caller was authenticated, their roles checked and the answer made,
            # so a role lost in the meantime cannot ride on a kept answer.
            head_before = ledger_selectors.head_seq()
        response = super().dispatch(request, *args, **kwargs)
        if (
            question is not None
            and isinstance(response, GateResponse)
            and response.answer.head == head_before
        ):
            response.render()
            gate_replay.keep(question, response.answer, request=self.request, response=response)
        return response


class DeploymentGate(GateView):
    """May this deployment go live now? 200 with `allowed` and the reasons when it may not."""

    def asked(self, request: HttpRequest, kwargs: dict[str, Any]) -> tuple[str, ...] | None:
        if request.GET:  # e.g. ?format=, which the full path answers with its own error
            return None
        return ("deployment", str(kwargs["pk"]))

    @extend_schema(responses=GateSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        if not may_see_deployments(request.user):
            raise Http404
        return _gate_response(request, pk)


class GateLookupSerializer(serializers.Serializer):
    system = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=100)
    environment = serializers.CharField(max_length=63)


class GateLookup(GateView):
    """The gate by AI system name, model version label and environment (for pipelines)."""

    def asked(self, request: HttpRequest, kwargs: dict[str, Any]) -> tuple[str, ...] | None:
        names = ("system", "version", "environment")
        if sorted(request.GET) != sorted(names) or any(
            len(request.GET.getlist(name)) != 1 for name in names
        ):
            return None
        return ("lookup", *(request.GET[name] for name in names))

    @extend_schema(
        parameters=[
            OpenApiParameter("system", str, required=True),
            OpenApiParameter("version", str, required=True),
            OpenApiParameter("environment", str, required=True),
        ],
        responses=GateSerializer,
    )
    def get(self, request: Request) -> Response:
        query = GateLookupSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        deployment_id = (
            deployments_for(request.user)
            .exclude(status=DeploymentStatus.RETIRED)
            .filter(
                model_version__system__name=data["system"],
                model_version__version_label=data["version"],
                environment=data["environment"],
            )
            .values_list("pk", flat=True)
            .first()
        )
        if deployment_id is None:
            raise Http404
        return _gate_response(request, deployment_id)


class PolicyStageInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    required_role = serializers.CharField(max_length=32)
    quorum = serializers.IntegerField(min_value=1, max_value=20)
    sla_hours = serializers.IntegerField(min_value=1, max_value=24 * 90)
    escalation_role = serializers.CharField(max_length=32)


class PolicySerializer(serializers.ModelSerializer):
    stages = PolicyStageInputSerializer(many=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )
    blocking_finding_severities = serializers.ListField(
        child=serializers.ChoiceField(choices=("low", "medium", "high", "critical")),
        required=False,
        allow_empty=True,
        help_text="Severities of open findings that close the gate; defaults to the previous "
        "version's",
    )

    class Meta:
        model = ApprovalPolicy
        fields = (
            "id",
            "tier",
            "version",
            "is_current",
            "recertification_months",
            "blocking_finding_severities",
            "notes",
            "stages",
            "created_by",
            "created_at",
        )
        read_only_fields = ("version", "is_current")
        # Versioning is the service's job: a new version replaces the current one.
        validators: list[Any] = []


class PolicyViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Approval policies. Creating one makes a new current version for its tier."""

    serializer_class = PolicySerializer
    write_perm = Perm.POLICY_EDIT
    filterset_fields = ("tier", "is_current")
    ordering = ("tier", "-version")

    def get_queryset(self) -> Any:
        return ApprovalPolicy.objects.prefetch_related("stages").select_related("created_by")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.policy_create_version(
            tier=data["tier"],
            stages=[dict(s) for s in data["stages"]],
            recertification_months=data["recertification_months"],
            notes=data.get("notes", ""),
            actor=self.request.user,
            blocking_finding_severities=data.get("blocking_finding_severities"),
        )


router = SimpleRouter()
router.register("approval-requests", ApprovalRequestViewSet, basename="approval-request")
router.register("approval-policies", PolicyViewSet, basename="approval-policy")

# Included ahead of every other API route (governance/urls.py).
gate_urlpatterns = [
    path("deployments/<uuid:pk>/gate/", DeploymentGate.as_view(), name="deployment-gate"),
    path("gate/", GateLookup.as_view(), name="gate"),
]

urlpatterns = [
    *router.urls,
    path(
        "deployments/<uuid:pk>/approval-requests/",
        DeploymentApprovalRequests.as_view(),
        name="deployment-approval-requests",
    ),
]
