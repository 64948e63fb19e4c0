from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from audits.reports import selectors, services
from audits.reports.models import Export, JobStatus, Report, ReportKind
from audits.reports.verification import (
    MAX_UPLOAD_BYTES,
    check_rate,
    verify_pdf,
    verify_sha256,
)
from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.core.errors import Conflict
from governance.core.parsers import JSONParser
from governance.core.uploads import DiskMultiPartParser
from governance.inventory.models import Deployment


class ReportSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    subject = serializers.CharField(source="subject_key", read_only=True)
    supersedes: serializers.PrimaryKeyRelatedField[Report] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    superseded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = (
            "id",
            "kind",
            "title",
            "subject",
            "deployment",
            "incident",
            "export",
            "status",
            "progress",
            "stage",
            "error",
            "attempts",
            "requested_by",
            "requested_at",
            "claimed_at",
            "completed_at",
            "snapshot_at",
            "evidence_sha256",
            "ledger_head_seq",
            "ledger_head_hash",
            "file_sha256",
            "file_size",
            "page_count",
            "signing_certificate_sha256",
            "supersedes",
            "superseded_by",
            "download_url",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_superseded_by(self, obj: Report) -> str | None:
        newer = getattr(obj, "superseded_by", None)
        return str(newer.pk) if newer is not None else None

    def get_download_url(self, obj: Report) -> str | None:
        if obj.status != JobStatus.DONE:
            return None
        return reverse("report-download", kwargs={"pk": obj.pk})


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    deployment = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="For deployment_dossier and conformity_self_assessment: the deployment",
    )
    bias_audit = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For bias_audit: the final bias audit whose LL144 §5-303 summary to publish",
    )
    incident = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For serious_incident: the serious incident to report under EU AI Act Art 73",
    )


class VerifyRequestSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The PDF to check")
    sha256 = serializers.CharField(required=False, max_length=64, help_text="Or its SHA-256")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("sha256")):
            raise serializers.ValidationError("Give either a file or a sha256, not both.")
        upload = attrs.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError({"file": "The file is larger than 200 MB."})
        return attrs


class SignatureSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["intact", "untrusted", "broken", "unsigned", "unreadable"]
    )
    summary = serializers.CharField()
    signer = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    covers_whole_file = serializers.BooleanField()
    certificate_sha256 = serializers.CharField(
        help_text="SHA-256 of the signing certificate (DER); empty when it cannot be read"
    )
    development = serializers.BooleanField(
        help_text="Signed with a development certificate: no organisational assurance"
    )


class IssuedReportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    title = serializers.CharField()
    subject = serializers.CharField()
    deployment = serializers.UUIDField(allow_null=True)
    requested_by = serializers.DictField(child=serializers.CharField())
    requested_at = serializers.DateTimeField()
    generated_at = serializers.DateTimeField(allow_null=True)
    evidence_sha256 = serializers.CharField()
    ledger_head = serializers.DictField()
    page_count = serializers.IntegerField(allow_null=True)


class VerificationSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["issued", "unknown"])
    sha256 = serializers.CharField()
    report = IssuedReportSerializer(allow_null=True)
    superseded = serializers.BooleanField()
    superseded_by = IssuedReportSerializer(allow_null=True)
    signature = SignatureSerializer(allow_null=True)


def _download(job: Report | Export, filename: str, content_type: str) -> FileResponse:
    if job.status != JobStatus.DONE or not job.file:
        raise Conflict(f"The file is not ready: the job is {job.status}.")
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )


class ReportViewSet(
    UUIDLookup, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Reports: request one (202, generated in the background), follow its progress, download
    the signed PDF, and verify any PDF or SHA-256."""

    serializer_class = ReportSerializer
    filterset_fields = ("kind", "status", "deployment")
    ordering_fields = ("created_at", "completed_at")
    ordering = ("-created_at",)
    write_perm = Perm.REPORT_REQUEST
    action_perms = {"regenerate": Perm.REPORT_REQUEST, "verify": Perm.VIEW}

    def get_queryset(self) -> Any:
        return selectors.reports_for(self.request.user)

    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
        description="Queue a report; it is generated by a background worker.",
    )
    def create(self, request: Request) -> Response:
        payload = ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        bias_audit = payload.validated_data["bias_audit"]
        incident = payload.validated_data["incident"]
        report = services.report_request(
            actor=request.user,
            kind=payload.validated_data["kind"],
            deployment=payload.validated_data["deployment"],
            bias_audit=str(bias_audit) if bias_audit else None,
            incident=str(incident) if incident else None,
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ReportSerializer})
    @action(detail=True, methods=["post"])
    def regenerate(self, request: Request, pk: str | None = None) -> Response:
        request.data  # noqa: B018 - a malformed body is refused (400) like on any other POST
        report = services.report_regenerate(actor=request.user, report=self.get_object())
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "The signed PDF"),
            409: OpenApiResponse(description="Not generated yet"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        report = self.get_object()
        return _download(report, report.download_name, "application/pdf")

    @extend_schema(
        request=VerifyRequestSerializer,
        responses={
            200: VerificationSerializer,
            429: OpenApiResponse(description="Too many verification requests from this address"),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[DiskMultiPartParser, JSONParser])
    def verify(self, request: Request) -> Response:
        check_rate(request)  # before the body is read
        payload = VerifyRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data.get("file")
        if upload is not None:
            result = verify_pdf(upload.file)
        else:
            result = verify_sha256(payload.validated_data["sha256"])
        return Response(result.as_dict())


class ExportSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = (
            "id",
            "recipient",
            "note",
            "deployments",
            "status",
            "progress",
            "stage",
            "error",
            "attempts",
            "requested_by",
            "requested_at",
            "completed_at",
            "file_sha256",
            "file_size",
            "manifest_sha256",
            "ledger_head_seq",
            "ledger_head_hash",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, obj: Export) -> str | None:
        if obj.status != JobStatus.DONE:
            return None
        return reverse("export-download", kwargs={"pk": obj.pk})


class ExportRequestSerializer(serializers.Serializer):
    recipient = serializers.CharField(max_length=200)
    deployments = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(), many=True, allow_empty=False
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ExportViewSet(
    UUIDLookup, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Regulator export bundles: dossiers, evidence, ledger slices and a signed manifest."""

    serializer_class = ExportSerializer
    filterset_fields = ("status",)
    ordering_fields = ("created_at",)
    ordering = ("-created_at",)
    write_perm = Perm.EXPORT_CREATE

    def get_queryset(self) -> Any:
        return selectors.exports_for(self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportSerializer})
    def create(self, request: Request) -> Response:
        payload = ExportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        export = services.export_request(actor=request.user, **payload.validated_data)
        export = self.get_queryset().get(pk=export.pk)
        return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, "The ZIP bundle"),
            409: OpenApiResponse(description="Not built yet"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        export = self.get_object()
        return _download(export, f"export-{str(export.pk)[:8]}.zip", "application/zip")


router = SimpleRouter()
router.register("reports", ReportViewSet, basename="report")
router.register("exports", ExportViewSet, basename="export")
urlpatterns = router.urls
