from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.inventory import selectors, services
from governance.inventory.choices import DeploymentStatus
from governance.inventory.filters import (
    AISystemFilter,
    DatasetFilter,
    DeploymentFilter,
    ModelVersionFilter,
)
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion
from governance.inventory.transitions import allowed_targets


class AISystemSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = AISystem
        fields = ("id", *services.SYSTEM_FIELDS, "created_by", "created_at", "updated_at")


class DatasetSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    personal_data_categories = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False
    )

    class Meta:
        model = Dataset
        fields = ("id", *services.DATASET_FIELDS, "created_by", "created_at", "updated_at")


class ModelVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    system_name = serializers.CharField(source="system.name", read_only=True)
    evaluation_metrics = serializers.DictField(
        child=serializers.FloatField(), required=False, help_text="metric name → number"
    )
    training_datasets = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Dataset.objects.all(), required=False
    )

    class Meta:
        model = ModelVersion
        fields = (
            "id",
            "system",
            "system_name",
            *services.MODEL_VERSION_FIELDS,
            "training_datasets",
            "evaluation_metrics",
            "created_by",
            "created_at",
            "updated_at",
        )

    def validate_artifact_sha256(self, value: str) -> str:
        return value.strip().lower()


class DeploymentSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    system = serializers.SerializerMethodField()
    model_version_label = serializers.CharField(
        source="model_version.version_label", read_only=True
    )
    allowed_transitions = serializers.SerializerMethodField()
    voided = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="On an update only: what its material change voided (approval requests and "
        "their signatures, the risk assessment), in plain words; empty when nothing was.",
    )

    class Meta:
        model = Deployment
        fields = (
            "id",
            "system",
            "model_version",
            "model_version_label",
            "environment",
            "description",
            "hosting",
            "region",
            "data_residency",
            "rollout_pattern",
            "traffic_percent",
            "rollback_target",
            "requires_independent_bias_audit",
            "status",
            "status_changed_at",
            "allowed_transitions",
            "voided",
            "fingerprint",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("status", "status_changed_at", "fingerprint")
        # The one-live-deployment rule is checked by the service with a clear message.
        validators: list[Any] = []

    def get_system(self, obj: Deployment) -> dict[str, str]:
        system = obj.model_version.system
        return {"id": str(system.pk), "name": system.name}

    def get_allowed_transitions(self, obj: Deployment) -> list[str]:
        return allowed_targets(obj.status)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=DeploymentStatus.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class _InventoryViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    write_perm = Perm.INVENTORY_EDIT


class AISystemViewSet(_InventoryViewSet):
    serializer_class = AISystemSerializer
    filterset_class = AISystemFilter
    ordering_fields = ("name", "created_at", "annex_iii_area")
    ordering = ("name",)

    def get_queryset(self) -> Any:
        return selectors.systems_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.ai_system_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.ai_system_update(
            system=serializer.instance, actor=self.request.user, fields=serializer.validated_data
        )


class DatasetViewSet(_InventoryViewSet):
    serializer_class = DatasetSerializer
    filterset_class = DatasetFilter
    ordering_fields = ("name", "created_at")
    ordering = ("name",)

    def get_queryset(self) -> Any:
        return selectors.datasets_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.dataset_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.dataset_update(
            dataset=serializer.instance, actor=self.request.user, fields=serializer.validated_data
        )


class ModelVersionViewSet(_InventoryViewSet):
    serializer_class = ModelVersionSerializer
    filterset_class = ModelVersionFilter
    ordering_fields = ("created_at", "version_label")
    ordering = ("-created_at",)

    def get_queryset(self) -> Any:
        return selectors.model_versions_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.model_version_create(actor=self.request.user, **data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        datasets = data.pop("training_datasets", None)
        version: ModelVersion = serializer.instance
        # PUT repeats the identity fields; only a real change to them is refused.
        for name in ("system", "version_label", "artifact_uri", "artifact_sha256"):
            current = getattr(version, name)
            if name in data and data[name] == current:
                data.pop(name)
        serializer.instance = services.model_version_update(
            version=version, actor=self.request.user, fields=data, training_datasets=datasets
        )


class DeploymentViewSet(_InventoryViewSet):
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering_fields = ("created_at", "status_changed_at", "environment", "status")
    ordering = ("-created_at",)
    action_perms = {"transition": Perm.DEPLOYMENT_TRANSITION}

    def get_queryset(self) -> Any:
        return selectors.deployments_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.deployment_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        if data.get("model_version") == serializer.instance.model_version:
            data.pop("model_version")
        serializer.instance = services.deployment_update(
            deployment=serializer.instance, actor=self.request.user, fields=data
        )

    @extend_schema(request=TransitionSerializer, responses=DeploymentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        deployment = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updated = services.deployment_transition(
            deployment=deployment,
            to_status=payload.validated_data["to"],
            reason=payload.validated_data["reason"],
            actor=request.user,
        )
        return Response(self.get_serializer(updated).data)


router = SimpleRouter()
router.register("systems", AISystemViewSet, basename="system")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("model-versions", ModelVersionViewSet, basename="model-version")
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns = router.urls
