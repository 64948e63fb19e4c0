"""SCIM 2.0 provisioning: an identity provider creates, updates and deactivates people, and its
groups grant roles, every change through the accounts services and in the ledger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from governance.accounts import services
from governance.accounts.group_roles import parse_group_roles, roles_of_groups
from governance.accounts.models import ApiToken, User
from governance.accounts.roles import Role
from governance.accounts.scim.protocol import ERROR, LIST_RESPONSE, USER_SCHEMA
from governance.core.errors import PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

GROUPS = "gov-reviewers=reviewer,gov-admins=admin,GOV-Legal=legal"


@pytest.fixture(autouse=True)
def _groups(settings: Any) -> None:
    settings.GROUP_ROLES = GROUPS


@pytest.fixture
def provisioner() -> User:
    # A service account of its own, so the provider never changes the token owner's roles.
    return user_with_roles(Role.ADMIN, username="scim-bot")


class Scim:
    def __init__(self, key: str) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        url = f"/scim/v2/{path}"
        if method == "get":
            return self.client.get(url, query, **self.headers)
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return getattr(self.client, method)(
            url, data, content_type="application/scim+json", **self.headers
        )


@pytest.fixture
def scim(provisioner: User) -> Scim:
    return Scim(services.api_token_create(user=provisioner, name="idp", scopes=["scim"]))


def _error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type is not None:
        assert body["scimType"] == scim_type
    return body


def _group_id(scim: Scim, name: str) -> str:
    listed = scim.call("get", "Groups", filter=f'displayName eq "{name}"').json()
    [group] = listed["Resources"]
    return str(group["id"])


def _create(scim: Scim, username: str = "nina", **extra: Any) -> Any:
    body = {
        "schemas": [USER_SCHEMA],
        "userName": username,
        "name": {"givenName": "Nina", "familyName": "Novak"},
        "emails": [{"value": f"{username}@example.com", "type": "work", "primary": True}],
        "active": True,
        **extra,
    }
    return scim.call("post", "Users", body)


# --- Users ---------------------------------------------------------------------------------


def test_the_provider_creates_a_user_who_is_ledgered_and_found_by_username(
    scim: Scim, provisioner: User
) -> None:
    response = _create(scim, externalId="00u1", displayName="Nina N.")
    assert response.status_code == 201
    body = response.json()
    nina = User.objects.get(username="nina")
    assert body["id"] == str(nina.pk) and body["active"] is True
    assert response["Location"].endswith(f"/scim/v2/Users/{nina.pk}")
    assert (nina.first_name, nina.last_name, nina.email) == ("Nina", "Novak", "nina@example.com")
    assert not nina.has_usable_password() and nina.roles == frozenset()
    [event] = LedgerEvent.objects.filter(action="user.provisioned", subject_id=str(nina.pk))
    assert event.actor_id == str(provisioner.pk) and event.payload["source"] == "scim"

    found = scim.call("get", "Users", filter='userName eq "NINA"').json()
    assert found["schemas"] == [LIST_RESPONSE] and found["totalResults"] == 1
    assert found["Resources"][0]["userName"] == "nina"
    none = scim.call("get", "Users", filter='userName eq "nobody"').json()
    assert none["totalResults"] == 0 and none["Resources"] == []
    one = scim.call("get", f"Users/{nina.pk}").json()
    assert one["emails"][0]["value"] == "nina@example.com"


def test_a_username_already_taken_is_a_uniqueness_conflict(scim: Scim) -> None:
    _create(scim)
    _error(_create(scim, username="NINA"), 409, "uniqueness")
    assert User.objects.filter(username__iexact="nina").count() == 1


def test_patch_active_false_deactivates_ends_sessions_and_revokes_tokens(scim: Scim) -> None:
    nina = User.objects.get(pk=_create(scim).json()["id"])
    nina.set_password(PASSWORD)
    nina.save()
    browser = Client()
    assert (
        browser.post("/accounts/login/", {"username": "nina", "password": PASSWORD}).status_code
        == 302
    )
    services.user_roles_set(user=nina, roles=[Role.REQUESTER], actor=None)
    services.api_token_create(user=nina, name="ci", scopes=["read"])

    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    response = scim.call("patch", f"Users/{nina.pk}", body)
    assert response.status_code == 200 and response.json()["active"] is False
    nina.refresh_from_db()
    assert not nina.is_active
    assert not ApiToken.objects.filter(user=nina, revoked_at__isnull=True).exists()
    assert not Session.objects.exists()
    assert browser.get("/accounts/profile/").status_code == 302
    [event] = LedgerEvent.objects.filter(action="user.deactivated", subject_id=str(nina.pk))
    assert "SCIM" in event.payload["reason"] and event.payload["sessions_ended"] == 1

    # Without a path, as some providers send it; and back on.
    again = {"Operations": [{"op": "replace", "value": {"active": True}}]}
    assert scim.call("patch", f"Users/{nina.pk}", again).json()["active"] is True
    assert LedgerEvent.objects.filter(action="user.reactivated", subject_id=str(nina.pk)).exists()


def test_patch_replace_changes_name_and_email_through_the_service(scim: Scim) -> None:
    nina = _create(scim).json()
    body = {
        "Operations": [
            {"op": "replace", "path": "name.familyName", "value": "Nowak"},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "nn@example.com"},
            {"op": "replace", "path": "userName", "value": "nina.nowak"},
        ]
    }
    response = scim.call("patch", f"Users/{nina['id']}", body)
    assert response.status_code == 200
    person = User.objects.get(pk=nina["id"])
    assert (person.username, person.last_name, person.email) == (
        "nina.nowak",
        "Nowak",
        "nn@example.com",
    )
    [event] = LedgerEvent.objects.filter(action="user.details_changed")
    assert event.payload["after"]["username"] == "nina.nowak"


def test_put_replaces_the_user_and_delete_deactivates(scim: Scim) -> None:
    nina = _create(scim).json()
    put = {"schemas": [USER_SCHEMA], "userName": "nina", "name": {"givenName": "Nina"}}
    assert scim.call("put", f"Users/{nina['id']}", put).status_code == 200
    person = User.objects.get(pk=nina["id"])
    assert (person.last_name, person.email) == ("", "")
    assert scim.call("delete", f"Users/{nina['id']}").status_code == 204
    person.refresh_from_db()
    assert not person.is_active  # never deleted: the audit trail names them


def test_the_provider_cannot_deactivate_its_own_token_owner(scim: Scim, provisioner: User) -> None:
    body = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    _error(scim.call("patch", f"Users/{provisioner.pk}", body), 403)
    provisioner.refresh_from_db()
    assert provisioner.is_active


# --- Groups --------------------------------------------------------------------------------


def test_group_membership_grants_and_removes_roles(scim: Scim) -> None:
    nina = _create(scim).json()
    group_id = _group_id(scim, "gov-reviewers")
    add = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": nina["id"]}]}],
    }
    response = scim.call("patch", f"Groups/{group_id}", add)
    assert response.status_code == 200
    assert [m["value"] for m in response.json()["members"]] == [nina["id"]]
    assert User.objects.get(pk=nina["id"]).roles == {Role.REVIEWER}
    user_groups = scim.call("get", f"Users/{nina['id']}").json()["groups"]
    assert [g["display"] for g in user_groups] == ["gov-reviewers"]
    [granted] = LedgerEvent.objects.filter(action="user.roles_changed", subject_id=nina["id"])
    assert granted.payload == {"before": [], "after": ["reviewer"]}

    remove = {
        "Operations": [{"op": "remove", "path": f'members[value eq "{nina["id"]}"]'}],
    }
    assert scim.call("patch", f"Groups/{group_id}", remove).status_code == 200
    assert User.objects.get(pk=nina["id"]).roles == frozenset()
    assert LedgerEvent.objects.filter(action="user.roles_changed").count() == 2


def test_groups_are_the_configured_mapping(scim: Scim) -> None:
    listed = scim.call("get", "Groups").json()
    assert sorted(g["displayName"] for g in listed["Resources"]) == [
        "GOV-Legal",
        "gov-admins",
        "gov-reviewers",
    ]
    created = scim.call("post", "Groups", {"displayName": "gov-legal", "members": []})
    assert created.status_code == 201 and created.json()["displayName"] == "GOV-Legal"


def test_an_unknown_group_is_refused_with_a_scim_error(scim: Scim) -> None:
    _error(scim.call("post", "Groups", {"displayName": "marketing"}), 400, "invalidValue")
    _error(scim.call("get", "Groups/not-a-group"), 404)


def test_an_unknown_member_changes_nothing(scim: Scim) -> None:
    nina = _create(scim).json()
    group_id = _group_id(scim, "gov-reviewers")
    body = {
        "Operations": [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": nina["id"]}, {"value": "5d1e4c3a-0000-4000-8000-000000000000"}],
            }
        ]
    }
    _error(scim.call("patch", f"Groups/{group_id}", body), 400, "invalidValue")
    assert User.objects.get(pk=nina["id"]).roles == frozenset()


def test_the_provider_removes_other_administrators_but_never_its_own_owner(
    scim: Scim, provisioner: User
) -> None:
    # Only administrators manage accounts, so the token's owner is an active administrator
    # the provider cannot touch: the organisation always keeps one.
    other = user_with_roles(Role.ADMIN)
    group_id = _group_id(scim, "gov-admins")
    body = {"Operations": [{"op": "remove", "path": f'members[value eq "{other.pk}"]'}]}
    assert scim.call("patch", f"Groups/{group_id}", body).status_code == 200
    assert User.objects.get(pk=other.pk).roles == frozenset()
    mine = {"Operations": [{"op": "remove", "path": f'members[value eq "{provisioner.pk}"]'}]}
    _error(scim.call("patch", f"Groups/{group_id}", mine), 403)
    assert Role.ADMIN in User.objects.get(pk=provisioner.pk).roles


def test_a_refused_member_leaves_the_whole_group_change_unsaved(
    scim: Scim, provisioner: User
) -> None:
    nina = _create(scim).json()
    group_id = _group_id(scim, "gov-admins")
    # Replacing the members with Nina alone would remove the token's owner: refused, and
    # Nina is not made an administrator either.
    body = {"Operations": [{"op": "replace", "path": "members", "value": [{"value": nina["id"]}]}]}
    _error(scim.call("patch", f"Groups/{group_id}", body), 403)
    assert User.objects.get(pk=nina["id"]).roles == frozenset()


# --- Bad input and authentication -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [USER_SCHEMA], "name": {"givenName": "No"}}, "invalidValue"),
        ({"userName": ""}, "invalidValue"),
        ({"userName": 42}, "invalidValue"),
        ({"userName": "x", "active": "maybe"}, "invalidValue"),
        ({"userName": "x", "emails": "not-an-address"}, "invalidValue"),
        ({"userName": "x", "favouriteColour": "blue"}, "invalidPath"),
        ({"userName": "bad name!"}, "invalidValue"),
        ({"userName": "x\u0000y"}, "invalidValue"),
        ("not json", "invalidSyntax"),
        ([1, 2], "invalidSyntax"),
    ],
)
def test_bad_user_bodies_get_a_scim_400_and_save_nothing(
    scim: Scim, body: Any, scim_type: str
) -> None:
    before = User.objects.count()
    _error(scim.call("post", "Users", body), 400, scim_type)
    assert User.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"Operations": []},
        {"Operations": [{"op": "move", "path": "active"}]},
        {"Operations": [{"op": "remove", "path": "userName"}]},
        {"Operations": [{"op": "replace", "value": "not an object"}]},
        {"Operations": ["x"]},
    ],
)
def test_bad_patches_get_a_scim_400(scim: Scim, body: Any) -> None:
    nina = _create(scim).json()
    response = scim.call("patch", f"Users/{nina['id']}", body)
    assert response.status_code == 400 and response.json()["schemas"] == [ERROR]


def test_unsupported_filters_and_unknown_ids_are_scim_errors(scim: Scim) -> None:
    _error(scim.call("get", "Users", filter='title co "x"'), 400, "invalidFilter")
    _error(scim.call("get", "Users", filter="userName sw x"), 400, "invalidFilter")
    _error(scim.call("get", "Users", startIndex="abc"), 400, "invalidValue")
    _error(scim.call("get", "Users/not-a-uuid"), 404)
    _error(scim.call("get", "Users/5d1e4c3a-0000-4000-8000-000000000000"), 404)
    _error(scim.call("get", "Nothing/here"), 404)
    _error(scim.call("post", "ServiceProviderConfig", {}), 405)


def test_a_missing_or_wrong_token_is_a_scim_401(provisioner: User) -> None:
    _error(Client().get("/scim/v2/Users"), 401)
    wrong = Scim("not-a-key")
    response = wrong.call("get", "Users")
    _error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_scim_scope_or_an_owner_who_manages_no_accounts_is_a_scim_403(
    provisioner: User,
) -> None:
    read_only = Scim(services.api_token_create(user=provisioner, name="r", scopes=["read"]))
    _error(read_only.call("get", "Users"), 403)
    holder = user_with_roles(Role.ADMIN)
    key = services.api_token_create(user=holder, name="idp", scopes=["scim"])
    services.user_roles_set(user=holder, roles=[Role.COMPLIANCE_OFFICER], actor=provisioner)
    _error(Scim(key).call("post", "Users", {"userName": "x"}), 403)
    assert not User.objects.filter(username="x").exists()


def test_a_scim_token_opens_nothing_else(scim: Scim) -> None:
    response = scim.client.get(
        "/api/v1/me/",
        HTTP_AUTHORIZATION=scim.headers["HTTP_AUTHORIZATION"].replace("Bearer", "Token"),
    )
    assert response.status_code == 403


def test_only_people_who_manage_accounts_may_mint_a_scim_token() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    with pytest.raises(PermissionRefused):
        services.api_token_create(user=officer, name="idp", scopes=["scim"])


def test_discovery_endpoints_describe_the_service(scim: Scim) -> None:
    config = scim.call("get", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = scim.call("get", "ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = scim.call("get", "Schemas").json()
    assert USER_SCHEMA in {s["id"] for s in schemas["Resources"]}
    assert scim.call("get", f"Schemas/{USER_SCHEMA}").json()["name"] == "User"


# --- The group-role mapping -------------------------------------------------------------------


def test_the_group_role_mapping_parses_and_refuses_unknown_roles() -> None:
    from django.core.exceptions import ImproperlyConfigured

    mapping = parse_group_roles(" a=reviewer , A=legal,b=admin ")
    assert mapping == {"a": {"reviewer", "legal"}, "b": {"admin"}}
    assert roles_of_groups(["GOV-REVIEWERS", "unknown"]) == {"reviewer"}
    for bad in ("a", "a=", "=reviewer", "a=pilot"):
        with pytest.raises(ImproperlyConfigured, match="mapping entry"):
            parse_group_roles(bad)
