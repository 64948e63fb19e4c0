"""Writes to findings: raising them (by hand or from another room) and moving them along.

Every step locks the finding, checks the move against `choices.ALLOWED_TRANSITIONS`, and
appends one ledger event in the same transaction. Refusals on segregation-of-duties grounds
are ledgered in a transaction of their own before the error is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.accounts.permissions import Perm, can, permissions_of
from governance.core.errors import Conflict, InvalidInput, PermissionRefused, TransitionNotAllowed
from governance.findings.choices import ACTIVE_STATES, FindingState, Severity, SourceKind, may_move
from governance.findings.inbox import notify_owner
from governance.findings.models import Finding
from governance.findings.policy import due_date_for
from governance.findings.services.evidence import (
    check_uploads,
    evidence_transaction,
    store_evidence,
)
from governance.findings.services.policy import current_policy
from governance.inventory.choices import DeploymentStatus
from governance.ledger.services import ledger_append

S = FindingState


def _check_owner(owner: Any) -> None:
    if owner is None:
        raise InvalidInput("Name the person who owns the finding.", fields={"owner": "required"})
    if not owner.is_active:
        raise InvalidInput(
            f"{owner} is deactivated and cannot own a finding.", fields={"owner": "deactivated"}
        )
    if Perm.FINDING_WORK not in permissions_of(owner):
        raise InvalidInput(
            f"{owner} holds no role that can work on findings (auditors only read).",
            fields={"owner": "cannot act on findings"},
        )


def _check_text(title: str, severity: str) -> None:
    if severity not in Severity.values:
        raise InvalidInput(
            f"Severity must be one of {', '.join(Severity.values)}.",
            fields={"severity": "unknown"},
        )
    if not (title or "").strip():
        raise InvalidInput("Give the finding a title.", fields={"title": "required"})


def _announce_raised(finding: Finding, actor: Any) -> None:
    """The `finding.raised` event and the owner's notice, in the raising transaction."""
    ledger_append(
        actor=actor,
        action="finding.raised",
        subject=finding,
        deployment_id=finding.deployment_id,
        data={
            "source_kind": finding.source_kind,
            "source_ref": finding.source_ref,
            "automatic": finding.automatic,
            "severity": finding.severity,
            "title": finding.title,
            "description": finding.description,
            "owner": str(finding.owner_id),
            "due_date": finding.due_date,
            "policy_version": finding.policy.version,
        },
    )
    notify_owner(finding)


def _new_finding(
    *,
    deployment: Any,
    source_kind: str,
    source_ref: str,
    automatic: bool,
    severity: str,
    title: str,
    description: str,
    owner: Any,
    due_date: dt.date | None,
    actor: Any,
) -> Finding:
    policy = current_policy()
    now = timezone.now()
    return Finding(
        deployment=deployment,
        source_kind=source_kind,
        source_ref=source_ref,
        automatic=automatic,
        severity=severity,
        title=title.strip()[:300],
        description=description.strip(),
        owner=owner,
        due_date=due_date or due_date_for(policy, severity, timezone.localdate()),
        policy=policy,
        state=S.OPEN,
        state_changed_at=now,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def finding_create(
    *,
    deployment: Any,
    actor: Any,
    severity: str,
    title: str,
    owner: Any,
    description: str = "",
    due_date: dt.date | None = None,
    source_kind: str = SourceKind.MANUAL,
    source_ref: str = "",
) -> Finding:
    """Raise a finding by hand. The due date follows the severity policy unless one is given,
    and a given one cannot be in the past."""
    if not can(actor, Perm.FINDING_CREATE):
        raise PermissionRefused("Your roles do not allow raising findings (findings.create).")
    _check_text(title, severity)
    if source_kind not in SourceKind.values:
        raise InvalidInput("Unknown source kind.", fields={"source_kind": "unknown"})
    if due_date is not None and due_date < timezone.localdate():
        raise InvalidInput(
            f"The due date {due_date:%Y-%m-%d} is in the past.", fields={"due_date": "in the past"}
        )
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict("The deployment is retired; raise no new findings on it.")
    _check_owner(owner)
    with transaction.atomic():
        finding = _new_finding(
            deployment=deployment,
            source_kind=source_kind,
            source_ref=(source_ref or "").strip()[:200],
            automatic=False,
            severity=severity,
            title=title,
            description=description,
            owner=owner,
            due_date=due_date,
            actor=actor,
        )
        finding.save()
        _announce_raised(finding, actor)
    return finding


def finding_raise_automatic(
    *,
    deployment: Any,
    source_kind: str,
    source_ref: str,
    severity: str,
    title: str,
    description: str,
    owner: Any,
) -> Finding | None:
    """Raise a finding on behalf of a room (bias audits, the risk register, monitoring …).

    Idempotent: the pair (source kind, source ref) names the cause, and a database constraint
    keeps one automatic finding per cause, so a repeated trigger returns None and writes
    nothing. Runs inside the caller's transaction, so the finding commits with its cause.
    """
    if source_kind == SourceKind.MANUAL or not source_ref:
        raise InvalidInput("Automatic findings need a source kind and reference.")
    if Finding.objects.filter(
        source_kind=source_kind, source_ref=source_ref, automatic=True
    ).exists():
        return None
    finding = _new_finding(
        deployment=deployment,
        source_kind=source_kind,
        source_ref=source_ref,
        automatic=True,
        severity=severity,
        title=title,
        description=description,
        owner=owner,
        due_date=None,
        actor=None,
    )
    try:
        # A savepoint: a racing trigger that got there first leaves the caller's work intact.
        with transaction.atomic():
            finding.save()
    except IntegrityError:
        return None
    _announce_raised(finding, None)
    return finding


def _locked(finding: Finding) -> Finding:
    return (
        Finding.objects.select_for_update()
        .select_related("deployment", "policy")
        .get(pk=finding.pk)
    )


def _move(locked: Finding, to_state: str) -> str:
    from_state = locked.state
    if not may_move(from_state, to_state):
        raise TransitionNotAllowed(
            f"A finding that is {locked.get_state_display().lower()} cannot become "
            f"{S(to_state).label.lower()}.",
            fields={"state": f"not allowed from {from_state}"},
        )
    locked.state = to_state
    locked.state_changed_at = timezone.now()
    return from_state


def may_work_on(user: Any, finding: Finding) -> bool:
    """The owner works on their finding; people who manage findings work on any."""
    if can(user, Perm.FINDING_MANAGE):
        return True
    return bool(can(user, Perm.FINDING_WORK) and user.pk == finding.owner_id)


def _require_worker(user: Any, finding: Finding) -> None:
    if not may_work_on(user, finding):
        raise PermissionRefused(
            "Only the finding's owner, or someone who manages findings, can do this.",
            fields={"actor": "not the owner"},
        )


def _ledger_refusal(finding: Finding, actor: Any, step: str, refusal: PermissionRefused) -> None:
    with transaction.atomic():
        ledger_append(
            actor=actor,
            action="finding.refused",
            subject=finding,
            deployment_id=finding.deployment_id,
            data={"step": step, "reason": refusal.message},
        )


def _step(
    finding: Finding, *, actor: Any, to_state: str, action: str, data: dict[str, Any] | None = None
) -> Finding:
    with transaction.atomic():
        locked = _locked(finding)
        _require_worker(actor, locked)
        from_state = _move(locked, to_state)
        locked.save(update_fields=["state", "state_changed_at", "updated_at"])
        ledger_append(
            actor=actor,
            action=action,
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"from": from_state, "to": to_state, **(data or {})},
        )
    return locked


def finding_start_remediation(*, finding: Finding, actor: Any, note: str = "") -> Finding:
    """The owner (or compliance) takes the finding into remediation."""
    return _step(
        finding,
        actor=actor,
        to_state=S.IN_REMEDIATION,
        action="finding.remediation_started",
        data={"note": note.strip()},
    )


def finding_resolve(
    *, finding: Finding, actor: Any, note: str, files: Sequence[UploadedFile] = ()
) -> Finding:
    """Say the problem is fixed, with a note and optionally evidence files.

    Files are checked before anything is written; the resolution, the files and their
    ledger events commit together or not at all.
    """
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            "Describe what was done: resolving needs a note.", fields={"note": "required"}
        )
    check_uploads(files)
    with evidence_transaction() as written:
        locked = _locked(finding)
        _require_worker(actor, locked)
        from_state = _move(locked, S.RESOLVED)
        locked.resolution_note = note
        locked.resolved_by = actor
        locked.resolved_at = locked.state_changed_at
        locked.save(
            update_fields=[
                "state",
                "state_changed_at",
                "resolution_note",
                "resolved_by",
                "resolved_at",
                "updated_at",
            ]
        )
        stored = store_evidence(locked, files, actor, written)
        ledger_append(
            actor=actor,
            action="finding.resolved",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "from": from_state,
                "to": S.RESOLVED,
                "note": note,
                "evidence": [e.sha256 for e in stored],
            },
        )
    return locked


def finding_evidence_add(
    *, finding: Finding, actor: Any, files: Sequence[UploadedFile]
) -> list[Any]:
    """Attach more evidence to a finding that is not closed (each file its own ledger event)."""
    if not files:
        raise InvalidInput("Choose at least one file.", fields={"files": "required"})
    check_uploads(files)
    with evidence_transaction() as written:
        locked = _locked(finding)
        _require_worker(actor, locked)
        if locked.state == S.CLOSED:
            raise Conflict("The finding is closed; reopen it to add evidence.")
        return store_evidence(locked, files, actor, written)


def verification_refusal(user: Any, finding: Finding) -> PermissionRefused | None:
    """Why this person may not verify the finding, or None (shown on the page before trying)."""
    if not can(user, Perm.FINDING_VERIFY):
        return PermissionRefused(
            "Verifying needs a reviewer or compliance officer.", fields={"actor": "wrong role"}
        )
    if finding.resolved_by_id is not None and user.pk == finding.resolved_by_id:
        return PermissionRefused(
            "You resolved this finding; someone else must verify it (segregation of duties).",
            fields={"actor": "resolver"},
        )
    return None


def finding_verify(*, finding: Finding, actor: Any, note: str = "") -> Finding:
    """A different person than the resolver confirms the fix works."""
    try:
        with transaction.atomic():
            locked = _locked(finding)
            refusal = verification_refusal(actor, locked)
            if refusal is not None:
                raise refusal
            from_state = _move(locked, S.VERIFIED)
            locked.verified_by = actor
            locked.verified_at = locked.state_changed_at
            locked.save(
                update_fields=[
                    "state",
                    "state_changed_at",
                    "verified_by",
                    "verified_at",
                    "updated_at",
                ]
            )
            ledger_append(
                actor=actor,
                action="finding.verified",
                subject=locked,
                deployment_id=locked.deployment_id,
                data={"from": from_state, "to": S.VERIFIED, "note": note.strip()},
            )
    except PermissionRefused as refusal:
        _ledger_refusal(finding, actor, "verify", refusal)
        raise
    return locked


def finding_close(*, finding: Finding, actor: Any, note: str = "") -> Finding:
    """Close a verified finding."""
    if not can(actor, Perm.FINDING_VERIFY):
        raise PermissionRefused("Closing needs a reviewer or compliance officer.")
    with transaction.atomic():
        locked = _locked(finding)
        from_state = _move(locked, S.CLOSED)
        locked.closed_at = locked.state_changed_at
        locked.save(update_fields=["state", "state_changed_at", "closed_at", "updated_at"])
        ledger_append(
            actor=actor,
            action="finding.closed",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"from": from_state, "to": S.CLOSED, "note": note.strip()},
        )
    return locked


def reopen_locked(locked: Finding, *, actor: Any, reason: str) -> Finding:
    """Reopen an already locked finding (used by `finding_reopen` and the expiry sweep)."""
    from_state = _move(locked, S.REOPENED)
    # A new round: earlier fixes and signatures no longer count for this finding.
    locked.acceptance_round += 1
    locked.risk_accepted_until = None
    locked.resolved_by = locked.verified_by = None
    locked.resolved_at = locked.verified_at = locked.closed_at = None
    locked.reopen_reason = reason
    locked.save()
    ledger_append(
        actor=actor,
        action="finding.reopened",
        subject=locked,
        deployment_id=locked.deployment_id,
        data={"from": from_state, "to": S.REOPENED, "reason": reason},
    )
    return locked


def finding_reopen(*, finding: Finding, actor: Any, reason: str) -> Finding:
    """Reopen a finding from any later state, saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the finding is reopened.", fields={"reason": "required"})
    with transaction.atomic():
        locked = _locked(finding)
        if not (may_work_on(actor, locked) or can(actor, Perm.FINDING_VERIFY)):
            raise PermissionRefused(
                "Only the owner, a reviewer or a compliance officer can reopen a finding."
            )
        return reopen_locked(locked, actor=actor, reason=reason)


def _hand_over(locked: Finding, owner: Any, actor: Any, note: str) -> None:
    before = locked.owner_id
    locked.owner = owner
    locked.save(update_fields=["owner", "updated_at"])
    ledger_append(
        actor=actor,
        action="finding.owner_changed",
        subject=locked,
        deployment_id=locked.deployment_id,
        data={"before": str(before), "after": str(owner.pk), "note": note},
    )
    notify_owner(locked)


def finding_owner_change(*, finding: Finding, owner: Any, actor: Any, note: str = "") -> Finding:
    """Give a finding that is still being worked on to another person (who must be able to
    act on findings); for findings whose owner left, or moved to other work."""
    if not can(actor, Perm.FINDING_MANAGE):
        raise PermissionRefused(
            "Only someone who manages findings can give a finding to another person.",
            fields={"owner": "not allowed"},
        )
    _check_owner(owner)
    with transaction.atomic():
        locked = _locked(finding)
        if locked.state not in ACTIVE_STATES:
            raise TransitionNotAllowed(
                f"A finding that is {locked.get_state_display().lower()} needs no owner.",
                fields={"owner": "finding not active"},
            )
        if locked.owner_id == owner.pk:
            raise Conflict(f"{owner} already owns this finding.", fields={"owner": "same"})
        _hand_over(locked, owner, actor, note.strip())
    return locked


def findings_hand_over(*, from_user: Any, to_user: Any, actor: Any) -> int:
    """Give every finding still being worked on by `from_user` to `to_user`, in the caller's
    transaction (an account's deactivation with a successor). Returns how many moved; none
    when `to_user` cannot own findings, which then show as needing a new owner."""
    try:
        _check_owner(to_user)
    except InvalidInput:
        return 0
    moved = 0
    rows = Finding.objects.select_for_update().filter(owner=from_user, state__in=ACTIVE_STATES)
    for locked in rows.select_related("deployment", "policy").order_by("pk"):
        _hand_over(locked, to_user, actor, "handed over when the owner's account was deactivated")
        moved += 1
    return moved


def default_owner(deployment: Any, *, preferred: Any = None, fallback: Any = None) -> Any:
    """Who owns a finding a room raises: `preferred` (whom the raising record names), else the
    deployment's accountable owner, else whoever registered the deployment, else `fallback`
    (the person whose action raised it). The first who can still work on findings."""
    from governance.liability.selectors import accountable_owner

    def candidates() -> Iterator[Any]:
        # Lazily: the accountable owner costs a query that a usable `preferred` makes needless.
        yield preferred
        yield accountable_owner(deployment)
        yield deployment.created_by
        yield fallback

    for candidate in candidates():
        if candidate is not None and candidate.is_active and can(candidate, Perm.FINDING_WORK):
            return candidate
    raise Conflict(
        f"Nobody can own a finding on {deployment}: it has no accountable owner and its "
        "registrant can no longer act on findings.",
        fields={"owner": "none available"},
    )
