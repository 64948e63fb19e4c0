"""Pages: audit list, deployment tab, upload wizard, audit page, public summary."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from audits.bias import engine, selectors, services
from audits.bias.charts import impact_ratio_chart_svg
from audits.bias.filters import BiasAuditFilter
from audits.bias.forms import (
    AuditEditForm,
    DiscardForm,
    ExclusionsForm,
    FinalizeForm,
    UploadForm,
)
from audits.bias.gate import bias_audit_fresh, needs_independent_audit
from audits.bias.models import BiasAudit
from governance.accounts.permissions import Perm, perm_required
from governance.core.errors import DomainError
from governance.core.views import list_page, save_form
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context

DUE_WITHIN_DAYS = 30

CSV_COLUMNS = [
    ("id", lambda a: a.pk),
    ("system", lambda a: a.model_version.system.name),
    ("version", lambda a: a.model_version.version_label),
    ("environment", lambda a: a.deployment.environment if a.deployment else ""),
    ("audit_type", lambda a: a.audit_type),
    ("status", lambda a: a.status),
    ("independent", lambda a: a.is_independent),
    ("auditor", lambda a: a.auditor_name),
    ("auditor_organisation", lambda a: a.auditor_organisation),
    ("audit_date", lambda a: a.audit_date.isoformat()),
    ("next_due_date", lambda a: a.next_due_date.isoformat()),
    ("people", lambda a: a.total_count),
    ("unknown_category", lambda a: a.unknown_count),
    ("file_sha256", lambda a: a.file_sha256),
]


@perm_required(Perm.VIEW)
def audit_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.audits_for(request.user),
        template="bias/audit_list.html",
        filterset_class=BiasAuditFilter,
        sort_fields={
            "system": "model_version__system__name",
            "date": "audit_date",
            "due": "next_due_date",
            "status": "status",
        },
        default_sort="-date",
        csv_columns=CSV_COLUMNS,
        csv_name="bias-audits.csv",
        context={"due": selectors.audits_due_within(DUE_WITHIN_DAYS), "due_days": DUE_WITHIN_DAYS},
    )


@perm_required(Perm.VIEW)
def deployment_audits(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    context = deployment_context(request, deployment, "bias")
    context.update(
        audits=list(selectors.audits_for_deployment(request.user, deployment)),
        required=needs_independent_audit(deployment),
        gate_reasons=bias_audit_fresh(deployment),
        latest=selectors.latest_final_independent_audit(deployment),
    )
    if context["latest"] is not None:
        context["freshness"] = selectors.freshness(context["latest"])
    return render(request, "bias/deployment_audits.html", context)


# --- Upload wizard ----------------------------------------------------------------------


def _header_and_preview(request: HttpRequest) -> tuple[list[str], list[list[str]]]:
    upload = request.FILES.get("file")
    if upload is None:
        return [], []
    return engine.preview_rows(upload)


def _upload_context(
    form: UploadForm, header: list[str], preview: list[list[str]]
) -> dict[str, Any]:
    return {
        "form": form,
        "header": header,
        "preview": preview,
        "max_mb": settings.BIAS_UPLOAD_MAX_BYTES // (1024 * 1024),
        "unknown_values": [v for v in engine.DEFAULT_UNKNOWN_VALUES if v],
    }


def _too_large(request: HttpRequest) -> bool:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    return length > settings.BIAS_UPLOAD_MAX_BYTES + 1024 * 1024


@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = UploadForm(initial={"deployment": request.GET.get("deployment")})
        return render(request, "bias/upload.html", _upload_context(form, [], []))
    if _too_large(request):
        form = UploadForm(initial={"deployment": request.POST.get("deployment")})
        form.add_error(
            None, f"The file is larger than the limit of {settings.BIAS_UPLOAD_MAX_BYTES:,} bytes."
        )
        return render(request, "bias/upload.html", _upload_context(form, [], []), status=400)
    header, preview = _header_and_preview(request)
    form = UploadForm(request.POST, request.FILES, header=header)
    audit = save_form(
        form, lambda _: services.bias_audit_create(actor=request.user, **form.service_arguments())
    )
    if audit is not None:
        messages.success(request, "Bias audit computed and saved as a draft.")
        return redirect("bias:audit_detail", pk=audit.pk)
    return render(request, "bias/upload.html", _upload_context(form, header, preview), status=400)


@require_POST
@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_upload_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the column mapping, guessed from the chosen file's header, and its first rows."""
    if _too_large(request):
        return render(request, "bias/_mapping.html", {"too_large": True})
    header, preview = _header_and_preview(request)
    audit_type = request.POST.get("audit_type") or "selection"
    data_format = request.POST.get("data_format") or "rows"
    guess = engine.guess_mapping(header, audit_type, data_format)
    initial: dict[str, Any] = {"dimensions": list(guess.dimensions)}
    initial.update({f"{role}_column": column for role, column in guess.roles.items()})
    form = UploadForm(initial=initial, header=header)
    return render(request, "bias/_mapping.html", _upload_context(form, header, preview))


# --- Audit page -------------------------------------------------------------------------


def _tabs(audit: BiasAudit, current: str) -> list[dict[str, Any]]:
    return [
        {
            "key": s["dimension"],
            "label": ("Intersection: " if s["is_intersection"] else "") + s["dimension"],
            "active": s["dimension"] == current,
            "summary": s,
        }
        for s in audit.dimension_summaries
    ]


def _audit_context(request: HttpRequest, audit: BiasAudit) -> dict[str, Any]:
    names = [s["dimension"] for s in audit.dimension_summaries]
    current = request.GET.get("dimension", "")
    if current not in names:
        current = names[0] if names else ""
    rows = [r for r in audit.results.all() if r.dimension == current]
    tabs = _tabs(audit, current)
    summary: dict[str, Any] = next((t["summary"] for t in tabs if t["active"]), {})
    return {
        "audit": audit,
        "dimension_tabs": tabs,
        "dimension": current,
        "summary": summary,
        "rows": rows,
        # The SVG is built from escaped text by charts.py, so it is safe to embed.
        "chart": mark_safe(impact_ratio_chart_svg(rows, title=f"Impact ratios: {current}")),  # noqa: S308
        "freshness": selectors.freshness(audit),
        "classification": audit.audit_type == "classification",
    }


@perm_required(Perm.VIEW)
def audit_detail(request: HttpRequest, pk: str) -> HttpResponse:
    audit = selectors.audit_detail(request.user, pk)
    context = _audit_context(request, audit)
    if not audit.is_final:
        context["exclusions_form"] = ExclusionsForm(audit=audit)
    return render(request, "bias/audit_detail.html", context)


@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_exclusions(request: HttpRequest, pk: str) -> HttpResponse:
    audit = selectors.audit_detail(request.user, pk)
    if request.method != "POST":
        return redirect("bias:audit_detail", pk=pk)
    form = ExclusionsForm(request.POST, audit=audit)

    def save(_: Any) -> Any:
        return services.bias_audit_set_exclusions(
            audit=audit,
            actor=request.user,
            exclusions=[services.Exclusion(*e) for e in form.exclusions()],
            privileged_groups=form.privileged_groups(),
        )

    if save_form(form, save) is not None:
        messages.success(request, "Exclusions saved; impact ratios recomputed.")
        return redirect("bias:audit_detail", pk=pk)
    context = _audit_context(request, audit)
    context["exclusions_form"] = form
    return render(request, "bias/audit_detail.html", context, status=400)


@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_edit(request: HttpRequest, pk: str) -> HttpResponse:
    audit = selectors.audit_detail(request.user, pk)
    if audit.is_final:
        messages.error(request, "A final audit cannot be changed; upload a superseding audit.")
        return redirect("bias:audit_detail", pk=pk)
    form = AuditEditForm(request.POST or None, instance=audit)
    if request.method == "POST":
        saved = save_form(
            form,
            lambda data: services.bias_audit_update(audit=audit, actor=request.user, fields=data),
        )
        if saved is not None:
            messages.success(request, "Audit details saved.")
            return redirect("bias:audit_detail", pk=pk)
    return render(request, "bias/audit_edit.html", {"form": form, "audit": audit})


def _run_step(request: HttpRequest, step: Any, done: str) -> bool:
    try:
        step()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


@require_POST
@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_finalize(request: HttpRequest, pk: str) -> HttpResponse:
    audit = selectors.audit_detail(request.user, pk)
    form = FinalizeForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not finalised: {' '.join(map(str, form.errors['confirm']))}")
        return redirect("bias:audit_detail", pk=pk)
    _run_step(
        request,
        lambda: services.bias_audit_finalize(audit=audit, actor=request.user),
        "The audit is final: it can no longer change, and it now counts for the deployment gate.",
    )
    return redirect("bias:audit_detail", pk=pk)


@require_POST
@perm_required(Perm.BIAS_AUDIT_EDIT)
def audit_discard(request: HttpRequest, pk: str) -> HttpResponse:
    audit = selectors.audit_detail(request.user, pk)
    deployment_id = audit.deployment_id
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not discarded: {' '.join(map(str, form.errors['reason']))}")
        return redirect("bias:audit_detail", pk=pk)
    discarded = _run_step(
        request,
        lambda: services.bias_audit_discard(
            audit=audit, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        "Draft audit discarded.",
    )
    if not discarded:
        return redirect("bias:audit_detail", pk=pk)
    if deployment_id:
        return redirect("bias:deployment_audits", pk=deployment_id)
    return redirect("bias:audit_list")


@perm_required(Perm.VIEW)
def audit_verify(request: HttpRequest, pk: str) -> HttpResponse:
    """htmx: recompute from the stored file and say whether every stored figure matches."""
    audit = selectors.audit_detail(request.user, pk)
    return render(request, "bias/_verify.html", {"check": selectors.recomputation_check(audit)})


@perm_required(Perm.VIEW)
def audit_download(request: HttpRequest, pk: str) -> FileResponse:
    audit = selectors.audit_detail(request.user, pk)
    name = f"bias-audit-{audit.audit_date:%Y-%m-%d}-{audit.file_sha256[:12]}.csv"
    return FileResponse(audit.data_file.open("rb"), as_attachment=True, filename=name)


# --- Public summary ---------------------------------------------------------------------


def _summary_context(request: HttpRequest, pk: str) -> dict[str, Any]:
    audit = selectors.audit_detail(request.user, pk)
    summary = selectors.public_summary(audit)
    charts = {
        table["dimension"]: mark_safe(  # noqa: S308 - escaped by charts.py
            impact_ratio_chart_svg(
                table["categories"], title=f"Impact ratios: {table['dimension']}"
            )
        )
        for table in summary["tables"]
    }
    for table in summary["tables"]:
        table["chart"] = charts[table["dimension"]]
    return {"audit": audit, "summary": summary}


@perm_required(Perm.VIEW)
def audit_summary(request: HttpRequest, pk: str) -> HttpResponse:
    return render(request, "bias/summary.html", _summary_context(request, pk))


@perm_required(Perm.VIEW)
def audit_summary_print(request: HttpRequest, pk: str) -> HttpResponse:
    return render(request, "bias/summary_print.html", _summary_context(request, pk))
