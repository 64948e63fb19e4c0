from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Each room contributes HTML pages (urls.py) and API routes (api.py) under one prefix.
ROOMS = (
    ("governance.accounts", "accounts"),
    ("governance.ledger", "ledger"),
    ("governance.inventory", "inventory"),
    ("governance.risk", "risk"),
    ("governance.liability", "liability"),
    ("governance.approvals", "approvals"),
    ("governance.dashboard", "dashboard"),
    ("audits.bias", "bias"),
    ("audits.reports", "reports"),
)

api_patterns = [path("", include(f"{module}.api")) for module, _ in ROOMS]

# The API comes first: pipelines call the gate many times a minute, and every pattern tried
# before a match costs a regular expression.
urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("", include("governance.core.urls")),
    *[path("", include(f"{module}.urls")) for module, _ in ROOMS],
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler403 = "governance.core.errorpages.forbidden"
handler404 = "governance.core.errorpages.not_found"
handler500 = "governance.core.errorpages.server_error"
