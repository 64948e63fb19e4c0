"""How the inventory room's ledger events read, and how its records are named in them."""

from __future__ import annotations

from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion
from governance.ledger.describe import (
    DEPLOYMENT_TYPE,
    queryset_namer,
    register_event_sentences,
    register_subject_namer,
)


def register() -> None:
    register_subject_namer(
        DEPLOYMENT_TYPE,
        queryset_namer(Deployment.objects.select_related("model_version__system")),
    )
    register_subject_namer("inventory.aisystem", queryset_namer(AISystem.objects.all()))
    register_subject_namer("inventory.dataset", queryset_namer(Dataset.objects.all()))
    register_subject_namer(
        "inventory.modelversion", queryset_namer(ModelVersion.objects.select_related("system"))
    )
    register_event_sentences(
        {
            "ai_system.created": "{actor} registered the AI system {subject}",
            "ai_system.updated": "{actor} edited the AI system {subject}",
            "dataset.created": "{actor} registered the dataset {subject}",
            "dataset.updated": "{actor} edited the dataset {subject}",
            "model_version.created": "{actor} registered the model version {subject}",
            "model_version.updated": "{actor} edited the model version {subject}",
            "deployment.created": "{actor} planned the deployment {target}",
            "deployment.updated": "{actor} edited the deployment {target}",
            "deployment.transitioned": "{actor} moved {target} from {from} to {to}",
        }
    )
