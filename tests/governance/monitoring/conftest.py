from __future__ import annotations

from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.monitoring.services.plans import monitoring_plan_save, plan_template
from tests.factories import DeploymentFactory, user_with_roles


@pytest.fixture
def engineer(db: None) -> Any:
    return user_with_roles(Role.REQUESTER)


@pytest.fixture
def officer(db: None) -> Any:
    return user_with_roles(Role.COMPLIANCE_OFFICER)


@pytest.fixture
def deployment(db: None) -> Any:
    return DeploymentFactory(status="active")


@pytest.fixture
def plan(deployment: Any, engineer: Any) -> Any:
    return monitoring_plan_save(
        deployment=deployment, owner=engineer, metrics=plan_template("III"), actor=engineer
    )
