from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from governance.approvals.api import gate_urlpatterns
from governance.core.icons import favicon
from governance.dashboard.views import home

# Each room contributes HTML pages (urls.py) and API routes (api.py) under one prefix.
ROOMS = (
    ("governance.accounts", "accounts"),
    ("governance.ledger", "ledger"),
    ("governance.inventory", "inventory"),
    ("governance.risk", "risk"),
    ("governance.liability", "liability"),
    ("governance.approvals", "approvals"),
    ("governance.monitoring", "monitoring"),
    ("governance.notifications", "notifications"),
    ("governance.dashboard", "dashboard"),
    ("governance.findings", "findings"),
    ("governance.obligations", "obligations"),
    ("audits.bias", "bias"),
    ("audits.reports", "reports"),
)

# The API comes first, and the gate first within it: pipelines call the gate many times a
# minute, and every pattern tried before a match costs a regular expression (resolving the
# gate's path behind all the other API routes took a seventh of a replayed answer's time).
api_patterns: list[URLPattern | URLResolver] = [
    *gate_urlpatterns,
    *[path("", include(f"{module}.api")) for module, _ in ROOMS],
]

core_patterns = [
    path("", home, name="home"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", favicon, name="favicon"),
]

urlpatterns = [
    path("api/v1/", include(api_patterns)),
    # The role-aware home (a dashboard page) and the site icon keep the `core:` names every
    # link uses; the project's URLconf composes them so that core imports no room.
    path("", include((core_patterns, "core"))),
    *[path("", include(f"{module}.urls")) for module, _ in ROOMS],
    # Identity providers provision people here (docs/identity.md); not part of the JSON API.
    path("scim/v2/", include("governance.accounts.scim.urls")),
    # Sign-in through the organisation's OpenID Connect provider (docs/identity.md).
    path("", include("governance.accounts.sso.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "governance.core.errorpages.bad_request"
handler403 = "governance.core.errorpages.forbidden"
handler404 = "governance.core.errorpages.not_found"
handler500 = "governance.core.errorpages.server_error"
