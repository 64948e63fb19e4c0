"""Typed factory_boy factories, one module per room; import them from here."""

from tests.factories.accounts import UserFactory, user_with_roles
from tests.factories.inventory import (
    AISystemFactory,
    DatasetFactory,
    DeploymentFactory,
    ModelVersionFactory,
)

__all__ = [
    "AISystemFactory",
    "DatasetFactory",
    "DeploymentFactory",
    "ModelVersionFactory",
    "UserFactory",
    "user_with_roles",
]
