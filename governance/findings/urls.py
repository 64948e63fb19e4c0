from django.urls import path

from governance.findings import views

app_name = "findings"

urlpatterns = [
    path("findings/", views.finding_list, name="list"),
    path("findings/new/", views.finding_create, name="create"),
    path("findings/<uuid:pk>/", views.finding_detail, name="detail"),
    path(
        "findings/<uuid:pk>/start-remediation/",
        views.start_remediation,
        name="start_remediation",
    ),
    path("findings/<uuid:pk>/resolve/", views.resolve, name="resolve"),
    path("findings/<uuid:pk>/evidence/", views.add_evidence, name="add_evidence"),
    path("findings/<uuid:pk>/verify/", views.verify, name="verify"),
    path("findings/<uuid:pk>/close/", views.close, name="close"),
    path("findings/<uuid:pk>/owner/", views.change_owner, name="change_owner"),
    path("findings/<uuid:pk>/reopen/", views.reopen, name="reopen"),
    path("findings/<uuid:pk>/accept-risk/", views.accept_risk, name="accept_risk"),
    path("findings/evidence/<uuid:pk>/", views.evidence_download, name="evidence_download"),
    path("deployments/<uuid:pk>/findings/", views.deployment_findings, name="deployment_findings"),
]
