from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from governance.accounts.sso import provider as sso_provider
from tests.oidc_provider import provider as test_provider

PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "alice": {
        "password": PASSWORD,
        "email": "alice@example.com",
        "given_name": "Alice",
        "family_name": "Archer",
        "groups": ["gov-reviewers", "marketing"],
    },
    "carol": {
        "password": PASSWORD,
        "email": "carol@example.com",
        "given_name": "Carol",
        "family_name": "Chen",
        "groups": ["gov-compliance"],
    },
    "mallory": {"password": PASSWORD, "email": "mallory@example.com", "groups": ["marketing"]},
}


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[test_provider.TestProvider]:
    problem = test_provider.missing_requirement()
    if problem:
        pytest.fail(problem, pytrace=False)
    yield from test_provider.start(ACCOUNTS)


@pytest.fixture
def oidc(settings: Any, oidc_server: test_provider.TestProvider) -> test_provider.TestProvider:
    """The app configured for the test provider, its accounts as at the start."""
    for username, claims in ACCOUNTS.items():
        oidc_server.set_account(username, **claims)
    oidc_server.tamper_next_id_token("")
    return configure(settings, oidc_server)


def configure(settings: Any, oidc_server: test_provider.TestProvider) -> test_provider.TestProvider:
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = oidc_server.issuer
    settings.OIDC_RP_CLIENT_ID = oidc_server.client_id
    settings.OIDC_RP_CLIENT_SECRET = oidc_server.client_secret
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_PROVIDER_NAME = "Test Identity"
    settings.GROUP_ROLES = (
        "gov-reviewers=reviewer,gov-compliance=compliance_officer,gov-unused=auditor"
    )
    sso_provider._discovered.clear()
    return oidc_server


def sign_in(client: Any, oidc: test_provider.TestProvider, username: str) -> Any:
    """Start at the login page's link, log in at the provider, come back; the last answer."""
    start = client.get("/oidc/login/")
    assert start.status_code == 302, start.content[:500]
    back = oidc.login(start["Location"], username=username, password=PASSWORD)
    return client.get(back.removeprefix("http://testserver"))
