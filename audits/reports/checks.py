"""Start-up checks: a configured signing key must load, and production must not sign with the
development certificate. Production refuses to start without a key (governance/settings.py);
elsewhere a missing key is reported when a report is generated, with the instruction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def signing_configuration(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from audits.reports.signing import SigningNotConfigured, signing_material

    if not (settings.REPORT_SIGNING_KEY or settings.REPORT_SIGNING_CERT):
        return []
    try:
        signing_material()
    except SigningNotConfigured as exc:
        return [checks.Error(str(exc), id="reports.E001")]
    return []
