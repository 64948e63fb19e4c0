from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audits.reports.devcert import create_development_pair
from audits.reports.signing import DEV_CERT_NAME, DEV_KEY_NAME
from governance.accounts.roles import Role
from governance.inventory import services as inventory
from governance.inventory.models import Deployment
from tests.audits.reports.workers import worker_environment
from tests.factories import user_with_roles


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory: Any) -> Path:
    return create_development_pair(tmp_path_factory.mktemp("signing"), "Acme Lending Ltd")


@pytest.fixture(autouse=True)
def _signing_key(settings: Any, signing_dir: Path) -> None:
    settings.REPORT_SIGNING_KEY = str(signing_dir / DEV_KEY_NAME)
    settings.REPORT_SIGNING_CERT = str(signing_dir / DEV_CERT_NAME)
    settings.REPORT_ORGANISATION = "Acme Lending Ltd"


def make_deployment(
    owner: Any, *, name: str = "Credit limit model", **overrides: Any
) -> Deployment:
    """A deployment registered through the services, so its ledger history is real."""
    system = inventory.ai_system_create(
        actor=owner,
        name=overrides.pop("system_name", name),
        purpose=overrides.pop("purpose", "Suggest a credit limit for new card applicants."),
        business_unit="Retail credit",
        annex_iii_area="essential_services",
        profiles_natural_persons=True,
    )
    dataset = inventory.dataset_create(
        actor=owner,
        name=overrides.pop("dataset_name", f"{name} applications 2019-2024"),
        source="Card applications from the core banking warehouse",
        collection_purpose="Credit decisions",
        personal_data_categories=["financial data", "contact details"],
        legal_basis="contract",
        retention_days=2555,
    )
    version = inventory.model_version_create(
        actor=owner,
        system=system,
        version_label="2.1.0",
        artifact_uri="s3://models/credit-limit/2.1.0/model.onnx",
        artifact_sha256="a" * 64,
        training_datasets=[dataset],
        evaluation_metrics={"auc": 0.81, "ks": 0.42},
        limitations=overrides.pop("limitations", "Not for business accounts."),
    )
    return inventory.deployment_create(
        actor=owner,
        model_version=version,
        environment=overrides.pop("environment", "prod-eu"),
        hosting="cloud",
        region="eu-west-1",
        rollout_pattern="canary",
        traffic_percent=10,
        **overrides,
    )


@pytest.fixture
def owner(db: None) -> Any:
    return user_with_roles(Role.REQUESTER, username="maya", first_name="Maya", last_name="Patel")


@pytest.fixture
def deployment(owner: Any) -> Deployment:
    return make_deployment(owner)


@pytest.fixture
def start_worker(settings: Any, tmp_path: Path, transactional_db: None) -> Iterator[Any]:
    """Start real Celery workers on the test database: `start_worker(concurrency=1)`."""
    with worker_environment(settings, tmp_path) as start:
        yield start


@pytest.fixture
def private_queue(settings: Any, tmp_path: Path, transactional_db: None) -> Iterator[None]:
    """Messages this test publishes go to a queue of its own, which no worker reads."""
    with worker_environment(settings, tmp_path):
        yield
