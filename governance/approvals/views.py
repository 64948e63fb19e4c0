from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.accounts.sso.provider import provider_name
from governance.accounts.sso.reauth import ReauthProof, reauthentication_start, signs_with_provider
from governance.approvals import selectors, services
from governance.approvals.dossier_contents import dossier_contents
from governance.approvals.forms import PolicyForm, RequestForm, SignForm, WithdrawForm
from governance.approvals.models import Decision
from governance.approvals.services.requests import request_blockers
from governance.approvals.services.signoffs import current_stage, signing_refusal
from governance.core.errors import DomainError
from governance.core.views import list_page, save_form
from governance.inventory.choices import DeploymentStatus
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context


def _queue_rows(approvals: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "approval": approval,
            "sla": selectors.sla_state(approval.stage_started_at, approval.stage_sla_hours),
        }
        for approval in approvals
    ]


QUEUE_CSV = [
    ("request_id", lambda r: r["approval"].pk),
    ("system", lambda r: r["approval"].deployment.model_version.system.name),
    ("version", lambda r: r["approval"].deployment.model_version.version_label),
    ("environment", lambda r: r["approval"].deployment.environment),
    ("tier", lambda r: r["approval"].tier),
    ("stage", lambda r: r["approval"].current_stage),
    ("stage_name", lambda r: r["approval"].stage_name),
    ("waiting_since", lambda r: r["approval"].stage_started_at.isoformat()),
    ("sla", lambda r: r["sla"].label),
    ("overdue", lambda r: r["sla"].overdue),
    ("requested_by", lambda r: r["approval"].requested_by.get_username()),
]


@perm_required(Perm.APPROVAL_SIGN)
def queue(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.queue_for(request.user),
        template="approvals/queue.html",
        sort_fields={"waiting": "stage_started_at", "tier": "tier"},
        default_sort="waiting",
        csv_columns=QUEUE_CSV,
        csv_name="approval-queue.csv",
        page_size=50,
        page_rows=_queue_rows,
        context={"recent": selectors.recent_decisions(request.user)},
    )


def _open_findings(deployment: Any) -> list[Any]:
    from governance.findings.selectors import open_findings_of

    return list(open_findings_of(deployment))


def _sign_context(
    request: HttpRequest, approval: Any, form: SignForm | None = None
) -> dict[str, Any]:
    stage = current_stage(approval)
    signer_ids = {s.signer_id for s in approval.signoffs.all()}
    refusal = signing_refusal(approval, stage, request.user, signer_ids)
    meanings = (
        {d: services.expected_meaning(approval, stage, d) for d in Decision.values}
        if stage is not None and approval.status == "pending"
        else {}
    )
    with_provider = signs_with_provider(request.user)
    if form is None and refusal is None and stage is not None:
        form = SignForm(
            initial={"stage": stage.order, "meaning": meanings.get("approve", "")},
            with_provider=with_provider,
        )
    previous = selectors.last_approved_request(approval.deployment, before=approval)
    completed = {c.stage_order: c for c in approval.completions.all()}
    timeline = []
    for s in approval.policy.stages.all():
        timeline.append(
            {
                "stage": s,
                "signoffs": [x for x in approval.signoffs.all() if x.stage_order == s.order],
                "completion": completed.get(s.order),
                "current": approval.status == "pending" and s.order == approval.current_stage,
                "sla": selectors.sla_state(approval.stage_started_at, s.sla_hours)
                if approval.status == "pending" and s.order == approval.current_stage
                else None,
            }
        )
    return {
        "approval": approval,
        "deployment": approval.deployment,
        "stage": stage,
        "timeline": timeline,
        "refusal": refusal,
        "can_sign_role": can(request.user, Perm.APPROVAL_SIGN),
        "meanings": meanings,
        "form": form,
        "sign_with_provider": provider_name() if with_provider else "",
        "eligible": selectors.eligible_signers(approval, stage),
        "previous": previous,
        "contents": dossier_contents(approval, previous),
        # What is known to be wrong and not yet remediated is part of what signers weigh.
        "open_findings": _open_findings(approval.deployment),
        # Signatures on a dossier that cannot open the gate would be wasted: say so first.
        "gate_blockers": request_blockers(approval.deployment)[0]
        if approval.status == "pending"
        else [],
    }


@perm_required(Perm.VIEW)
def request_detail(request: HttpRequest, pk: str) -> HttpResponse:
    approval = selectors.request_detail(request.user, pk)
    if approval is None:
        raise Http404
    return render(request, "approvals/request_detail.html", _sign_context(request, approval))


@require_POST
@perm_required(Perm.APPROVAL_SIGN)
def request_sign(request: HttpRequest, pk: str) -> HttpResponse:
    approval = selectors.request_detail(request.user, pk)
    if approval is None:
        raise Http404
    target = approval
    with_provider = signs_with_provider(request.user)
    form = SignForm(request.POST, with_provider=with_provider)
    if form.is_valid():
        stage = current_stage(approval)
        decision = form.cleaned_data["decision"]
        # The statement signed is the one shown for the chosen decision.
        meaning = services.expected_meaning(approval, stage, decision) if stage else ""
        if with_provider:
            # Signed when the signer comes back from a fresh login at the provider
            # (complete_provider_signoff); what they sign waits on the server meanwhile.
            return reauthentication_start(
                request,
                kind=PROVIDER_SIGNOFF,
                payload={
                    "pk": str(approval.pk),
                    "decision": decision,
                    "meaning": meaning,
                    "comment": form.cleaned_data["comment"],
                    "conditions": form.cleaned_data["conditions"],
                    "stage": form.cleaned_data["stage"],
                },
                back_to=reverse("approvals:request_detail", args=[approval.pk]),
            )
        saved = save_form(
            form,
            lambda d: services.signoff_record(
                request=target,
                signer=request.user,
                decision=decision,
                meaning=meaning,
                comment=d["comment"],
                conditions=d["conditions"],
                password=d["password"],
                stage_order=d["stage"],
                http_request=request,
            ),
        )
        if saved is not None:
            messages.success(request, f"Signed: {saved.meaning}")
            return redirect("approvals:request_detail", pk=pk)
        approval = selectors.request_detail(request.user, pk) or approval
    return render(
        request, "approvals/request_detail.html", _sign_context(request, approval, form), status=400
    )


PROVIDER_SIGNOFF = "approvals.signoff"


def complete_provider_signoff(
    request: HttpRequest, payload: dict[str, Any], proof: ReauthProof
) -> HttpResponse:
    """Record a sign-off whose signer just came back from a fresh login at the provider."""
    back = redirect("approvals:request_detail", pk=payload["pk"])
    approval = selectors.request_detail(request.user, payload["pk"])
    if approval is None or not can(request.user, Perm.APPROVAL_SIGN):
        messages.error(request, "Not signed: you may no longer sign this request.")
        return back
    try:
        saved = services.signoff_record(
            request=approval,
            signer=request.user,
            decision=payload["decision"],
            meaning=payload["meaning"],
            comment=payload["comment"],
            conditions=payload["conditions"],
            stage_order=payload["stage"],
            http_request=request,
            reauth=proof,
        )
    except DomainError as exc:
        messages.error(request, f"Not signed: {exc.message}")
        return back
    messages.success(request, f"Signed: {saved.meaning}")
    return back


@require_POST
@perm_required(Perm.APPROVAL_REQUEST)
def request_withdraw(request: HttpRequest, pk: str) -> HttpResponse:
    approval = selectors.request_detail(request.user, pk)
    if approval is None:
        raise Http404
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not withdrawn: {' '.join(map(str, form.errors['reason']))}")
        return redirect("approvals:request_detail", pk=pk)
    try:
        services.approval_request_withdraw(
            request=approval, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Approval request withdrawn; the deployment is a draft again.")
    return redirect("approvals:request_detail", pk=pk)


@perm_required(Perm.VIEW)
def deployment_approvals(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    context = deployment_context(request, deployment, "approvals")
    blockers, _, _ = request_blockers(deployment)
    gate = selectors.page_gate(request, deployment)
    context.update(
        requests=selectors.requests_for_deployment(request.user, deployment),
        gate=gate,
        blockers=blockers,
        # A draft, or a deployment whose approval no longer holds, may be submitted.
        requestable=deployment.status == DeploymentStatus.DRAFT or gate.lapse is not None,
        request_form=RequestForm(),
    )
    return render(request, "approvals/deployment_approvals.html", context)


@require_POST
@perm_required(Perm.APPROVAL_REQUEST)
def deployment_request_create(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    form = RequestForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.approval_request_create(
            deployment=deployment, actor=request.user, reason=d["reason"]
        ),
    )
    if saved is not None:
        messages.success(request, "Approval requested. The first stage's signers can now sign.")
        return redirect("approvals:request_detail", pk=saved.pk)
    for error in form.non_field_errors():
        messages.error(request, str(error))
    return redirect("approvals:deployment_approvals", pk=pk)


@perm_required(Perm.VIEW)
def policies(request: HttpRequest) -> HttpResponse:
    form = None
    if can(request.user, Perm.POLICY_EDIT):
        form = PolicyForm(request.POST or None)
        if request.method == "POST":
            saved = save_form(
                form,
                lambda d: services.policy_create_version(
                    tier=d["tier"],
                    stages=d["stages"],
                    recertification_months=d["recertification_months"],
                    notes=d["notes"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, f"{saved} is now current for new requests.")
                return redirect("approvals:policies")
    elif request.method == "POST":
        return render(
            request, "errors/403.html", {"reason": "Only administrators edit policies."}, status=403
        )
    return render(
        request, "approvals/policies.html", {"policies": selectors.current_policies(), "form": form}
    )
