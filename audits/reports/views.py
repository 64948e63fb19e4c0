"""Pages: report and export lists, detail pages with a live progress bar, downloads through
permission checks (never through MEDIA_URL), and the public verification page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audits.bias.choices import AuditStatus
from audits.bias.selectors import audits_for
from audits.reports import selectors, services
from audits.reports.filters import ExportFilter, ReportFilter
from audits.reports.forms import (
    ExportForm,
    ReportKindForm,
    ReportRequestForm,
    VerifyForm,
    chosen_kind,
)
from audits.reports.models import Export, JobStatus, Report, ReportKind
from audits.reports.sections import missing_requirements
from audits.reports.verification import (
    MAX_UPLOAD_BYTES,
    check_rate,
    verify_pdf,
    verify_sha256,
)
from governance.accounts.permissions import Perm, can, perm_required
from governance.core.errors import DomainError
from governance.core.ratelimit import RateLimited
from governance.core.uploads import disk_uploads
from governance.core.views import list_page, save_form
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.monitoring.selectors import incidents_for

REPORT_CSV = [
    ("id", lambda r: r.pk),
    ("kind", lambda r: r.kind),
    ("title", lambda r: r.title),
    ("status", lambda r: r.status),
    ("requested_by", lambda r: r.requested_by.username),
    ("requested_at", lambda r: r.created_at.isoformat()),
    ("completed_at", lambda r: r.completed_at.isoformat() if r.completed_at else ""),
    ("file_sha256", lambda r: r.file_sha256),
    ("evidence_sha256", lambda r: r.evidence_sha256),
]


def _kinds_context() -> dict[str, Any]:
    return {
        "unavailable_kinds": [
            (label, sorted({m.room for m in missing_requirements(value)}))
            for value, label in ReportKind.choices
            if missing_requirements(value)
        ]
    }


def _request_form(request: HttpRequest, data: Any = None, kind: Any = None) -> ReportRequestForm:
    final_audits = (
        audits_for(request.user)
        .filter(status=AuditStatus.FINAL)
        .order_by("model_version__system__name", "-audit_date")
    )
    # Only serious incidents are reported under Art 73; the newest first.
    serious = incidents_for(request.user).filter(serious=True).order_by("-aware_at")
    chosen = chosen_kind(data.get("kind") if data is not None else kind)
    return ReportRequestForm(
        data,
        kind=chosen,
        deployments=deployments_for(request.user),
        bias_audits=final_audits,
        incidents=serious,
    )


def _request_context(form: ReportRequestForm) -> dict[str, Any]:
    return {
        **_kinds_context(),
        "request_form": form,
        "kind_form": ReportKindForm(initial={"kind": form.chosen_kind}),
    }


@perm_required(Perm.VIEW)
def report_list(request: HttpRequest) -> HttpResponseBase:
    context = _kinds_context()
    if can(request.user, Perm.REPORT_REQUEST):
        context = _request_context(_request_form(request))
    return list_page(
        request,
        queryset=selectors.reports_for(request.user),
        template="reports/report_list.html",
        filterset_class=ReportFilter,
        sort_fields={"requested": "created_at", "status": "status", "kind": "kind"},
        default_sort="-requested",
        csv_columns=REPORT_CSV,
        csv_name="reports.csv",
        context=context,
    )


@require_http_methods(["GET", "POST"])
@perm_required(Perm.REPORT_REQUEST)
def report_request(request: HttpRequest) -> HttpResponse:
    """GET ?kind=…: the form with only that kind's fields (works without JavaScript; htmx
    swaps the same form in place). POST: request the report."""
    if request.method == "GET":
        form = _request_form(request, kind=request.GET.get("kind"))
        return render(request, "reports/request_form.html", _request_context(form))
    form = _request_form(request, request.POST)
    report = save_form(
        form,
        lambda d: services.report_request(
            actor=request.user,
            kind=d["kind"],
            deployment=d["deployment"],
            bias_audit=str(d["bias_audit"].pk) if d["bias_audit"] else None,
            incident=str(d["incident"].pk) if d["incident"] else None,
        ),
    )
    if report is not None:
        messages.success(request, "Report requested: it is generated in the background.")
        return redirect("reports:report_detail", pk=report.pk)
    return render(request, "reports/request_form.html", _request_context(form), status=400)


def _evidence_outline(report: Report) -> dict[str, Any]:
    if not report.evidence:
        return {}
    evidence = json.loads(report.evidence)
    return {
        "sections": [(s["title"], s["annex_iv"]) for s in evidence.get("sections", [])],
        "not_included": [(p["title"], p["annex_iv"]) for p in evidence.get("not_included", [])],
        "attachments": sorted(evidence.get("attachments", [])),
    }


@perm_required(Perm.VIEW)
def report_detail(request: HttpRequest, pk: str) -> HttpResponse:
    report = get_object_or_404(selectors.reports_for(request.user), pk=pk)
    return render(
        request,
        "reports/report_detail.html",
        {"report": report, "job": report, "outline": _evidence_outline(report)},
    )


@perm_required(Perm.VIEW)
def report_progress(request: HttpRequest, pk: str) -> HttpResponse:
    report = get_object_or_404(selectors.reports_for(request.user), pk=pk)
    return render(request, "reports/_progress.html", {"job": report, "report": report})


def _file_response(job: Report | Export, filename: str, content_type: str) -> FileResponse:
    if job.status != JobStatus.DONE or not job.file:
        raise Http404("The file is not ready.")
    response = FileResponse(
        job.file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@perm_required(Perm.VIEW)
def report_download(request: HttpRequest, pk: str) -> FileResponse:
    report = get_object_or_404(selectors.reports_for(request.user), pk=pk)
    return _file_response(report, report.download_name, "application/pdf")


@require_POST
@perm_required(Perm.REPORT_REQUEST)
def report_regenerate(request: HttpRequest, pk: str) -> HttpResponse:
    report = get_object_or_404(selectors.reports_for(request.user), pk=pk)
    try:
        newer = services.report_regenerate(actor=request.user, report=report)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reports:report_detail", pk=report.pk)
    messages.success(request, "A new report is being generated; it will supersede this one.")
    return redirect("reports:report_detail", pk=newer.pk)


@perm_required(Perm.VIEW)
def deployment_reports(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    if request.method == "POST":
        if not can(request.user, Perm.REPORT_REQUEST):
            raise PermissionDenied("Your roles do not allow this action (reports.request).")
        try:
            report = services.report_request(
                actor=request.user, kind=ReportKind.DEPLOYMENT_DOSSIER, deployment=deployment
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Dossier requested: it is generated in the background.")
            return redirect("reports:report_detail", pk=report.pk)
    context = deployment_context(request, deployment, "reports")
    context["reports"] = selectors.reports_for_deployment(request.user, deployment)
    return render(request, "reports/deployment_reports.html", context)


@disk_uploads
def verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a document may ask whether the organisation issued it."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    refusal, status = "", 400
    if request.method == "POST":
        try:
            check_rate(request)
        except RateLimited as exc:
            refusal, status = exc.message, 429
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if (
        not refusal
        and request.method == "POST"
        and declared.isascii()
        and declared.isdigit()
        and int(declared) > MAX_UPLOAD_BYTES + 65536
    ):
        # Refused before the body is read: the page is public, so no one may fill the disk.
        refusal = "The file is larger than 200 MB."
    if refusal:
        context = {
            "form": VerifyForm(),
            "refusal": refusal,
            "can_view": can(request.user, Perm.VIEW),
        }
        return render(request, "reports/verify.html", context, status=status)
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is not None:
            result = verify_pdf(upload.file)
        else:
            result = verify_sha256(form.cleaned_data["sha256"])
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(
        request,
        "reports/verify.html",
        {"form": form, "result": result, "can_view": can(request.user, Perm.VIEW)},
        status=status,
    )


@perm_required(Perm.VIEW)
def export_list(request: HttpRequest) -> HttpResponseBase:
    form = None
    if can(request.user, Perm.EXPORT_CREATE):
        form = ExportForm(request.POST or None, deployments=deployments_for(request.user))
        if request.method == "POST":
            export = save_form(
                form,
                lambda d: services.export_request(
                    actor=request.user,
                    recipient=d["recipient"],
                    deployments=d["deployments"],
                    note=d["note"],
                ),
            )
            if export is not None:
                messages.success(request, f"Export for {export.recipient} is being built.")
                return redirect("reports:export_detail", pk=export.pk)
    elif request.method == "POST":
        raise PermissionDenied("Your roles do not allow this action (reports.export).")
    response = list_page(
        request,
        queryset=selectors.exports_for(request.user),
        template="reports/export_list.html",
        filterset_class=ExportFilter,
        sort_fields={"requested": "created_at", "recipient": "recipient"},
        default_sort="-requested",
        context={"export_form": form},
    )
    if request.method == "POST":
        response.status_code = 400
    return response


@perm_required(Perm.VIEW)
def export_detail(request: HttpRequest, pk: str) -> HttpResponse:
    export = get_object_or_404(selectors.exports_for(request.user), pk=pk)
    return render(
        request,
        "reports/export_detail.html",
        {"export": export, "job": export, "dossiers": export.reports.select_related("deployment")},
    )


@perm_required(Perm.VIEW)
def export_progress(request: HttpRequest, pk: str) -> HttpResponse:
    export = get_object_or_404(selectors.exports_for(request.user), pk=pk)
    return render(request, "reports/_progress.html", {"job": export, "export": export})


@perm_required(Perm.VIEW)
def export_download(request: HttpRequest, pk: str) -> FileResponse:
    export = get_object_or_404(selectors.exports_for(request.user), pk=pk)
    return _file_response(export, f"export-{str(export.pk)[:8]}.zip", "application/zip")
