"""Risk acceptance: re-authenticated signatures by the roles the severity requires, and expiry.

Each required role signs once (one person signs at most once). The last required signature
moves the finding to risk accepted until the earliest expiry any signer agreed to; the hourly
sweep reopens findings whose acceptance has run out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.accounts.services import reauthenticate
from governance.approvals.models import ApprovalRequest
from governance.core.canonical import canonical_sha256
from governance.core.errors import Conflict, DomainError, InvalidInput, PermissionRefused
from governance.findings.choices import ACCEPTABLE_FROM, FindingState
from governance.findings.models import Finding, FindingRiskSignoff
from governance.findings.policy import acceptance_roles_for
from governance.findings.services.findings import _locked, _move, reopen_locked
from governance.ledger.services import ledger_append


def acceptance_meaning(finding: Finding, signed_as: str, expires_on: dt.date) -> str:
    """The statement a signer reads and signs."""
    return (
        f"I accept the {finding.severity} risk of finding “{finding.title}” on "
        f"{finding.deployment} until {expires_on:%Y-%m-%d} as {Role(signed_as).label}."
    )


def is_requester(user: Any, finding: Finding) -> bool:
    """Whether the person registered the deployment or asked for its approval."""
    if user.pk == finding.deployment.created_by_id:
        return True
    return ApprovalRequest.objects.filter(
        deployment_id=finding.deployment_id, requested_by=user
    ).exists()


def signing_refusal(
    finding: Finding, user: Any, signed_as: str, signed: dict[str, Any]
) -> DomainError | None:
    """Why this person may not sign the acceptance now, or None."""
    if finding.state not in ACCEPTABLE_FROM:
        return Conflict(
            f"A finding that is {finding.get_state_display().lower()} cannot have its risk "
            "accepted.",
            fields={"state": finding.state},
        )
    required = acceptance_roles_for(finding.policy, finding.severity)
    if signed_as not in required:
        labels = ", ".join(Role(r).label.lower() for r in required)
        return InvalidInput(
            f"Accepting a {finding.severity} finding's risk needs signatures as: {labels}.",
            fields={"signed_as": f"one of {', '.join(required)}"},
        )
    if signed_as in signed:
        return InvalidInput(
            f"A {Role(signed_as).label.lower()} has already signed this acceptance.",
            fields={"signed_as": "already signed"},
        )
    if signed_as not in user.roles:
        return PermissionRefused(
            f"You do not hold the {Role(signed_as).label.lower()} role.",
            fields={"signed_as": "wrong role"},
        )
    if any(s.signer_id == user.pk for s in signed.values()):
        return PermissionRefused(
            "You have already signed this acceptance; one person signs at most once.",
            fields={"signer": "already signed"},
        )
    if is_requester(user, finding):
        return PermissionRefused(
            "You requested this deployment; someone independent of it must accept its risk.",
            fields={"signer": "requester"},
        )
    return None


def _check_input(finding: Finding, rationale: str, expires_on: dt.date | None) -> dt.date:
    if not (rationale or "").strip():
        raise InvalidInput("Say why the risk is acceptable.", fields={"rationale": "required"})
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        raise InvalidInput(
            "An acceptance needs an expiry date after today.", fields={"expires_on": "required"}
        )
    longest = today + dt.timedelta(days=finding.policy.max_acceptance_days)
    if expires_on > longest:
        raise InvalidInput(
            f"An acceptance may run until {longest:%Y-%m-%d} at the latest.",
            fields={"expires_on": "too far"},
        )
    return expires_on


def _signed(locked: Finding) -> dict[str, FindingRiskSignoff]:
    rows = FindingRiskSignoff.objects.filter(
        finding=locked, acceptance_round=locked.acceptance_round
    )
    return {row.signed_as: row for row in rows}


def finding_risk_signoff_record(
    *,
    finding: Finding,
    signer: Any,
    signed_as: str,
    http_request: HttpRequest,
    rationale: str,
    expires_on: dt.date | None,
    password: str = "",
    reauth: Any = None,
) -> FindingRiskSignoff:
    """Record one signature accepting the finding's risk; the last one required accepts it.

    The signer re-enters their password first (a failure is ledgered and counts toward the
    login lockout, as for approval sign-offs), or comes back from a fresh login at the
    organisation's provider with `reauth`; the signature records which. Refusals are
    ledgered after the rollback.
    """
    expires_on = _check_input(finding, rationale, expires_on)
    authenticated_by = reauthenticate(
        user=signer,
        password=password,
        request=http_request,
        purpose="finding_risk_acceptance",
        subject=finding,
        deployment_id=finding.deployment_id,
        proof=reauth,
    )
    try:
        with transaction.atomic():
            locked = _locked(finding)
            signed = _signed(locked)
            refusal = signing_refusal(locked, signer, signed_as, signed)
            if refusal is not None:
                raise refusal
            signoff = _write(
                locked, signer, signed_as, rationale.strip(), expires_on, authenticated_by
            )
            signed[signed_as] = signoff
            required = acceptance_roles_for(locked.policy, locked.severity)
            if set(required) <= set(signed):
                _accept(locked, signer, signed)
    except (PermissionRefused, Conflict) as refusal:
        with transaction.atomic():
            ledger_append(
                actor=signer,
                action="finding.risk_signoff_refused",
                subject=finding,
                deployment_id=finding.deployment_id,
                data={"signed_as": signed_as, "reason": refusal.message, "code": refusal.code},
            )
        raise
    return signoff


def _write(
    locked: Finding,
    signer: Any,
    signed_as: str,
    rationale: str,
    expires_on: dt.date,
    authenticated_by: str,
) -> FindingRiskSignoff:
    signed_at = timezone.now()
    meaning = acceptance_meaning(locked, signed_as, expires_on)
    manifest = {
        "finding": str(locked.pk),
        "round": locked.acceptance_round,
        "signed_as": signed_as,
        "signer": str(signer.pk),
        "printed_name": signer.get_full_name() or signer.get_username(),
        "meaning": meaning,
        "rationale": rationale,
        "expires_on": expires_on,
        "signed_at": signed_at,
        "severity": locked.severity,
        "authenticated_by": authenticated_by,
    }
    signature_hash = canonical_sha256(manifest)
    try:
        with transaction.atomic():
            signoff = FindingRiskSignoff.objects.create(
                finding=locked,
                acceptance_round=locked.acceptance_round,
                signed_as=signed_as,
                signer=signer,
                printed_name=manifest["printed_name"],
                meaning=meaning,
                rationale=rationale,
                expires_on=expires_on,
                signed_at=signed_at,
                signature_hash=signature_hash,
                authenticated_by=authenticated_by,
            )
    except IntegrityError as exc:
        raise Conflict("This acceptance already has that signature.") from exc
    ledger_append(
        actor=signer,
        action="finding.risk_signed",
        subject=locked,
        deployment_id=locked.deployment_id,
        data={**manifest, "signature_hash": signature_hash},
    )
    return signoff


def _accept(locked: Finding, actor: Any, signed: dict[str, FindingRiskSignoff]) -> None:
    from_state = _move(locked, FindingState.RISK_ACCEPTED)
    locked.risk_accepted_until = min(s.expires_on for s in signed.values())
    locked.save(update_fields=["state", "state_changed_at", "risk_accepted_until", "updated_at"])
    ledger_append(
        actor=actor,
        action="finding.risk_accepted",
        subject=locked,
        deployment_id=locked.deployment_id,
        data={
            "from": from_state,
            "to": FindingState.RISK_ACCEPTED,
            "until": locked.risk_accepted_until,
            "signatures": sorted(str(s.pk) for s in signed.values()),
        },
    )


def finding_acceptances_expire(*, today: dt.date | None = None) -> int:
    """Reopen every finding whose risk acceptance has run out; returns how many.

    Safe to run twice: each finding is locked and re-checked, so one already reopened is
    skipped.
    """
    today = today or timezone.localdate()
    due = list(
        Finding.objects.filter(
            state=FindingState.RISK_ACCEPTED, risk_accepted_until__lte=today
        ).values_list("pk", flat=True)
    )
    reopened = 0
    for pk in due:
        with transaction.atomic():
            locked = _locked(Finding(pk=pk))
            until = locked.risk_accepted_until
            if locked.state != FindingState.RISK_ACCEPTED or until is None or until > today:
                continue
            reopen_locked(locked, actor=None, reason=f"risk acceptance expired on {until:%Y-%m-%d}")
            reopened += 1
    return reopened
