"""Writes to the assessments the law names: the EU AI Act Art 27 fundamental-rights impact
assessment (FRIA) and the GDPR Art 35 data protection impact assessment (DPIA).

Each is a versioned record answered on a `fria` or `dpia` methodology: a draft is filled in,
submitted (its answers frozen and hashed), and signed by a person who re-enters their
password. Signing supersedes the deployment's previous signed version of the same kind; a
signed version never changes. Every step appends a ledger event in its transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.permissions import Perm, require
from governance.accounts.services import reauthenticate
from governance.core.canonical import canonical_sha256
from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.risk.models import (
    STATUTORY_TRANSITIONS,
    Methodology,
    StatutoryAssessment,
    StatutoryKind,
    StatutoryStatus,
)
from governance.risk.scoring import carry_over, clean_answers
from governance.risk.signals import statutory_assessment_signed

MAX_REASON = 2000


def _kind(kind: Any) -> str:
    if kind not in StatutoryKind.values:
        raise InvalidInput(
            f"Unknown assessment kind {kind!r}: use {' or '.join(StatutoryKind.values)}.",
            fields={"kind": f"must be one of {', '.join(StatutoryKind.values)}"},
        )
    return str(kind)


def latest_methodology(kind: str) -> Methodology | None:
    """The most recently loaded methodology of this kind: new versions are answered on it."""
    return Methodology.objects.filter(kind=kind).order_by("-created_at").first()


def current_signed(deployment_id: Any, kind: str) -> StatutoryAssessment | None:
    return (
        StatutoryAssessment.objects.filter(
            deployment_id=deployment_id,
            kind=kind,
            status=StatutoryStatus.SIGNED,
            superseded_by__isnull=True,
        )
        .select_related("methodology")
        .first()
    )


def _record(assessment: StatutoryAssessment) -> dict[str, Any]:
    methodology = assessment.methodology
    return {
        "kind": assessment.kind,
        "version": assessment.version,
        "methodology": {
            "slug": methodology.slug,
            "version": methodology.version,
            "sha256": methodology.sha256,
        },
    }


def _check_open(deployment: Deployment) -> None:
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict(
            "The deployment is retired; it is no longer assessed.",
            fields={"deployment": "retired"},
        )


def _locked_draft(assessment: StatutoryAssessment) -> StatutoryAssessment:
    locked = _move(assessment, None)
    if not locked.is_draft:
        raise Conflict(
            f"Version {locked.version} is {locked.get_status_display().lower()}; its answers no "
            "longer change. Start a new version (or send it back to draft before signing).",
            fields={"status": locked.status},
        )
    return locked


def _move(assessment: StatutoryAssessment, to_status: str | None) -> StatutoryAssessment:
    locked = (
        StatutoryAssessment.objects.select_for_update(of=("self",))
        .select_related("methodology", "deployment__model_version__system")
        .get(pk=assessment.pk)
    )
    if to_status is not None and to_status not in STATUTORY_TRANSITIONS[locked.status]:
        raise TransitionNotAllowed(
            f"A {locked.get_status_display().lower()} assessment cannot become "
            f"{StatutoryStatus(to_status).label.lower()}.",
            fields={"status": locked.status},
        )
    return locked


def statutory_assessment_start(
    *,
    deployment: Deployment,
    kind: str,
    actor: Any,
    answers: Any = None,
    methodology: Methodology | None = None,
) -> StatutoryAssessment:
    """Start the next version of a deployment's FRIA or DPIA as a draft.

    The draft starts from the answers of the current signed version (those still valid on
    this methodology version); given answers win. Refused while another version of the
    same kind is still a draft or awaiting signature.
    """
    require(actor, Perm.RISK_ASSESS)
    kind = _kind(kind)
    methodology = methodology or latest_methodology(kind)
    if methodology is None or methodology.kind != kind:
        raise InvalidInput(
            f"No {StatutoryKind(kind).label.lower()} questionnaire is loaded.",
            fields={"methodology": f"load a methodology of kind {kind}"},
        )
    _check_open(deployment)
    spec = methodology.spec
    given = clean_answers([spec], {} if answers is None else answers, complete=False)
    with transaction.atomic():
        Deployment.objects.select_for_update().get(pk=deployment.pk)
        existing = StatutoryAssessment.objects.filter(deployment=deployment, kind=kind)
        open_version = existing.exclude(status=StatutoryStatus.SIGNED).first()
        if open_version is not None:
            raise Conflict(
                f"Version {open_version.version} is still "
                f"{open_version.get_status_display().lower()}; finish or discard it first.",
                fields={"kind": "a version is already open"},
            )
        previous = current_signed(deployment.pk, kind)
        carried, _ = carry_over([spec], previous.answers) if previous else ({}, [])
        assessment = StatutoryAssessment(
            deployment=deployment,
            kind=kind,
            methodology=methodology,
            version=(existing.aggregate(top=Max("version"))["top"] or 0) + 1,
            answers={**carried, **given},
            created_by=actor,
        )
        assessment.save()
        ledger_append(
            actor=actor,
            action="statutory_assessment.created",
            subject=assessment,
            deployment_id=deployment.pk,
            data={
                **_record(assessment),
                "answers": assessment.answers,
                "started_from": str(previous.pk) if previous else None,
            },
        )
    return assessment


def statutory_assessment_update(
    *, assessment: StatutoryAssessment, actor: Any, answers: Any
) -> StatutoryAssessment:
    """Change a draft's answers: given answers replace saved ones, a null clears one."""
    require(actor, Perm.RISK_ASSESS)
    with transaction.atomic():
        locked = _locked_draft(assessment)
        incoming = clean_answers([locked.methodology.spec], answers, complete=False)
        before = dict(locked.answers)
        merged = {**before, **incoming}
        for qid, value in answers.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                merged.pop(qid, None)
        if merged == before:
            return locked
        locked.answers = merged
        locked.save()
        ledger_append(
            actor=actor,
            action="statutory_assessment.updated",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                **_record(locked),
                "answers": {
                    qid: {"before": before.get(qid), "after": merged.get(qid)}
                    for qid in sorted(set(before) | set(merged))
                    if before.get(qid) != merged.get(qid)
                },
            },
        )
    return locked


def statutory_assessment_submit(
    *, assessment: StatutoryAssessment, actor: Any
) -> StatutoryAssessment:
    """Freeze a draft's answers for sign-off: every required question answered, answers hashed."""
    require(actor, Perm.RISK_ASSESS)
    with transaction.atomic():
        locked = _move(assessment, StatutoryStatus.SUBMITTED)
        _check_open(locked.deployment)
        answers = clean_answers([locked.methodology.spec], locked.answers, complete=True)
        locked.answers = answers
        locked.answers_sha256 = canonical_sha256(answers)
        locked.status = StatutoryStatus.SUBMITTED
        locked.submitted_by = actor
        locked.submitted_at = timezone.now()
        locked.save()
        ledger_append(
            actor=actor,
            action="statutory_assessment.submitted",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={**_record(locked), "answers": answers, "answers_sha256": locked.answers_sha256},
        )
    return locked


def statutory_assessment_reopen(
    *, assessment: StatutoryAssessment, actor: Any, reason: str
) -> StatutoryAssessment:
    """Send a submitted, unsigned version back to draft, saying why."""
    require(actor, Perm.RISK_ASSESS)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            "Say why the assessment goes back to draft (at most 2,000 characters).",
            fields={"reason": "required, at most 2000 characters"},
        )
    with transaction.atomic():
        locked = _move(assessment, StatutoryStatus.DRAFT)
        locked.status = StatutoryStatus.DRAFT
        locked.save()
        ledger_append(
            actor=actor,
            action="statutory_assessment.reopened",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={**_record(locked), "reason": reason, "answers_sha256": locked.answers_sha256},
        )
    return locked


def signature_meaning(assessment: StatutoryAssessment) -> str:
    """What the signer states, word for word, as recorded with the signature."""
    label = StatutoryKind(assessment.kind).label.lower()
    return (
        f"I approve version {assessment.version} of the {label} of {assessment.deployment} "
        f"(answers SHA-256 {assessment.answers_sha256}) as complete and accurate to the best "
        "of my knowledge."
    )


def statutory_assessment_sign(
    *,
    assessment: StatutoryAssessment,
    signer: Any,
    password: str,
    http_request: HttpRequest,
    answers_sha256: str | None = None,
) -> StatutoryAssessment:
    """Sign a submitted version after re-authentication; it supersedes the previous signed one.

    `answers_sha256`, when given, is the hash of the answers the signer was shown: a version
    sent back and resubmitted in between has other answers, and the signature is refused
    before the password is asked for.

    The password is checked before the transaction: a refusal is ledgered on its own and
    survives. Sends `statutory_assessment_signed` inside the transaction so the obligations
    kept on the deployment can be refreshed with it.
    """
    require(signer, Perm.APPROVAL_SIGN)
    if answers_sha256 is not None and answers_sha256 != assessment.answers_sha256:
        raise Conflict(
            "The answers are not the ones shown when this page was opened; read them again "
            "before signing.",
            fields={"answers": "not the answers shown to the signer"},
        )
    reauthenticate(
        user=signer,
        password=password,
        request=http_request,
        purpose=f"{assessment.kind}_signoff",
        subject=assessment,
        deployment_id=assessment.deployment_id,
    )
    with transaction.atomic():
        ledger_write_lock()
        deployment = Deployment.objects.select_for_update().get(pk=assessment.deployment_id)
        _check_open(deployment)
        locked = _move(assessment, StatutoryStatus.SIGNED)
        previous = current_signed(deployment.pk, locked.kind)
        locked.status = StatutoryStatus.SIGNED
        locked.signed_by = signer
        locked.signed_at = timezone.now()
        locked.signer_name = signer.get_full_name() or signer.get_username()
        locked.signature_meaning = signature_meaning(locked)
        locked.fingerprint = deployment.fingerprint
        locked.supersedes = previous
        locked.save()
        ledger_append(
            actor=signer,
            action="statutory_assessment.signed",
            subject=locked,
            deployment_id=deployment.pk,
            data={
                **_record(locked),
                "answers_sha256": locked.answers_sha256,
                "meaning": locked.signature_meaning,
                "printed_name": locked.signer_name,
                "reauthenticated": True,
                "fingerprint": locked.fingerprint,
                "supersedes": str(previous.pk) if previous else None,
            },
        )
        statutory_assessment_signed.send(
            sender=StatutoryAssessment, assessment=locked, previous=previous, actor=signer
        )
    return locked


def statutory_assessment_discard(*, assessment: StatutoryAssessment, actor: Any) -> None:
    """Delete a draft that will not be submitted; submitted and signed versions are kept."""
    require(actor, Perm.RISK_ASSESS)
    with transaction.atomic():
        locked = _locked_draft(assessment)
        data = {**_record(locked), "answers": locked.answers}
        pk = locked.pk
        locked.delete()
        locked.pk = pk  # the event still names the draft
        ledger_append(
            actor=actor,
            action="statutory_assessment.discarded",
            subject=locked,
            deployment_id=locked.deployment_id,
            data=data,
        )
