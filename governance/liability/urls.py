from django.urls import path

from governance.liability import views

app_name = "liability"

urlpatterns = [
    path("accountability/", views.matrix, name="matrix"),
    path("accountability/offers/", views.inbox, name="inbox"),
    path("accountability/offers/<uuid:pk>/", views.offer_detail, name="offer_detail"),
    path("accountability/offers/<uuid:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("accountability/offers/<uuid:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("accountability/offers/<uuid:pk>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("accountability/parties/", views.parties, name="parties"),
    path("accountability/parties/new/", views.party_edit, name="party_create"),
    path("accountability/parties/<uuid:pk>/", views.party_detail, name="party_detail"),
    path("accountability/parties/<uuid:pk>/edit/", views.party_edit, name="party_edit"),
    path("accountability/contracts/new/", views.contract_edit, name="contract_create"),
    path("accountability/contracts/<uuid:pk>/edit/", views.contract_edit, name="contract_edit"),
    path(
        "accountability/assignments/<uuid:pk>/end/",
        views.assignment_end,
        name="assignment_end",
    ),
    path(
        "deployments/<uuid:pk>/accountability/",
        views.deployment_accountability,
        name="deployment_accountability",
    ),
    path(
        "deployments/<uuid:pk>/accountability/offer/",
        views.offer_create,
        name="offer_create",
    ),
    path(
        "deployments/<uuid:pk>/accountability/assign/",
        views.assignment_create,
        name="assignment_create",
    ),
    path(
        "deployments/<uuid:pk>/accountability/art25/",
        views.role_shift_create,
        name="role_shift_create",
    ),
    path(
        "systems/<uuid:pk>/accountability/",
        views.system_accountability,
        name="system_accountability",
    ),
]
