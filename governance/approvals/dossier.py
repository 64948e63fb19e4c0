"""What an approval covers: the dossier and its hash.

The dossier is canonical JSON of the deployment's material fingerprint, the risk assessment
(id and tier), the accountable owner, and the ids of the other evidence current at the time
(rooms add theirs through `register_dossier_evidence`, e.g. the bias-audit room its latest
final audit). Signers sign the dossier's hash; the gate recomputes the dossier and opens
only while an approval covers exactly that hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from governance.core.canonical import canonical_sha256

EvidenceSource = Callable[[Any, Any], Any]
# Given the id a dossier holds, what the signers read: {"summary": words, "url": page,
# "template": the include showing it in full, and whatever that template reads}, or None.
EvidenceDisplay = Callable[[Any], "dict[str, Any] | None"]

_evidence: dict[str, EvidenceSource] = {}
_displays: dict[str, EvidenceDisplay] = {}


def register_dossier_evidence(name: str) -> Callable[[EvidenceSource], EvidenceSource]:
    """Register a function returning the id(s) of a kind of evidence current for a deployment."""

    def decorator(source: EvidenceSource) -> EvidenceSource:
        _evidence[name] = source
        return source

    return decorator


def register_dossier_display(name: str) -> Callable[[EvidenceDisplay], EvidenceDisplay]:
    """Register how the evidence a dossier names is shown to signers, in words."""

    def decorator(display: EvidenceDisplay) -> EvidenceDisplay:
        _displays[name] = display
        return display

    return decorator


def evidence_display(name: str, value: Any) -> dict[str, Any] | None:
    display = _displays.get(name)
    return display(value) if display is not None and value else None


def build_dossier(
    deployment: Any, *, assessment: Any, owner: Any, facts: Any = None
) -> dict[str, Any]:
    evidence = {name: source(deployment, facts) for name, source in sorted(_evidence.items())}
    evidence["accountable_owner"] = str(owner.pk) if owner is not None else None
    return {
        "deployment": str(deployment.pk),
        "fingerprint": deployment.fingerprint,
        "assessment": str(assessment.pk) if assessment is not None else None,
        "tier": assessment.tier if assessment is not None else None,
        "evidence": evidence,
    }


def dossier_hash(dossier: dict[str, Any]) -> str:
    return canonical_sha256(dossier)


LABELS = {
    "fingerprint": "the deployment's material configuration",
    "assessment": "the risk assessment",
    "tier": "the risk tier",
    "accountable_owner": "the accountable owner",
    "bias_audit": "the bias audit",
}


def dossier_differences(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two dossiers, item by item, in plain words."""
    rows = []
    flat_old = {**{k: v for k, v in old.items() if k != "evidence"}, **old.get("evidence", {})}
    flat_new = {**{k: v for k, v in new.items() if k != "evidence"}, **new.get("evidence", {})}
    for key in sorted(set(flat_old) | set(flat_new)):
        if key == "deployment" or flat_old.get(key) == flat_new.get(key):
            continue
        rows.append(
            {
                "item": key,
                "label": LABELS.get(key, key.replace("_", " ")),
                "before": flat_old.get(key),
                "after": flat_new.get(key),
            }
        )
    return rows
