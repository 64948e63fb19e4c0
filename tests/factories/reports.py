from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from audits.reports.models import Export, JobStatus, Report, ReportKind
from governance.accounts.roles import Role
from tests.factories.accounts import UserFactory, user_with_roles
from tests.factories.inventory import DeploymentFactory


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    """A queued dossier row (no ledger event: use `report_request` for the audited path)."""

    class Meta:
        model = Report

    kind = ReportKind.DEPLOYMENT_DOSSIER
    deployment = factory.SubFactory(DeploymentFactory)
    subject_key = factory.LazyAttribute(lambda r: f"deployment:{r.deployment.pk}")
    title = factory.LazyAttribute(lambda r: f"Deployment dossier: {r.deployment}")
    requested_by = factory.SubFactory(UserFactory, roles=["requester", "compliance_officer"])
    status = JobStatus.QUEUED


class ExportFactory(factory.django.DjangoModelFactory[Export]):
    """A queued export row for one deployment (no ledger event)."""

    class Meta:
        model = Export
        skip_postgeneration_save = True

    recipient = "Supervisory authority"
    requested_by = factory.SubFactory(UserFactory, roles=["requester", "compliance_officer"])
    status = JobStatus.QUEUED

    @factory.post_generation
    def deployments(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.deployments.set(extracted or [DeploymentFactory()])  # type: ignore[arg-type]


@dataclass
class Governed:
    """A deployment with records in every room, made through the services."""

    deployment: Any
    requester: Any
    owner: Any
    compliance: Any
    approvals: list[Any] = field(default_factory=list)
    audits: list[Any] = field(default_factory=list)
    risks: list[Any] = field(default_factory=list)
    party: Any = None


def governed_deployment(
    *,
    tier: str = "IV",
    rounds: int = 1,
    bias_audits: int = 1,
    text: str = "",
    deployment: Any = None,
) -> Governed:
    """A deployment with a risk register, bias audits, RACI assignments with a contract, an
    Art 25 shift, an accepted owner, and `rounds` fully signed approval requests (a tier IV
    round has five signatures). `text`, when given, goes into every free-text field."""
    from governance.approvals import services as approvals
    from governance.approvals.defaults import ensure_default_policies
    from governance.liability import services as liability
    from governance.liability.models import Party
    from governance.liability.selectors import organisation_role
    from governance.risk import services as risk_services
    from tests.factories.approvals import approve_fully, assess, sign
    from tests.factories.bias import BiasAuditFactory
    from tests.factories.liability import make_owner

    def words(default: str) -> str:
        return f"{default} {text}" if text else default

    def person(*roles: str) -> Any:
        return user_with_roles(*roles, **({"first_name": text[:150]} if text else {}))

    ensure_default_policies()
    requester = person(Role.REQUESTER)
    owner = person(Role.REQUESTER)
    compliance = person(Role.COMPLIANCE_OFFICER, Role.EXECUTIVE)
    if deployment is None:
        deployment = DeploymentFactory(
            requires_independent_bias_audit=True,
            model_version__system__sourcing="vendor",
            model_version__system__vendor_name="Acme Models",
        )
    assess(deployment, tier, requester)
    make_owner(deployment, owner)
    name = words("Acme Models")[:200]
    party = Party.objects.filter(kind="vendor", name=name).first() or liability.party_create(
        actor=compliance, kind="vendor", name=name
    )
    contract = liability.contract_create(
        actor=compliance,
        party=party,
        reference=f"MSA-{deployment.pk.hex[:8]}",
        title=words("Model licence")[:200],
        starts_on=dt.date(2024, 1, 1),
        indemnity=words("The vendor indemnifies us for defects in the model."),
        liability_cap=Decimal("2000000.00"),
        insurance_policy_number=words("POL-1")[:100],
        insurance_expires_on=dt.date(2030, 1, 1),
    )
    liability.assignment_create(
        actor=compliance,
        party=party,
        raci="responsible",
        scope="model_performance",
        effective_from=dt.date(2024, 1, 1),
        deployment=deployment,
        ai_act_role="provider",
        contract=contract,
    )
    if organisation_role(deployment)[0] != "provider":  # a bought-in system: we rebrand it
        liability.ai_act_role_shift_record(
            deployment=deployment,
            trigger="rebranded",
            explanation=words("Sold under our own brand from 2025."),
            actor=compliance,
        )
    risks = []
    for n in range(2):
        entry = risk_services.risk_create(
            deployment=deployment,
            actor=requester,
            category="fairness",
            title=words(f"Disparate outcomes {n}")[:200],
            description=words("Approval rates may differ across groups."),
            inherent_likelihood=4,
            inherent_impact=4,
            treatment="mitigate",
            control_description=words("Quarterly bias audit with thresholds."),
            residual_likelihood=2 + n,
            residual_impact=3,
            owner=owner,
        )
        risks.append(entry)
    risk_services.risk_accept(
        risk=risks[0], actor=compliance, rationale=words("Within appetite after the control.")
    )
    audits = [
        BiasAuditFactory(
            deployment=deployment,
            actor=requester,
            finalize=True,
            auditor_name=words("Jordan Reyes")[:200],
            auditor_organisation=words("Fairness Assurance LLP")[:200],
            data_description=words("Applicant tracking records for the audited period."),
            audit_date=timezone.localdate() - dt.timedelta(days=30 * (bias_audits - n)),
        )
        for n in range(bias_audits)
    ]
    requests = []
    for n in range(rounds):
        if n:  # a new round: the earlier approval is invalidated and asked for again
            approvals.approvals_invalidate(
                deployment=deployment, cause=words(f"round {n + 1}"), actor=compliance
            )
        request = approvals.approval_request_create(
            deployment=deployment, actor=requester, reason=words("Ready for production.")
        )
        if text:  # signers whose names, comments and conditions carry the text
            for stage in request.policy.stages.order_by("order"):
                for _ in range(stage.quorum):
                    sign(
                        request,
                        person(stage.required_role),
                        comment=words("Looks right."),
                        conditions=words("Canary 5 %"),
                    )
            request.refresh_from_db()
        else:
            request = approve_fully(request)
        requests.append(request)
    deployment.refresh_from_db()
    return Governed(
        deployment=deployment,
        requester=requester,
        owner=owner,
        compliance=compliance,
        approvals=requests,
        audits=audits,
        risks=risks,
        party=party,
    )
