"""Draft → final: exclusions, edits, finalisation, immutability, recomputation, supersession."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from audits.bias import selectors, services
from audits.bias.models import BiasAudit, BiasAuditResult
from audits.bias.services import Exclusion
from governance.core.errors import Conflict, InvalidInput
from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import csv_bytes, grouped_rows

pytestmark = pytest.mark.django_db

# 1,000 people; "Pacific Islander" (15) is under 2 % and has the highest rate.
SMALL_GROUP_CSV = csv_bytes(
    "sex,race_ethnicity,selected",
    grouped_rows(
        {
            ("Female", "White"): (300, 90),
            ("Male", "White"): (300, 105),
            ("Female", "Black"): (190, 57),
            ("Male", "Black"): (195, 39),
            ("Female", "Pacific Islander"): (8, 7),
            ("Male", "Pacific Islander"): (7, 6),
        }
    ),
)


@pytest.fixture
def actor() -> Any:
    return user_with_roles("compliance_officer")


def _row(audit: BiasAudit, dimension: str, category: str) -> BiasAuditResult:
    return audit.results.get(dimension=dimension, category=category)


def test_small_category_is_eligible_and_once_excluded_is_not_the_reference(actor: Any) -> None:
    audit = BiasAuditFactory(csv=SMALL_GROUP_CSV, actor=actor)
    small = _row(audit, "race_ethnicity", "Pacific Islander")
    assert small.below_two_percent and small.is_reference and not small.excluded
    assert _row(audit, "race_ethnicity", "White").impact_ratio == pytest.approx(0.325 / (13 / 15))

    services.bias_audit_set_exclusions(
        audit=audit,
        actor=actor,
        exclusions=[Exclusion("race_ethnicity", "Pacific Islander", "15 people: rate unreliable.")],
    )
    small.refresh_from_db()
    assert small.excluded and not small.is_reference and small.impact_ratio is None
    assert small.n == 15 and small.selected == 13 and small.rate == pytest.approx(13 / 15)
    white = _row(audit, "race_ethnicity", "White")
    assert white.is_reference and white.impact_ratio == 1.0
    black = _row(audit, "race_ethnicity", "Black")
    assert black.impact_ratio == pytest.approx((96 / 385) / 0.325)
    assert black.flagged  # 0.767 < 0.80 once the reference is White
    event = LedgerEvent.objects.get(action="bias_audit.exclusions_set")
    assert event.payload["after"][0]["category"] == "Pacific Islander"
    assert event.deployment_id == str(audit.deployment_id)
    audit.refresh_from_db()
    race = audit.dimension_summaries[1]
    assert race["reference"] == "White" and race["excluded"] == 1


def test_exclusions_need_a_justification_and_a_category_under_two_percent(actor: Any) -> None:
    audit = BiasAuditFactory(csv=SMALL_GROUP_CSV, actor=actor)
    with pytest.raises(InvalidInput, match="justification"):
        services.bias_audit_set_exclusions(
            audit=audit,
            actor=actor,
            exclusions=[Exclusion("race_ethnicity", "Pacific Islander", " ")],
        )
    with pytest.raises(InvalidInput, match="under 2 %"):
        services.bias_audit_set_exclusions(
            audit=audit, actor=actor, exclusions=[Exclusion("race_ethnicity", "Black", "why")]
        )
    with pytest.raises(InvalidInput, match="no category"):
        services.bias_audit_set_exclusions(
            audit=audit, actor=actor, exclusions=[Exclusion("race_ethnicity", "Martian", "why")]
        )
    assert not audit.results.filter(excluded=True).exists()


def test_an_exclusion_is_withdrawn_by_leaving_it_out(actor: Any) -> None:
    audit = BiasAuditFactory(csv=SMALL_GROUP_CSV, actor=actor)
    keep = [Exclusion("race_ethnicity", "Pacific Islander", "small")]
    services.bias_audit_set_exclusions(audit=audit, actor=actor, exclusions=keep)
    services.bias_audit_set_exclusions(audit=audit, actor=actor, exclusions=[])
    assert _row(audit, "race_ethnicity", "Pacific Islander").is_reference


def test_privileged_group_gives_disparate_impact(actor: Any) -> None:
    audit = BiasAuditFactory(csv=SMALL_GROUP_CSV, actor=actor)
    services.bias_audit_set_exclusions(
        audit=audit, actor=actor, exclusions=[], privileged_groups={"sex": "Male"}
    )
    audit.refresh_from_db()
    metrics = audit.dimension_summaries[0]["metrics"]
    assert metrics["privileged"] == "Male"
    assert metrics["disparate_impact"] == pytest.approx((154 / 498) / (150 / 502))


def test_finalising_is_ledgered_with_the_file_and_results_digests(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor)
    final = services.bias_audit_finalize(audit=audit, actor=actor)
    assert final.status == "final" and final.finalised_by == actor and final.finalised_at
    event = LedgerEvent.objects.get(action="bias_audit.finalised")
    assert event.payload["file_sha256"] == audit.file_sha256
    assert event.payload["results_sha256"] == services.results_digest(final)
    assert event.payload["independent"] is True
    assert event.deployment_id == str(audit.deployment_id)


def test_final_audits_refuse_every_change_through_services(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor, finalize=True)
    with pytest.raises(Conflict):
        services.bias_audit_update(audit=audit, actor=actor, fields={"auditor_name": "X"})
    with pytest.raises(Conflict):
        services.bias_audit_set_exclusions(audit=audit, actor=actor, exclusions=[])
    with pytest.raises(Conflict):
        services.bias_audit_discard(audit=audit, actor=actor)
    with pytest.raises(Conflict):
        services.bias_audit_finalize(audit=audit, actor=actor)


def test_final_audits_refuse_every_change_through_the_orm(actor: Any) -> None:
    audit = BiasAudit.objects.get(pk=BiasAuditFactory(actor=actor, finalize=True).pk)
    audit.auditor_name = "Someone else"
    with pytest.raises(ImmutableRecordError):
        audit.save()
    with pytest.raises(ImmutableRecordError):
        audit.delete()
    with pytest.raises(ImmutableRecordError):
        BiasAudit.objects.filter(pk=audit.pk).update(auditor_name="x")
    with pytest.raises(ImmutableRecordError):
        BiasAudit.objects.filter(pk=audit.pk).delete()
    row = audit.results.first()
    assert row is not None
    row.selected = 0
    with pytest.raises(ImmutableRecordError):
        row.save()
    with pytest.raises(ImmutableRecordError):
        row.delete()
    with pytest.raises(ImmutableRecordError):
        BiasAuditResult.objects.filter(audit=audit).update(flagged=True)
    with pytest.raises(ImmutableRecordError):
        BiasAuditResult.objects.filter(audit=audit).delete()
    assert BiasAudit.objects.get(pk=audit.pk).auditor_name != "Someone else"


def test_recomputing_a_final_audit_from_its_stored_file_gives_identical_numbers(
    actor: Any,
) -> None:
    audit = BiasAuditFactory(csv=SMALL_GROUP_CSV, actor=actor)
    services.bias_audit_set_exclusions(
        audit=audit,
        actor=actor,
        exclusions=[Exclusion("race_ethnicity", "Pacific Islander", "small")],
        privileged_groups={"sex": "Male"},
    )
    services.bias_audit_finalize(audit=audit, actor=actor)
    stored = BiasAudit.objects.get(pk=audit.pk)
    figures, summaries = services.recompute(stored)
    rows = {(r.dimension, r.category): r for r in stored.results.all()}
    assert len(figures) == len(rows)
    for figure in figures:
        row = rows[(figure.dimension, figure.category)]
        for name in services.RESULT_FIELDS:
            assert getattr(row, name) == getattr(figure, name), (figure.category, name)
    assert summaries == stored.dimension_summaries
    assert selectors.recomputation_check(stored)["identical"] is True


def test_recomputation_check_notices_a_changed_file(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor)
    with audit.data_file.open("wb") as stream:
        stream.write(SMALL_GROUP_CSV)
    check = selectors.recomputation_check(BiasAudit.objects.get(pk=audit.pk))
    assert check["identical"] is False and check["file_sha256_matches"] is False
    assert check["differences"]


def test_draft_details_can_be_edited_and_are_ledgered(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor, attests_no_financial_interest=False)
    assert not audit.is_independent
    updated = services.bias_audit_update(
        audit=audit,
        actor=actor,
        fields={"attests_no_financial_interest": True, "auditor_name": "  Jordan Reyes-Li "},
    )
    assert updated.is_independent and updated.auditor_name == "Jordan Reyes-Li"
    event = LedgerEvent.objects.get(action="bias_audit.updated")
    assert event.payload["changes"]["attests_no_financial_interest"] == {
        "before": False,
        "after": True,
    }
    with pytest.raises(InvalidInput):
        services.bias_audit_update(audit=audit, actor=actor, fields={"audit_type": "scoring"})


def test_discarding_a_draft_removes_rows_and_file(
    actor: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from pathlib import Path

    audit = BiasAuditFactory(actor=actor)
    path = Path(settings.MEDIA_ROOT) / audit.data_file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.bias_audit_discard(audit=audit, actor=actor, reason="wrong file")
    assert not path.exists()
    assert not BiasAudit.objects.filter(pk=audit.pk).exists()
    assert not BiasAuditResult.objects.filter(audit_id=audit.pk).exists()
    event = LedgerEvent.objects.get(action="bias_audit.discarded")
    assert event.subject_id == str(audit.pk) and event.payload["reason"] == "wrong file"


def test_a_correction_supersedes_a_final_audit(actor: Any) -> None:
    deployment = DeploymentFactory()
    first = BiasAuditFactory(actor=actor, deployment=deployment, finalize=True)
    with pytest.raises(InvalidInput, match="same deployment"):
        BiasAuditFactory(actor=actor, supersedes=first)
    second = BiasAuditFactory(actor=actor, deployment=deployment, supersedes=first)
    services.bias_audit_finalize(audit=second, actor=actor)
    with pytest.raises(InvalidInput, match="already been superseded"):
        BiasAuditFactory(actor=actor, deployment=deployment, supersedes=first)
    draft = BiasAuditFactory(actor=actor, deployment=deployment)
    with pytest.raises(InvalidInput, match="Only a final audit"):
        BiasAuditFactory(actor=actor, deployment=deployment, supersedes=draft)


def test_internal_audit_is_marked_and_recorded(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor, attests_not_involved=False, finalize=True)
    assert not audit.is_independent
    assert [given for _, given in audit.independence] == [False, True, True]
    assert LedgerEvent.objects.get(action="bias_audit.finalised").payload["independent"] is False


def test_model_version_audits_cover_every_deployment_of_that_version(actor: Any) -> None:
    deployment = DeploymentFactory()
    audit = BiasAuditFactory(actor=actor, deployment=None, model_version=deployment.model_version)
    assert audit.deployment is None
    assert list(selectors.audits_for_deployment(actor, deployment)) == [audit]
    other = DeploymentFactory()
    with pytest.raises(InvalidInput, match="model version is not"):
        BiasAuditFactory(actor=actor, deployment=other, model_version=deployment.model_version)


def test_next_due_defaults_to_one_year_after_the_audit(actor: Any) -> None:
    audit = BiasAuditFactory(actor=actor, audit_date=dt.date(2025, 3, 10))
    assert audit.next_due_date == dt.date(2026, 3, 10)
