from django.urls import path

from governance.core import views
from governance.core.icons import favicon
from governance.dashboard.views import home

app_name = "core"

urlpatterns = [
    # The role-aware home lives in the dashboard; the name stays `core:home` for every link.
    path("", home, name="home"),
    path("status/", views.system_status, name="status"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", favicon, name="favicon"),
    path("status/verify-ledger/", views.ledger_verify_now, name="ledger_verify_now"),
]
