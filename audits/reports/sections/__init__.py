"""The registry of report sections, in EU AI Act Annex IV order.

Each room contributes its part of a report as one module here: `sections/<room>.py` builds
that room's part of the evidence snapshot (plain JSON-safe data, read inside the snapshot's
single read transaction) and `templates/reports/sections/<room>.html` renders it from that
data alone, so a report can be re-rendered from its evidence years later.

Builders read through the rooms' selectors with the person who asked for the report as the
viewer (`ctx.viewer`), so a report shows exactly what its requester may read.

A part whose room is not part of the product is listed as a `PendingSection`: the report says
plainly that the product does not record that part, and the evidence lists it under
"not_included". When the room lands, its module replaces the pending entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audits.reports.models import Report
    from governance.inventory.models import Deployment


# Produces an attachment's bytes, in chunks, after the snapshot's transaction has ended, so a
# large attachment is read (and compressed as it arrives) while the pages are laid out. A
# producer may only read records that cannot change any more (ledger events up to the frozen
# head), so it gives the same bytes whenever it runs.
AttachmentProducer = Callable[[], Iterable[bytes]]


@dataclass
class SnapshotContext:
    """What a section builder may read; attachments it adds are embedded in the PDF."""

    report: Report
    deployment: Deployment | None
    head_seq: int
    head_hash: str
    taken_at: dt.datetime
    attachments: dict[str, AttachmentProducer] = field(default_factory=dict)

    @property
    def viewer(self) -> Any:
        """Whose permissions the rooms' selectors apply: the person who asked for the report."""
        return self.report.requested_by


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    annex_iv: tuple[int, ...]
    template: str
    build: Callable[[SnapshotContext], dict[str, Any]]
    # Images (name → bytes) the PDF template loads from /generated/<name>; built from the data.
    images: Callable[[Mapping[str, Any]], dict[str, bytes]] | None = None


@dataclass(frozen=True)
class PendingSection:
    """A part that another room will supply; until then the report says it is not included."""

    key: str
    title: str
    annex_iv: tuple[int, ...]
    room: str
    # A required part makes its report kind unavailable until the room exists.
    required: bool = False


Slot = Section | PendingSection

# EU AI Act Annex IV: the nine sections of the technical documentation.
ANNEX_IV: tuple[tuple[int, str], ...] = (
    (1, "General description of the AI system"),
    (2, "Elements of the AI system and its development process"),
    (3, "Monitoring, functioning and control"),
    (4, "Appropriateness of the performance metrics"),
    (5, "Risk-management system (Art 9)"),
    (6, "Relevant changes over the lifecycle"),
    (7, "Harmonised standards applied or other solutions"),
    (8, "EU declaration of conformity"),
    (9, "Post-market evaluation system (Art 72(3) monitoring plan)"),
)


def _dossier() -> list[Slot]:
    from audits.reports.sections import (
        accountability,
        approvals,
        bias,
        findings,
        inventory,
        ledger,
        monitoring,
        obligations,
        risk,
        verification,
    )

    return [
        inventory.SECTION,  # Annex IV 1, 2 and the metrics of 4
        approvals.SECTION,  # 3: human oversight, the signatures and the gate
        accountability.SECTION,  # 3: who answers for it, EU AI Act roles
        bias.SECTION,  # 4: bias audits
        risk.SECTION,  # 5: the risk-management system
        findings.SECTION,  # 5: what is wrong, who must act, what was accepted or fixed
        ledger.SECTION,  # 6
        monitoring.SECTION,  # 9: post-market monitoring (Art 72)
        obligations.STANDARDS_SECTION,  # 7 and 8: standards applied, declaration of conformity
        obligations.MATRIX_SECTION,  # the duties that apply, their evidence and signatures
        verification.SECTION,
    ]


def _bias_audit() -> list[Slot]:
    from audits.reports.sections import bias, verification

    return [bias.SUMMARY_SECTION, verification.SECTION]  # the LL144 §5-303 public summary


def _portfolio() -> list[Slot]:
    from audits.reports.sections import (
        accountability,
        approvals,
        bias,
        findings,
        inventory,
        ledger,
        risk,
        verification,
    )

    return [
        inventory.PORTFOLIO_SECTION,  # every deployment by state, with a chart
        risk.PORTFOLIO_SECTION,  # every deployment by risk tier and state
        approvals.PORTFOLIO_SECTION,  # approvals overdue or expiring
        bias.PORTFOLIO_SECTION,  # stale, due and missing bias audits
        accountability.PORTFOLIO_SECTION,  # orphaned ownership
        findings.PORTFOLIO_SECTION,  # open, accepted and recently closed findings
        ledger.PORTFOLIO_SECTION,
        verification.SECTION,
    ]


def _serious_incident() -> list[Slot]:
    from audits.reports.sections import incident, verification

    return [incident.SECTION, incident.LEDGER_SECTION, verification.SECTION]  # Art 73


def _conformity_self_assessment() -> list[Slot]:
    from audits.reports.sections import obligations, verification

    return [
        obligations.SELF_ASSESSMENT_SECTION,  # every applicable requirement, by framework
        obligations.STATUTORY_SECTION,  # the Art 27 FRIA and the GDPR Art 35 DPIA, signed
        obligations.STANDARDS_SECTION,  # standards applied, the declaration of conformity
        verification.SECTION,
    ]


_BUILDERS: dict[str, Callable[[], list[Slot]]] = {
    "deployment_dossier": _dossier,
    "bias_audit": _bias_audit,
    "portfolio": _portfolio,
    "serious_incident": _serious_incident,
    "conformity_self_assessment": _conformity_self_assessment,
}


# How a kind whose subject lives in another room finds it: subject id → (the deployment it
# belongs to, or None; the report's title), or InvalidInput naming the field. sections/bias.py
# adds "bias_audit", sections/incident.py "serious_incident" (imported by the app's ready()).
SUBJECT_RESOLVERS: dict[str, Callable[[str], tuple[Deployment | None, str]]] = {}


def slots_for(kind: str) -> Sequence[Slot]:
    return _BUILDERS[kind]()


def missing_requirements(kind: str) -> list[PendingSection]:
    """Required parts of this kind whose room does not exist yet (empty: the kind is available)."""
    return [s for s in slots_for(kind) if isinstance(s, PendingSection) and s.required]


def section_by_key(kind: str, key: str) -> Section | None:
    for slot in slots_for(kind):
        if isinstance(slot, Section) and slot.key == key:
            return slot
    return None
