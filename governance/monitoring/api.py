"""API v1 of the monitoring room: plans, observation batches, drift, alerts, incidents."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from governance.accounts.models import User
from governance.accounts.permissions import Perm
from governance.accounts.scopes import Scope
from governance.core.api import UUIDLookup
from governance.inventory.models import Deployment
from governance.inventory.selectors import deployments_for
from governance.monitoring import selectors
from governance.monitoring.choices import (
    AuthorityReportKind,
    Direction,
    IncidentStatus,
    MetricKind,
    SeriousCategory,
    Severity,
)
from governance.monitoring.models import (
    Alert,
    DeploymentAction,
    DriftResult,
    Incident,
    MonitoringPlan,
    PlanMetric,
)
from governance.monitoring.rules import MAX_BATCH_POINTS
from governance.monitoring.services import incidents as incident_services
from governance.monitoring.services.ingestion import drift_record, observations_ingest
from governance.monitoring.services.plans import (
    METRIC_FIELDS,
    monitoring_plan_save,
    plan_template,
)
from governance.risk.selectors import current_assessment

# --- Serializers ------------------------------------------------------------------------


class PlanMetricSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MetricKind.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)

    class Meta:
        model = PlanMetric
        fields = METRIC_FIELDS


class MonitoringPlanSerializer(serializers.ModelSerializer):
    metrics = PlanMetricSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringPlan
        fields = ("id", "deployment", "version", "owner", "notes", "metrics", "created_at")
        read_only_fields = fields


class PlanInputSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    # Checked field by field by the service, which names the metric's index.
    metrics = serializers.ListField(child=serializers.DictField(), max_length=200)


class PointSerializer(serializers.Serializer):
    metric = serializers.CharField()
    value = serializers.FloatField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    segment = serializers.CharField(required=False, allow_blank=True)


class BatchInputSerializer(serializers.Serializer):
    # The points are validated by the service in one fast pass (10,000 points a call), not
    # by a DRF child serializer per point; this class only documents the shape.
    points = PointSerializer(many=True)


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = (
            "id",
            "deployment",
            "metric",
            "level",
            "value",
            "threshold",
            "window_end",
            "batch",
            "finding_id",
            "created_at",
        )
        read_only_fields = fields


class BatchResultSerializer(serializers.Serializer):
    batch = serializers.UUIDField()
    sha256 = serializers.CharField()
    count = serializers.IntegerField()
    alerts = AlertSerializer(many=True)


class DriftFeatureInputSerializer(serializers.Serializer):
    feature = serializers.CharField(max_length=200)
    reference = serializers.ListField(child=serializers.FloatField(min_value=0))
    current = serializers.ListField(child=serializers.FloatField(min_value=0))
    bins = serializers.ListField(child=serializers.CharField(), required=False)


class DriftInputSerializer(serializers.Serializer):
    # Like BatchInputSerializer, this documents the shape; drift_record validates it and
    # names the feature's index in its errors.
    features = DriftFeatureInputSerializer(many=True)


class DriftResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = DriftResult
        fields = (
            "id",
            "feature",
            "bins",
            "reference_counts",
            "current_counts",
            "epsilon",
            "psi",
            "js_distance",
            "band",
            "created_at",
        )
        read_only_fields = fields


class DeploymentActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeploymentAction
        fields = ("id", "kind", "deployment", "rollback_to", "reason", "actor", "created_at")
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    serious_category = serializers.ChoiceField(
        choices=[("", "Not serious"), *SeriousCategory.choices],
        required=False,
        allow_blank=True,
        default="",
    )
    actions = DeploymentActionSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = (
            "id",
            "deployment",
            "title",
            "description",
            "occurred_at",
            "aware_at",
            "severity",
            "serious",
            "serious_category",
            "report_due_at",
            "status",
            "reported_at",
            "report_kind",
            "authority",
            "authority_reference",
            "corrective_action",
            "closed_at",
            "actions",
            "created_at",
        )
        read_only_fields = (
            "report_due_at",
            "status",
            "reported_at",
            "report_kind",
            "authority",
            "authority_reference",
            "corrective_action",
            "closed_at",
            "actions",
            "created_at",
        )


class IncidentTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=IncidentStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    reported_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    authority = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    authority_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    report_kind = serializers.ChoiceField(
        choices=AuthorityReportKind.choices, required=False, allow_blank=True, default=""
    )
    corrective_action = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, default=""
    )


class IncidentActionReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --- Views ------------------------------------------------------------------------------


def _deployment(request: Request, pk: Any) -> Deployment:
    return get_object_or_404(deployments_for(request.user), pk=pk)


class MonitoringPlanView(APIView):
    write_perm = Perm.MONITORING_PLAN_EDIT

    @extend_schema(
        responses={200: MonitoringPlanSerializer, 404: OpenApiResponse(description="no plan")},
        summary="The deployment's current monitoring plan",
    )
    def get(self, request: Request, pk: Any) -> Response:
        plan = selectors.current_plan_of(_deployment(request, pk))
        if plan is None:
            return Response(
                {"detail": "This deployment has no monitoring plan yet.", "code": "not_found"},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(MonitoringPlanSerializer(plan).data)

    @extend_schema(
        request=PlanInputSerializer,
        responses={201: MonitoringPlanSerializer},
        summary="Save a new version of the monitoring plan",
    )
    def put(self, request: Request, pk: Any) -> Response:
        deployment = _deployment(request, pk)
        data = PlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = monitoring_plan_save(
            deployment=deployment,
            owner=data.validated_data["owner"],
            metrics=data.validated_data["metrics"],
            notes=data.validated_data["notes"],
            actor=request.user,
        )
        plan = selectors.current_plan_of(deployment) or plan
        return Response(MonitoringPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanTemplateView(APIView):
    @extend_schema(
        responses={200: PlanMetricSerializer(many=True)},
        summary="The metrics a new plan starts with for this deployment's risk tier",
    )
    def get(self, request: Request, pk: Any) -> Response:
        deployment = _deployment(request, pk)
        assessment = current_assessment(deployment)
        tier = getattr(assessment, "tier", None)
        # Through the serializer, so thresholds are decimal strings as in a saved plan.
        return Response(PlanMetricSerializer(plan_template(tier), many=True).data)


class ObservationBatchView(APIView):
    write_perm = Perm.OBSERVATIONS_WRITE
    write_scopes = (Scope.OBSERVATIONS_WRITE, Scope.WRITE)

    @extend_schema(
        request=BatchInputSerializer,
        responses={201: BatchResultSerializer},
        summary=f"Send a batch of up to {MAX_BATCH_POINTS:,} observations (all or nothing)",
    )
    def post(self, request: Request, pk: Any) -> Response:
        deployment = _deployment(request, pk)
        body = request.data if isinstance(request.data, dict) else {}
        result = observations_ingest(
            deployment=deployment, points=body.get("points"), actor=request.user
        )
        answer = BatchResultSerializer(
            {
                "batch": result.batch.pk,
                "sha256": result.batch.sha256,
                "count": result.batch.count,
                "alerts": result.alerts,
            }
        )
        return Response(answer.data, status=status.HTTP_201_CREATED)


class DriftView(APIView):
    write_perm = Perm.OBSERVATIONS_WRITE
    write_scopes = (Scope.OBSERVATIONS_WRITE, Scope.WRITE)

    @extend_schema(
        responses={200: DriftResultSerializer(many=True)},
        summary="The newest drift result per feature",
    )
    def get(self, request: Request, pk: Any) -> Response:
        results = selectors.latest_drift_by_feature(_deployment(request, pk))
        return Response(DriftResultSerializer(results, many=True).data)

    @extend_schema(
        request=DriftInputSerializer,
        responses={201: DriftResultSerializer(many=True)},
        summary="Compute PSI and Jensen–Shannon distance from binned counts per feature",
    )
    def post(self, request: Request, pk: Any) -> Response:
        deployment = _deployment(request, pk)
        body = request.data if isinstance(request.data, dict) else {}
        results = drift_record(
            deployment=deployment, features=body.get("features"), actor=request.user
        )
        return Response(
            DriftResultSerializer(results, many=True).data, status=status.HTTP_201_CREATED
        )


class AlertViewSet(UUIDLookup, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertSerializer
    filterset_fields = ("deployment", "metric", "level")
    ordering = ("-created_at",)

    def get_queryset(self) -> Any:
        return selectors.alerts_for(self.request.user)


class IncidentViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IncidentSerializer
    filterset_fields = ("deployment", "status", "serious", "severity")
    ordering = ("-aware_at",)
    write_perm = Perm.INCIDENT_REPORT
    action_perms = {
        "transition": Perm.INCIDENT_MANAGE,
        "suspend": Perm.INCIDENT_MANAGE,
        "rollback": Perm.INCIDENT_MANAGE,
    }

    def get_queryset(self) -> Any:
        return selectors.incidents_for(self.request.user).prefetch_related("actions")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = incident_services.incident_report(
            deployment=data["deployment"],
            actor=self.request.user,
            title=data["title"],
            description=data["description"],
            occurred_at=data["occurred_at"],
            aware_at=data["aware_at"],
            severity=data["severity"],
            serious=data.get("serious", False),
            serious_category=data.get("serious_category", ""),
        )

    @extend_schema(request=IncidentTransitionSerializer, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        data = IncidentTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        incident = incident_services.incident_transition(
            incident=incident, to_status=values.pop("to"), actor=request.user, **values
        )
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)

    def _act_on_deployment(self, request: Request, take: Any) -> Response:
        """Suspend or roll back the incident's deployment, with the reason, in its name."""
        incident = self.get_object()
        data = IncidentActionReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = take(
            deployment=incident.deployment,
            actor=request.user,
            reason=data.validated_data["reason"],
            incident=incident,
        )
        return Response(DeploymentActionSerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=IncidentActionReasonSerializer, responses={201: DeploymentActionSerializer}
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        return self._act_on_deployment(request, incident_services.deployment_suspend)

    @extend_schema(
        request=IncidentActionReasonSerializer, responses={201: DeploymentActionSerializer}
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: Any = None) -> Response:
        return self._act_on_deployment(request, incident_services.deployment_rollback)


router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("monitoring-alerts", AlertViewSet, basename="monitoring-alert")

_deployment_path = "deployments/<uuid:pk>/"
urlpatterns = [
    path(
        f"{_deployment_path}monitoring-plan/", MonitoringPlanView.as_view(), name="monitoring-plan"
    ),
    path(
        f"{_deployment_path}monitoring-plan/template/",
        PlanTemplateView.as_view(),
        name="monitoring-plan-template",
    ),
    path(f"{_deployment_path}observations/", ObservationBatchView.as_view(), name="observations"),
    path(f"{_deployment_path}drift/", DriftView.as_view(), name="drift"),
    *router.urls,
]
