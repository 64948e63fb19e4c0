"""Typed factory_boy factories, one module per room; import them from here."""

from tests.factories.accounts import UserFactory, user_with_roles
from tests.factories.bias import BiasAuditFactory
from tests.factories.inventory import (
    AISystemFactory,
    DatasetFactory,
    DeploymentFactory,
    ModelVersionFactory,
)
from tests.factories.liability import (
    AssignmentFactory,
    ContractFactory,
    OwnershipOfferFactory,
    PartyFactory,
    PersonPartyFactory,
    SystemDefaultFactory,
)
from tests.factories.obligations import FrameworkFactory, RequirementFactory, evidence_document
from tests.factories.reports import ExportFactory, ReportFactory
from tests.factories.risk import RiskFactory

__all__ = [
    "AISystemFactory",
    "AssignmentFactory",
    "BiasAuditFactory",
    "ContractFactory",
    "DatasetFactory",
    "DeploymentFactory",
    "ExportFactory",
    "FrameworkFactory",
    "ModelVersionFactory",
    "OwnershipOfferFactory",
    "PartyFactory",
    "PersonPartyFactory",
    "ReportFactory",
    "RequirementFactory",
    "RiskFactory",
    "SystemDefaultFactory",
    "UserFactory",
    "evidence_document",
    "user_with_roles",
]
