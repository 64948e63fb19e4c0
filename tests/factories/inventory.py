from __future__ import annotations

import hashlib

import factory

from governance.inventory.fingerprint import compute_fingerprint
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion
from tests.factories.accounts import UserFactory


class AISystemFactory(factory.django.DjangoModelFactory[AISystem]):
    class Meta:
        model = AISystem

    name = factory.Sequence(lambda n: f"AI system {n}")
    purpose = "Rank things for people to review."
    business_unit = "Operations"
    created_by = factory.SubFactory(UserFactory)


class DatasetFactory(factory.django.DjangoModelFactory[Dataset]):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"Dataset {n}")
    source = "Internal warehouse"
    collection_purpose = "Operations"
    legal_basis = "contract"
    created_by = factory.SubFactory(UserFactory)


class ModelVersionFactory(factory.django.DjangoModelFactory[ModelVersion]):
    class Meta:
        model = ModelVersion

    system = factory.SubFactory(AISystemFactory)
    version_label = factory.Sequence(lambda n: f"1.{n}")
    artifact_uri = factory.LazyAttribute(lambda v: f"s3://models/{v.version_label}/model.bin")
    artifact_sha256 = factory.Sequence(
        lambda n: hashlib.sha256(f"artifact-{n}".encode()).hexdigest()
    )
    created_by = factory.SubFactory(UserFactory)


class DeploymentFactory(factory.django.DjangoModelFactory[Deployment]):
    """A deployment row with a correct fingerprint (no ledger event: use services for that)."""

    class Meta:
        model = Deployment

    model_version = factory.SubFactory(ModelVersionFactory)
    environment = factory.Sequence(lambda n: f"prod-{n}")
    hosting = "cloud"
    region = "eu-west-1"
    rollout_pattern = "full"
    traffic_percent = None
    created_by = factory.SubFactory(UserFactory)
    fingerprint = factory.LazyAttribute(lambda d: compute_fingerprint(d))
