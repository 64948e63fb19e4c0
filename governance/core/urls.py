from django.urls import path

from governance.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.system_status, name="status"),
    path("status/verify-ledger/", views.ledger_verify_now, name="ledger_verify_now"),
]
