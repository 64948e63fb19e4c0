"""API v1 for bias audits: multipart upload, draft edits, exclusions, finalisation, summary."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from audits.bias import selectors, services
from audits.bias.choices import INDEPENDENCE_STATEMENTS, AuditType, DataFormat, DataSource
from audits.bias.engine import ROLE_SYNONYMS, ColumnMapping
from audits.bias.filters import BiasAuditFilter
from audits.bias.models import BiasAudit, BiasAuditResult
from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.core.errors import InvalidInput
from governance.core.parsers import JSONParser
from governance.inventory.models import Deployment, ModelVersion

# Multipart overhead allowed on top of the file itself before the body is refused unread.
FORM_OVERHEAD_BYTES = 1024 * 1024


class BiasAuditResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = BiasAuditResult
        fields = (
            "dimension",
            "is_intersection",
            "category",
            "n",
            "selected",
            "rate",
            "impact_ratio",
            "is_reference",
            "flagged",
            "z",
            "p_value_z",
            "p_value_fisher",
            "below_two_percent",
            "excluded",
            "exclusion_justification",
            "tpr",
            "fpr",
        )
        read_only_fields = fields


LIST_FIELDS: tuple[str, ...] = (
    "id",
    "deployment",
    "model_version",
    "system",
    "audit_type",
    "data_format",
    "status",
    "auditor_name",
    "auditor_organisation",
    "independent",
    "audit_date",
    "next_due_date",
    "total_count",
    "unknown_count",
    "median_score",
    "supersedes",
    "created_by",
    "created_at",
    "finalised_at",
)


class BiasAuditListSerializer(serializers.ModelSerializer):
    system = serializers.SerializerMethodField()
    independent = serializers.BooleanField(source="is_independent", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = BiasAudit
        fields = LIST_FIELDS
        read_only_fields = LIST_FIELDS

    def get_system(self, obj: BiasAudit) -> dict[str, str]:
        system = obj.model_version.system
        return {"id": str(system.pk), "name": system.name}


class BiasAuditSerializer(BiasAuditListSerializer):
    results = BiasAuditResultSerializer(many=True, read_only=True)
    finalised_by = serializers.CharField(
        source="finalised_by.username", read_only=True, default=None
    )
    valid_until = serializers.SerializerMethodField()

    class Meta:
        model = BiasAudit
        fields = (
            *LIST_FIELDS,
            *INDEPENDENCE_STATEMENTS,
            "data_source",
            "data_description",
            "test_data_explanation",
            "data_period_start",
            "data_period_end",
            "distribution_date",
            "valid_until",
            "dimensions",
            "column_mapping",
            "unknown_values",
            "privileged_groups",
            "file_name",
            "file_sha256",
            "file_size",
            "dimension_summaries",
            "library_versions",
            "finalised_by",
            "results",
        )
        read_only_fields = fields

    def get_valid_until(self, obj: BiasAudit) -> str:
        return services.valid_until(obj.audit_date).isoformat()


class ExclusionSerializer(serializers.Serializer):
    dimension = serializers.CharField(max_length=300)
    category = serializers.CharField(max_length=600)
    justification = serializers.CharField(max_length=4000)


class BiasAuditCreateSerializer(serializers.Serializer):
    deployment = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.select_related("model_version"), required=False
    )
    model_version = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(),
        required=False,
        help_text="Instead of a deployment: audit the model version wherever it runs",
    )
    audit_type = serializers.ChoiceField(choices=AuditType.choices)
    data_format = serializers.ChoiceField(choices=DataFormat.choices, default=DataFormat.ROWS)
    file = serializers.FileField(help_text="CSV in UTF-8 with a header line")
    dimensions = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="Columns to audit (repeat the field); guessed from the header when left out",
    )
    selected_column = serializers.CharField(required=False, max_length=300)
    score_column = serializers.CharField(required=False, max_length=300)
    label_column = serializers.CharField(required=False, max_length=300)
    prediction_column = serializers.CharField(required=False, max_length=300)
    applicants_column = serializers.CharField(required=False, max_length=300)
    auditor_name = serializers.CharField(max_length=200)
    auditor_organisation = serializers.CharField(max_length=200)
    attests_not_involved = serializers.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_not_involved"]
    )
    attests_no_employment = serializers.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_no_employment"]
    )
    attests_no_financial_interest = serializers.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_no_financial_interest"]
    )
    data_source = serializers.ChoiceField(choices=DataSource.choices)
    data_description = serializers.CharField(max_length=10000)
    test_data_explanation = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    data_period_start = serializers.DateField()
    data_period_end = serializers.DateField()
    distribution_date = serializers.DateField()
    audit_date = serializers.DateField(required=False)
    next_due_date = serializers.DateField(required=False)
    privileged_groups = serializers.DictField(
        child=serializers.CharField(max_length=600),
        required=False,
        help_text="dimension → category used as privileged group for disparate impact",
    )
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=BiasAudit.objects.all(), required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("deployment") and not attrs.get("model_version"):
            raise serializers.ValidationError({"deployment": "Choose a deployment."})
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        roles = {role: data.pop(f"{role}_column", "") for role in ROLE_SYNONYMS}
        data["mapping"] = ColumnMapping(
            dimensions=tuple(data.pop("dimensions", ())),
            roles={role: column for role, column in roles.items() if column},
        )
        return data


class BiasAuditUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = BiasAudit
        fields = services.EDITABLE_FIELDS


class ExclusionsSerializer(serializers.Serializer):
    exclusions = ExclusionSerializer(many=True, help_text="The complete list; [] removes all")
    privileged_groups = serializers.DictField(
        child=serializers.CharField(max_length=600), required=False
    )


class FinalizeSerializer(serializers.Serializer):
    pass


class BiasAuditViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Bias audits. A final audit answers 409 to every change; a correction is a new upload
    with `supersedes`."""

    filterset_class = BiasAuditFilter
    ordering_fields = ("audit_date", "created_at", "next_due_date")
    ordering = ("-audit_date", "-created_at")
    parser_classes = (MultiPartParser, FormParser, JSONParser)
    write_perm = Perm.BIAS_AUDIT_EDIT
    action_perms = {"exclusions": Perm.BIAS_AUDIT_EDIT, "finalize": Perm.BIAS_AUDIT_EDIT}

    def get_queryset(self) -> Any:
        queryset = selectors.audits_for(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related("results")
        return queryset

    def get_serializer_class(self) -> Any:
        return BiasAuditListSerializer if self.action == "list" else BiasAuditSerializer

    def _detail(self, audit: BiasAudit, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.audit_detail(self.request.user, audit.pk)
        return Response(BiasAuditSerializer(fresh).data, status=code)

    @extend_schema(
        request={"multipart/form-data": BiasAuditCreateSerializer},
        responses={201: BiasAuditSerializer},
    )
    def create(self, request: Request) -> Response:
        # Refuse an oversized body before reading it, rather than after storing it.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = settings.BIAS_UPLOAD_MAX_BYTES
        if length > limit + FORM_OVERHEAD_BYTES:
            raise InvalidInput(
                f"The file is larger than the limit of {limit:,} bytes.",
                fields={"file": f"larger than {limit:,} bytes"},
            )
        payload = BiasAuditCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit = services.bias_audit_create(actor=request.user, **payload.service_arguments())
        return self._detail(audit, status.HTTP_201_CREATED)

    @extend_schema(request=BiasAuditUpdateSerializer, responses=BiasAuditSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        payload = BiasAuditUpdateSerializer(audit, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.bias_audit_update(audit=audit, actor=request.user, fields=payload.validated_data)
        return self._detail(audit)

    @extend_schema(request=BiasAuditUpdateSerializer, responses=BiasAuditSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        payload = BiasAuditUpdateSerializer(audit, data=request.data)
        payload.is_valid(raise_exception=True)
        services.bias_audit_update(audit=audit, actor=request.user, fields=payload.validated_data)
        return self._detail(audit)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        services.bias_audit_discard(audit=audit, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ExclusionsSerializer, responses=BiasAuditSerializer)
    @action(detail=True, methods=["post"])
    def exclusions(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        payload = ExclusionsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.bias_audit_set_exclusions(
            audit=audit,
            actor=request.user,
            exclusions=[services.Exclusion(**e) for e in payload.validated_data["exclusions"]],
            privileged_groups=payload.validated_data.get("privileged_groups"),
        )
        return self._detail(audit)

    @extend_schema(request=FinalizeSerializer, responses=BiasAuditSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        FinalizeSerializer(data=request.data).is_valid(raise_exception=True)
        services.bias_audit_finalize(audit=audit, actor=request.user)
        return self._detail(audit)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def summary(self, request: Request, pk: str | None = None) -> Response:
        """The LL144 §5-303 public summary as JSON."""
        return Response(selectors.public_summary(self.get_object()))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Recompute the audit from its stored file and compare with the stored figures."""
        return Response(selectors.recomputation_check(self.get_object()))


router = SimpleRouter()
router.register("bias-audits", BiasAuditViewSet, basename="bias-audit")

urlpatterns = router.urls
