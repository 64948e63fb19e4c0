from __future__ import annotations

import pytest

from governance.core.canonical import canonical_sha256
from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.inventory import services
from governance.inventory.models import Deployment
from governance.inventory.signals import deployment_material_change
from governance.ledger.models import LedgerEvent
from tests.factories import AISystemFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_guards(monkeypatch):  # type: ignore[no-untyped-def]
    """The lifecycle machine alone, without the conditions other rooms add to its steps."""
    from governance.inventory import transitions

    monkeypatch.setattr(transitions, "_guards", [])


@pytest.fixture
def version(requester):  # type: ignore[no-untyped-def]
    return ModelVersionFactory(created_by=requester)


def _deploy(version, requester, **fields):  # type: ignore[no-untyped-def]
    defaults = {
        "environment": "prod-eu",
        "hosting": "cloud",
        "region": "eu-west-1",
        "rollout_pattern": "canary",
        "traffic_percent": 5,
    }
    defaults.update(fields)
    return services.deployment_create(actor=requester, model_version=version, **defaults)


def test_fingerprint_is_sha256_of_canonical_material_fields(version, requester) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    expected = canonical_sha256(
        {
            "artifact_sha256": version.artifact_sha256,
            "environment": "prod-eu",
            "hosting": "cloud",
            "region": "eu-west-1",
            "rollout_pattern": "canary",
            "traffic_percent": 5,
        }
    )
    assert deployment.fingerprint == expected
    event = LedgerEvent.objects.get(action="deployment.created")
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["fingerprint"] == expected


def test_material_change_gives_new_fingerprint_and_signals(version, requester) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    seen = []

    def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs)

    deployment_material_change.connect(receiver)
    try:
        updated = services.deployment_update(
            deployment=deployment, actor=requester, fields={"traffic_percent": 25}
        )
    finally:
        deployment_material_change.disconnect(receiver)
    assert updated.fingerprint != deployment.fingerprint
    assert seen and seen[0]["before"] == deployment.fingerprint
    event = LedgerEvent.objects.filter(action="deployment.updated").get()
    assert event.payload["changes"]["traffic_percent"] == {"before": 5, "after": 25}


def test_non_material_change_keeps_fingerprint(version, requester) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    updated = services.deployment_update(
        deployment=deployment, actor=requester, fields={"description": "notes"}
    )
    assert updated.fingerprint == deployment.fingerprint


def test_canary_without_traffic_is_refused_and_nothing_is_saved(version, requester) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        _deploy(version, requester, traffic_percent=None)
    assert "traffic_percent" in error.value.fields
    assert not Deployment.objects.exists()
    assert not LedgerEvent.objects.filter(action="deployment.created").exists()


def test_second_live_deployment_of_a_version_in_one_environment_is_refused(
    version, requester
) -> None:  # type: ignore[no-untyped-def]
    _deploy(version, requester)
    with pytest.raises(InvalidInput, match="already has a deployment"):
        _deploy(version, requester)


def test_nobody_can_set_approved_by_hand(version, requester) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    with pytest.raises(TransitionNotAllowed, match="cannot go from draft to active"):
        services.deployment_transition(deployment=deployment, to_status="active", actor=requester)
    with pytest.raises(TransitionNotAllowed, match="only through the approval workflow"):
        services.deployment_transition(
            deployment=deployment, to_status="in_review", actor=requester
        )


def test_workflow_transitions_are_ledgered_with_reason(version, requester, no_guards) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    for status in ("in_review", "approved", "active", "suspended", "retired"):
        deployment = services.deployment_transition(
            deployment=deployment,
            to_status=status,
            actor=requester,
            reason=f"to {status}",
            workflow=True,
        )
    assert deployment.status == "retired"
    events = LedgerEvent.objects.filter(action="deployment.transitioned").order_by("seq")
    assert [e.payload["to"] for e in events] == [
        "in_review",
        "approved",
        "active",
        "suspended",
        "retired",
    ]
    assert events.last().payload["reason"] == "to retired"  # type: ignore[union-attr]


def test_live_deployment_cannot_change_material_configuration(
    version, requester, no_guards
) -> None:  # type: ignore[no-untyped-def]
    deployment = _deploy(version, requester)
    for status in ("in_review", "approved", "active"):
        deployment = services.deployment_transition(
            deployment=deployment, to_status=status, actor=requester, workflow=True
        )
    with pytest.raises(Conflict, match="cannot change"):
        services.deployment_update(
            deployment=deployment, actor=requester, fields={"region": "eu-central-1"}
        )


def test_rollback_target_must_be_an_earlier_deployment_of_the_same_system(requester) -> None:  # type: ignore[no-untyped-def]
    first = _deploy(ModelVersionFactory(), requester)
    other_system = ModelVersionFactory(system=AISystemFactory())
    with pytest.raises(InvalidInput, match="same AI system"):
        _deploy(other_system, requester, environment="prod-x", rollback_target=first)


def test_model_version_artifact_cannot_change(requester) -> None:  # type: ignore[no-untyped-def]
    version = services.model_version_create(
        actor=requester,
        system=AISystemFactory(),
        version_label="1.0",
        artifact_uri="s3://m/1",
        artifact_sha256="A" * 64,
        evaluation_metrics={"auc": 0.9},
    )
    assert version.artifact_sha256 == "a" * 64
    with pytest.raises(InvalidInput, match="cannot be changed"):
        services.model_version_update(
            version=version, actor=requester, fields={"artifact_sha256": "b" * 64}
        )


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "a" * 63, "a" * 65])
def test_artifact_hash_must_be_64_hex(requester, bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        services.model_version_create(
            actor=requester,
            system=AISystemFactory(),
            version_label="1.0",
            artifact_uri="s3://m/1",
            artifact_sha256=bad,
        )
    assert "artifact_sha256" in error.value.fields


def test_metrics_must_be_finite_numbers(requester) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="finite number"):
        services.model_version_create(
            actor=requester,
            system=AISystemFactory(),
            version_label="1.0",
            artifact_uri="s3://m/1",
            artifact_sha256="a" * 64,
            evaluation_metrics={"auc": float("nan")},
        )
