"""Hostile text in every free-text field: nothing fetched, attached or executed, anywhere.

A local HTTP server stands in for "a remote URL" and counts every request it receives, so
"nothing fetched" is measured rather than assumed.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import HTML

from audits.bias.services import Exclusion
from audits.reports.bundle import run_export
from audits.reports.fetcher import BASE_URL, FetchRefused, ReportURLFetcher
from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report
from audits.reports.services import export_request, report_request
from governance.accounts.roles import Role
from governance.inventory import services as inventory
from tests.factories import BiasAuditFactory, user_with_roles
from tests.factories.bias import csv_bytes, grouped_rows
from tests.factories.findings import raise_finding, sign_acceptance
from tests.factories.reports import governed_deployment

pytestmark = pytest.mark.django_db


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[tuple[str, list[str]]]:
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def payload(remote_url: str, limit: int = 10_000) -> str:
    text = (
        '<script>document.title="pwned"</script>'
        '<img src="file:///etc/passwd">'
        '<link rel="attachment" href="file:///etc/passwd">'
        f'<img src="{remote_url}/remote.png">'
        f'<link rel="stylesheet" href="{remote_url}/x.css">'
    )
    return text[:limit]


@pytest.fixture
def hostile(remote: tuple[str, list[str]]) -> dict[str, Any]:
    url, _ = remote
    evil = payload(url)
    owner = user_with_roles(Role.REQUESTER, Role.COMPLIANCE_OFFICER, first_name=evil[:150])
    system = inventory.ai_system_create(
        actor=owner,
        name=payload(url, 200),
        purpose=evil,
        intended_use=evil,
        business_unit=payload(url, 200),
        people_affected=evil,
        sourcing="vendor",
        vendor_name=payload(url, 200),
    )
    dataset = inventory.dataset_create(
        actor=owner,
        name=payload(url, 200),
        source=evil,
        collection_purpose=evil,
        personal_data_categories=[evil],
        legal_basis="consent",
        minimisation_notes=evil,
    )
    version = inventory.model_version_create(
        actor=owner,
        system=system,
        version_label=payload(url, 100),
        artifact_uri=payload(url, 500),
        artifact_sha256="b" * 64,
        training_datasets=[dataset],
        evaluation_metrics={payload(url, 150): 0.5},
        intended_use=evil,
        out_of_scope_uses=evil,
        limitations=evil,
        ethical_considerations=evil,
    )
    deployment = inventory.deployment_create(
        actor=owner,
        model_version=version,
        environment="prod-eu",
        description=evil,
        hosting="cloud",
        region=payload(url, 100),
        data_residency=payload(url, 100),
        rollout_pattern="full",
        requires_independent_bias_audit=True,
    )
    # Every other room's free text: risk titles, descriptions, controls and acceptances; the
    # names of signers, owner and parties; comments, conditions, reasons and meanings (which
    # quote the system's name); contract terms; Art 25 explanations; auditors and their data.
    governed = governed_deployment(deployment=deployment, text=evil, bias_audits=1)
    hostile_category = '<i onmouseover="x">tiny</i><script>document.title="cat"</script>'
    audit = BiasAuditFactory(
        deployment=deployment,
        actor=owner,
        csv=csv_bytes(
            "sex,selected",
            grouped_rows({("Female",): (60, 30), ("Male",): (60, 24), (hostile_category,): (1, 1)}),
        ),
        auditor_name=payload(url, 200),
        auditor_organisation=payload(url, 200),
        data_source="test",
        data_description=evil,
        test_data_explanation=evil,
        exclusions=[Exclusion("sex", hostile_category, evil)],
        finalize=True,
    )
    # A finding whose title and risk-acceptance rationale carry the text.
    finding = raise_finding(
        deployment=deployment,
        actor=owner,
        owner=governed.owner,
        severity="high",
        title=evil[:300],
        description=evil,
    )
    sign_acceptance(finding, governed.compliance, Role.COMPLIANCE_OFFICER, rationale=evil)
    return {
        "owner": owner,
        "deployment": deployment,
        "evil": evil,
        "governed": governed,
        "audit": audit,
    }


def _generate(owner: Any, **request: Any) -> bytes:
    report = report_request(actor=owner, **request)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    with report.file.open("rb") as handle:
        return handle.read()


def _assert_inert_pdf(
    content: bytes, attachments: frozenset[str] = frozenset({"evidence.json", "ledger-slice.csv"})
) -> None:
    reader = PdfReader(io.BytesIO(content))
    assert set(reader.attachments) == attachments
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert "/JavaScript" not in root.get("/Names", {})
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A", {})
            assert action.get("/S") not in ("/JavaScript", "/Launch", "/URI")
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    # The markup is shown as the text it is, not interpreted.
    assert '<script>document.title="pwned"</script>' in text
    assert "root:x:0:0" not in text  # /etc/passwd never read


def test_hostile_text_is_inert_in_the_dossier(
    hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    content = _generate(
        hostile["owner"], kind="deployment_dossier", deployment=hostile["deployment"]
    )
    _assert_inert_pdf(content)
    assert remote[1] == []


def test_hostile_text_from_every_room_is_shown_as_text_in_the_dossier(
    hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    content = _generate(
        hostile["owner"], kind="deployment_dossier", deployment=hostile["deployment"]
    )
    evidence = json.loads(PdfReader(io.BytesIO(content)).attachments["evidence.json"][0])
    parts = {s["key"]: s["data"] for s in evidence["sections"]}
    evil = hostile["evil"]
    signoff = parts["approvals"]["requests"][0]["signoffs"][0]
    assert signoff["comment"].endswith(evil) and signoff["conditions"].endswith(evil)
    assert signoff["printed_name"].startswith(evil[:100]) and "<script>" in signoff["meaning"]
    assert parts["risk"]["risks"][0]["description"].endswith(evil)
    assert parts["accountability"]["assignments"][0]["party"].startswith("Acme Models <script>")
    assert parts["bias"]["audits"][0]["exclusions"][0]["justification"] == evil
    accepted = parts["findings"]["risk_accepted"][0]
    assert accepted["title"] == evil[:300] and accepted["signatures"][0]["rationale"] == evil
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )
    # Each room's text appears as the characters typed: the markup was never interpreted.
    assert text.count('<script>document.title="pwned"</script>') >= 20
    assert '<script>document.title="cat"</script>' in text
    assert remote[1] == []


def test_hostile_text_is_inert_in_a_bias_audit_summary(
    hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    content = _generate(hostile["owner"], kind="bias_audit", bias_audit=str(hostile["audit"].pk))
    _assert_inert_pdf(content, frozenset({"evidence.json"}))
    assert remote[1] == []


def test_hostile_text_is_inert_in_the_portfolio(
    hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    _assert_inert_pdf(_generate(hostile["owner"], kind="portfolio"))
    assert remote[1] == []


def test_hostile_text_is_inert_in_an_export_bundle(
    hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    export = export_request(
        actor=hostile["owner"],
        recipient=hostile["evil"][:200],
        deployments=[hostile["deployment"]],
        note=hostile["evil"],
    )
    assert run_export(export.pk) is not None
    assert remote[1] == []


def test_hostile_text_is_escaped_on_every_page(
    client: Any, hostile: dict[str, Any], remote: tuple[str, list[str]]
) -> None:
    owner, deployment = hostile["owner"], hostile["deployment"]
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    export = export_request(
        actor=owner, recipient=hostile["evil"][:200], deployments=[deployment], note=hostile["evil"]
    )
    client.force_login(owner)
    report = Report.objects.get(pk=report.pk)
    pages = [
        client.get(reverse("reports:report_list")),
        client.get(reverse("reports:report_detail", args=[report.pk])),
        client.get(reverse("reports:report_progress", args=[report.pk])),
        client.get(reverse("reports:deployment_reports", args=[deployment.pk])),
        client.get(reverse("reports:export_list")),
        client.get(reverse("reports:export_detail", args=[export.pk])),
        client.post(reverse("reports:verify"), {"sha256": report.file_sha256}),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "<script>document.title" not in html
        assert '<img src="file:' not in html and '<link rel="attachment"' not in html
        assert f'<img src="{remote[0]}' not in html
    assert "&lt;script&gt;document.title" in pages[1].content.decode()
    assert remote[1] == []


def test_fetcher_refuses_everything_but_own_static_files_and_generated_images(
    remote: tuple[str, list[str]],
) -> None:
    fetcher = ReportURLFetcher({"chart.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>"})
    css = fetcher.fetch(BASE_URL + "static/css/reports-print.css")
    assert css.content_type == "text/css" and b"@page" in css.read()
    assert fetcher.fetch(BASE_URL + "generated/chart.svg").content_type == "image/svg+xml"
    refused = [
        "file:///etc/passwd",
        f"{remote[0]}/remote.png",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "data:text/html,<script>alert(1)</script>",
        BASE_URL + "static/../../settings.py",
        BASE_URL + "static/%2e%2e/%2e%2e/governance/settings.py",
        BASE_URL + "static/vendor/htmx/htmx-2.0.11.min.js",
        BASE_URL + "generated/other.svg",
        BASE_URL + "media/reports/secret.pdf",
        BASE_URL.replace("https", "http") + "static/css/reports-print.css",
    ]
    for url in refused:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert remote[1] == []


def test_even_raw_hostile_markup_cannot_fetch_or_attach(remote: tuple[str, list[str]]) -> None:
    # Defence in depth: if a template ever rendered markup unescaped, the fetcher still holds.
    fetcher = ReportURLFetcher()
    html = f"<html><body><p>x</p>{payload(remote[0])}<iframe src='file:///etc/passwd'></iframe></body></html>"
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    assert PdfReader(io.BytesIO(pdf)).attachments == {}
    assert remote[1] == []
    assert any(url.startswith("file:") for url in fetcher.refused)
    assert any(url.startswith(remote[0]) for url in fetcher.refused)
    assert fetcher.served == []
