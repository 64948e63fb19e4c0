from django.urls import path

from governance.approvals import views

app_name = "approvals"

urlpatterns = [
    path("approvals/queue/", views.queue, name="queue"),
    path("approvals/policies/", views.policies, name="policies"),
    path("approvals/<uuid:pk>/", views.request_detail, name="request_detail"),
    path("approvals/<uuid:pk>/sign/", views.request_sign, name="request_sign"),
    path("approvals/<uuid:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path(
        "deployments/<uuid:pk>/approvals/",
        views.deployment_approvals,
        name="deployment_approvals",
    ),
    path(
        "deployments/<uuid:pk>/approvals/request/",
        views.deployment_request_create,
        name="deployment_request_create",
    ),
]
