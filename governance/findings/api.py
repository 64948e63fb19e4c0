"""API v1 of the findings room: list, raise, read, and one action per transition."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from governance.accounts.models import User
from governance.accounts.permissions import Perm
from governance.accounts.roles import Role
from governance.core.api import UUIDLookup
from governance.findings import selectors, services
from governance.findings.choices import Severity, SourceKind
from governance.findings.filters import FindingFilter
from governance.findings.models import Finding, FindingEvidence, FindingRiskSignoff
from governance.inventory.models import Deployment

# --- Serializers ------------------------------------------------------------------------


class FindingEvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = FindingEvidence
        fields = ("id", "file_name", "sha256", "size", "media_type", "uploaded_by", "created_at")
        read_only_fields = fields


class FindingRiskSignoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = FindingRiskSignoff
        fields = (
            "id",
            "acceptance_round",
            "signed_as",
            "signer",
            "printed_name",
            "meaning",
            "rationale",
            "expires_on",
            "signed_at",
            "signature_hash",
        )
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    deployment_name = serializers.CharField(source="deployment.__str__", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = (
            "id",
            "deployment",
            "deployment_name",
            "source_kind",
            "source_ref",
            "automatic",
            "severity",
            "title",
            "description",
            "owner",
            "owner_name",
            "due_date",
            "overdue",
            "state",
            "state_changed_at",
            "raised_by",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "verified_by",
            "verified_at",
            "closed_at",
            "acceptance_round",
            "risk_accepted_until",
            "reopen_reason",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_overdue(self, obj: Finding) -> bool:
        return obj.is_overdue()


class FindingCreateSerializer(serializers.Serializer):
    deployment = serializers.PrimaryKeyRelatedField(queryset=Deployment.objects.all())
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to the severity policy"
    )
    source_kind = serializers.ChoiceField(
        choices=SourceKind.choices, required=False, default=SourceKind.MANUAL
    )
    source_ref = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_due_date(self, value: Any) -> Any:
        if value is not None and value < timezone.localdate():
            raise serializers.ValidationError("The due date cannot be in the past.")
        return value


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, help_text="What was done to fix the problem")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="Evidence files"
    )


class EvidenceSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class AcceptRiskSerializer(serializers.Serializer):
    signed_as = serializers.ChoiceField(
        choices=Role.choices, help_text="The required role this signature is given as"
    )
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, help_text="Re-enter your password"
    )
    rationale = serializers.CharField(max_length=5000)
    expires_on = serializers.DateField(help_text="When the acceptance ends and the finding reopens")


ERRORS = {
    400: OpenApiResponse(description="Invalid input, with a message per field"),
    403: OpenApiResponse(description="Your roles or segregation of duties do not allow this"),
    404: OpenApiResponse(description="No such finding"),
    409: OpenApiResponse(description="The finding's state does not allow this step"),
}


def _step_schema(request: Any, summary: str, ok: Any = None) -> Any:
    return extend_schema(
        request=request, responses={200: ok or FindingSerializer, **ERRORS}, summary=summary
    )


class FindingViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Findings: what is wrong with a deployment, who must act on it, and by when."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ("created_at", "due_date", "severity")
    ordering = ("-created_at",)
    write_perm = Perm.FINDING_CREATE
    action_perms = {
        "start_remediation": Perm.FINDING_WORK,
        "resolve": Perm.FINDING_WORK,
        "evidence": Perm.FINDING_WORK,
        "reopen": Perm.FINDING_WORK,
        "verify": Perm.FINDING_VERIFY,
        "close": Perm.FINDING_VERIFY,
        "accept_risk": Perm.FINDING_ACCEPT_RISK,
    }

    def get_queryset(self) -> Any:
        return selectors.findings_for(self.request.user)

    def _fresh(self, finding: Finding) -> Response:
        return Response(
            FindingSerializer(selectors.finding_detail(self.request.user, finding.pk)).data
        )

    def _run(self, serializer_class: type[serializers.Serializer], service: Any) -> Any:
        """Validate the step's input and call its service; the fields are its keywords."""
        payload = serializer_class(data=self.request.data)
        payload.is_valid(raise_exception=True)
        return service(finding=self.get_object(), actor=self.request.user, **payload.validated_data)

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = FindingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        finding = services.finding_create(actor=request.user, **payload.validated_data)
        data = FindingSerializer(selectors.finding_detail(request.user, finding.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @_step_schema(NoteSerializer, "Take the finding into remediation")
    @action(detail=True, methods=["post"], url_path="start-remediation")
    def start_remediation(self, request: Request, pk: str | None = None) -> Response:
        return self._fresh(self._run(NoteSerializer, services.finding_start_remediation))

    @_step_schema(ResolveSerializer, "Resolve with a note and optional evidence files")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        return self._fresh(self._run(ResolveSerializer, services.finding_resolve))

    @_step_schema(NoteSerializer, "Verify the fix (not by the person who resolved it)")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._fresh(self._run(NoteSerializer, services.finding_verify))

    @_step_schema(NoteSerializer, "Close a verified finding")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._fresh(self._run(NoteSerializer, services.finding_close))

    @extend_schema(
        request=AcceptRiskSerializer,
        responses={201: FindingRiskSignoffSerializer, **ERRORS},
        summary="Sign the risk acceptance as one of the roles the severity requires",
    )
    @action(detail=True, methods=["post"], url_path="accept-risk")
    def accept_risk(self, request: Request, pk: str | None = None) -> Response:
        payload = AcceptRiskSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        signoff = services.finding_risk_signoff_record(
            finding=self.get_object(),
            signer=request.user,
            signed_as=data["signed_as"],
            password=data["password"],
            http_request=request._request,
            rationale=data["rationale"],
            expires_on=data["expires_on"],
        )
        return Response(FindingRiskSignoffSerializer(signoff).data, status=status.HTTP_201_CREATED)

    @_step_schema(ReopenSerializer, "Reopen the finding, saying why")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._fresh(self._run(ReopenSerializer, services.finding_reopen))

    @extend_schema(
        request=EvidenceSerializer,
        responses={201: FindingEvidenceSerializer(many=True), **ERRORS},
        summary="Attach evidence files",
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        stored = self._run(EvidenceSerializer, services.finding_evidence_add)
        return Response(
            FindingEvidenceSerializer(stored, many=True).data, status=status.HTTP_201_CREATED
        )


router = SimpleRouter()
router.register("findings", FindingViewSet, basename="finding")
urlpatterns = router.urls
