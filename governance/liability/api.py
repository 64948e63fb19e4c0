"""API v1 of the liability room: parties, contracts, assignments, ownership offers, Art 25."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from governance.accounts.models import User
from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.inventory.choices import AnnexIIIArea
from governance.inventory.selectors import deployments_for, systems_for
from governance.liability import conf, selectors, services
from governance.liability.choices import AIActRole, Raci, RoleShiftTrigger
from governance.liability.filters import OfferFilter, PartyFilter
from governance.liability.models import (
    AccountabilityAssignment,
    AIActRoleShift,
    Contract,
    Ownership,
    OwnershipOffer,
    Party,
)
from governance.liability.services.parties import CONTRACT_FIELDS, PARTY_FIELDS

# --- Serializers ------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = Party
        fields = ("id", *PARTY_FIELDS, "members", "created_at", "updated_at")
        # Uniqueness and the person/account rule are checked by the service with one message.
        validators: list[Any] = []


class ContractSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    expiring_soon = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = ("id", *CONTRACT_FIELDS, "party_name", "expiring_soon", "created_at", "updated_at")
        validators: list[Any] = []

    def get_expiring_soon(self, obj: Contract) -> bool:
        flags = selectors.expiry_flags(obj)
        return flags.contract_expiring or flags.insurance_expiring


class AssignmentSerializer(serializers.ModelSerializer):
    # The contract's terms, copied onto the assignment; null when no contract is linked.
    party_name = serializers.CharField(source="party.name", read_only=True)
    scope_label = serializers.CharField(read_only=True)
    contract_reference = serializers.CharField(
        source="contract.reference", read_only=True, default=None, allow_null=True
    )
    indemnity = serializers.CharField(
        source="contract.indemnity", read_only=True, default=None, allow_null=True
    )
    liability_cap = serializers.DecimalField(
        source="contract.liability_cap",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        default=None,
        allow_null=True,
    )
    cap_currency = serializers.CharField(
        source="contract.cap_currency", read_only=True, default=None, allow_null=True
    )
    insurance_policy_number = serializers.CharField(
        source="contract.insurance_policy_number", read_only=True, default=None, allow_null=True
    )
    insurance_expires_on = serializers.DateField(
        source="contract.insurance_expires_on", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = AccountabilityAssignment
        fields = (
            "id",
            "system",
            "deployment",
            "party",
            "party_name",
            "raci",
            "scope",
            "scope_label",
            "ai_act_role",
            "contract",
            "contract_reference",
            "indemnity",
            "liability_cap",
            "cap_currency",
            "insurance_policy_number",
            "insurance_expires_on",
            "effective_from",
            "effective_to",
            "notes",
            "ended_at",
            "end_reason",
            "created_at",
        )
        read_only_fields = fields


class EffectiveAssignmentSerializer(AssignmentSerializer):
    inherited = serializers.SerializerMethodField(
        help_text="True when the assignment is the AI system's default"
    )

    class Meta(AssignmentSerializer.Meta):
        fields = (*AssignmentSerializer.Meta.fields, "inherited")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    def get_inherited(self, obj: AccountabilityAssignment) -> bool:
        return obj.system_id is not None


class AssignmentInputSerializer(serializers.Serializer):
    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    raci = serializers.ChoiceField(choices=Raci.choices)
    scope = serializers.CharField(max_length=40, help_text="One of ACCOUNTABILITY_SCOPES")
    ai_act_role = serializers.ChoiceField(
        choices=AIActRole.choices, required=False, allow_blank=True, default=""
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), required=False, allow_null=True, default=None
    )
    effective_from = serializers.DateField(required=False, help_text="Defaults to today")
    effective_to = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_scope(self, value: str) -> str:
        if value not in conf.scopes():
            raise serializers.ValidationError(
                f"Unknown scope. Known scopes: {', '.join(conf.scopes())}."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("effective_from", timezone.localdate())
        end = attrs.get("effective_to")
        if end is not None and end < attrs["effective_from"]:
            raise serializers.ValidationError(
                {"effective_to": "The end date cannot be before the start date."}
            )
        return attrs


class EndInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OwnershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ownership
        fields = (
            "id",
            "deployment",
            "user",
            "printed_name",
            "meaning",
            "statement",
            "accepted_at",
            "fingerprint",
            "signature_hash",
            "ended_at",
            "end_cause",
        )
        read_only_fields = fields


class OwnershipOfferSerializer(serializers.ModelSerializer):
    to_user_name = serializers.CharField(source="to_user.display_name", read_only=True)

    class Meta:
        model = OwnershipOffer
        fields = (
            "id",
            "deployment",
            "to_user",
            "to_user_name",
            "offered_by",
            "reason",
            "status",
            "decided_at",
            "decided_by",
            "decision_reason",
            "created_at",
        )
        read_only_fields = fields


class OfferInputSerializer(serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    reason = serializers.CharField(max_length=2000)


class AcceptInputSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=4000)
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class DeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RoleShiftSerializer(serializers.ModelSerializer):
    warning = serializers.SerializerMethodField()

    class Meta:
        model = AIActRoleShift
        fields = (
            "id",
            "deployment",
            "trigger",
            "explanation",
            "high_risk_area",
            "from_role",
            "to_role",
            "obligations",
            "marked_by",
            "created_at",
            "warning",
        )
        read_only_fields = fields

    def get_warning(self, obj: AIActRoleShift) -> str:
        return (
            "The organisation is now the provider of this deployment (EU AI Act Art 25(1)) "
            "and carries the provider obligations: " + "; ".join(selectors.provider_obligations())
        )


class RoleShiftInputSerializer(serializers.Serializer):
    trigger = serializers.ChoiceField(choices=RoleShiftTrigger.choices)
    explanation = serializers.CharField(max_length=4000)
    high_risk_area = serializers.ChoiceField(
        choices=AnnexIIIArea.choices, required=False, allow_blank=True, default=""
    )


# --- Plain CRUD -------------------------------------------------------------------------


class PartyViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    ordering_fields = ("name", "kind", "created_at")
    ordering = ("name",)
    write_perm = Perm.LIABILITY_EDIT

    def get_queryset(self) -> Any:
        return selectors.parties_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        members = data.pop("members", [])
        serializer.instance = services.party_create(
            actor=self.request.user, members=members, **data
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        party: Party = serializer.instance
        members = data.pop("members", None)
        # PUT repeats the identity fields; only a real change to them is refused.
        for name in ("kind", "user"):
            if name in data and data[name] == getattr(party, name):
                data.pop(name)
        serializer.instance = services.party_update(
            party=party, actor=self.request.user, fields=data, members=members
        )

    def perform_destroy(self, instance: Party) -> None:
        services.party_delete(party=instance, actor=self.request.user)


class ContractViewSet(
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ContractSerializer
    ordering_fields = ("ends_on", "reference", "insurance_expires_on")
    ordering = ("ends_on",)
    write_perm = Perm.LIABILITY_EDIT

    def get_queryset(self) -> Any:
        return selectors.contracts_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.contract_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        contract: Contract = serializer.instance
        for name in ("party", "reference"):
            if name in data and data[name] == getattr(contract, name):
                data.pop(name)
        serializer.instance = services.contract_update(
            contract=contract, actor=self.request.user, fields=data
        )


class AssignmentViewSet(UUIDLookup, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssignmentSerializer
    action_perms = {"end": Perm.LIABILITY_EDIT}

    def get_queryset(self) -> Any:
        return AccountabilityAssignment.objects.select_related("party", "contract")

    @extend_schema(request=EndInputSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End an assignment now; it stays on record and the system default applies again."""
        assignment = self.get_object()
        payload = EndInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ended = services.assignment_end(
            assignment=assignment, actor=request.user, reason=payload.validated_data["reason"]
        )
        return Response(AssignmentSerializer(ended).data)


# --- Nested under a deployment or a system ----------------------------------------------


class _DeploymentScoped(viewsets.GenericViewSet):
    write_perm = Perm.LIABILITY_EDIT

    def deployment(self) -> Any:
        return get_object_or_404(
            deployments_for(self.request.user).select_related("model_version__system"),
            pk=self.kwargs["deployment_pk"],
        )


class DeploymentAssignmentViewSet(_DeploymentScoped):
    queryset = AccountabilityAssignment.objects.none()  # for the schema; reads use selectors
    serializer_class = EffectiveAssignmentSerializer
    pagination_class = None

    @extend_schema(
        summary="Assignments in force for the deployment, its own and those it inherits",
        responses=EffectiveAssignmentSerializer(many=True),
    )
    def list(self, request: Request, deployment_pk: str) -> Response:
        effective = selectors.effective_assignments(self.deployment())
        data = EffectiveAssignmentSerializer([e.assignment for e in effective], many=True).data
        return Response(data)

    @extend_schema(request=AssignmentInputSerializer, responses={201: AssignmentSerializer})
    def create(self, request: Request, deployment_pk: str) -> Response:
        deployment = self.deployment()
        payload = AssignmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignment = services.assignment_create(
            actor=request.user, deployment=deployment, **payload.validated_data
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class SystemAssignmentViewSet(viewsets.GenericViewSet):
    queryset = AccountabilityAssignment.objects.none()  # for the schema; reads use selectors
    serializer_class = AssignmentSerializer
    pagination_class = None
    write_perm = Perm.LIABILITY_EDIT

    def system(self) -> Any:
        return get_object_or_404(systems_for(self.request.user), pk=self.kwargs["system_pk"])

    @extend_schema(
        summary="The AI system's default assignments (current and ended)",
        responses=AssignmentSerializer(many=True),
    )
    def list(self, request: Request, system_pk: str) -> Response:
        data = AssignmentSerializer(selectors.system_defaults(self.system()), many=True).data
        return Response(data)

    @extend_schema(request=AssignmentInputSerializer, responses={201: AssignmentSerializer})
    def create(self, request: Request, system_pk: str) -> Response:
        system = self.system()
        payload = AssignmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignment = services.assignment_create(
            actor=request.user, system=system, **payload.validated_data
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class DeploymentOfferViewSet(_DeploymentScoped):
    queryset = OwnershipOffer.objects.none()  # for the schema; reads use selectors
    serializer_class = OwnershipOfferSerializer

    @extend_schema(responses=OwnershipOfferSerializer(many=True))
    def list(self, request: Request, deployment_pk: str) -> Response:
        offers = selectors.offers_for_deployment(self.deployment())
        page = self.paginate_queryset(offers)
        return self.get_paginated_response(OwnershipOfferSerializer(page, many=True).data)

    @extend_schema(request=OfferInputSerializer, responses={201: OwnershipOfferSerializer})
    def create(self, request: Request, deployment_pk: str) -> Response:
        """Offer accountable ownership; the person must accept it to become the owner."""
        deployment = self.deployment()
        payload = OfferInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        offer = services.ownership_offer_create(
            deployment=deployment,
            to_user=payload.validated_data["to_user"],
            reason=payload.validated_data["reason"],
            actor=request.user,
        )
        return Response(OwnershipOfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class DeploymentAccountabilityViewSet(_DeploymentScoped):
    serializer_class = serializers.Serializer

    @extend_schema(
        summary="Current accountability and its history (the dossier's section)",
        responses=OpenApiTypes.OBJECT,
    )
    def retrieve(self, request: Request, deployment_pk: str) -> Response:
        return Response(selectors.accountability_snapshot(self.deployment()))


class DeploymentRoleShiftViewSet(_DeploymentScoped):
    queryset = AIActRoleShift.objects.none()  # for the schema; reads use selectors
    serializer_class = RoleShiftSerializer
    pagination_class = None

    @extend_schema(responses=RoleShiftSerializer(many=True))
    def list(self, request: Request, deployment_pk: str) -> Response:
        shifts = AIActRoleShift.objects.filter(deployment=self.deployment()).order_by("created_at")
        return Response(RoleShiftSerializer(shifts, many=True).data)

    @extend_schema(request=RoleShiftInputSerializer, responses={201: RoleShiftSerializer})
    def create(self, request: Request, deployment_pk: str) -> Response:
        """Mark the deployment rebranded, substantially modified or repurposed (Art 25(1))."""
        deployment = self.deployment()
        payload = RoleShiftInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        shift = services.ai_act_role_shift_record(
            deployment=deployment, actor=request.user, **payload.validated_data
        )
        return Response(RoleShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


# --- Offers -----------------------------------------------------------------------------


class OwnershipOfferViewSet(
    UUIDLookup, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = OwnershipOfferSerializer
    filterset_class = OfferFilter
    ordering_fields = ("created_at", "decided_at")
    ordering = ("-created_at",)
    # Answering an offer is open to anyone who can see it; the service then insists that
    # only the offered person answers (403 for anyone else).
    action_perms = {
        "accept": Perm.VIEW,
        "decline": Perm.VIEW,
        "withdraw": Perm.LIABILITY_EDIT,
    }

    def get_queryset(self) -> Any:
        return selectors.offers_for(self.request.user)

    def _offer_for_answer(self, request: Request) -> OwnershipOffer:
        offer = self.get_object()
        request.data  # noqa: B018  (a malformed body is a 400 before anything else)
        # Someone else's offer is refused before its body is validated: "not yours" is all
        # they learn.
        services.offer_check_recipient(offer, request.user)
        return offer

    @extend_schema(request=AcceptInputSerializer, responses=OwnershipSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept with a re-authenticated statement (statement + password)."""
        offer = self._offer_for_answer(request)
        payload = AcceptInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ownership = services.ownership_offer_accept(
            offer=offer,
            actor=request.user,  # type: ignore[arg-type]
            statement=payload.validated_data["statement"],
            password=payload.validated_data["password"],
            request=request._request,
        )
        return Response(OwnershipSerializer(ownership).data)

    @extend_schema(request=DeclineInputSerializer, responses=OwnershipOfferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """Decline with a reason; the current owner stays accountable."""
        offer = self._offer_for_answer(request)
        payload = DeclineInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        declined = services.ownership_offer_decline(
            offer=offer,
            actor=request.user,  # type: ignore[arg-type]
            reason=payload.validated_data["reason"],
        )
        return Response(OwnershipOfferSerializer(declined).data)

    @extend_schema(request=EndInputSerializer, responses=OwnershipOfferSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Take back a pending offer before it is answered."""
        offer = self.get_object()
        payload = EndInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        withdrawn = services.ownership_offer_withdraw(
            offer=offer, actor=request.user, reason=payload.validated_data["reason"]
        )
        return Response(OwnershipOfferSerializer(withdrawn).data)


router = SimpleRouter()
router.register("parties", PartyViewSet, basename="party")
router.register("contracts", ContractViewSet, basename="contract")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("ownership-offers", OwnershipOfferViewSet, basename="ownership-offer")

urlpatterns = [
    *router.urls,
    path(
        "deployments/<uuid:deployment_pk>/assignments/",
        DeploymentAssignmentViewSet.as_view({"get": "list", "post": "create"}),
        name="deployment-assignments",
    ),
    path(
        "deployments/<uuid:deployment_pk>/ownership-offers/",
        DeploymentOfferViewSet.as_view({"get": "list", "post": "create"}),
        name="deployment-ownership-offers",
    ),
    path(
        "deployments/<uuid:deployment_pk>/accountability/",
        DeploymentAccountabilityViewSet.as_view({"get": "retrieve"}),
        name="deployment-accountability",
    ),
    path(
        "deployments/<uuid:deployment_pk>/ai-act-role-shifts/",
        DeploymentRoleShiftViewSet.as_view({"get": "list", "post": "create"}),
        name="deployment-ai-act-role-shifts",
    ),
    path(
        "systems/<uuid:system_pk>/assignments/",
        SystemAssignmentViewSet.as_view({"get": "list", "post": "create"}),
        name="system-assignments",
    ),
]
