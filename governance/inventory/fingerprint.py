"""The material fingerprint: what an approval covers, as one SHA-256."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from governance.core.canonical import canonical_sha256

if TYPE_CHECKING:
    from governance.inventory.models import Deployment

MATERIAL_FIELDS = ("environment", "hosting", "region", "rollout_pattern", "traffic_percent")


def material_configuration(deployment: Deployment) -> dict[str, Any]:
    config: dict[str, Any] = {name: getattr(deployment, name) for name in MATERIAL_FIELDS}
    config["artifact_sha256"] = deployment.model_version.artifact_sha256
    return config


def compute_fingerprint(deployment: Deployment) -> str:
    return canonical_sha256(material_configuration(deployment))
