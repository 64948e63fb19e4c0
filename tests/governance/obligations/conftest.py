from __future__ import annotations

from typing import Any

import pytest

from governance.risk.models import Methodology
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.risk import load_shipped


@pytest.fixture
def officer() -> Any:
    return user_with_roles("compliance_officer", first_name="Cora", last_name="Lind")


@pytest.fixture
def auditor() -> Any:
    return user_with_roles("auditor")


@pytest.fixture
def requester() -> Any:
    return user_with_roles("requester")


@pytest.fixture
def deployment(requester: Any) -> Any:
    return DeploymentFactory(created_by=requester)


@pytest.fixture
def impact() -> Methodology:
    return load_shipped()
