"""Assertions: a compliance officer's signed statement that a requirement is met, or does not
apply, for one deployment.

An assertion is a signature with meaning, like an approval sign-off: the signer re-enters
their password (a failure is ledgered and counts toward the login lockout), the statement and
its meaning are hashed and ledgered, and it expires after the requirement's
`assertion_validity_days` (or `OBLIGATIONS_ASSERTION_VALIDITY_DAYS`). An expired or withdrawn
assertion no longer counts: the hourly job refreshes the statuses that rested on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.accounts.services import reauthenticate
from governance.core.canonical import canonical_sha256
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.inventory.choices import DeploymentStatus
from governance.ledger.services import ledger_append
from governance.obligations.choices import AssertionVerdict
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    EvidenceDocument,
    Requirement,
)


def assertion_meaning(verdict: str, requirement: Requirement, deployment: Any) -> str:
    if verdict == AssertionVerdict.NOT_APPLICABLE:
        return (
            f"I assert that {requirement.ref} ({requirement.title}) does not apply to "
            f"{deployment}, for the reason given."
        )
    return (
        f"I assert that {requirement.ref} ({requirement.title}) is met for {deployment}, "
        "as the justification and the documents cited show."
    )


def _check(
    *,
    signer: Any,
    deployment: Any,
    requirement: Requirement,
    verdict: str,
    justification: str,
    documents: Sequence[EvidenceDocument],
) -> None:
    if not can(signer, Perm.OBLIGATION_ASSERT):
        raise PermissionRefused(
            "Only compliance officers may assert requirements (obligations.assert)."
        )
    if verdict not in AssertionVerdict.values:
        raise InvalidInput(
            f"The verdict must be one of {', '.join(AssertionVerdict.values)}.",
            fields={"verdict": "unknown"},
        )
    if not (justification or "").strip():
        word = "reason" if verdict == AssertionVerdict.NOT_APPLICABLE else "justification"
        raise InvalidInput(f"Give the {word}.", fields={"justification": "required"})
    if verdict == AssertionVerdict.MET and not documents:
        raise InvalidInput(
            "An assertion that a requirement is met cites at least one evidence document.",
            fields={"documents": "required"},
        )
    if not requirement.framework.is_current:
        raise InvalidInput(
            "That requirement belongs to a framework version no longer current.",
            fields={"requirement": "not current"},
        )
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict("The deployment is retired.")
    kept = DeploymentObligation.objects.filter(
        deployment=deployment, requirement=requirement
    ).first()
    if kept is not None and not kept.applies:
        raise Conflict(
            f"{requirement.ref} does not apply to this deployment; there is nothing to assert.",
            fields={"requirement": "does not apply"},
        )


def validity_days(requirement: Requirement) -> int:
    return int(requirement.assertion_validity_days or settings.OBLIGATIONS_ASSERTION_VALIDITY_DAYS)


def assertion_sign(
    *,
    deployment: Any,
    requirement: Requirement,
    signer: Any,
    verdict: str,
    justification: str,
    password: str,
    http_request: HttpRequest,
    documents: Sequence[EvidenceDocument] = (),
) -> Assertion:
    """Record a re-authenticated assertion and ledger it; statuses refresh on commit."""
    documents = list(documents)
    _check(
        signer=signer,
        deployment=deployment,
        requirement=requirement,
        verdict=verdict,
        justification=justification,
        documents=documents,
    )
    # Before the transaction: a wrong password is ledgered in its own and must survive.
    reauthenticate(
        user=signer,
        password=password,
        request=http_request,
        purpose="obligation_assertion",
        subject=requirement,
        deployment_id=deployment.pk,
    )
    signed_at = timezone.now()
    expires_at = signed_at + dt.timedelta(days=validity_days(requirement))
    meaning = assertion_meaning(verdict, requirement, deployment)
    manifest = {
        "deployment": str(deployment.pk),
        "requirement": str(requirement.pk),
        "ref": requirement.ref,
        "framework_version": requirement.framework.version,
        "verdict": verdict,
        "justification": justification.strip(),
        "documents": sorted(f"{d.pk}:{d.sha256}" for d in documents),
        "signer": str(signer.pk),
        "printed_name": signer.get_full_name() or signer.get_username(),
        "meaning": meaning,
        "signed_at": signed_at,
        "expires_at": expires_at,
    }
    signature_hash = canonical_sha256(manifest)
    with transaction.atomic():
        assertion = Assertion.objects.create(
            deployment=deployment,
            requirement=requirement,
            verdict=verdict,
            justification=manifest["justification"],
            signed_by=signer,
            signed_at=signed_at,
            signature_meaning=meaning,
            reauthenticated_by="password",
            expires_at=expires_at,
            signature_hash=signature_hash,
        )
        assertion.documents.set(documents)
        ledger_append(
            actor=signer,
            action="obligation.asserted",
            subject=assertion,
            deployment_id=deployment.pk,
            data={**manifest, "signature_hash": signature_hash},
        )
    return assertion


def assertion_withdraw(*, assertion: Assertion, actor: Any, reason: str) -> Assertion:
    """End an assertion before it expires, saying why; the status falls back to the evidence."""
    if not can(actor, Perm.OBLIGATION_ASSERT):
        raise PermissionRefused("Only compliance officers may withdraw assertions.")
    if not (reason or "").strip():
        raise InvalidInput("Say why the assertion is withdrawn.", fields={"reason": "required"})
    with transaction.atomic():
        locked = (
            Assertion.objects.select_for_update().select_related("requirement").get(pk=assertion.pk)
        )
        if locked.withdrawn_at is not None:
            raise Conflict("The assertion was already withdrawn.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawal_reason = reason.strip()
        locked.save(
            update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "updated_at"]
        )
        ledger_append(
            actor=actor,
            action="obligation.assertion_withdrawn",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"ref": locked.requirement.ref, "reason": locked.withdrawal_reason},
        )
    return locked
