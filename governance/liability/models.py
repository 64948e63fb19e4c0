"""Parties, contracts, RACI assignments, accountable ownership and its offers, Art 25 shifts.

The accountable owner of a deployment is an `Ownership`: a signed acceptance by one named
person. A partial unique index allows at most one open ownership per deployment, whoever
writes; the gate treats "none" as a reason to stay closed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from governance.core.models import BaseModel, ImmutableQuerySet, ImmutableRecordError
from governance.inventory.choices import AnnexIIIArea
from governance.liability.choices import (
    AIActRole,
    OfferStatus,
    OwnershipEndCause,
    PartyKind,
    Raci,
    RoleShiftTrigger,
)

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")


class Party(BaseModel):
    """Someone who can carry accountability: a person, a team or an outside organisation."""

    kind = models.CharField(max_length=20, choices=PartyKind.choices)
    name = models.CharField(max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party",
        help_text="The person's account (internal people only)",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="team_parties",
        help_text="Members of an internal team",
    )
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("name",)
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="party_kind_known"),
            models.CheckConstraint(
                condition=(Q(kind=PartyKind.PERSON) & Q(user__isnull=False))
                | (~Q(kind=PartyKind.PERSON) & Q(user__isnull=True)),
                name="party_person_has_user",
                violation_error_message="A person is linked to their user account; "
                "teams and organisations are not.",
            ),
            models.UniqueConstraint(
                fields=("kind", "name"),
                name="party_name_unique_per_kind",
                violation_error_message="A party of this kind with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.kind in (PartyKind.PERSON, PartyKind.TEAM)


class Contract(BaseModel):
    """An agreement that allocates liability with an outside party, and its insurance."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="contracts")
    reference = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Expiry; empty if open-ended")
    indemnity = models.TextField(blank=True, help_text="Who indemnifies whom, for what")
    liability_cap = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Empty when liability is not capped",
    )
    cap_currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_VALIDATOR])
    insurer = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="insured_contracts"
    )
    insurance_policy_number = models.CharField(max_length=100, blank=True)
    insurance_expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("ends_on", "reference")  # type: ignore[assignment]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="contract_ends_after_start",
                violation_error_message="The contract cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(liability_cap__isnull=True) | Q(liability_cap__gte=0),
                name="contract_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(insurance_expires_on__isnull=True) | ~Q(insurance_policy_number=""),
                name="contract_insurance_expiry_needs_policy",
                violation_error_message="An insurance expiry needs the policy number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class CurrentAssignmentQuerySet(models.QuerySet["AccountabilityAssignment"]):
    def current(self, on: Any) -> CurrentAssignmentQuerySet:
        """Assignments in force on the given date (not ended, within their dates)."""
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on),
            ended_at__isnull=True,
            effective_from__lte=on,
        )


class AccountabilityAssignment(BaseModel):
    """A party's RACI role for one scope, on an AI system (the default) or one deployment.

    A deployment inherits its system's assignments for each (scope, RACI role) until it has
    its own for that pair. Assignments are never edited: a change ends one and adds another.
    """

    system = models.ForeignKey(
        "inventory.AISystem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_defaults",
    )
    deployment = models.ForeignKey(
        "inventory.Deployment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_assignments",
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="assignments")
    raci = models.CharField("RACI role", max_length=12, choices=Raci.choices)
    scope = models.CharField(max_length=40)
    ai_act_role = models.CharField(
        "EU AI Act role", max_length=30, choices=AIActRole.choices, blank=True
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day; empty if open")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    objects = CurrentAssignmentQuerySet.as_manager()

    ENDING_FIELDS = frozenset({"ended_at", "ended_by", "end_reason", "updated_at"})

    class Meta(BaseModel.Meta):
        ordering = ("scope", "raci", "created_at")  # type: ignore[assignment]
        constraints = [
            models.CheckConstraint(
                condition=(Q(system__isnull=False) & Q(deployment__isnull=True))
                | (Q(system__isnull=True) & Q(deployment__isnull=False)),
                name="assignment_one_target",
                violation_error_message="An assignment is for an AI system or a deployment.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="assignment_ends_after_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(condition=Q(raci__in=Raci.values), name="assignment_raci_known"),
            models.CheckConstraint(
                condition=Q(ai_act_role="") | Q(ai_act_role__in=AIActRole.values),
                name="assignment_ai_act_role_known",
            ),
            models.CheckConstraint(condition=~Q(scope=""), name="assignment_scope_named"),
            # RACI: one Accountable per scope. Open-ended ones are unique in the database;
            # dated ones are checked for overlap by the service under a row lock.
            models.UniqueConstraint(
                fields=("deployment", "scope"),
                condition=Q(
                    raci=Raci.ACCOUNTABLE, ended_at__isnull=True, effective_to__isnull=True
                ),
                name="assignment_one_open_accountable_per_deployment_scope",
            ),
            models.UniqueConstraint(
                fields=("system", "scope"),
                condition=Q(
                    raci=Raci.ACCOUNTABLE, ended_at__isnull=True, effective_to__isnull=True
                ),
                name="assignment_one_open_accountable_per_system_scope",
            ),
        ]
        indexes = [
            models.Index(fields=("deployment", "ended_at"), name="assignment_deployment_idx"),
            models.Index(fields=("system", "ended_at"), name="assignment_system_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.raci} for {self.scope}"

    @property
    def scope_label(self) -> str:
        from governance.liability.conf import scope_label

        return scope_label(self.scope)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only ending is a change; anything else is a new assignment.
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.ENDING_FIELDS:
                raise ImmutableRecordError("assignments are ended and replaced, never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("assignments are ended, never deleted")


class OwnershipOffer(BaseModel):
    """An offer of accountable ownership to one person, which only they can accept or decline."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="ownership_offers"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ownership_offers"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_known"
            ),
            models.CheckConstraint(
                condition=(Q(status=OfferStatus.PENDING) & Q(decided_at__isnull=True))
                | (~Q(status=OfferStatus.PENDING) & Q(decided_at__isnull=False)),
                name="offer_decided_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status=OfferStatus.DECLINED) | ~Q(decision_reason=""),
                name="offer_decline_has_reason",
            ),
            models.UniqueConstraint(
                fields=("deployment", "to_user"),
                condition=Q(status=OfferStatus.PENDING),
                name="offer_one_pending_per_deployment_person",
                violation_error_message="This person already has a pending offer for it.",
            ),
        ]
        indexes = [models.Index(fields=("to_user", "status"), name="offer_inbox_idx")]

    DECISION_FIELDS = frozenset(
        {"status", "decided_at", "decided_by", "decision_reason", "updated_at"}
    )

    def __str__(self) -> str:
        return f"offer to {self.to_user} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The offer's terms are fixed once made; only its decision is recorded later.
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.DECISION_FIELDS:
                raise ImmutableRecordError("an offer's terms are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("ownership offers are evidence and are never deleted")


class Ownership(BaseModel):
    """An accepted, signed statement of accountability for a deployment.

    The signature shows the printed name, the time and the meaning (21 CFR 11.50) and its
    hash binds them to the deployment's fingerprint. Ending (transfer, orphaning) is the only
    change ever made to the row.
    """

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="ownerships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ownerships"
    )
    offer = models.OneToOneField(OwnershipOffer, on_delete=models.PROTECT, related_name="ownership")
    statement = models.TextField()
    meaning = models.CharField(max_length=40, default="responsibility")
    printed_name = models.CharField(max_length=300)
    accepted_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=64, help_text="Deployment fingerprint when signed")
    signature_hash = models.CharField(max_length=64)
    authenticated_by = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            'How the acceptor re-authenticated: "password", or "oidc:<issuer> auth_time=<time>" '
            "for a fresh login at the organisation's provider (in the ledger event's hash)"
        ),
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_cause = models.CharField(max_length=20, choices=OwnershipEndCause.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    ENDING_FIELDS = frozenset({"ended_at", "end_cause", "ended_by", "updated_at"})

    class Meta(BaseModel.Meta):
        ordering = ("-accepted_at",)
        constraints = [
            # The invariant: at most one open ownership per deployment, whoever writes.
            models.UniqueConstraint(
                fields=("deployment",),
                condition=Q(ended_at__isnull=True),
                name="ownership_one_active_per_deployment",
                violation_error_message="This deployment already has an accountable owner.",
            ),
            models.CheckConstraint(
                condition=(Q(ended_at__isnull=True) & Q(end_cause=""))
                | (Q(ended_at__isnull=False) & Q(end_cause__in=OwnershipEndCause.values)),
                name="ownership_end_has_cause",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("accepted_at")),
                name="ownership_ends_after_acceptance",
            ),
        ]
        indexes = [models.Index(fields=("user", "ended_at"), name="ownership_user_idx")]

    def __str__(self) -> str:
        return f"{self.printed_name} accountable for {self.deployment_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.ENDING_FIELDS:
                raise ImmutableRecordError("a signed ownership is never edited, only ended")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("a signed ownership is never deleted")


class AIActRoleShift(BaseModel):
    """The organisation became the provider of a deployment under Art 25(1) of the EU AI Act."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="ai_act_role_shifts"
    )
    trigger = models.CharField(max_length=30, choices=RoleShiftTrigger.choices)
    explanation = models.TextField()
    high_risk_area = models.CharField(
        max_length=40, choices=AnnexIIIArea.choices, blank=True, help_text="For a new purpose"
    )
    from_role = models.CharField(max_length=30, choices=AIActRole.choices)
    to_role = models.CharField(max_length=30, choices=AIActRole.choices)
    obligations = models.JSONField(default=list)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=RoleShiftTrigger.values), name="roleshift_trigger_known"
            ),
            models.CheckConstraint(
                condition=~Q(trigger=RoleShiftTrigger.REPURPOSED_HIGH_RISK)
                | (~Q(high_risk_area="") & ~Q(high_risk_area=AnnexIIIArea.NONE)),
                name="roleshift_repurpose_names_area",
                violation_error_message="A repurposing into high-risk use names the area.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_role} → {self.to_role} ({self.trigger})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("a recorded role shift is never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("a recorded role shift is never deleted")
