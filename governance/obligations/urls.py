from django.urls import path

from governance.obligations import views

app_name = "obligations"

urlpatterns = [
    path(
        "deployments/<uuid:pk>/obligations/",
        views.deployment_obligations,
        name="deployment_obligations",
    ),
    path("obligations/<uuid:pk>/", views.obligation_detail, name="obligation_detail"),
    path("obligations/<uuid:pk>/assert/", views.obligation_assert, name="obligation_assert"),
    path("obligations/<uuid:pk>/link/", views.obligation_link, name="obligation_link"),
    path(
        "obligations/<uuid:pk>/raise-finding/",
        views.obligation_raise_finding,
        name="obligation_raise_finding",
    ),
    path("obligations/coverage/", views.coverage, name="coverage"),
    path("obligations/coverage/requirements/", views.coverage_list, name="coverage_list"),
    path("evidence/", views.document_list, name="document_list"),
    path("evidence/<uuid:pk>/", views.document_detail, name="document_detail"),
    path(
        "evidence/<uuid:pk>/new-version/", views.document_new_version, name="document_new_version"
    ),
    path("evidence/<uuid:pk>/download/", views.document_download, name="document_download"),
]
