"""API v1 of the obligations room: a deployment's obligations and assertions, and evidence
documents (upload, versions, links, where used)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.core.uploads import DiskMultiPartParser
from governance.inventory.models import AISystem, Deployment
from governance.inventory.selectors import deployments_for
from governance.obligations import selectors, services
from governance.obligations.choices import AssertionVerdict, DocumentKind
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    EvidenceDocument,
    EvidenceLink,
    Requirement,
)

# --- Serializers ------------------------------------------------------------------------


class ProofSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    satisfied = serializers.BooleanField()
    detail = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class AssertionSerializer(serializers.ModelSerializer):
    signed_by = serializers.CharField(source="signed_by.username", read_only=True)
    ref = serializers.CharField(source="requirement.ref", read_only=True)
    documents: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Assertion
        fields = (
            "id",
            "deployment",
            "requirement",
            "ref",
            "verdict",
            "justification",
            "documents",
            "signed_by",
            "signed_at",
            "signature_meaning",
            "signature_hash",
            "expires_at",
            "withdrawn_at",
            "withdrawal_reason",
        )
        read_only_fields = fields


class ObligationSerializer(serializers.ModelSerializer):
    requirement = serializers.UUIDField(source="requirement_id", read_only=True)
    framework = serializers.CharField(source="requirement.framework.slug", read_only=True)
    framework_version = serializers.CharField(
        source="requirement.framework.version", read_only=True
    )
    ref = serializers.CharField(source="requirement.ref", read_only=True)
    title = serializers.CharField(source="requirement.title", read_only=True)
    applies_from = serializers.DateField(
        source="requirement.applies_from", read_only=True, allow_null=True
    )
    evidence = ProofSerializer(many=True, read_only=True)
    gaps = serializers.ListField(child=serializers.CharField(), read_only=True)
    assertion = serializers.UUIDField(source="assertion_id", read_only=True, allow_null=True)
    counterparts = serializers.SerializerMethodField()

    class Meta:
        model = DeploymentObligation
        fields = (
            "requirement",
            "framework",
            "framework_version",
            "ref",
            "title",
            "applies",
            "in_force",
            "applies_from",
            "why",
            "status",
            "evidence",
            "gaps",
            "assertion",
            "counterparts",
            "evaluated_at",
        )
        read_only_fields = fields

    def get_counterparts(self, obj: DeploymentObligation) -> list[str]:
        return [c.ref for c in obj.requirement.counterparts.all()]


class AssertInputSerializer(serializers.Serializer):
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.filter(framework__is_current=True)
    )
    verdict = serializers.ChoiceField(choices=AssertionVerdict.choices)
    justification = serializers.CharField(max_length=5000)
    documents = serializers.PrimaryKeyRelatedField(
        many=True, queryset=EvidenceDocument.objects.all(), required=False, default=list
    )
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, help_text="Re-enter your password"
    )


class EvidenceLinkSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(source="requirement.ref", read_only=True)
    linked_by = serializers.CharField(source="linked_by.username", read_only=True)

    class Meta:
        model = EvidenceLink
        fields = (
            "id",
            "document",
            "requirement",
            "ref",
            "deployment",
            "linked_by",
            "created_at",
            "unlinked_at",
        )
        read_only_fields = fields


class EvidenceDocumentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    superseded_by = serializers.UUIDField(
        source="superseded_by_id", read_only=True, allow_null=True
    )

    class Meta:
        model = EvidenceDocument
        fields = (
            "id",
            "series",
            "version",
            "title",
            "kind",
            "description",
            "system",
            "file_name",
            "content_type",
            "size",
            "sha256",
            "valid_from",
            "valid_until",
            "uploaded_by",
            "created_at",
            "superseded_by",
        )
        read_only_fields = fields


class WhereUsedSerializer(serializers.Serializer):
    links = EvidenceLinkSerializer(many=True)
    assertions = AssertionSerializer(many=True)


class EvidenceDocumentDetailSerializer(EvidenceDocumentSerializer):
    used = serializers.SerializerMethodField(help_text="Where the document is used")

    class Meta(EvidenceDocumentSerializer.Meta):
        fields = (*EvidenceDocumentSerializer.Meta.fields, "used")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    @extend_schema_field(WhereUsedSerializer)
    def get_used(self, obj: EvidenceDocument) -> dict[str, Any]:
        return WhereUsedSerializer(selectors.where_used(obj)).data


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    system = serializers.PrimaryKeyRelatedField(
        queryset=AISystem.objects.all(), required=False, allow_null=True, default=None
    )
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class NewVersionSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class LinkInputSerializer(serializers.Serializer):
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.filter(framework__is_current=True)
    )
    deployment = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Empty: the document holds for every deployment",
    )


# --- Views --------------------------------------------------------------------------------


def _deployment(request: Request, pk: Any) -> Deployment:
    return get_object_or_404(deployments_for(request.user), pk=pk)


class DeploymentObligationsView(APIView):
    """A deployment's requirements: whether each applies and why, its status and evidence."""

    write_perm = Perm.OBLIGATION_ASSERT

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "applies", bool, description="Only requirements that apply (true) or not (false)"
            )
        ],
        responses={200: ObligationSerializer(many=True)},
        summary="The deployment's obligations with their kept statuses",
    )
    def get(self, request: Request, pk: Any) -> Response:
        rows = selectors.obligations_of(request.user, _deployment(request, pk))
        applies = request.query_params.get("applies")
        if applies in ("true", "false"):
            rows = rows.filter(applies=applies == "true")
        return Response(ObligationSerializer(rows, many=True).data)

    @extend_schema(
        request=AssertInputSerializer,
        responses={201: AssertionSerializer},
        summary="Sign an assertion: a requirement is met, or does not apply here",
    )
    def post(self, request: Request, pk: Any) -> Response:
        deployment = _deployment(request, pk)
        payload = AssertInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        assertion = services.assertion_sign(
            deployment=deployment,
            requirement=data["requirement"],
            signer=request.user,
            verdict=data["verdict"],
            justification=data["justification"],
            documents=data["documents"],
            password=data["password"],
            http_request=request._request,
        )
        return Response(AssertionSerializer(assertion).data, status=status.HTTP_201_CREATED)


class EvidenceDocumentViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence documents: immutable versions with their SHA-256, linked to requirements."""

    serializer_class = EvidenceDocumentSerializer
    filterset_fields = ("kind", "system", "series")
    ordering = ("title", "-version")
    write_perm = Perm.EVIDENCE_UPLOAD
    parser_classes = [DiskMultiPartParser, JSONParser]

    def get_queryset(self) -> Any:
        return selectors.documents_for(self.request.user).order_by("title", "-version")

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return EvidenceDocumentDetailSerializer
        return EvidenceDocumentSerializer

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: EvidenceDocumentSerializer},
        summary="Upload a document as evidence",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = DocumentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = services.evidence_document_upload(actor=request.user, **payload.validated_data)
        return Response(EvidenceDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": NewVersionSerializer},
        responses={201: EvidenceDocumentSerializer},
        summary="Upload a new version that supersedes this one",
    )
    @action(detail=True, methods=["post"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        previous = self.get_object()
        payload = NewVersionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        document = services.evidence_document_upload(
            actor=request.user,
            file=data["file"],
            title=data.get("title") or previous.title,
            kind=previous.kind,
            description=data.get("description", previous.description),
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            supersedes=previous,
        )
        return Response(EvidenceDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LinkInputSerializer,
        responses={201: EvidenceLinkSerializer},
        summary="Link the document to a requirement, for one deployment or for all",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def links(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        payload = LinkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        link = services.evidence_link_create(
            actor=request.user,
            document=document,
            requirement=payload.validated_data["requirement"],
            deployment=payload.validated_data["deployment"],
        )
        return Response(EvidenceLinkSerializer(link).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("evidence", EvidenceDocumentViewSet, basename="evidence-document")

urlpatterns = [
    path(
        "deployments/<uuid:pk>/obligations/",
        DeploymentObligationsView.as_view(),
        name="deployment-obligations",
    ),
    *router.urls,
]
