from django.urls import path

from governance.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path(
        "deployments/<uuid:pk>/monitoring/",
        views.deployment_monitoring,
        name="deployment_monitoring",
    ),
    path("deployments/<uuid:pk>/incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<uuid:pk>/", views.incident_detail, name="incident_detail"),
    path(
        "incidents/<uuid:pk>/transition/",
        views.incident_transition,
        name="incident_transition",
    ),
    path(
        "incidents/<uuid:pk>/deployment-action/",
        views.incident_deployment_action,
        name="incident_deployment_action",
    ),
]
