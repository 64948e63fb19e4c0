from django.urls import path

from governance.dashboard import status, views

app_name = "dashboard"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("home/reviewer/", views.reviewer_home, name="reviewer_home"),
    path("home/requester/", views.requester_home, name="requester_home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("gate-decisions/", views.gate_decisions, name="gate_decisions"),
    path("people/", views.people, name="people"),
    path("search/", views.search_page, name="search"),
    path("status/", status.system_status, name="status"),
    path("status/verify-ledger/", status.ledger_verify_now, name="ledger_verify_now"),
]
