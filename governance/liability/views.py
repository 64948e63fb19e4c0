"""Pages: the accountability tab, the portfolio matrix, the offers inbox, vendors and contracts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can, perm_required
from governance.accounts.sso.provider import provider_name
from governance.accounts.sso.reauth import ReauthProof, reauthentication_start, signs_with_provider
from governance.core.csv import csv_response
from governance.core.errors import DomainError, PermissionRefused
from governance.core.views import list_page, save_form, sorted_by
from governance.inventory.selectors import deployments_for, systems_for
from governance.inventory.views import deployment_context
from governance.ledger.describe import describe_events
from governance.liability import conf, selectors, services
from governance.liability.choices import PROVIDER_OBLIGATIONS, AIActRole, OfferStatus, Raci
from governance.liability.filters import MatrixFilter, PartyFilter
from governance.liability.forms import (
    AcceptForm,
    AssignmentForm,
    ContractForm,
    DeclineForm,
    EndAssignmentForm,
    OfferForm,
    PartyForm,
    RoleShiftForm,
    WithdrawForm,
)
from governance.liability.models import AccountabilityAssignment, OwnershipOffer

MATRIX_PAGE_SIZE = 50
CSV_CHUNK = 500


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- Portfolio matrix -------------------------------------------------------------------


# Public sort keys of the matrix (`?sort=owner`, `?sort=-status`) and what they order by.
MATRIX_SORT_FIELDS = {
    "deployment": "model_version__system__name",
    "environment": "environment",
    "status": "status",
    "owner": "owner_name",
}


def _matrix_queryset(request: HttpRequest) -> tuple[Any, MatrixFilter, str]:
    base = (
        deployments_for(request.user)
        .annotate(owner_name=selectors.open_ownership_name())
        .order_by("model_version__system__name", "environment")
    )
    filterset = MatrixFilter(request.GET or None, queryset=base)
    if filterset.is_bound:
        base = filterset.qs if filterset.is_valid() else base.none()
    queryset, sort = sorted_by(request, base, MATRIX_SORT_FIELDS)
    return queryset, filterset, sort


def _csv_rows(queryset: Any) -> Iterator[list[Any]]:
    # Chunks keep memory flat and the query count per chunk constant.
    chunk: list[Any] = []
    for deployment in queryset.iterator(chunk_size=CSV_CHUNK):
        chunk.append(deployment)
        if len(chunk) == CSV_CHUNK:
            yield from _csv_chunk(chunk)
            chunk = []
    if chunk:
        yield from _csv_chunk(chunk)


def _csv_chunk(deployments: list[Any]) -> Iterator[list[Any]]:
    for row in selectors.matrix_rows(deployments):
        d = row.deployment
        yield [
            d.pk,
            d.model_version.system.name,
            d.model_version.version_label,
            d.environment,
            d.status,
            row.owner.display_name if row.owner else "",
            row.owner.get_username() if row.owner else "",
            row.organisation_role,
            *[selectors.cell_text(cell) for cell in row.cells],
        ]


@perm_required(Perm.VIEW)
def matrix(request: HttpRequest) -> HttpResponseBase:
    """Deployments × scopes → who is accountable, responsible, consulted and informed."""
    queryset, filterset, sort = _matrix_queryset(request)
    scope_list = conf.scopes()
    if request.GET.get("format") == "csv":
        header = [
            "deployment_id",
            "system",
            "version",
            "environment",
            "status",
            "accountable_owner",
            "owner_username",
            "organisation_ai_act_role",
            *scope_list,
        ]
        return csv_response("accountability-matrix.csv", header, _csv_rows(queryset))
    page = Paginator(queryset, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    csv_params = params.copy()
    csv_params["format"] = "csv"
    sort_params = params.copy()
    sort_params.pop("sort", None)
    me = _user(request)
    return render(
        request,
        "liability/matrix.html",
        {
            "page": page,
            "rows": selectors.matrix_rows(list(page.object_list)),
            "scopes": [(s, conf.scope_label(s)) for s in scope_list],
            "filter": filterset,
            "query_string": params.urlencode(),
            "csv_query_string": csv_params.urlencode(),
            "sort": sort,
            "sort_query_string": sort_params.urlencode(),
            "mine_query": f"person={me.pk}&raci={Raci.ACCOUNTABLE}",
            "showing_mine": request.GET.get("person") == str(me.pk),
        },
    )


# --- Deployment tab ---------------------------------------------------------------------


def _deployment(request: HttpRequest, pk: Any) -> Any:
    return get_object_or_404(deployments_for(request.user), pk=pk)


def _tab(request: HttpRequest, deployment: Any, **forms: Any) -> dict[str, Any]:
    context = deployment_context(request, deployment, "accountability")
    role, shift = selectors.organisation_role(deployment)
    editable = can(request.user, Perm.LIABILITY_EDIT)
    context.update(
        owner=selectors.accountable_owner(deployment),
        ownership=selectors.current_ownership(deployment),
        assignments=selectors.effective_assignments(deployment),
        ended_assignments=selectors.deployment_assignments(deployment).filter(
            ended_at__isnull=False
        ),
        offers=selectors.offers_for_deployment(deployment),
        history=selectors.ownership_history(deployment),
        objects=describe_events(selectors.liability_events(deployment)[:50]),
        organisation_role=role,
        is_provider=role == AIActRole.PROVIDER,
        role_shift=shift,
        obligations=[label for _, label in PROVIDER_OBLIGATIONS],
        editable=editable,
        pending_status=OfferStatus.PENDING,
        offer_form=forms.get("offer_form") or (OfferForm() if editable else None),
        assignment_form=forms.get("assignment_form") or (AssignmentForm() if editable else None),
        shift_form=forms.get("shift_form") or (RoleShiftForm() if editable else None),
    )
    return context


@perm_required(Perm.VIEW)
def deployment_accountability(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = _deployment(request, pk)
    return render(request, "liability/deployment_accountability.html", _tab(request, deployment))


@require_POST
@perm_required(Perm.LIABILITY_EDIT)
def offer_create(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = _deployment(request, pk)
    form = OfferForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.ownership_offer_create(
            deployment=deployment, to_user=d["to_user"], reason=d["reason"], actor=request.user
        ),
    )
    if saved is not None:
        messages.success(
            request,
            f"Accountability offered to {saved.to_user.display_name}; they must accept it.",
        )
        return redirect("liability:deployment_accountability", pk=deployment.pk)
    context = _tab(request, deployment, offer_form=form)
    return render(request, "liability/deployment_accountability.html", context, status=400)


@require_POST
@perm_required(Perm.LIABILITY_EDIT)
def assignment_create(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = _deployment(request, pk)
    form = AssignmentForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.assignment_create(actor=request.user, deployment=deployment, **d),
    )
    if saved is not None:
        messages.success(request, f"{saved.party} is now {saved.get_raci_display().lower()}.")
        return redirect("liability:deployment_accountability", pk=deployment.pk)
    context = _tab(request, deployment, assignment_form=form)
    return render(request, "liability/deployment_accountability.html", context, status=400)


@require_POST
@perm_required(Perm.LIABILITY_EDIT)
def role_shift_create(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = _deployment(request, pk)
    form = RoleShiftForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.ai_act_role_shift_record(
            deployment=deployment,
            trigger=d["trigger"],
            explanation=d["explanation"],
            high_risk_area=d["high_risk_area"],
            actor=request.user,
        ),
    )
    if saved is not None:
        messages.warning(
            request,
            "The organisation is now the provider of this deployment (EU AI Act Art 25) and "
            "carries the provider obligations listed below.",
        )
        return redirect("liability:deployment_accountability", pk=deployment.pk)
    context = _tab(request, deployment, shift_form=form)
    return render(request, "liability/deployment_accountability.html", context, status=400)


@require_POST
@perm_required(Perm.LIABILITY_EDIT)
def assignment_end(request: HttpRequest, pk: Any) -> HttpResponse:
    assignment = get_object_or_404(AccountabilityAssignment, pk=pk)
    form = EndAssignmentForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.assignment_end(
            assignment=assignment, actor=request.user, reason=d["reason"]
        ),
    )
    if saved is None:
        messages.error(request, "This assignment could not be ended; it may have ended already.")
    else:
        messages.success(request, "Assignment ended; it stays in the history.")
    if assignment.deployment_id:
        return redirect("liability:deployment_accountability", pk=assignment.deployment_id)
    return redirect("liability:system_accountability", pk=assignment.system_id)


# --- System defaults --------------------------------------------------------------------


@perm_required(Perm.VIEW)
def system_accountability(request: HttpRequest, pk: Any) -> HttpResponse:
    system = get_object_or_404(systems_for(request.user), pk=pk)
    editable = can(request.user, Perm.LIABILITY_EDIT)
    form = AssignmentForm(request.POST or None) if editable else None
    status = 200
    if request.method == "POST":
        if not editable or form is None:
            raise PermissionDenied(f"Your roles do not allow this action ({Perm.LIABILITY_EDIT}).")
        saved = save_form(
            form, lambda d: services.assignment_create(actor=request.user, system=system, **d)
        )
        if saved is not None:
            messages.success(request, "Default assignment added; deployments inherit it.")
            return redirect("liability:system_accountability", pk=system.pk)
        status = 400
    return render(
        request,
        "liability/system_accountability.html",
        {
            "system": system,
            "defaults": selectors.system_defaults(system),
            "assignment_form": form,
            "editable": editable,
            "deployments": deployments_for(request.user).filter(model_version__system=system),
        },
        status=status,
    )


# --- Offers -----------------------------------------------------------------------------


@perm_required(Perm.VIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    """Offers waiting for my answer, and the offers I made that are still open."""
    me = _user(request)
    return render(
        request,
        "liability/inbox.html",
        {"waiting": selectors.inbox_for(me), "made": selectors.offers_made_by(me)},
    )


def _offer(request: HttpRequest, pk: Any) -> OwnershipOffer:
    return get_object_or_404(selectors.offers_for(request.user), pk=pk)


def _offer_to_answer(request: HttpRequest, pk: Any) -> OwnershipOffer:
    """The offer, if it is addressed to the viewer: anyone else is refused (403) before the
    form is read, whatever they posted."""
    offer = _offer(request, pk)
    try:
        services.offer_check_recipient(offer, request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    return offer


def _offer_page(request: HttpRequest, offer: OwnershipOffer, **forms: Any) -> dict[str, Any]:
    mine = offer.to_user_id == request.user.pk and offer.status == OfferStatus.PENDING
    return {
        "offer": offer,
        "deployment": offer.deployment,
        "current": selectors.current_ownership(offer.deployment),
        "mine": mine,
        "can_withdraw": offer.status == OfferStatus.PENDING
        and can(request.user, Perm.LIABILITY_EDIT),
        "accept_form": forms.get("accept_form")
        or AcceptForm(
            initial={"statement": services.default_statement(offer.deployment)},
            with_provider=signs_with_provider(request.user),
        ),
        "accept_label": f"Confirm with {provider_name()} and accept"
        if signs_with_provider(request.user)
        else "Sign and accept",
        "decline_form": forms.get("decline_form") or DeclineForm(),
        "withdraw_form": WithdrawForm(),
    }


@perm_required(Perm.VIEW)
def offer_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    offer = _offer(request, pk)
    return render(request, "liability/offer_detail.html", _offer_page(request, offer))


@require_POST
@perm_required(Perm.VIEW)
def offer_accept(request: HttpRequest, pk: Any) -> HttpResponse:
    offer = _offer_to_answer(request, pk)
    with_provider = signs_with_provider(request.user)
    form = AcceptForm(request.POST, with_provider=with_provider)
    if with_provider and form.is_valid():
        # Accepted when the acceptor comes back from a fresh login at the provider
        # (complete_provider_acceptance); what they sign waits on the server meanwhile.
        return reauthentication_start(
            request,
            kind=PROVIDER_ACCEPTANCE,
            payload={"pk": str(offer.pk), "statement": form.cleaned_data["statement"]},
            back_to=reverse("liability:offer_detail", args=[offer.pk]),
        )

    def accept(data: dict[str, Any]) -> Any:
        return services.ownership_offer_accept(
            offer=offer,
            actor=_user(request),
            statement=data["statement"],
            password=data["password"],
            request=request,
        )

    saved = save_form(form, accept)
    if saved is not None:
        messages.success(request, f"You are now accountable for {offer.deployment}.")
        return redirect("liability:deployment_accountability", pk=offer.deployment_id)
    offer.refresh_from_db()
    status = 403 if "password" in form.errors else 400
    context = _offer_page(request, offer, accept_form=form)
    return render(request, "liability/offer_detail.html", context, status=status)


PROVIDER_ACCEPTANCE = "liability.ownership_accept"


def complete_provider_acceptance(
    request: HttpRequest, payload: dict[str, Any], proof: ReauthProof
) -> HttpResponse:
    """Accept an offer whose recipient just logged in again at the provider."""
    back = redirect("liability:offer_detail", pk=payload["pk"])
    try:
        offer = _offer_to_answer(request, payload["pk"])
        services.ownership_offer_accept(
            offer=offer,
            actor=_user(request),
            statement=payload["statement"],
            request=request,
            reauth=proof,
        )
    except (DomainError, PermissionDenied, Http404) as exc:
        messages.error(request, f"Not accepted: {getattr(exc, 'message', exc)}")
        return back
    messages.success(request, f"You are now accountable for {offer.deployment}.")
    return redirect("liability:deployment_accountability", pk=offer.deployment_id)


@require_POST
@perm_required(Perm.VIEW)
def offer_decline(request: HttpRequest, pk: Any) -> HttpResponse:
    offer = _offer_to_answer(request, pk)
    form = DeclineForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.ownership_offer_decline(
            offer=offer, actor=_user(request), reason=d["reason"]
        ),
    )
    if saved is not None:
        messages.success(request, "Offer declined; the current owner stays accountable.")
        return redirect("liability:inbox")
    context = _offer_page(request, offer, decline_form=form)
    return render(request, "liability/offer_detail.html", context, status=400)


@require_POST
@perm_required(Perm.LIABILITY_EDIT)
def offer_withdraw(request: HttpRequest, pk: Any) -> HttpResponse:
    offer = _offer(request, pk)
    form = WithdrawForm(request.POST)
    saved = save_form(
        form,
        lambda d: services.ownership_offer_withdraw(
            offer=offer, actor=request.user, reason=d["reason"]
        ),
    )
    if saved is None:
        messages.error(request, "This offer is no longer pending.")
    else:
        messages.success(request, "Offer withdrawn.")
    return redirect("liability:deployment_accountability", pk=offer.deployment_id)


# --- Vendors and contracts --------------------------------------------------------------

PARTY_CSV = [
    ("name", lambda p: p.name),
    ("kind", lambda p: p.get_kind_display()),
    ("contact", lambda p: p.contact_name),
    ("email", lambda p: p.email),
    ("phone", lambda p: p.phone),
    ("website", lambda p: p.website),
    ("contracts", lambda p: p.contract_count),
    ("current_assignments", lambda p: p.assignment_count),
]


@perm_required(Perm.VIEW)
def parties(request: HttpRequest) -> HttpResponseBase:
    """Vendors and contracts: every party, and contracts with their expiry and insurance."""
    contracts = [
        (contract, selectors.expiry_flags(contract))
        for contract in selectors.contracts_for(request.user)
    ]
    return list_page(
        request,
        queryset=selectors.parties_for(request.user),
        template="liability/parties.html",
        filterset_class=PartyFilter,
        sort_fields={"name": "name", "kind": "kind"},
        default_sort="name",
        csv_columns=PARTY_CSV,
        csv_name="parties.csv",
        context={"contracts": contracts, "warning_days": conf.expiry_warning_days()},
    )


@perm_required(Perm.VIEW)
def party_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    party = get_object_or_404(selectors.parties_for(request.user), pk=pk)
    assignments = (
        AccountabilityAssignment.objects.filter(party=party)
        .select_related("deployment__model_version__system", "system", "contract")
        .order_by("ended_at", "scope")
    )
    contracts = [
        (c, selectors.expiry_flags(c))
        for c in selectors.contracts_for(request.user).filter(party=party)
    ]
    return render(
        request,
        "liability/party_detail.html",
        {"party": party, "assignments": assignments, "contracts": contracts},
    )


@perm_required(Perm.LIABILITY_EDIT)
def party_edit(request: HttpRequest, pk: Any = None) -> HttpResponse:
    party = get_object_or_404(selectors.parties_for(request.user), pk=pk) if pk else None
    form = PartyForm(request.POST or None, instance=party)
    if request.method == "POST":

        def save(data: dict[str, Any]) -> Any:
            members = list(data.pop("members", []) or [])
            if party is None:
                return services.party_create(actor=request.user, members=members, **data)
            fields = {k: v for k, v in data.items() if k not in ("kind", "user")}
            return services.party_update(
                party=party, actor=request.user, fields=fields, members=members
            )

        saved = save_form(form, save)
        if saved is not None:
            messages.success(request, f"Party “{saved.name}” saved.")
            return redirect("liability:party_detail", pk=saved.pk)
    return render(request, "liability/form.html", {"form": form, "object": party, "kind": "party"})


@perm_required(Perm.LIABILITY_EDIT)
def contract_edit(request: HttpRequest, pk: Any = None) -> HttpResponse:
    contract = get_object_or_404(selectors.contracts_for(request.user), pk=pk) if pk else None
    initial = {"party": request.GET.get("party")} if contract is None else None
    form = ContractForm(request.POST or None, instance=contract, initial=initial)
    if request.method == "POST":

        def save(data: dict[str, Any]) -> Any:
            if contract is None:
                return services.contract_create(actor=request.user, **data)
            fields = {k: v for k, v in data.items() if k not in ("party", "reference")}
            return services.contract_update(contract=contract, actor=request.user, fields=fields)

        saved = save_form(form, save)
        if saved is not None:
            messages.success(request, f"Contract {saved.reference} saved.")
            return redirect("liability:parties")
    return render(
        request, "liability/form.html", {"form": form, "object": contract, "kind": "contract"}
    )
