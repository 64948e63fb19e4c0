"""Pages: the findings list, a finding with its timeline and steps, raising one, the tab."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.accounts.sso.provider import provider_name
from governance.accounts.sso.reauth import ReauthProof, reauthentication_start, signs_with_provider
from governance.core.errors import DomainError
from governance.core.views import list_page, save_form
from governance.findings import selectors, services
from governance.findings.choices import ACCEPTABLE_FROM, ACTIVE_STATES, FindingState
from governance.findings.filters import FindingFilter
from governance.findings.forms import (
    AcceptRiskForm,
    EvidenceForm,
    FindingForm,
    NoteForm,
    OwnerForm,
    ReopenForm,
    ResolveForm,
)
from governance.findings.models import Finding, FindingEvidence
from governance.findings.policy import acceptance_roles_for
from governance.findings.services.findings import may_work_on, verification_refusal
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.ledger.describe import describe_events

logger = logging.getLogger(__name__)

S = FindingState


FINDINGS_CSV = [
    ("finding_id", lambda f: f.pk),
    ("deployment_id", lambda f: f.deployment_id),
    ("system", lambda f: f.deployment.model_version.system.name),
    ("environment", lambda f: f.deployment.environment),
    ("severity", lambda f: f.severity),
    ("state", lambda f: f.state),
    ("title", lambda f: f.title),
    ("source_kind", lambda f: f.source_kind),
    ("source_ref", lambda f: f.source_ref),
    ("owner", lambda f: f.owner.get_username()),
    ("due_date", lambda f: f.due_date.isoformat()),
    ("overdue", lambda f: f.is_overdue()),
    ("risk_accepted_until", lambda f: f.risk_accepted_until or ""),
    ("raised_at", lambda f: f.created_at.isoformat()),
]
SORT_FIELDS = {"due": "due_date", "raised": "created_at", "severity": "severity_rank"}


@perm_required(Perm.VIEW)
def finding_list(request: HttpRequest) -> HttpResponseBase:
    """Every finding, filtered by severity, state, owner, source and due date."""
    return list_page(
        request,
        queryset=selectors.findings_listed(request.user),
        template="findings/list.html",
        filterset_class=FindingFilter,
        sort_fields=SORT_FIELDS,
        default_sort="due",
        csv_columns=FINDINGS_CSV,
        csv_name="findings.csv",
        context={
            "counts": selectors.open_counts(selectors.findings_for(request.user)),
            "may_raise": can(request.user, Perm.FINDING_CREATE),
        },
    )


@perm_required(Perm.FINDING_CREATE)
def finding_create(request: HttpRequest) -> HttpResponse:
    """Raise a finding by hand."""
    initial = {}
    if request.GET.get("deployment"):
        initial["deployment"] = request.GET["deployment"]
    form = FindingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = save_form(form, lambda d: services.finding_create(actor=request.user, **d))
        if saved is not None:
            messages.success(request, f"Finding raised; due {saved.due_date:%Y-%m-%d}.")
            return redirect("findings:detail", pk=saved.pk)
    return render(request, "findings/create.html", {"form": form})


def _finding(request: HttpRequest, pk: Any) -> Finding:
    try:
        return selectors.finding_detail(request.user, pk)
    except Finding.DoesNotExist as exc:
        raise Http404("No such finding.") from exc


def _detail_context(request: HttpRequest, finding: Finding, **forms: Any) -> dict[str, Any]:
    user = request.user
    worker = may_work_on(user, finding)
    state = finding.state
    signoffs = list(selectors.current_signoffs(finding))
    required = acceptance_roles_for(finding.policy, finding.severity)
    signed = {s.signed_as for s in signoffs}
    may_accept = (
        can(user, Perm.FINDING_ACCEPT_RISK)
        and state in ACCEPTABLE_FROM
        and bool(set(required) - signed)
    )
    refusal = verification_refusal(user, finding) if state == S.RESOLVED else None
    return {
        "finding": finding,
        "deployment": finding.deployment,
        "overdue": finding.is_overdue(),
        "events": describe_events(selectors.timeline(finding)),
        "evidence": selectors.evidence_of(finding),
        "signoffs": signoffs,
        "required_roles": required,
        "start_form": forms.get("start_form")
        or (NoteForm() if worker and state in (S.OPEN, S.REOPENED) else None),
        "resolve_form": forms.get("resolve_form")
        or (ResolveForm() if worker and state == S.IN_REMEDIATION else None),
        "verify_form": forms.get("verify_form")
        or (NoteForm() if state == S.RESOLVED and refusal is None else None),
        "verify_refusal": refusal.message
        if refusal is not None and can(user, Perm.FINDING_VERIFY)
        else "",
        "close_form": forms.get("close_form")
        or (NoteForm() if state == S.VERIFIED and can(user, Perm.FINDING_VERIFY) else None),
        "evidence_form": forms.get("evidence_form")
        or (EvidenceForm() if worker and state != S.CLOSED else None),
        "reopen_form": forms.get("reopen_form")
        or (
            ReopenForm()
            if state not in (S.OPEN, S.REOPENED) and (worker or can(user, Perm.FINDING_VERIFY))
            else None
        ),
        "needs_owner": state in ACTIVE_STATES and not finding.owner.is_active,
        "owner_form": forms.get("owner_form")
        or (OwnerForm() if state in ACTIVE_STATES and can(user, Perm.FINDING_MANAGE) else None),
        "accept_form": forms.get("accept_form")
        or (
            AcceptRiskForm(
                roles=[r for r in required if r not in signed],
                with_provider=signs_with_provider(user),
            )
            if may_accept
            else None
        ),
        "accept_label": f"Confirm with {provider_name()} and sign"
        if signs_with_provider(user)
        else "Sign the risk acceptance",
    }


@perm_required(Perm.VIEW)
def finding_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    finding = _finding(request, pk)
    return render(request, "findings/detail.html", _detail_context(request, finding))


def _step(
    request: HttpRequest,
    pk: Any,
    form_name: str,
    form: Any,
    run: Callable[[Finding, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    finding = _finding(request, pk)
    if save_form(form, lambda d: run(finding, d)) is not None:
        messages.success(request, done)
        return redirect("findings:detail", pk=finding.pk)
    finding = _finding(request, pk)
    context = _detail_context(request, finding, **{form_name: form})
    return render(request, "findings/detail.html", context, status=400)


def _step_view(
    perm: Perm, form_name: str, form_class: type[Form], service: Callable[..., Any], done: str
) -> Callable[..., HttpResponse]:
    """A page for one step: the form's fields are the service's keywords."""

    @require_POST
    @perm_required(perm)
    def view(request: HttpRequest, pk: Any) -> HttpResponse:
        def run(finding: Finding, data: dict[str, Any]) -> Any:
            # The pages name the evidence field `attachments`; the service takes `files`.
            kwargs = {"files" if k == "attachments" else k: v for k, v in data.items()}
            return service(finding=finding, actor=request.user, **kwargs)

        form = form_class(request.POST, request.FILES)
        return _step(request, pk, form_name, form, run, done)

    return view


start_remediation = _step_view(
    Perm.FINDING_WORK,
    "start_form",
    NoteForm,
    services.finding_start_remediation,
    "Remediation started.",
)
resolve = _step_view(
    Perm.FINDING_WORK,
    "resolve_form",
    ResolveForm,
    services.finding_resolve,
    "Resolved; someone else must now verify the fix.",
)
add_evidence = _step_view(
    Perm.FINDING_WORK,
    "evidence_form",
    EvidenceForm,
    services.finding_evidence_add,
    "Evidence attached.",
)
verify = _step_view(
    Perm.FINDING_VERIFY, "verify_form", NoteForm, services.finding_verify, "Verified."
)
close = _step_view(Perm.FINDING_VERIFY, "close_form", NoteForm, services.finding_close, "Closed.")
change_owner = _step_view(
    Perm.FINDING_MANAGE,
    "owner_form",
    OwnerForm,
    services.finding_owner_change,
    "The finding has a new owner.",
)
reopen = _step_view(
    Perm.FINDING_WORK, "reopen_form", ReopenForm, services.finding_reopen, "Reopened."
)


@require_POST
@perm_required(Perm.FINDING_ACCEPT_RISK)
def accept_risk(request: HttpRequest, pk: Any) -> HttpResponse:
    finding = _finding(request, pk)
    roles = acceptance_roles_for(finding.policy, finding.severity)
    with_provider = signs_with_provider(request.user)
    form = AcceptRiskForm(request.POST, roles=roles, with_provider=with_provider)
    if with_provider and form.is_valid():
        # Signed when the signer comes back from a fresh login at the provider
        # (complete_provider_risk_signoff); what they sign waits on the server meanwhile.
        return reauthentication_start(
            request,
            kind=PROVIDER_RISK_SIGNOFF,
            payload={
                "pk": str(finding.pk),
                "signed_as": form.cleaned_data["signed_as"],
                "rationale": form.cleaned_data["rationale"],
                "expires_on": form.cleaned_data["expires_on"].isoformat(),
            },
            back_to=reverse("findings:detail", args=[finding.pk]),
        )
    return _step(
        request,
        pk,
        "accept_form",
        form,
        lambda f, d: services.finding_risk_signoff_record(
            finding=f,
            signer=request.user,
            signed_as=d["signed_as"],
            password=d["password"],
            http_request=request,
            rationale=d["rationale"],
            expires_on=d["expires_on"],
        ),
        "Signature recorded.",
    )


PROVIDER_RISK_SIGNOFF = "findings.risk_signoff"


def complete_provider_risk_signoff(
    request: HttpRequest, payload: dict[str, Any], proof: ReauthProof
) -> HttpResponse:
    """Record a risk-acceptance signature whose signer just logged in again at the provider."""
    back = redirect("findings:detail", pk=payload["pk"])
    try:
        finding = selectors.finding_detail(request.user, payload["pk"])
    except Finding.DoesNotExist:
        finding = None
    if finding is None or not can(request.user, Perm.FINDING_ACCEPT_RISK):
        messages.error(request, "Not signed: you may no longer accept this risk.")
        return back
    try:
        services.finding_risk_signoff_record(
            finding=finding,
            signer=request.user,
            signed_as=payload["signed_as"],
            http_request=request,
            rationale=payload["rationale"],
            expires_on=dt.date.fromisoformat(payload["expires_on"]),
            reauth=proof,
        )
    except DomainError as exc:
        messages.error(request, f"Not signed: {exc.message}")
        return back
    messages.success(request, "Signature recorded.")
    return back


@perm_required(Perm.VIEW)
def evidence_download(request: HttpRequest, pk: Any) -> FileResponse:
    """Evidence is served only to people who may read findings, never from a public URL."""
    evidence = get_object_or_404(FindingEvidence, pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        # The record stands but its file is gone: say so (verify_evidence names it too).
        logger.error("finding evidence %s is missing from storage", evidence.pk)
        raise Http404(
            "This evidence file is missing from storage; an administrator can restore it "
            "from the backup (docs/operations.md)."
        ) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.file_name,
        content_type=evidence.media_type,
    )


@perm_required(Perm.VIEW)
def deployment_findings(request: HttpRequest, pk: Any) -> HttpResponse:
    """The deployment's Findings tab: open ones first, then the rest."""
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    context = deployment_context(request, deployment, "findings")
    context.update(
        open_findings=list(selectors.open_findings_of(deployment)),
        other_findings=list(selectors.settled_findings_of(request.user, deployment)[:50]),
        raise_url=(
            f"{reverse('findings:create')}?deployment={deployment.pk}"
            if can(request.user, Perm.FINDING_CREATE)
            else ""
        ),
    )
    return render(request, "findings/deployment_findings.html", context)
