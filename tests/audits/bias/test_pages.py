"""Pages: lists, deployment tab, upload wizard, audit page, summary, admin, chart."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.bias.charts import impact_ratio_chart_svg
from audits.bias.models import BiasAudit
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import DEFAULT_CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> Any:
    return user_with_roles("requester")


@pytest.fixture
def browser(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_list_shows_audits_and_those_due_soon(browser: Any, user: Any) -> None:
    audit = BiasAuditFactory(actor=user)
    response = browser.get(reverse("bias:audit_list"))
    assert response.status_code == 200
    assert audit.model_version.system.name in response.content.decode()
    csv = b"".join(browser.get(reverse("bias:audit_list"), {"format": "csv"}))
    assert audit.file_sha256.encode() in csv


def test_list_queries_do_not_grow_with_audits(
    browser: Any, user: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        BiasAuditFactory(actor=user, finalize=True)
    with django_assert_max_num_queries(12):
        assert browser.get(reverse("bias:audit_list")).status_code == 200


def test_deployment_tab_shows_history_and_gate_state(browser: Any, user: Any) -> None:
    deployment = DeploymentFactory(requires_independent_bias_audit=True)
    url = reverse("bias:deployment_audits", kwargs={"pk": deployment.pk})
    page = browser.get(url).content.decode()
    assert "bias audit missing" in page and 'aria-current="page">Bias audits' in page
    BiasAuditFactory(actor=user, deployment=deployment, finalize=True)
    page = browser.get(url).content.decode()
    assert "Satisfied by the audit" in page


def test_audit_page_has_a_tab_per_dimension_and_the_intersection(
    browser: Any, user: Any, django_assert_max_num_queries: Any
) -> None:
    audit = BiasAuditFactory(actor=user)
    url = reverse("bias:audit_detail", kwargs={"pk": audit.pk})
    with django_assert_max_num_queries(12):
        page = browser.get(url).content.decode()
    assert "?dimension=sex" in page and "?dimension=race_ethnicity" in page
    assert "Intersection: sex × race_ethnicity" in page
    assert "<svg" in page and "0.80 four-fifths" in page
    intersection = browser.get(url, {"dimension": "sex × race_ethnicity"}).content.decode()
    assert "Female × Asian" in intersection


def test_flagged_rows_are_highlighted(browser: Any, user: Any) -> None:
    data = DEFAULT_CSV.replace(b"Male,White,1", b"Male,White,0", 3)
    audit = BiasAuditFactory(actor=user, csv=data)
    page = browser.get(reverse("bias:audit_detail", kwargs={"pk": audit.pk})).content.decode()
    assert 'class="flagged' in page and "below 0.80" in page


def test_upload_wizard_creates_a_draft(browser: Any) -> None:
    deployment = DeploymentFactory()
    form = {
        "deployment": str(deployment.pk),
        "audit_type": "selection",
        "data_format": "rows",
        "file": SimpleUploadedFile("a.csv", DEFAULT_CSV),
        "auditor_name": "Jordan Reyes",
        "auditor_organisation": "Fairness Assurance LLP",
        "attests_not_involved": "on",
        "data_source": "historical",
        "data_description": "ATS export",
        "data_period_start": "2024-01-01",
        "data_period_end": "2024-12-31",
        "distribution_date": "2023-01-01",
    }
    response = browser.post(reverse("bias:audit_upload"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    audit = BiasAudit.objects.get()
    assert audit.dimensions == ["sex", "race_ethnicity"] and not audit.is_independent
    assert response["Location"] == reverse("bias:audit_detail", kwargs={"pk": audit.pk})


def test_upload_wizard_shows_row_errors_and_saves_nothing(browser: Any) -> None:
    form = {
        "deployment": str(DeploymentFactory().pk),
        "audit_type": "selection",
        "data_format": "rows",
        "file": SimpleUploadedFile("a.csv", DEFAULT_CSV.replace(b"Male,Asian,0", b"Male,Asian,9")),
        "selected_column": "selected",
        "dimensions": ["sex"],
        "auditor_name": "J",
        "auditor_organisation": "O",
        "data_source": "historical",
        "data_description": "d",
        "data_period_start": "2024-01-01",
        "data_period_end": "2024-12-31",
        "distribution_date": "2023-01-01",
    }
    response = browser.post(reverse("bias:audit_upload"), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "column &#x27;selected&#x27;" in page and "is not 0 or 1" in page
    assert "First rows of the file" in page  # the mapping is shown again from the header
    assert not BiasAudit.objects.exists()


def _upload_form(data: bytes) -> dict[str, Any]:
    return {
        "deployment": str(DeploymentFactory().pk),
        "audit_type": "selection",
        "data_format": "rows",
        "file": SimpleUploadedFile("a.csv", data),
        "selected_column": "selected",
        "dimensions": ["sex"],
        "auditor_name": "J",
        "auditor_organisation": "O",
        "data_source": "historical",
        "data_description": "d",
        "data_period_start": "2024-01-01",
        "data_period_end": "2024-12-31",
        "distribution_date": "2023-01-01",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (DEFAULT_CSV.replace(b"\n", b"\r"), "Line 1: a carriage return (CR) without a line feed"),
        (
            DEFAULT_CSV.replace(b"Female,White", b'"Fe\nmale",White', 1),
            "Line 2: a quoted value runs over more than one line",
        ),
    ],
    ids=["CR-only line breaks", "quoted line break"],
)
def test_upload_wizard_refuses_line_breaks_that_split_records(
    browser: Any, data: bytes, message: str
) -> None:
    response = browser.post(reverse("bias:audit_upload"), _upload_form(data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BiasAudit.objects.exists()


def test_preview_of_a_quoted_value_left_open_shows_no_rows_instead_of_failing(
    browser: Any,
) -> None:
    data = b'sex,race,selected\n"F,A,1\n' + b"x" * 200_000 + b"\n"
    response = browser.post(
        reverse("bias:audit_upload_preview"),
        {"file": SimpleUploadedFile("a.csv", data), "audit_type": "selection"},
    )
    assert response.status_code == 200
    assert "First rows of the file" not in response.content.decode()


def test_preview_guesses_the_mapping_from_the_header(browser: Any) -> None:
    data = b"Gender,Race,Hired,notes\nF,A,1,x\nM,B,0,y\n"
    response = browser.post(
        reverse("bias:audit_upload_preview"),
        {"file": SimpleUploadedFile("a.csv", data), "audit_type": "selection"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Hired" selected>' in page
    assert 'value="Gender" checked' in page.replace('id="id_dimensions_0" ', "")
    assert "<td>notes</td>" not in page and '<th scope="col">notes</th>' in page


def test_draft_actions_exclusions_and_finalise_from_the_page(browser: Any, user: Any) -> None:
    from tests.factories.bias import csv_bytes, grouped_rows

    people = {("Female",): (500, 100), ("Male",): (490, 110), ("Other",): (10, 9)}
    audit = BiasAuditFactory(actor=user, csv=csv_bytes("sex,selected", grouped_rows(people)))
    detail = reverse("bias:audit_detail", kwargs={"pk": audit.pk})
    response = browser.post(
        reverse("bias:audit_exclusions", kwargs={"pk": audit.pk}),
        {"exclude_0": "on", "justification_0": "", "privileged_0": ""},
    )
    assert response.status_code == 400 and "justification" in response.content.decode()
    response = browser.post(
        reverse("bias:audit_exclusions", kwargs={"pk": audit.pk}),
        {"exclude_0": "on", "justification_0": "Ten people only.", "privileged_0": "Male"},
    )
    assert response.status_code == 302
    assert audit.results.get(category="Other").excluded
    unconfirmed = browser.post(reverse("bias:audit_finalize", kwargs={"pk": audit.pk}))
    assert unconfirmed.status_code == 302
    assert not BiasAudit.objects.get(pk=audit.pk).is_final
    assert "finalising cannot be undone" in browser.get(detail).content.decode()
    browser.post(reverse("bias:audit_finalize", kwargs={"pk": audit.pk}), {"confirm": "on"})
    assert BiasAudit.objects.get(pk=audit.pk).is_final
    page = browser.get(detail).content.decode()
    assert "immutable" in page and "Finalise audit" not in page
    # A final audit's edit page sends the user back, and a discard is refused.
    assert browser.get(reverse("bias:audit_edit", kwargs={"pk": audit.pk})).status_code == 302
    browser.post(reverse("bias:audit_discard", kwargs={"pk": audit.pk}))
    assert BiasAudit.objects.filter(pk=audit.pk).exists()


def test_summary_page_and_print_view_carry_the_ll144_content(browser: Any, user: Any) -> None:
    deployment = DeploymentFactory(model_version__system__annex_iii_area="employment")
    audit = BiasAuditFactory(deployment=deployment, actor=user, finalize=True)
    for name in ("bias:audit_summary", "bias:audit_summary_print"):
        page = browser.get(reverse(name, kwargs={"pk": audit.pk})).content.decode()
        assert "Automated employment decision tool" in page and "LL144" in page
        assert "Date of the bias audit" in page and audit.audit_date.isoformat() in page
        assert "Distribution date of the tool" in page and "2023-06-01" in page
        assert "Individuals with an unknown category" in page
        assert "Number of applicants" in page and "Impact ratio" in page
    print_view = browser.get(reverse("bias:audit_summary_print", kwargs={"pk": audit.pk}))
    assert b'class="topbar"' not in print_view.content


def test_summary_of_a_housing_tool_is_a_four_fifths_analysis(browser: Any, user: Any) -> None:
    deployment = DeploymentFactory(
        model_version__system__annex_iii_area="essential_services",
        model_version__system__name="Tenant screener",
    )
    audit = BiasAuditFactory(deployment=deployment, actor=user, finalize=True)
    for name in ("bias:audit_summary", "bias:audit_summary_print"):
        page = browser.get(reverse(name, kwargs={"pk": audit.pk})).content.decode()
        assert "Disparate-impact analysis (four-fifths rule)" in page
        assert "Number of individuals" in page and "Impact ratio" in page
        assert "employment decision tool" not in page and "Local Law 144 of 2021" not in page
        assert "LL144 §5-303" not in page


def test_stored_file_can_be_downloaded(browser: Any, user: Any) -> None:
    audit = BiasAuditFactory(actor=user)
    response = browser.get(reverse("bias:audit_download", kwargs={"pk": audit.pk}))
    assert b"".join(response.streaming_content) == DEFAULT_CSV


def test_auditor_cannot_open_the_upload_page(client: Any) -> None:
    client.force_login(user_with_roles("auditor"))
    assert client.get(reverse("bias:audit_upload")).status_code == 403


def test_admin_shows_final_audits_read_only(client: Any) -> None:
    admin = user_with_roles("admin", is_staff=True, is_superuser=True)
    audit = BiasAuditFactory(finalize=True)
    client.force_login(admin)
    url = reverse("admin:bias_biasaudit_change", args=[audit.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(url, {"auditor_name": "Changed"})
    assert client.post(reverse("admin:bias_biasaudit_delete", args=[audit.pk])).status_code == 403
    assert BiasAudit.objects.get(pk=audit.pk).auditor_name == "Jordan Reyes"


def test_chart_escapes_labels_and_draws_the_four_fifths_line() -> None:
    svg = impact_ratio_chart_svg(
        [
            {"category": "<script>alert(1)</script>", "impact_ratio": 1.0, "flagged": False},
            {"category": "B & C", "impact_ratio": 0.5, "flagged": True},
            {"category": "Tiny", "impact_ratio": None, "excluded": True},
        ]
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert "0.80 four-fifths" in svg and 'stroke-dasharray="5 3"' in svg
    assert "style=" not in svg
    assert "excluded (under 2 %)" in svg
    # The 0.8 line sits at 80 % of the bar width.
    assert 'x1="548.0"' in svg


def test_discarding_a_draft_keeps_the_whole_reason_or_refuses_it(browser: Any, user: Any) -> None:
    from governance.ledger.models import LedgerEvent

    draft = BiasAuditFactory(actor=user)
    url = reverse("bias:audit_discard", kwargs={"pk": draft.pk})
    refused = browser.post(url, {"reason": "x" * 501}, follow=True)
    assert "Not discarded" in refused.content.decode()
    assert BiasAudit.objects.filter(pk=draft.pk).exists()  # nothing cut short, nothing deleted
    assert browser.post(url, {"reason": "Wrong file uploaded"}).status_code == 302
    assert not BiasAudit.objects.filter(pk=draft.pk).exists()
    event = LedgerEvent.objects.get(action="bias_audit.discarded", subject_id=str(draft.pk))
    assert event.payload["reason"] == "Wrong file uploaded"
