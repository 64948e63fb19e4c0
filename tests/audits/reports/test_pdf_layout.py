"""What a reader sees on the pages of every report kind: chart labels whole and inside their
charts, no table row split across pages, no nearly empty page, a chart never parted from its
heading; and a tagged PDF whose Info and XMP producers agree after signing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from functools import cache
from typing import Any

import pytest
from django.utils import timezone
from PIL import ImageFont
from pypdf import PdfReader
from weasyprint.formatting_structure.boxes import TableRowGroupBox

from audits.bias.services import Exclusion, bias_audit_finalize, bias_audit_set_exclusions
from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report, ReportKind
from audits.reports.pdfinspect import producers, structure_of
from audits.reports.render import layout_document, render_html
from audits.reports.services import report_request
from audits.reports.signing import check_pdf_signature
from governance.accounts.roles import Role
from governance.inventory.services import deployment_transition
from governance.monitoring.services import incidents
from governance.monitoring.services.ingestion import observations_ingest
from governance.monitoring.services.plans import monitoring_plan_save, plan_template
from governance.obligations.services import obligations_refresh
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.bias import BiasAuditFactory, csv_bytes, grouped_rows
from tests.factories.findings import raise_finding
from tests.factories.reports import governed_deployment

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
FONTS = "/usr/share/fonts/truetype/dejavu/"
LONG_CATEGORIES = (
    "Native Hawaiian or Other Pacific Islander",
    "American Indian or Alaska Native (enrolled tribal members)",
    "Two or More Races (one of them Hispanic or Latino)",
)
FINDINGS = 45  # enough rows for the findings table to run over several pages


def _audit_csv() -> bytes:
    # Rates between 0.48 and 0.5: no ratio below 0.80, so no finding closes the gate.
    spec: dict[tuple[str, ...], tuple[int, int]] = {
        ("Female", "White"): (400, 200),
        ("Male", "White"): (380, 190),
        ("Female", "Asian"): (200, 100),
        ("Male", "Asian"): (150, 72),
        ("Female", LONG_CATEGORIES[0]): (120, 58),
        ("Male", LONG_CATEGORIES[0]): (110, 54),
        ("Female", LONG_CATEGORIES[2]): (90, 44),
        ("Male", LONG_CATEGORIES[2]): (80, 40),
        ("Female", LONG_CATEGORIES[1]): (10, 4),  # under 2 %: excluded
    }
    return csv_bytes("sex,race_ethnicity,selected", grouped_rows(spec))


def _portfolio_with_every_kind() -> dict[str, dict[str, Any]]:
    """One governed deployment with a bias audit of long category names (one excluded), many
    findings, a monitoring plan with values, and a serious incident; the request of each
    report kind about it."""
    auditor = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory(
        requires_independent_bias_audit=True,
        model_version__system__sourcing="vendor",
        model_version__system__vendor_name="Acme Models",
    )
    audit = BiasAuditFactory(deployment=deployment, actor=auditor, csv=_audit_csv())
    bias_audit_set_exclusions(
        audit=audit,
        actor=auditor,
        exclusions=[
            Exclusion("race_ethnicity", LONG_CATEGORIES[1], "Ten applicants: too few for a ratio.")
        ],
    )
    audit = bias_audit_finalize(audit=audit, actor=auditor)
    governed = governed_deployment(tier="IV", bias_audits=0, deployment=deployment)
    actor = governed.compliance
    deployment_transition(deployment=deployment, to_status="active", actor=governed.requester)
    monitoring_plan_save(
        deployment=deployment, owner=governed.owner, metrics=plan_template("IV"), actor=actor
    )
    end = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    observations_ingest(
        deployment=deployment,
        points=[
            {
                "metric": "accuracy",
                "value": value,
                "window_start": (end - dt.timedelta(days=i + 1)).isoformat(),
                "window_end": (end - dt.timedelta(days=i)).isoformat(),
            }
            for i, value in enumerate((0.91, 0.9, 0.79, 0.88))
        ],
        actor=actor,
    )
    incident = incidents.incident_report(
        deployment=deployment,
        actor=actor,
        title="Applicants refused credit in error",
        description="Every applicant from one postcode was refused for three hours.",
        occurred_at=timezone.now() - dt.timedelta(hours=6),
        aware_at=timezone.now(),
        severity="critical",
        serious=True,
        serious_category="other",
    )
    for n in range(FINDINGS):
        raise_finding(
            deployment=deployment,
            actor=actor,
            severity=("critical", "high", "medium", "low")[n % 4],
            title=f"Finding {n:02d}: the model card does not state the intended use for "
            "applicants outside the European Union and the fallback procedure",
        )
    # The kept obligation statuses, which pages read and the conformity self-assessment lists.
    obligations_refresh(deployment_ids=[deployment.pk])
    return {
        ReportKind.DEPLOYMENT_DOSSIER: {"actor": actor, "deployment": deployment},
        ReportKind.CONFORMITY_SELF_ASSESSMENT: {"actor": actor, "deployment": deployment},
        ReportKind.PORTFOLIO: {"actor": actor},
        ReportKind.BIAS_AUDIT: {"actor": actor, "bias_audit": str(audit.pk)},
        ReportKind.SERIOUS_INCIDENT: {"actor": actor, "incident": str(incident.pk)},
    }


def _generate(kind: str) -> tuple[Report, bytes]:
    request = _portfolio_with_every_kind()[kind]
    report = report_request(kind=kind, **request)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    with report.file.open("rb") as handle:
        return report, handle.read()


def _words(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(content: bytes) -> str:
    return _words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


@cache
def _font(size: float, bold: bool) -> Any:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(FONTS + name, size=max(round(size * 10), 1))


def _labels(svg: str) -> list[tuple[str, list[tuple[float, float]], float]]:
    """Every text of a chart as written (its lines joined), with each line's extent along its
    direction measured in the real font (horizontal; vertical for a text turned 90°)."""
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    _, _, width, height = (float(v) for v in root.get("viewBox", "0 0 0 0").split())
    found = []
    for text in root.iter(f"{SVG}text"):
        spans = text.findall(f"{SVG}tspan") or [text]
        size = float(text.get("font-size") or root.get("font-size") or 12)
        bold = text.get("font-weight") == "bold"
        anchor = text.get("text-anchor", "start")
        extents = []
        lines = []
        turned = "rotate(-90" in text.get("transform", "")
        for span in spans:
            line = span.text or ""
            lines.append(line)
            x = float(span.get("x") or text.get("x") or 0)
            if turned:  # runs bottom to top: its extent is along the height
                x = height - float(text.get("y") or 0)
            length = _font(size, bold).getlength(line) / 10
            left = {"start": x, "middle": x - length / 2, "end": x - length}[anchor]
            extents.append((left, left + length))
        found.append((" ".join(lines), extents, height if turned else width))
    return found


def _rows_on_pages(document: Any) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """For every table row and every table of the laid-out document, the pages it is on."""
    rows: dict[int, set[int]] = defaultdict(set)
    tables: dict[int, set[int]] = defaultdict(set)
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            if box.element_tag == "table":
                tables[id(box.element)].add(number)
            # A header row is repeated on every page of its table by design.
            if isinstance(box, TableRowGroupBox) and not (box.is_header or box.is_footer):
                for row in box.children:
                    rows[id(row.element)].add(number)
    return rows, tables


def _page_fill(page: Any) -> float:
    """How much of the page's content area its content covers, top to bottom (0 to 1)."""
    page_box = page._page_box
    top, height = page_box.content_box_y(), page_box.height
    bottom = top
    for box in page_box.descendants():
        if type(box).__name__ in ("LineBox", "InlineReplacedBox", "BlockReplacedBox"):
            bottom = max(bottom, box.position_y + box.margin_height())
    return (bottom - top) / height


# Every kind there is: a new kind is checked as soon as it exists.
KINDS = list(ReportKind)


@pytest.mark.parametrize("kind", KINDS)
def test_each_report_kind_reads_whole_on_its_pages_and_is_tagged(kind: str) -> None:
    report, content = _generate(kind)
    _check_labels(kind, report, content)
    _check_pages(kind, report)
    _check_tagged_and_signed(kind, content)


def _check_labels(kind: str, report: Report, content: bytes) -> None:
    """(a) Every chart label appears whole in the PDF's text and lies inside its chart."""
    evidence = json.loads(report.evidence)
    _html, images = render_html(evidence, report.evidence_sha256)
    text = _pdf_text(content)
    labels: list[str] = []
    for name, image in images.items():
        svg = image.decode()
        assert "…" not in svg, name
        for label, extents, limit in _labels(svg):
            labels.append(label)
            assert _words(label) in text, (name, label)
            for left, right in extents:
                assert left >= -0.5 and right <= limit + 0.5, (name, label, left, right, limit)
    # What the helpers were given comes out whole: every category name of the audit, the
    # reason an excluded one has no bar, and every category of the portfolio's bar charts.
    if kind in (ReportKind.DEPLOYMENT_DOSSIER, ReportKind.BIAS_AUDIT):
        for category in LONG_CATEGORIES:
            assert category in labels
        assert any(label.startswith("Female × Native Hawaiian") for label in labels)
        assert "excluded (under 2 %)" in labels
    if kind == ReportKind.PORTFOLIO:
        assert {"Required, none on record", "Due within 30 days", "Active"} <= set(labels)


def _check_pages(kind: str, report: Report) -> None:
    """(b) No table row is split across pages, and no page is nearly empty."""
    document, _fetcher = layout_document(json.loads(report.evidence), report.evidence_sha256)
    rows, tables = _rows_on_pages(document)
    split = [pages for pages in rows.values() if len(pages) > 1]
    assert rows and not split
    if kind in (ReportKind.DEPLOYMENT_DOSSIER, ReportKind.PORTFOLIO):
        # The findings table is long enough to run over pages: rows break between them.
        assert any(len(pages) > 1 for pages in tables.values())
    # The cover stands alone by design and the last page ends wherever the text does.
    fills = [_page_fill(page) for page in document.pages[1:-1]]
    assert all(fill > 0.3 for fill in fills), [round(f, 2) for f in fills]


def test_the_stylesheet_keeps_rows_whole_and_headings_with_their_charts() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("css/reports-print.css")
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        css = re.sub(r"\s+", " ", handle.read())
    assert ".table tr { break-inside: avoid;" in css
    assert "h2, h3, h4, .annex { break-after: avoid;" in css
    assert ".chart-figure { margin: 2mm 0 4mm; break-inside: avoid;" in css


def _check_tagged_and_signed(kind: str, content: bytes) -> None:
    """(c) Tagged, charts with alternative text, producers agreeing, signature intact."""
    structure = structure_of(content)
    assert structure.marked and structure.language == "en"
    assert structure.by_type["Document"] == 1 and structure.by_type["H1"] == 1
    assert structure.by_type.get("Table", 0) >= 1 and structure.by_type.get("TH", 0) >= 1
    # Every chart is a Figure with alternative text.
    assert structure.figures == structure.figures_with_alt
    if kind not in (ReportKind.SERIOUS_INCIDENT, ReportKind.CONFORMITY_SELF_ASSESSMENT):
        assert structure.figures >= 1
    reader = PdfReader(io.BytesIO(content))
    assert str(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]).lower() == "true"
    info, xmp = producers(content)
    assert info == xmp and info.startswith("WeasyPrint") and "pyHanko" in info
    assert reader.metadata is not None and reader.metadata.producer == info
    assert reader.xmp_metadata is not None and reader.xmp_metadata.pdf_producer == info
    assert check_pdf_signature(content).ok
