from django.urls import path

from governance.inventory import views

app_name = "inventory"

urlpatterns = [
    path("systems/", views.system_list, name="system_list"),
    path("systems/new/", views.system_edit, name="system_create"),
    path("systems/<uuid:pk>/", views.system_detail, name="system_detail"),
    path("systems/<uuid:pk>/edit/", views.system_edit, name="system_edit"),
    path("systems/<uuid:pk>/history/", views.system_history, name="system_history"),
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/new/", views.dataset_edit, name="dataset_create"),
    path("datasets/<uuid:pk>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:pk>/edit/", views.dataset_edit, name="dataset_edit"),
    path("datasets/<uuid:pk>/history/", views.dataset_history, name="dataset_history"),
    path("model-versions/", views.model_version_list, name="model_version_list"),
    path("model-versions/new/", views.model_version_edit, name="model_version_create"),
    path("model-versions/<uuid:pk>/", views.model_version_detail, name="model_version_detail"),
    path("model-versions/<uuid:pk>/edit/", views.model_version_edit, name="model_version_edit"),
    path(
        "model-versions/<uuid:pk>/history/",
        views.model_version_history,
        name="model_version_history",
    ),
    path("deployments/", views.deployment_list, name="deployment_list"),
    path("deployments/new/", views.deployment_edit, name="deployment_create"),
    path("deployments/<uuid:pk>/", views.deployment_detail, name="deployment_detail"),
    path("deployments/<uuid:pk>/edit/", views.deployment_edit, name="deployment_edit"),
    path("deployments/<uuid:pk>/history/", views.deployment_history, name="deployment_history"),
    path(
        "deployments/<uuid:pk>/transition/",
        views.deployment_transition,
        name="deployment_transition",
    ),
]
