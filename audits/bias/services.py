"""Every write to bias audits: upload (create), draft edits, exclusions, finalisation, discard.

An upload is validated completely (metadata, file, mapping, every row) before anything is
written; then the file, the audit, its results and the ledger event are saved in one
transaction, and the stored file is removed again if that transaction fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from audits.bias import analysis, engine
from audits.bias.choices import (
    ALLOWED_TRANSITIONS,
    INDEPENDENCE_STATEMENTS,
    AuditStatus,
    AuditType,
    DataSource,
)
from audits.bias.engine import ColumnMapping
from audits.bias.findings import raise_findings_for
from audits.bias.models import BiasAudit, BiasAuditResult
from audits.bias.stats import CategoryFigures
from governance.core.canonical import canonical_sha256
from governance.core.dates import add_months
from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.core.services import apply_changes, snapshot, validated_save
from governance.inventory.models import Deployment, ModelVersion
from governance.ledger.services import changes, ledger_append

# What a draft's author may still change; the file, its mapping and the audit type define
# the numbers, so changing them means uploading a new audit.
EDITABLE_FIELDS = (
    "auditor_name",
    "auditor_organisation",
    *INDEPENDENCE_STATEMENTS,
    "data_source",
    "data_description",
    "test_data_explanation",
    "data_period_start",
    "data_period_end",
    "distribution_date",
    "audit_date",
    "next_due_date",
)
RESULT_FIELDS = (
    "dimension",
    "is_intersection",
    "category",
    "position",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "is_reference",
    "flagged",
    "z",
    "p_value_z",
    "p_value_fisher",
    "below_two_percent",
    "excluded",
    "exclusion_justification",
    "tpr",
    "fpr",
)


@dataclass(frozen=True)
class Exclusion:
    dimension: str
    category: str
    justification: str


def valid_until(audit_date: dt.date) -> dt.date:
    """The last day an audit is fresh: §5-301(a) forbids use once it is *more than* a year old."""
    return add_months(audit_date, settings.BIAS_AUDIT_VALIDITY_MONTHS)


def stale_since(audit_date: dt.date) -> dt.date:
    return valid_until(audit_date) + dt.timedelta(days=1)


def results_digest(audit: BiasAudit) -> str:
    """SHA-256 over the canonical results, written to the ledger when an audit is finalised."""
    rows = [snapshot(r, RESULT_FIELDS) for r in audit.results.order_by("position")]
    return canonical_sha256({"results": rows, "summaries": audit.dimension_summaries})


# --- Upload -----------------------------------------------------------------------------


def _target(
    deployment: Deployment | None, model_version: ModelVersion | None
) -> tuple[Deployment | None, ModelVersion]:
    if deployment is not None:
        if model_version is not None and model_version.pk != deployment.model_version_id:
            raise InvalidInput(
                "The model version is not the one this deployment runs.",
                fields={"model_version": "does not match the deployment"},
            )
        return deployment, deployment.model_version
    if model_version is None:
        raise InvalidInput(
            "Choose the deployment (or model version) the audit covers.",
            fields={"deployment": "required"},
        )
    return None, model_version


def _check_dates(audit: BiasAudit) -> None:
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if audit.audit_date and audit.audit_date > today:
        errors["audit_date"] = "cannot be in the future"
    if audit.data_period_end and audit.audit_date and audit.data_period_end > audit.audit_date:
        errors["data_period_end"] = "the data must predate the audit"
    if audit.audit_date and audit.next_due_date:
        limit = valid_until(audit.audit_date)
        if audit.next_due_date > limit:
            errors["next_due_date"] = (
                f"at most {settings.BIAS_AUDIT_VALIDITY_MONTHS} months after the audit date "
                f"({limit:%Y-%m-%d})"
            )
    if errors:
        name, message = next(iter(errors.items()))
        raise InvalidInput(f"{name.replace('_', ' ').capitalize()}: {message}.", fields=errors)


def _check_supersedes(audit: BiasAudit, supersedes: BiasAudit | None) -> None:
    if supersedes is None:
        return
    if supersedes.status != AuditStatus.FINAL:
        raise InvalidInput(
            "Only a final audit is superseded; a draft can simply be edited or discarded.",
            fields={"supersedes": "not final"},
        )
    same = (
        supersedes.deployment_id == audit.deployment_id
        and supersedes.model_version_id == audit.model_version_id
    )
    if not same:
        raise InvalidInput(
            "A superseding audit must cover the same deployment or model version.",
            fields={"supersedes": "covers something else"},
        )
    if BiasAudit.objects.filter(supersedes=supersedes, status=AuditStatus.FINAL).exists():
        raise InvalidInput(
            "That audit has already been superseded by a final audit.",
            fields={"supersedes": "already superseded"},
        )


def _metadata_errors(audit: BiasAudit) -> None:
    """Field validation of everything typed in, before the file is read."""
    computed = [
        "data_file",
        "file_name",
        "file_sha256",
        "file_size",
        "total_count",
        "unknown_count",
        "median_score",
        "dimensions",
        "column_mapping",
        "unknown_values",
        "dimension_summaries",
        "library_versions",
    ]
    from django.core.exceptions import ValidationError

    # The rules that span two fields are named by the field to correct, before the
    # database constraints (which would only say "__all__") are checked.
    if audit.data_source == DataSource.TEST and not audit.test_data_explanation:
        raise InvalidInput(
            "Test data needs an explanation of why historical data was insufficient and how "
            "the test data was generated (LL144 §5-302).",
            fields={"test_data_explanation": "required for test data"},
        )
    start, end = audit.data_period_start, audit.data_period_end
    if start and end and start > end:
        raise InvalidInput(
            "The data period must start before it ends.",
            fields={"data_period_end": "before the start of the period"},
        )
    try:
        audit.full_clean(exclude=computed)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise InvalidInput(str(first), fields=fields) from exc
    _check_dates(audit)


def _check_choices(
    inputs: Sequence[analysis.DimensionInput],
    total: int,
    exclusions: Sequence[Exclusion],
    privileged: Mapping[str, str],
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Exclusions and privileged groups refer to real categories; exclusions follow §5-301(d)."""
    known = {d.dimension: {c: n for c, n, _ in d.counts} for d in inputs}
    by_dimension: dict[str, dict[str, str]] = {}
    for item in exclusions:
        categories = known.get(item.dimension)
        if categories is None or item.category not in categories:
            raise InvalidInput(
                f"There is no category {item.category!r} in {item.dimension!r}.",
                fields={"exclusions": f"unknown category {item.dimension}: {item.category}"},
            )
        if not (item.justification or "").strip():
            raise InvalidInput(
                f"Excluding {item.category!r} needs the auditor's justification.",
                fields={"exclusions": f"{item.dimension}: {item.category}: justification required"},
            )
        n = categories[item.category]
        if not 50 * n < total:
            raise InvalidInput(
                f"{item.category!r} holds {n} of {total} people (2 % or more): only a category "
                "under 2 % of the audit data may be excluded.",
                fields={"exclusions": f"{item.dimension}: {item.category}: not under 2 %"},
            )
        by_dimension.setdefault(item.dimension, {})[item.category] = item.justification.strip()
    for dimension, chosen in by_dimension.items():
        remaining = [c for c, n in known[dimension].items() if c not in chosen and n > 0]
        if len(remaining) < 2:
            raise InvalidInput(
                f"At least two categories of {dimension!r} must stay in the calculation.",
                fields={"exclusions": f"{dimension}: too many exclusions"},
            )
    for dimension, category in privileged.items():
        if category not in known.get(dimension, {}):
            raise InvalidInput(
                f"There is no category {category!r} in {dimension!r} to use as privileged group.",
                fields={"privileged_groups": f"unknown category {dimension}: {category}"},
            )
    return by_dimension, dict(privileged)


def complete_mapping(
    mapping: ColumnMapping | None, header: Sequence[str], audit_type: str, data_format: str
) -> ColumnMapping:
    """The columns the uploader chose, with anything left open guessed from the header."""
    guess = engine.guess_mapping(header, audit_type, data_format)
    given = mapping or ColumnMapping(dimensions=())
    needed = engine.required_roles(audit_type, data_format)
    roles = {role: given.roles.get(role) or guess.roles.get(role, "") for role in needed}
    return ColumnMapping(
        dimensions=tuple(dict.fromkeys(given.dimensions)) or guess.dimensions,
        roles={role: column for role, column in roles.items() if column},
    )


def _result_rows(audit: BiasAudit, figures: Sequence[CategoryFigures]) -> list[BiasAuditResult]:
    return [
        BiasAuditResult(audit=audit, **{name: getattr(f, name) for name in RESULT_FIELDS})
        for f in figures
    ]


def bias_audit_create(
    *,
    actor: Any,
    file: File,
    audit_type: str,
    data_format: str,
    mapping: ColumnMapping | None = None,
    auditor_name: str,
    auditor_organisation: str,
    data_source: str,
    data_description: str,
    data_period_start: dt.date,
    data_period_end: dt.date,
    distribution_date: dt.date,
    deployment: Deployment | None = None,
    model_version: ModelVersion | None = None,
    attests_not_involved: bool = False,
    attests_no_employment: bool = False,
    attests_no_financial_interest: bool = False,
    test_data_explanation: str = "",
    audit_date: dt.date | None = None,
    next_due_date: dt.date | None = None,
    privileged_groups: Mapping[str, str] | None = None,
    exclusions: Sequence[Exclusion] = (),
    supersedes: BiasAudit | None = None,
) -> BiasAudit:
    """Record a draft bias audit computed from an uploaded CSV.

    Everything is checked before anything is stored: the typed-in facts, the file (size,
    encoding, header), the column mapping (parts left open are guessed from the header
    names) and every row. A refusal raises `InvalidInput`
    naming the field, or the line and column of the file, and leaves no trace.
    """
    deployment, version = _target(deployment, model_version)
    audit_date = audit_date or timezone.localdate()
    audit = BiasAudit(
        deployment=deployment,
        model_version=version,
        audit_type=audit_type,
        data_format=data_format,
        auditor_name=(auditor_name or "").strip(),
        auditor_organisation=(auditor_organisation or "").strip(),
        attests_not_involved=attests_not_involved,
        attests_no_employment=attests_no_employment,
        attests_no_financial_interest=attests_no_financial_interest,
        data_source=data_source,
        data_description=(data_description or "").strip(),
        test_data_explanation=(test_data_explanation or "").strip(),
        data_period_start=data_period_start,
        data_period_end=data_period_end,
        distribution_date=distribution_date,
        audit_date=audit_date,
        next_due_date=next_due_date or valid_until(audit_date),
        supersedes=supersedes,
        created_by=actor,
    )
    _metadata_errors(audit)
    _check_supersedes(audit, supersedes)
    engine.required_roles(audit_type, data_format)
    facts = engine.inspect_file(file, max_bytes=settings.BIAS_UPLOAD_MAX_BYTES)
    mapping = complete_mapping(mapping, facts.header, audit_type, data_format)
    engine.check_mapping(mapping, facts.header, audit_type, data_format)
    source = file.temporary_file_path() if hasattr(file, "temporary_file_path") else file
    from audits.bias import counting  # pyarrow loads only where a file is counted

    counts = counting.count_file(
        source, mapping=mapping, audit_type=audit_type, data_format=data_format
    )
    inputs = analysis.inputs_from_counts(counts)
    excluded, privileged = _check_choices(inputs, counts.total, exclusions, privileged_groups or {})
    figures, summaries = analysis.analyse(
        inputs,
        total=counts.total,
        exclusions=excluded,
        privileged=privileged,
        classification=audit_type == AuditType.CLASSIFICATION,
    )
    audit.dimensions = list(mapping.dimensions)
    audit.column_mapping = mapping.as_dict()
    audit.unknown_values = list(engine.DEFAULT_UNKNOWN_VALUES)
    audit.privileged_groups = privileged
    audit.file_name = (getattr(file, "name", "") or "data.csv").rsplit("/", 1)[-1][:255]
    audit.file_sha256 = facts.sha256
    audit.file_size = facts.size
    audit.total_count = counts.total
    audit.unknown_count = counts.unknown_count
    audit.median_score = counts.median_score
    audit.dimension_summaries = summaries
    audit.library_versions = analysis.library_versions()

    stored = ""
    try:
        with transaction.atomic():
            file.seek(0)
            audit.data_file.save("data.csv", file, save=False)
            stored = audit.data_file.name
            validated_save(audit)
            BiasAuditResult.objects.bulk_create(_result_rows(audit, figures))
            ledger_append(
                actor=actor,
                action="bias_audit.created",
                subject=audit,
                deployment_id=audit.deployment_id,
                data=_created_event(audit),
            )
    except BaseException:
        # Nothing half-saved: the rows rolled back, and the stored file goes with them.
        if stored:
            audit.data_file.storage.delete(stored)
        raise
    return audit


def _created_event(audit: BiasAudit) -> dict[str, Any]:
    return {
        "audit_type": audit.audit_type,
        "data_format": audit.data_format,
        "model_version": str(audit.model_version_id),
        "file_name": audit.file_name,
        "file_sha256": audit.file_sha256,
        "file_size": audit.file_size,
        "column_mapping": audit.column_mapping,
        "total_count": audit.total_count,
        "unknown_count": audit.unknown_count,
        "median_score": audit.median_score,
        "independent": audit.is_independent,
        "supersedes": str(audit.supersedes_id) if audit.supersedes_id else None,
        "library_versions": audit.library_versions,
    }


# --- Draft changes ----------------------------------------------------------------------


def _locked_draft(audit: BiasAudit, doing: str) -> BiasAudit:
    locked = BiasAudit.objects.select_for_update().select_related("model_version").get(pk=audit.pk)
    if locked.status != AuditStatus.DRAFT:
        raise Conflict(
            f"This audit is final and cannot be {doing}: a correction is a new audit that "
            "supersedes it.",
            fields={"status": locked.status},
        )
    return locked


def bias_audit_update(*, audit: BiasAudit, actor: Any, fields: Mapping[str, Any]) -> BiasAudit:
    """Change the typed-in facts of a draft (auditor, attestations, data description, dates)."""
    with transaction.atomic():
        locked = _locked_draft(audit, "changed")
        before = snapshot(locked, EDITABLE_FIELDS)
        cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
        if not apply_changes(locked, cleaned, editable=EDITABLE_FIELDS):
            return locked
        _metadata_errors(locked)
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="bias_audit.updated",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"changes": changes(before, snapshot(locked, EDITABLE_FIELDS))},
        )
    return locked


def _reevaluate(
    locked: BiasAudit, exclusions: Sequence[Exclusion], privileged: Mapping[str, str]
) -> None:
    results = list(locked.results.all())
    inputs = analysis.inputs_from_stored(results, locked.dimension_summaries)
    excluded, privileged = _check_choices(inputs, locked.total_count, exclusions, privileged)
    figures, summaries = analysis.analyse(
        inputs,
        total=locked.total_count,
        exclusions=excluded,
        privileged=privileged,
        classification=locked.audit_type == AuditType.CLASSIFICATION,
    )
    by_key = {(r.dimension, r.category): r for r in results}
    changed = []
    for figure in figures:
        row = by_key[(figure.dimension, figure.category)]
        for name in RESULT_FIELDS:
            setattr(row, name, getattr(figure, name))
        changed.append(row)
    # Clear the reference flags first so the one-reference-per-dimension constraint holds
    # at every statement while the reference moves to another category.
    locked.results.filter(is_reference=True).update(is_reference=False)
    BiasAuditResult.objects.bulk_update(
        changed, [f for f in RESULT_FIELDS if f not in ("n", "selected")]
    )
    locked.privileged_groups = privileged
    locked.dimension_summaries = summaries
    locked.save(update_fields=["privileged_groups", "dimension_summaries", "updated_at"])


def current_exclusions(audit: BiasAudit) -> list[Exclusion]:
    return [
        Exclusion(r.dimension, r.category, r.exclusion_justification)
        for r in audit.results.filter(excluded=True).order_by("dimension", "position")
    ]


def bias_audit_set_exclusions(
    *,
    audit: BiasAudit,
    actor: Any,
    exclusions: Sequence[Exclusion],
    privileged_groups: Mapping[str, str] | None = None,
) -> BiasAudit:
    """Choose which categories under 2 % are left out of the impact ratios (§5-301(d)).

    The list replaces the previous choice, so an exclusion is withdrawn by leaving it out.
    Excluded categories stay listed with their counts, rates and the justification; the
    reference is then the highest rate among the categories still included.
    `privileged_groups`, when given, replaces the groups used for disparate impact.
    """
    with transaction.atomic():
        locked = _locked_draft(audit, "changed")
        before = [e.__dict__ for e in current_exclusions(locked)]
        privileged = (
            locked.privileged_groups if privileged_groups is None else dict(privileged_groups)
        )
        _reevaluate(locked, exclusions, privileged)
        ledger_append(
            actor=actor,
            action="bias_audit.exclusions_set",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "before": before,
                "after": [e.__dict__ for e in current_exclusions(locked)],
                "privileged_groups": locked.privileged_groups,
            },
        )
    return locked


def bias_audit_finalize(*, audit: BiasAudit, actor: Any) -> BiasAudit:
    """Make a draft final: from now on it is immutable evidence, and may satisfy the gate.

    The ledger event carries the file's SHA-256 and a digest of every stored figure, so a
    later change to either is detectable.
    """
    with transaction.atomic():
        locked = BiasAudit.objects.select_for_update().get(pk=audit.pk)
        if (locked.status, AuditStatus.FINAL) not in ALLOWED_TRANSITIONS:
            raise TransitionNotAllowed(
                f"A bias audit cannot go from {locked.status} to final.",
                fields={"status": locked.status},
            )
        _metadata_errors(locked)
        _check_supersedes(locked, locked.supersedes)
        locked.status = AuditStatus.FINAL
        locked.finalised_at = timezone.now()
        locked.finalised_by = actor
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="bias_audit.finalised",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "file_sha256": locked.file_sha256,
                "results_sha256": results_digest(locked),
                "audit_date": locked.audit_date,
                "next_due_date": locked.next_due_date,
                "independent": locked.is_independent,
                "supersedes": str(locked.supersedes_id) if locked.supersedes_id else None,
                "flagged": [
                    f"{r.dimension}: {r.category}" for r in locked.results.filter(flagged=True)
                ],
            },
        )
        # Each failing category becomes a finding, committed with the finalisation.
        raise_findings_for(locked, actor=actor)
    return locked


def bias_audit_discard(*, audit: BiasAudit, actor: Any, reason: str = "") -> None:
    """Delete a draft with its results and stored file; a final audit is never deleted."""
    with transaction.atomic():
        locked = _locked_draft(audit, "deleted")
        name, storage = locked.data_file.name, locked.data_file.storage
        data = {
            "file_sha256": locked.file_sha256,
            "audit_type": locked.audit_type,
            "reason": reason,
        }
        deployment_id, pk = locked.deployment_id, locked.pk
        locked.results.all().delete()
        locked.delete()
        locked.pk = pk
        ledger_append(
            actor=actor,
            action="bias_audit.discarded",
            subject=locked,
            deployment_id=deployment_id,
            data=data,
        )
        transaction.on_commit(lambda: storage.delete(name))


def recompute(audit: BiasAudit) -> tuple[list[CategoryFigures], list[dict[str, Any]]]:
    """Compute the audit again from its stored file, mapping and choices (nothing is saved).

    Used to show that stored figures are exactly what the file gives.
    """
    from audits.bias import counting  # pyarrow loads only where a file is counted

    mapping = ColumnMapping.from_dict(audit.column_mapping)
    with audit.data_file.open("rb") as stream:
        counts = counting.count_file(
            stream,
            mapping=mapping,
            audit_type=audit.audit_type,
            data_format=audit.data_format,
            unknown_values=audit.unknown_values,
        )
    inputs = analysis.inputs_from_counts(counts)
    exclusions = current_exclusions(audit)
    excluded, privileged = _check_choices(inputs, counts.total, exclusions, audit.privileged_groups)
    return analysis.analyse(
        inputs,
        total=counts.total,
        exclusions=excluded,
        privileged=privileged,
        classification=audit.audit_type == AuditType.CLASSIFICATION,
    )
