"""The kept statuses: one row per deployment and requirement, refreshed when inputs change.

Pages read `DeploymentObligation` rows and never recompute them. They are refreshed:

- after every committed write that concerns a deployment. Every such write appends a ledger
  event naming the deployment, in the writer's transaction; a receiver of the ledger's
  `post_save` collects those deployments and, once the transaction commits, refreshes them
  (`transaction.on_commit`). Hooking the ledger rather than each room's signals means a room
  built later (the assessments of the Act, say) is covered without a line here, and a write
  that rolls back refreshes nothing. Events that cannot change a status (monitoring
  observations, security notices, the findings room's own steps) are skipped.
- after a change that reaches many deployments at once (an AI system's facts, a framework
  version, a document linked for the whole organisation): the system's deployments are
  refreshed at once, the whole portfolio by the `obligations.refresh_all` task, queued on
  commit.
- daily, for everything (`obligations.refresh_all`), which catches what time alone changes:
  an audit growing old, a document's validity ending, a requirement coming into force; and
  hourly for deployments whose status rests on an assertion that has just expired.

A refresh is idempotent: it computes the rows from the records and writes only the rows that
differ, so running it twice (or concurrently with another) leaves the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.obligations.choices import AssertionVerdict, ObligationStatus
from governance.obligations.evidence import Proof, evaluate_evidence
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    ObligationSummary,
    Requirement,
)

logger = logging.getLogger(__name__)

CHUNK = 500
S = ObligationStatus
KEPT_FIELDS = ("applies", "in_force", "why", "status", "evidence", "gaps", "assertion")


def current_requirements() -> list[Requirement]:
    """Every requirement of the current framework versions, in reading order (one query)."""
    return list(
        Requirement.objects.filter(framework__is_current=True)
        .select_related("framework")
        .order_by("framework__slug", "position")
    )


def valid_assertions(
    deployment_ids: Iterable[Any], *, now: dt.datetime | None = None
) -> dict[tuple[Any, Any], Assertion]:
    """The assertion that counts per (deployment, requirement): the newest neither withdrawn
    nor expired (one query)."""
    now = now or timezone.now()
    rows = (
        Assertion.objects.filter(deployment_id__in=list(deployment_ids), withdrawn_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("signed_at")
    )
    return {(a.deployment_id, a.requirement_id): a for a in rows}


def status_of(
    *, applies: bool, in_force: bool, proofs: Sequence[Proof], assertion: Assertion | None
) -> str:
    """The status rule: applicability first, then a signed assertion, then the evidence."""
    if not applies:
        return S.NOT_APPLICABLE
    if not in_force:
        return S.NOT_YET_IN_FORCE
    if assertion is not None:
        return S.NOT_APPLICABLE if assertion.verdict == AssertionVerdict.NOT_APPLICABLE else S.MET
    found = sum(1 for proof in proofs if proof.satisfied)
    if proofs and found == len(proofs):
        return S.MET
    # A requirement without evidence rules can only be met by an assertion.
    return S.PARTLY_MET if found else S.MISSING


def _chunks(ids: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def obligations_refresh(
    *, deployment_ids: Iterable[Any], today: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute the kept statuses of these deployments; returns how many rows changed.

    A constant number of queries per 500 deployments: the facts, one load per evidence kind,
    the assertions, the kept rows, and the writes.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    # Ledger events name deployments as text; the rows are keyed by UUID.
    ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in deployment_ids))
    requirements = current_requirements()
    changed = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            changed += _refresh_chunk(chunk, requirements, today, now)
    return changed


def _refresh_chunk(
    ids: Sequence[Any], requirements: list[Requirement], today: dt.date, now: dt.datetime
) -> int:
    from governance.obligations.applicability import decide
    from governance.obligations.facts import facts_for_deployments
    from governance.risk.selectors import current_assessments

    facts = facts_for_deployments(ids)
    ids = [pk for pk in ids if pk in facts]  # deployments that no longer exist drop out
    proofs = evaluate_evidence(requirements, ids, today=today)
    assertions = valid_assertions(ids, now=now)
    tiers = {pk: a.tier for pk, a in current_assessments(ids).items()}
    kept = {
        (row.deployment_id, row.requirement_id): row
        for row in DeploymentObligation.objects.filter(deployment_id__in=ids)
    }
    wanted = {r.pk for r in requirements}
    stale = [row.pk for key, row in kept.items() if key[1] not in wanted]
    new, updated = [], []
    summaries: dict[tuple[Any, Any], ObligationSummary] = {}
    for pk in ids:
        for requirement in requirements:
            decision = decide(requirement, facts[pk], on=today)
            found = proofs.get((pk, requirement.pk), [])
            assertion = assertions.get((pk, requirement.pk)) if decision.applies else None
            status = status_of(
                applies=decision.applies,
                in_force=decision.in_force,
                proofs=found,
                assertion=assertion,
            )
            values = {
                "applies": decision.applies,
                "in_force": decision.in_force,
                "why": decision.why,
                "status": status,
                "evidence": [p.as_json() for p in found],
                "gaps": [p.label for p in found if not p.satisfied],
                "assertion": assertion if decision.applies and decision.in_force else None,
            }
            _count(summaries, pk, requirement, status, tiers.get(pk, ""), now)
            row = kept.get((pk, requirement.pk))
            if row is None:
                new.append(
                    DeploymentObligation(
                        deployment_id=pk, requirement=requirement, evaluated_at=now, **values
                    )
                )
            elif _differs(row, values):
                for name, value in values.items():
                    setattr(row, name, value)
                row.evaluated_at = now
                updated.append(row)
    if stale:
        DeploymentObligation.objects.filter(pk__in=stale).delete()
    DeploymentObligation.objects.bulk_create(new, batch_size=1000)
    DeploymentObligation.objects.bulk_update(
        updated, [*KEPT_FIELDS, "evaluated_at", "updated_at"], batch_size=500
    )
    _write_summaries(ids, summaries)
    return len(new) + len(updated) + len(stale)


def _differs(row: DeploymentObligation, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        if name == "assertion":
            if row.assertion_id != (value.pk if value is not None else None):
                return True
        elif getattr(row, name) != value:
            return True
    return False


def _count(
    summaries: dict[tuple[Any, Any], ObligationSummary],
    pk: Any,
    requirement: Requirement,
    status: str,
    tier: str,
    now: dt.datetime,
) -> None:
    key = (pk, requirement.framework_id)
    summary = summaries.get(key)
    if summary is None:
        summary = summaries[key] = ObligationSummary(
            deployment_id=pk, framework_id=requirement.framework_id, tier=tier, evaluated_at=now
        )
    # Coverage counts the requirements that apply and are in force, less those a signed
    # assertion found not to apply.
    if status in (S.MET, S.PARTLY_MET, S.MISSING):
        summary.applicable += 1
        if status == S.MET:
            summary.met += 1
        elif status == S.PARTLY_MET:
            summary.partly_met += 1
        else:
            summary.missing += 1


def _write_summaries(
    ids: Sequence[Any], summaries: dict[tuple[Any, Any], ObligationSummary]
) -> None:
    ObligationSummary.objects.filter(deployment_id__in=ids).exclude(
        framework_id__in={framework for _, framework in summaries}
    ).delete()
    ObligationSummary.objects.bulk_create(
        list(summaries.values()),
        update_conflicts=True,
        unique_fields=["deployment", "framework"],
        update_fields=["tier", "applicable", "met", "partly_met", "missing", "evaluated_at"],
        batch_size=1000,
    )


def active_deployment_ids() -> list[uuid.UUID]:
    from governance.inventory.choices import DeploymentStatus
    from governance.inventory.models import Deployment

    return list(
        Deployment.objects.exclude(status=DeploymentStatus.RETIRED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def obligations_refresh_all(*, today: dt.date | None = None) -> int:
    """Recompute every deployment still in service (the daily run); returns rows changed."""
    return obligations_refresh(deployment_ids=active_deployment_ids(), today=today)


def obligations_expire_assertions(*, now: dt.datetime | None = None) -> int:
    """Refresh the deployments whose kept status rests on an assertion that has expired.

    The kept rows name the assertion they rest on, so finding them is one query; refreshing
    them drops the assertion and the status falls back to the evidence.
    """
    now = now or timezone.now()
    due = set(
        DeploymentObligation.objects.filter(assertion__expires_at__lte=now).values_list(
            "deployment_id", flat=True
        )
    )
    return obligations_refresh(deployment_ids=due, now=now) if due else 0


# --- Refresh on change ----------------------------------------------------------------------

# Events that never change a status: refreshing after them would only cost time on hot paths
# (observations arrive many times a minute) or answer the refresh's own consequences.
SKIPPED_PREFIXES = (
    "security.",
    "ledger.",
    "finding",
    "observation_batch.",
    "drift.",
    "monitoring_alert.",
    "export.",
    "api_token.",
    "user.",
    "report.requested",
    "incident.reminder_sent",
    "approval_request.reminder",
    "approval_request.escalat",
)
# Events about a record that many deployments share; their subject type says whose.
SYSTEM_SUBJECT = "inventory.aisystem"
VERSION_SUBJECT = "inventory.modelversion"
# Events after which every deployment is refreshed, in the background.
PORTFOLIO_ACTIONS = ("obligations.framework_loaded", "framework.loaded")

_pending = threading.local()


def _queue() -> dict[str, set[Any]]:
    if not hasattr(_pending, "queue"):
        _pending.queue = {"deployments": set(), "systems": set(), "versions": set(), "all": set()}
    queue: dict[str, set[Any]] = _pending.queue
    return queue


def on_ledger_event(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """Note which deployments an event concerns; refresh them once the transaction commits."""
    if not created or instance.action.startswith(SKIPPED_PREFIXES):
        return
    queue = _queue()
    if instance.deployment_id:
        queue["deployments"].add(instance.deployment_id)
    elif instance.subject_type == SYSTEM_SUBJECT:
        queue["systems"].add(instance.subject_id)
    elif instance.subject_type == VERSION_SUBJECT:
        queue["versions"].add(instance.subject_id)
    elif instance.action in PORTFOLIO_ACTIONS or (
        instance.action.startswith("evidence_document.") and '"everywhere":true' in instance.data
    ):
        queue["all"].add(True)
    else:
        return
    # One callback per event; the first to run takes the whole queue, the rest find it empty.
    transaction.on_commit(_flush)


def _flush() -> None:
    from governance.inventory.models import Deployment

    queue = _queue()
    taken = {key: set(values) for key, values in queue.items()}
    for values in queue.values():
        values.clear()
    ids = set(taken["deployments"])
    if taken["systems"] or taken["versions"]:
        ids |= set(
            Deployment.objects.filter(
                Q(model_version__system_id__in=taken["systems"])
                | Q(model_version_id__in=taken["versions"])
            ).values_list("pk", flat=True)
        )
    try:
        if ids:
            obligations_refresh(deployment_ids=ids)
        if taken["all"]:
            from governance.obligations.tasks import refresh_all_task

            refresh_all_task.delay()
    except Exception:
        # The write itself has committed; a failed refresh must not turn it into an error
        # page. The daily run repairs the rows, and the failure is logged for the operator.
        logger.exception("refreshing the obligations of %d deployments failed", len(ids))
