"""Pages: the deployment's Obligations tab and one requirement of it, the portfolio coverage,
and the evidence documents with their versions and where they are used."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.uploads import disk_uploads
from governance.core.views import save_form
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.obligations import selectors, services
from governance.obligations.choices import ObligationStatus
from governance.obligations.forms import AssertionForm, DocumentForm, LinkForm, NewVersionForm
from governance.obligations.models import DeploymentObligation
from governance.obligations.services.gaps import existing_gap_finding

logger = logging.getLogger(__name__)


@perm_required(Perm.VIEW)
def deployment_obligations(request: HttpRequest, pk: Any) -> HttpResponse:
    """The Obligations tab: kept statuses by framework; `?all=1` adds what does not apply."""
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    show_all = request.GET.get("all") == "1"
    rows = list(selectors.obligations_of(request.user, deployment))
    context = deployment_context(request, deployment, "obligations")
    context.update(
        groups=selectors.grouped(rows, show_all=show_all),
        show_all=show_all,
        not_applicable=sum(1 for row in rows if not row.applies),
        statuses=ObligationStatus,
    )
    return render(request, "obligations/deployment_obligations.html", context)


def _obligation(request: HttpRequest, pk: Any) -> DeploymentObligation:
    row = (
        DeploymentObligation.objects.filter(pk=pk, deployment__in=deployments_for(request.user))
        .select_related(
            "requirement__framework", "deployment__model_version__system", "assertion__signed_by"
        )
        .defer("requirement__framework__document")
        .first()
    )
    if row is None:
        raise Http404("No such obligation.")
    return row


def _detail(request: HttpRequest, row: DeploymentObligation, **forms: Any) -> dict[str, Any]:
    user = request.user
    context = deployment_context(request, row.deployment, "obligations")
    links = selectors.links_of(row.deployment).get(row.requirement_id, [])
    may_assert = can(user, Perm.OBLIGATION_ASSERT) and row.applies and row.in_force
    may_link = can(user, Perm.EVIDENCE_UPLOAD)
    context.update(
        row=row,
        requirement=row.requirement,
        counterparts=row.requirement.counterparts.select_related("framework").order_by(
            "framework__slug", "position"
        ),
        links=links,
        assertions=[
            a
            for a in selectors.assertions_of(user, row.deployment)
            if a.requirement_id == row.requirement_id
        ],
        finding=existing_gap_finding(row),
        may_raise=can(user, Perm.FINDING_CREATE)
        and row.status == ObligationStatus.MISSING
        and row.applies
        and row.in_force,
        assert_form=forms.get("assert_form") or (AssertionForm() if may_assert else None),
        link_form=forms.get("link_form") or (LinkForm() if may_link else None),
    )
    return context


@perm_required(Perm.VIEW)
def obligation_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    row = _obligation(request, pk)
    return render(request, "obligations/obligation_detail.html", _detail(request, row))


def _again(request: HttpRequest, row: DeploymentObligation, **forms: Any) -> HttpResponse:
    return render(
        request, "obligations/obligation_detail.html", _detail(request, row, **forms), status=400
    )


@require_POST
@perm_required(Perm.OBLIGATION_ASSERT)
def obligation_assert(request: HttpRequest, pk: Any) -> HttpResponse:
    row = _obligation(request, pk)
    form = AssertionForm(request.POST)
    signed = save_form(
        form,
        lambda d: services.assertion_sign(
            deployment=row.deployment,
            requirement=row.requirement,
            signer=request.user,
            verdict=d["verdict"],
            justification=d["justification"],
            documents=list(d["documents"]),
            password=d["password"],
            http_request=request,
        ),
    )
    if signed is None:
        return _again(request, row, assert_form=form)
    messages.success(request, "Assertion signed and recorded.")
    return redirect("obligations:obligation_detail", pk=row.pk)


@require_POST
@perm_required(Perm.EVIDENCE_UPLOAD)
def obligation_link(request: HttpRequest, pk: Any) -> HttpResponse:
    row = _obligation(request, pk)
    form = LinkForm(request.POST)
    linked = save_form(
        form,
        lambda d: services.evidence_link_create(
            actor=request.user,
            document=d["document"],
            requirement=row.requirement,
            deployment=None if d["everywhere"] else row.deployment,
        ),
    )
    if linked is None:
        return _again(request, row, link_form=form)
    messages.success(request, "Document linked.")
    return redirect("obligations:obligation_detail", pk=row.pk)


@require_POST
@perm_required(Perm.FINDING_CREATE)
def obligation_raise_finding(request: HttpRequest, pk: Any) -> HttpResponse:
    from governance.core.errors import DomainError

    row = _obligation(request, pk)
    try:
        finding = services.obligation_gap_raise(obligation=row, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _again(request, row)
    messages.success(request, "The missing requirement is now a finding.")
    return redirect("findings:detail", pk=finding.pk)


# --- Coverage ---------------------------------------------------------------------------------


@perm_required(Perm.VIEW)
def coverage(request: HttpRequest) -> HttpResponse:
    """Frameworks × business units (or tiers): share of applicable in-force requirements met."""
    by = request.GET.get("by", "business_unit")
    if by not in selectors.DIMENSIONS:
        by = "business_unit"
    context = selectors.coverage(request.user, by=by)
    context.update(dimensions=selectors.DIMENSIONS, list_url=reverse("obligations:coverage_list"))
    return render(request, "obligations/coverage.html", context)


@perm_required(Perm.VIEW)
def coverage_list(request: HttpRequest) -> HttpResponse:
    """The requirements behind one cell of the coverage page."""
    by = request.GET.get("by", "business_unit")
    if by not in selectors.DIMENSIONS:
        by = "business_unit"
    framework = request.GET.get("framework", "")
    key = request.GET.get("key", "")
    status = request.GET.get("status", "")
    rows = selectors.coverage_rows(
        request.user, framework_slug=framework, by=by, key=key, status=status
    )
    context = {
        "rows": rows[:500],
        "total": rows.count(),
        "framework": framework,
        "by": by,
        "by_label": selectors.DIMENSIONS[by],
        "key": key,
        "status": status,
        "statuses": [(s, ObligationStatus(s).label) for s in selectors.APPLICABLE_STATUSES],
    }
    return render(request, "obligations/coverage_list.html", context)


# --- Evidence documents -----------------------------------------------------------------------


@disk_uploads
@perm_required(Perm.VIEW)
def document_list(request: HttpRequest) -> HttpResponse:
    """The current version of every document; those who keep evidence upload new ones here."""
    may_upload = can(request.user, Perm.EVIDENCE_UPLOAD)
    form = None
    if request.method == "POST":
        if not may_upload:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = DocumentForm(request.POST, request.FILES)
        document = save_form(
            form, lambda d: services.evidence_document_upload(actor=request.user, **d)
        )
        if document is not None:
            messages.success(request, "Document kept as evidence.")
            return redirect("obligations:document_detail", pk=document.pk)
    context = {
        "documents": selectors.current_documents(request.user)[:500],
        "form": form or (DocumentForm() if may_upload else None),
    }
    return render(request, "obligations/document_list.html", context, status=400 if form else 200)


def _document_context(request: HttpRequest, document: Any, form: Any = None) -> dict[str, Any]:
    may_upload = can(request.user, Perm.EVIDENCE_UPLOAD) and document.superseded_by_id is None
    return {
        "document": document,
        "versions": selectors.versions_of(document),
        "used": selectors.where_used(document),
        "form": form
        or (
            NewVersionForm(initial={"title": document.title, "description": document.description})
            if may_upload
            else None
        ),
    }


@perm_required(Perm.VIEW)
def document_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    document = get_object_or_404(selectors.documents_for(request.user), pk=pk)
    return render(request, "obligations/document_detail.html", _document_context(request, document))


@disk_uploads
@require_POST
@perm_required(Perm.EVIDENCE_UPLOAD)
def document_new_version(request: HttpRequest, pk: Any) -> HttpResponse:
    document = get_object_or_404(selectors.documents_for(request.user), pk=pk)
    form = NewVersionForm(request.POST, request.FILES)
    new = save_form(
        form,
        lambda d: services.evidence_document_upload(
            actor=request.user, kind=document.kind, supersedes=document, **d
        ),
    )
    if new is None:
        return render(
            request,
            "obligations/document_detail.html",
            _document_context(request, document, form),
            status=400,
        )
    messages.success(
        request, f"Version {new.version} kept; it supersedes version {document.version}."
    )
    return redirect("obligations:document_detail", pk=new.pk)


@perm_required(Perm.VIEW)
def document_download(request: HttpRequest, pk: Any) -> FileResponse:
    document = get_object_or_404(selectors.documents_for(request.user), pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        logger.error("evidence document %s is missing from storage", document.pk)
        raise Http404(
            "This document's file is missing from storage; an administrator can restore it "
            "from backup (verify_evidence names it too)."
        ) from None
    return FileResponse(
        handle, as_attachment=True, filename=document.file_name, content_type=document.content_type
    )
