"""Provider sign-in is configured from the environment and checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.core.test_settings import _manage, _production

PROVIDER = {
    "OIDC_ISSUER": "https://login.example.com/realms/staff",
    "OIDC_CLIENT_ID": "governance",
    "OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
    "GROUP_ROLES": "gov-reviewers=reviewer,gov-admins=admin",
}


def test_production_with_provider_sign_in_only_passes_the_deployment_checklist(
    tmp_path: Path,
) -> None:
    env = _production(tmp_path, **PROVIDER, LOCAL_LOGIN_ENABLED="false")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr + result.stdout


def test_switching_off_passwords_without_a_provider_is_refused(tmp_path: Path) -> None:
    result = _manage("check", GOVERNANCE_VAR_DIR=str(tmp_path), LOCAL_LOGIN_ENABLED="false")
    assert result.returncode != 0 and "nobody could sign in" in result.stderr


def test_production_refuses_a_provider_without_https(tmp_path: Path) -> None:
    env = _production(tmp_path, **{**PROVIDER, "OIDC_ISSUER": "http://login.example.com"})
    result = _manage("check", **env)
    assert result.returncode != 0 and "OIDC_ISSUER must be an https:// URL" in result.stderr


def test_a_provider_needs_its_client_credentials(tmp_path: Path) -> None:
    result = _manage("check", GOVERNANCE_VAR_DIR=str(tmp_path), OIDC_ISSUER=PROVIDER["OIDC_ISSUER"])
    assert result.returncode != 0 and "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET" in result.stderr


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ("gov-reviewers=reviewr", "names an unknown role 'reviewr'"),
        ("gov-reviewers", "'gov-reviewers' is not of the form group=role"),
        ("", "maps no group to a role"),
    ],
)
def test_a_group_mapping_that_cannot_work_fails_the_checks(
    tmp_path: Path, mapping: str, problem: str
) -> None:
    env = {**PROVIDER, "GROUP_ROLES": mapping, "GOVERNANCE_VAR_DIR": str(tmp_path)}
    result = _manage("check", **env)
    assert result.returncode != 0 and problem in result.stderr + result.stdout
