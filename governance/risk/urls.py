from django.urls import path

from governance.risk.views import assessments, pages, register, statutory

app_name = "risk"

urlpatterns = [
    path("risk/", pages.portfolio, name="portfolio"),
    path("risk/tiers/", pages.tiers, name="tiers"),
    path("risk/methodologies/", pages.methodology_list, name="methodology_list"),
    path("risk/methodologies/<uuid:pk>/", pages.methodology_detail, name="methodology_detail"),
    path("deployments/<uuid:pk>/risk/", pages.deployment_risk, name="deployment_risk"),
    path(
        "deployments/<uuid:pk>/risk/assessments/new/",
        assessments.assessment_start,
        name="assessment_start",
    ),
    path("deployments/<uuid:pk>/risk/register/new/", register.risk_create, name="risk_create"),
    path("risk/assessments/<uuid:pk>/", assessments.assessment_detail, name="assessment_detail"),
    path(
        "risk/assessments/<uuid:pk>/edit/", assessments.assessment_wizard, name="assessment_wizard"
    ),
    path(
        "risk/assessments/<uuid:pk>/preview/",
        assessments.assessment_preview,
        name="assessment_preview",
    ),
    path(
        "risk/assessments/<uuid:pk>/submit/",
        assessments.assessment_submit,
        name="assessment_submit",
    ),
    path(
        "risk/assessments/<uuid:pk>/discard/",
        assessments.assessment_discard,
        name="assessment_discard",
    ),
    path(
        "deployments/<uuid:pk>/risk/statutory/",
        statutory.statutory_list,
        name="statutory_list",
    ),
    path(
        "deployments/<uuid:pk>/risk/statutory/new/",
        statutory.statutory_start,
        name="statutory_start",
    ),
    path("risk/statutory/<uuid:pk>/", statutory.statutory_detail, name="statutory_detail"),
    path("risk/statutory/<uuid:pk>/edit/", statutory.statutory_edit, name="statutory_edit"),
    path("risk/statutory/<uuid:pk>/submit/", statutory.statutory_submit, name="statutory_submit"),
    path("risk/statutory/<uuid:pk>/sign/", statutory.statutory_sign, name="statutory_sign"),
    path("risk/statutory/<uuid:pk>/reopen/", statutory.statutory_reopen, name="statutory_reopen"),
    path(
        "risk/statutory/<uuid:pk>/discard/", statutory.statutory_discard, name="statutory_discard"
    ),
    path("risk/register/<uuid:pk>/", register.risk_detail, name="risk_detail"),
    path("risk/register/<uuid:pk>/edit/", register.risk_edit, name="risk_edit"),
    path("risk/register/<uuid:pk>/accept/", register.risk_accept, name="risk_accept"),
    path("risk/register/<uuid:pk>/close/", register.risk_close, name="risk_close"),
    path("risk/register/<uuid:pk>/reopen/", register.risk_reopen, name="risk_reopen"),
    path("risk/register/<uuid:pk>/delete/", register.risk_delete, name="risk_delete"),
]
