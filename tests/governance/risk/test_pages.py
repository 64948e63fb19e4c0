"""Risk pages: the wizard with its live preview, the result, the Risk tab, portfolio, register."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from governance.risk.models import Risk, RiskAssessment
from governance.risk.services import risk_assessment_create
from tests.factories import (
    AISystemFactory,
    DeploymentFactory,
    ModelVersionFactory,
    RiskFactory,
    user_with_roles,
)
from tests.factories.risk import complete_answers, load_generated, load_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_requester(client: Any, requester: Any) -> Any:
    client.force_login(requester)
    return client


@pytest.fixture
def as_auditor(client: Any, auditor: Any) -> Any:
    client.force_login(auditor)
    return client


@pytest.fixture
def impact() -> Any:
    return load_shipped()


@pytest.fixture
def deployment() -> Any:
    system = AISystemFactory(annex_iii_area="essential_services", profiles_natural_persons=True)
    return DeploymentFactory(model_version=ModelVersionFactory(system=system))


def _submitted(deployment: Any, impact: Any, actor: Any, **answers: Any) -> RiskAssessment:
    return risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=actor,
        answers=complete_answers(**answers),
        submit=True,
    )


def _wizard(assessment: Any, step: int | None = None) -> str:
    url = reverse("risk:assessment_wizard", args=[assessment.pk])
    return f"{url}?step={step}" if step else url


def test_wizard_walks_the_sections_saves_the_draft_and_submits(
    as_requester: Any, impact: Any, deployment: Any
) -> None:
    start = as_requester.post(
        reverse("risk:assessment_start", args=[deployment.pk]), {"methodology": impact.pk}
    )
    draft = RiskAssessment.objects.get()
    assert start.status_code == 302 and start["Location"] == _wizard(draft)
    page = as_requester.get(_wizard(draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How much does the model decide on its own?" in html  # Decision, step 1
    assert 'hx-post="' + reverse("risk:assessment_preview", args=[draft.pk]) in html
    assert "Review and submit" in html
    step_one = {"step": "1", "go": "next", "q-autonomy": "automatic", "q-domain": "access"}
    moved = as_requester.post(_wizard(draft), step_one)
    assert moved.status_code == 302 and moved["Location"].endswith("?step=2")
    draft.refresh_from_db()
    assert draft.answers["autonomy"] == "automatic" and "reversibility" not in draft.answers
    assert LedgerEvent.objects.filter(action="risk_assessment.updated").count() == 1
    # Fill in everything else, then submit from the review step.
    eu = {"annex_iii_area": "essential_services", "profiling": "yes", "art6_3_exemption": "no"}
    rest = {f"q-{k}": v for k, v in complete_answers(**eu).items() if k not in step_one}
    steps = 5 + 3  # impact sections + EU questionnaire sections
    review = as_requester.get(_wizard(draft, steps + 1))
    assert b"Needs an answer" in review.content  # reversibility, on step 1, is still open
    for number in range(1, steps + 1):
        as_requester.post(_wizard(draft), {"step": str(number), "go": "next", **rest})
    review = as_requester.get(_wizard(draft, steps + 1))
    assert b"Submit assessment" in review.content and b"Needs an answer" not in review.content
    done = as_requester.post(reverse("risk:assessment_submit", args=[draft.pk]))
    assert done.status_code == 302
    assert done["Location"] == reverse("risk:assessment_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.tier == "III" and draft.eu_class == "high"
    assert LedgerEvent.objects.filter(action="risk_assessment.submitted").count() == 1


@pytest.mark.parametrize(("go", "step"), [("step-3", 3), ("step-²", 1), ("step-x", 1)])
def test_wizard_jumps_only_to_steps_written_in_ascii_digits(
    as_requester: Any, impact: Any, deployment: Any, requester: Any, go: str, step: int
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    moved = as_requester.post(_wizard(draft), {"step": "1", "go": go})
    assert moved.status_code == 302
    assert moved["Location"] == _wizard(draft, step)


def test_live_preview_scores_the_answers_on_screen_without_saving(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers={k: v for k, v in complete_answers().items() if k != "autonomy"},
    )
    url = reverse("risk:assessment_preview", args=[draft.pk])
    step_one = {"step": "1", "q-reversibility": "reversible", "q-domain": "internal"}
    low = as_requester.post(url, {**step_one, "q-autonomy": "advisory"}, HTTP_HX_REQUEST="true")
    assert low.status_code == 200
    assert b"<html" not in low.content  # a partial for htmx to swap in
    assert b"Live score" in low.content and b"Every required question is answered" in low.content
    high = as_requester.post(
        url, {"step": "6", "q-eu_prohibited": ["social_scoring"]}, HTTP_HX_REQUEST="true"
    )
    assert b"Blocked" in high.content and b"Art 5(1)(c)" in high.content
    draft.refresh_from_db()
    assert "autonomy" not in draft.answers and draft.answers["eu_prohibited"] == ["none"]
    tampered = as_requester.post(url, {"step": "1", "q-autonomy": "telepathy"})
    assert b"not among the options" in tampered.content


def test_result_page_shows_level_breakdown_eu_class_and_methodology_hash(
    as_auditor: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    assessment = _submitted(
        deployment, impact, requester, annex_iii_area="essential_services", profiling="yes"
    )
    page = as_auditor.get(reverse("risk:assessment_detail", args=[assessment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tier III" in html and "High-risk (Art 6)" in html
    assert "art6-2-annex-iii-profiling" in html and impact.sha256 in html
    assert "Breakdown by section" in html and "Safeguards" in html
    assert 'aria-current="page">Risk</a>' in html  # the deployment page's Risk tab


def test_submitted_assessment_cannot_be_changed_through_the_pages(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    assessment = _submitted(deployment, impact, requester)
    before = (assessment.answers, assessment.tier)
    events = LedgerEvent.objects.count()
    shown = as_requester.get(_wizard(assessment))
    assert shown.status_code == 302
    assert shown["Location"] == reverse("risk:assessment_detail", args=[assessment.pk])
    edit = as_requester.post(_wizard(assessment), {"step": "1", "q-autonomy": "automatic"})
    assert edit.status_code == 409 and b"can no longer change" in edit.content
    resubmit = as_requester.post(reverse("risk:assessment_submit", args=[assessment.pk]))
    assert resubmit.status_code == 409
    discard = as_requester.post(reverse("risk:assessment_discard", args=[assessment.pk]))
    assert discard.status_code == 409
    assessment.refresh_from_db()
    assert (assessment.answers, assessment.tier) == before
    assert LedgerEvent.objects.count() == events


def test_submitted_assessment_cannot_be_changed_through_the_admin(
    client: Any, admin_user: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    assessment = _submitted(deployment, impact, requester)
    client.force_login(admin_user)
    change = reverse("admin:risk_riskassessment_change", args=[assessment.pk])
    assert client.get(change).status_code == 200  # visible, read-only
    response = client.post(change, {"tier": "I", "status": "draft", "score": "0"})
    assert response.status_code == 403
    delete = reverse("admin:risk_riskassessment_delete", args=[assessment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.tier == "I" and assessment.score == 0
    listing = client.get(reverse("admin:risk_riskassessment_changelist"))
    assert listing.status_code == 200 and b"Add risk assessment" not in listing.content


def test_submit_with_missing_answers_returns_to_the_review_with_the_reason(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    response = as_requester.post(reverse("risk:assessment_submit", args=[draft.pk]), follow=True)
    assert b"answers need attention" in response.content
    draft.refresh_from_db()
    assert draft.status == "draft"


def _count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["wizard", "review", "detail"])
def test_assessment_page_queries_do_not_grow_with_the_number_of_questions(
    as_requester: Any, requester: Any, page: str, django_assert_max_num_queries: Any
) -> None:
    counts = []
    for size in (5, 60):
        methodology = load_generated(
            slug=f"generated-{size}", questions=size, mitigation_questions=3
        )
        answers = {q.id: q.options[-1].id for q in methodology.spec.questions}
        assessment = risk_assessment_create(
            deployment=DeploymentFactory(),
            methodology=methodology,
            actor=requester,
            answers=answers,
            submit=page == "detail",
        )
        sections = len(methodology.spec.sections)
        url = {
            "wizard": _wizard(assessment, 1),
            "review": _wizard(assessment, sections + 1),
            "detail": reverse("risk:assessment_detail", args=[assessment.pk]),
        }[page]
        counts.append(_count_queries(as_requester, url))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[1]):
        as_requester.get(url)


def test_risk_tab_shows_the_current_tier_drafts_register_and_heat_map(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    _submitted(deployment, impact, requester, eu_prohibited=["facial_scraping"])
    risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    RiskFactory(
        deployment=deployment, title="Scraped faces", residual_likelihood=4, residual_impact=4
    )
    page = as_requester.get(reverse("risk:deployment_risk", args=[deployment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Blocked (prohibited practice)" in html and "Art 5(1)(e)" in html
    assert "can never be approved" in html
    assert "Drafts in progress" in html and "Start a new assessment" in html
    assert "Scraped faces" in html and "<svg" in html and 'role="group"' in html
    assert 'aria-current="page">Risk</a>' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_risk_tab_for_auditors_has_no_write_controls(
    as_auditor: Any, impact: Any, deployment: Any
) -> None:
    page = as_auditor.get(reverse("risk:deployment_risk", args=[deployment.pk]))
    assert page.status_code == 200
    assert b"No submitted risk assessment" in page.content
    assert b"Start a new assessment" not in page.content and b"Add risk" not in page.content
    draft_url = reverse("risk:assessment_start", args=[deployment.pk])
    assert as_auditor.post(draft_url, {"methodology": impact.pk}).status_code == 403
    assert not RiskAssessment.objects.exists()


def test_stale_assessment_is_flagged_on_the_risk_tab(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    from governance.inventory.services import deployment_update

    _submitted(deployment, impact, requester)
    deployment_update(deployment=deployment, actor=requester, fields={"hosting": "on_premises"})
    page = as_requester.get(reverse("risk:deployment_risk", args=[deployment.pk]))
    assert b"Stale since" in page.content and b"current, stale" in page.content


def test_portfolio_shows_tiers_heat_map_and_register_with_constant_queries(
    as_auditor: Any, impact: Any, requester: Any
) -> None:
    for eu in (["none"], ["social_scoring"]):
        _submitted(DeploymentFactory(), impact, requester, eu_prohibited=eu)
    RiskFactory.create_batch(3, residual_likelihood=3, residual_impact=5, inherent_impact=5)
    url = reverse("risk:portfolio")
    small = _count_queries(as_auditor, url)
    RiskFactory.create_batch(12)
    assert _count_queries(as_auditor, url) == small
    page = as_auditor.get(url)
    html = page.content.decode()
    assert "Risk portfolio" in html and "<svg" in html
    tiles = dict(re.findall(r'tier-tile tier-(\w+)".*?tile-number">(\d+)<', html))
    assert tiles["I"] == "1" and tiles["blocked"] == "1"
    assert "likelihood=3&amp;impact=5" in html  # heat-map cells link to the filtered register
    filtered = as_auditor.get(url, {"likelihood": 3, "impact": 5})
    assert filtered.content.count(b'href="/risk/register/') == 3
    # The filter form starts empty, so submitting it untouched filters nothing.
    for name in ("likelihood", "impact", "min_residual"):
        select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
        assert select is not None and '<option value="" selected>' in select.group(0)
    untouched = as_auditor.get(url, {"likelihood": "", "impact": "", "min_residual": ""})
    assert untouched.content.count(b'href="/risk/register/') == 15


def test_portfolio_register_exports_csv(as_auditor: Any) -> None:
    RiskFactory(title="=cmd|' /C calc'!A0")
    response = as_auditor.get(reverse("risk:portfolio"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=cmd" in body and "residual_score" in body.splitlines()[0]


def test_tiers_page_filters_by_tier(as_auditor: Any, impact: Any, requester: Any) -> None:
    blocked = DeploymentFactory()
    _submitted(blocked, impact, requester, eu_prohibited=["manipulation"])
    DeploymentFactory()
    page = as_auditor.get(reverse("risk:tiers"), {"tier": "blocked"})
    assert page.status_code == 200
    rows = re.findall(rb'href="/deployments/([0-9a-f-]{36})/risk/"', page.content)
    assert rows == [str(blocked.pk).encode()]
    unassessed = as_auditor.get(reverse("risk:tiers"), {"tier": "none"})
    assert len(re.findall(rb'href="/deployments/[0-9a-f-]{36}/risk/"', unassessed.content)) == 1
    csv = b"".join(as_auditor.get(reverse("risk:tiers"), {"format": "csv"}).streaming_content)
    assert b"blocked" in csv


def test_register_pages_add_edit_accept_and_close(client: Any, requester: Any) -> None:
    deployment = DeploymentFactory()
    client.force_login(requester)
    form = reverse("risk:risk_create", args=[deployment.pk])
    assert client.get(form).status_code == 200
    data = {
        "category": "privacy",
        "title": "Location trails",
        "description": "",
        "inherent_likelihood": "4",
        "inherent_impact": "5",
        "treatment": "mitigate",
        "control_description": "",
        "residual_likelihood": "3",
        "residual_impact": "5",
        "owner": str(requester.pk),
        "due_date": "",
    }
    refused = client.post(form, data)
    assert refused.status_code == 400 and b"Describe the control" in refused.content
    assert not Risk.objects.exists()
    created = client.post(form, {**data, "control_description": "Coarsen to city level"})
    assert created.status_code == 302
    risk = Risk.objects.get()
    detail = reverse("risk:risk_detail", args=[risk.pk])
    page = client.get(detail)
    assert b"only a person with the executive role" in page.content
    attempt = client.post(
        reverse("risk:risk_accept", args=[risk.pk]), {"rationale": "fine"}, follow=True
    )
    assert b"only a person with" in attempt.content
    assert Risk.objects.get().status == "open"
    executive = user_with_roles(Role.EXECUTIVE)
    client.force_login(executive)
    client.post(reverse("risk:risk_accept", args=[risk.pk]), {"rationale": "Board approved"})
    assert Risk.objects.get().status == "accepted"
    client.force_login(requester)
    edited = client.post(
        reverse("risk:risk_edit", args=[risk.pk]),
        {**data, "control_description": "x", "residual_likelihood": "2"},
    )
    assert edited.status_code == 302 and Risk.objects.get().status == "open"
    client.post(reverse("risk:risk_close", args=[risk.pk]), {"reason": "done"})
    assert Risk.objects.get().status == "closed"
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(risk.pk)).values_list("action", flat=True)
    )
    assert actions == [
        "risk.created",
        "risk.acceptance_refused",
        "risk.accepted",
        "risk.updated",
        "risk.closed",
    ]


def test_methodology_pages_show_questions_and_hash(as_auditor: Any, impact: Any) -> None:
    listing = as_auditor.get(reverse("risk:methodology_list"))
    assert listing.status_code == 200 and b"Algorithmic impact assessment" in listing.content
    page = as_auditor.get(reverse("risk:methodology_detail", args=[impact.pk]))
    assert impact.sha256.encode() in page.content and b"autonomy" in page.content
    eu = as_auditor.get(reverse("risk:methodology_detail", args=[impact.eu_classification.pk]))
    assert b"Classification rules" in eu.content and b"art5-1a-manipulation" in eu.content


def test_risk_is_in_the_main_navigation(as_auditor: Any) -> None:
    page = as_auditor.get(reverse("core:home"))
    assert f'href="{reverse("risk:portfolio")}"'.encode() in page.content


def _carried_badge(assessment: Any) -> str:
    return f"Carried over from the assessment of {assessment.submitted_at:%Y-%m-%d}"


def test_reassessment_wizard_starts_from_the_previous_answers_marked_as_carried_over(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    previous = _submitted(
        deployment,
        impact,
        requester,
        annex_iii_area="essential_services",
        profiling="yes",
        autonomy="automatic",
    )
    as_requester.post(
        reverse("risk:assessment_start", args=[deployment.pk]), {"methodology": impact.pk}
    )
    draft = RiskAssessment.objects.get(status="draft")
    assert draft.answers == previous.answers and draft.carried_over_from == previous
    html = as_requester.get(_wizard(draft, 1)).content.decode()
    assert html.count(_carried_badge(previous)) == 3  # autonomy, reversibility, domain
    assert re.search(r'<input[^>]*value="automatic"[^>]*checked', html)
    assert 'name="confirm" value="autonomy"' in html


def test_changing_or_confirming_an_answer_in_the_wizard_removes_its_mark(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    previous = _submitted(deployment, impact, requester, autonomy="automatic")
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    step_one = {
        "step": "1",
        "go": "save",
        "q-autonomy": "advisory",  # changed
        "q-reversibility": "reversible",  # the same, confirmed
        "q-domain": "internal",  # the same, not confirmed
        "confirm": ["reversibility", "eu_prohibited"],  # another step's question does not count
    }
    assert as_requester.post(_wizard(draft), step_one).status_code == 302
    draft.refresh_from_db()
    assert {"autonomy", "reversibility"}.isdisjoint(draft.carried_over)
    assert {"domain", "eu_prohibited"} <= set(draft.carried_over)
    html = as_requester.get(_wizard(draft, 1)).content.decode()
    assert html.count(_carried_badge(previous)) == 1
    assert 'name="confirm" value="domain"' in html
    assert 'name="confirm" value="autonomy"' not in html


def test_incomplete_submission_names_the_questions_and_links_their_steps(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    response = as_requester.post(reverse("risk:assessment_submit", args=[draft.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    problems = html[html.index('id="submit-problems"') :]
    problems = problems[: problems.index("</div>")]
    wizard = _wizard(draft)
    assert f'<a href="{wizard}?step=1">How much does the model decide on its own?</a>' in problems
    assert f'<a href="{wizard}?step=7">Is the system a product' in problems
    assert "annex_i_product" not in html and "art6_3_exemption" not in html
    assert "answers need attention" in problems
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_start_blank_on_the_page_leaves_the_previous_answers_behind(
    as_requester: Any, impact: Any, deployment: Any, requester: Any
) -> None:
    _submitted(deployment, impact, requester, autonomy="automatic")
    risk_tab = as_requester.get(reverse("risk:deployment_risk", args=[deployment.pk]))
    assert b'name="start_blank"' in risk_tab.content
    as_requester.post(
        reverse("risk:assessment_start", args=[deployment.pk]),
        {"methodology": impact.pk, "start_blank": "on"},
    )
    draft = RiskAssessment.objects.get(status="draft")
    assert draft.carried_over == [] and "autonomy" not in draft.answers
