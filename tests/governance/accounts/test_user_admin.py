"""User administration on pages and in services: invitations, roles, (de)activation."""

from __future__ import annotations

import datetime as dt
import re
import types
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.accounts import services
from governance.accounts.models import ApiToken, User
from governance.accounts.roles import Role
from governance.accounts.sessions import sessions_end_for_user
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.findings.models import Finding
from governance.ledger.describe import describe_events
from governance.ledger.models import LedgerEvent
from governance.liability.choices import OfferStatus
from governance.liability.models import OwnershipOffer
from governance.liability.selectors import accountable_owner
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.findings import raise_finding
from tests.factories.liability import make_owner

pytestmark = pytest.mark.django_db


def _events(action: str, user: User) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.filter(action=action, subject_id=str(user.pk)))


def _signs_in(user: User) -> bool:
    form = {"username": user.username, "password": PASSWORD}
    return Client().post(reverse("accounts:login"), form).status_code == 302


def _signed_in(user: User) -> Client:
    client = Client()
    form = {"username": user.username, "password": PASSWORD}
    assert client.post(reverse("accounts:login"), form).status_code == 302
    return client


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Who may manage people --------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_only_administrators_open_the_user_pages(role: str) -> None:
    person = user_with_roles(Role.REQUESTER)
    client = _as(user_with_roles(role))
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:user_detail", args=[person.pk])).status_code == 403
    response = client.post(reverse("accounts:user_deactivate", args=[person.pk]), {"reason": "x"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.is_active


def test_administrators_see_users_in_the_navigation_and_others_do_not() -> None:
    admin_page = _as(user_with_roles(Role.ADMIN)).get(reverse("accounts:user_list"))
    assert 'href="/accounts/users/"' in admin_page.content.decode()
    other = _as(user_with_roles(Role.COMPLIANCE_OFFICER)).get("/").content.decode()
    assert 'href="/accounts/users/"' not in other


def test_the_list_filters_by_role_state_and_search_and_pages() -> None:
    admin = user_with_roles(Role.ADMIN)
    user_with_roles(Role.REVIEWER, username="rita", first_name="Rita")
    gone = user_with_roles(Role.REVIEWER, username="gordon")
    services.user_deactivate(user=gone, actor=admin, reason="left")
    for n in range(30):
        user_with_roles(Role.REQUESTER, username=f"req{n:02d}")
    client = _as(admin)
    url = reverse("accounts:user_list")

    reviewers = client.get(url, {"role": Role.REVIEWER}).context["page"]
    assert {u.username for u in reviewers} == {"rita", "gordon"}
    inactive = client.get(url, {"active": "no"}).context["page"]
    assert [u.username for u in inactive] == ["gordon"]
    found = client.get(url, {"q": "rita"}).context["page"]
    assert [u.username for u in found] == ["rita"]
    first = client.get(url, {"role": Role.REQUESTER}).context["page"]
    assert first.paginator.count == 30 and len(first) == 25
    second = client.get(url, {"role": Role.REQUESTER, "page": 2}).context["page"]
    assert len(second) == 5


def test_the_list_asks_a_constant_number_of_queries(django_assert_max_num_queries: Any) -> None:
    admin = user_with_roles(Role.ADMIN)
    for _ in range(20):
        user_with_roles(Role.REVIEWER, Role.LEGAL)
    client = _as(admin)
    client.get(reverse("accounts:user_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("accounts:user_list"))


# --- Invitations ------------------------------------------------------------------------


def _invite_link() -> str:
    [message] = mail.outbox
    match = re.search(r"(/accounts/invitation/\?t=\S+)", message.body)
    assert match is not None
    return match.group(1)


def test_an_invitation_mails_a_link_that_sets_the_password_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = user_with_roles(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(admin).post(
            reverse("accounts:user_invite"),
            {"username": "nina", "email": "nina@example.com", "roles": [Role.REVIEWER]},
        )
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.roles == {Role.REVIEWER} and not nina.has_usable_password()
    [invited] = _events("user.invited", nina)
    assert invited.payload["roles"] == [Role.REVIEWER]
    assert mail.outbox[0].to == ["nina@example.com"]

    link = _invite_link()
    visitor = Client()
    assert "Choose your password" in visitor.get(link).content.decode()
    token = link.split("t=", 1)[1]
    mismatch = {"t": token, "password": "a-long-new-phrase", "password_again": "other"}
    assert visitor.post(reverse("accounts:invite_accept"), mismatch).status_code == 400
    done = visitor.post(
        reverse("accounts:invite_accept"),
        {"t": token, "password": "a-long-new-phrase", "password_again": "a-long-new-phrase"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    nina.refresh_from_db()
    assert nina.check_password("a-long-new-phrase")
    assert _events("user.invitation_accepted", nina)[0].actor_id == str(nina.pk)

    # The same link a second time changes nothing.
    again = visitor.post(
        reverse("accounts:invite_accept"),
        {"t": token, "password": "another-long-phrase", "password_again": "another-long-phrase"},
    )
    assert again.status_code == 400 and "already used" in again.content.decode()
    nina.refresh_from_db()
    assert nina.check_password("a-long-new-phrase")


def test_an_invitation_link_expires(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.INVITE_MAX_AGE_HOURS = 48
    admin = user_with_roles(Role.ADMIN)
    start = 1_900_000_000

    def at(seconds: float) -> None:
        # The signature's clock only: the rest of the process keeps the real time.
        monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: seconds))

    at(start)
    nina = services.user_invite(
        username="nina", email="nina@example.com", roles=[Role.REVIEWER], actor=admin
    )
    token = services.invite_token(nina)
    at(start + 48 * 3600 - 60)
    assert services.invite_token_user(token) == nina
    at(start + 48 * 3600 + 60)
    with pytest.raises(InvalidInput, match="expired"):
        services.invite_token_user(token)
    page = Client().get(reverse("accounts:invite_accept"), {"t": token})
    assert page.status_code == 200 and "expired" in page.content.decode()
    refused = Client().post(
        reverse("accounts:invite_accept"),
        {"t": token, "password": "a-long-new-phrase", "password_again": "a-long-new-phrase"},
    )
    assert refused.status_code == 400
    nina.refresh_from_db()
    assert not nina.has_usable_password()


def test_a_tampered_invitation_link_is_refused() -> None:
    nina = services.user_invite(
        username="nina", email="nina@example.com", roles=[], actor=user_with_roles(Role.ADMIN)
    )
    token = services.invite_token(nina)
    with pytest.raises(InvalidInput, match="not valid"):
        services.invite_token_user(token[:-2] + "xx")


def test_an_invitation_needs_an_address_and_a_free_username() -> None:
    admin = user_with_roles(Role.ADMIN, username="taken")
    with pytest.raises(InvalidInput):
        services.user_invite(username="nina", email="", roles=[], actor=admin)
    with pytest.raises(Conflict):
        services.user_invite(username="TAKEN", email="t@example.com", roles=[], actor=admin)
    response = _as(admin).post(
        reverse("accounts:user_invite"), {"username": "bad name!", "email": "x@example.com"}
    )
    assert response.status_code == 400 and not User.objects.filter(username="bad name!").exists()


def test_a_new_invitation_link_can_be_sent_and_is_ledgered(
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = user_with_roles(Role.ADMIN)
    nina = services.user_invite(username="nina", email="n@example.com", roles=[], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(admin).post(reverse("accounts:user_invite_resend", args=[nina.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and _events("user.invitation_sent", nina)


# --- Roles ------------------------------------------------------------------------------


def test_an_administrator_changes_someones_roles_on_the_page() -> None:
    admin = user_with_roles(Role.ADMIN)
    person = user_with_roles(Role.REQUESTER)
    response = _as(admin).post(
        reverse("accounts:user_roles", args=[person.pk]), {"roles": [Role.REVIEWER, Role.LEGAL]}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).roles == {Role.REVIEWER, Role.LEGAL}
    [event] = _events("user.roles_changed", person)
    assert event.payload == {"before": ["requester"], "after": ["legal", "reviewer"]}


def test_nobody_changes_their_own_roles() -> None:
    admin = user_with_roles(Role.ADMIN)
    user_with_roles(Role.ADMIN)
    with pytest.raises(PermissionRefused, match="yourself"):
        services.user_roles_set(user=admin, roles=[Role.ADMIN, Role.EXECUTIVE], actor=admin)
    response = _as(admin).post(
        reverse("accounts:user_roles", args=[admin.pk]), {"roles": [Role.AUDITOR]}
    )
    assert response.status_code == 400 and "yourself" in response.content.decode()
    assert User.objects.get(pk=admin.pk).roles == {Role.ADMIN}


def test_the_last_active_administrator_keeps_the_role_and_the_account() -> None:
    first = user_with_roles(Role.ADMIN)
    second = user_with_roles(Role.ADMIN)
    services.user_deactivate(user=second, actor=first, reason="left")
    # `second` is inactive, so `first` is the last active administrator.
    other = user_with_roles(Role.COMPLIANCE_OFFICER)
    with pytest.raises(Conflict, match="last active administrator"):
        services.user_roles_set(user=first, roles=[Role.AUDITOR], actor=other)
    with pytest.raises(Conflict, match="last active administrator"):
        services.user_deactivate(user=first, actor=other, reason="x")
    page = _as(second_admin := user_with_roles(Role.ADMIN)).post(
        reverse("accounts:user_deactivate", args=[first.pk]), {"reason": "x"}
    )
    # With a second active administrator the first may go, but not the one left after.
    assert page.status_code == 302
    refused = _as(first).post(
        reverse("accounts:user_deactivate", args=[second_admin.pk]), {"reason": "x"}
    )
    assert refused.status_code in (302, 403)  # `first` is inactive now: signed out
    with pytest.raises(Conflict):
        services.user_deactivate(user=second_admin, actor=other, reason="x")
    assert User.objects.get(pk=second_admin.pk).is_active


# --- Deactivation -----------------------------------------------------------------------


def test_nobody_deactivates_themselves() -> None:
    admin = user_with_roles(Role.ADMIN)
    user_with_roles(Role.ADMIN)
    response = _as(admin).post(
        reverse("accounts:user_deactivate", args=[admin.pk]), {"reason": "tired"}
    )
    assert response.status_code == 400 and "yourself" in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_active


def test_deactivation_ends_sessions_revokes_tokens_and_is_ledgered() -> None:
    admin = user_with_roles(Role.ADMIN)
    person = user_with_roles(Role.REQUESTER)
    browser, laptop = _signed_in(person), _signed_in(person)
    bystander = _signed_in(user_with_roles(Role.REVIEWER))
    services.api_token_create(user=person, name="ci", scopes=["read"])
    services.api_token_create(user=person, name="ci2", scopes=["gate:read"])
    assert browser.get(reverse("accounts:profile")).status_code == 200

    response = _as(admin).post(
        reverse("accounts:user_deactivate", args=[person.pk]), {"reason": "left the company"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    for client in (browser, laptop):
        assert client.get(reverse("accounts:profile")).status_code == 302
    assert bystander.get(reverse("accounts:profile")).status_code == 200
    [event] = _events("user.deactivated", person)
    assert event.payload["tokens_revoked"] == 2 and event.payload["sessions_ended"] == 2
    assert event.payload["reason"] == "left the company"
    assert len(LedgerEvent.objects.filter(action="api_token.revoked")) == 2
    [described] = describe_events([event])
    assert "deactivated the account of" in described.sentence


def test_sessions_end_for_user_deletes_only_that_persons_sessions() -> None:
    person, other = user_with_roles(Role.REQUESTER), user_with_roles(Role.REQUESTER)
    _signed_in(person)
    _signed_in(person)
    _signed_in(other)
    assert sessions_end_for_user(user=person) == 2
    assert Session.objects.count() == 1
    assert sessions_end_for_user(user=person) == 0


def test_deactivation_orphans_ownerships_and_flags_findings_on_the_overview(
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = user_with_roles(Role.ADMIN)
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    owner = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory()
    make_owner(deployment, owner, offered_by=officer)
    offer = services_offer(DeploymentFactory(), owner, officer)
    finding = raise_finding(owner=owner, actor=officer)

    services.user_deactivate(user=owner, actor=admin, reason="left")

    assert accountable_owner(deployment) is None
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    finding.refresh_from_db()
    assert finding.owner_id == owner.pk
    overview = _as(officer).get(reverse("dashboard:overview"))
    numbers = {n.label: n for panel in overview.context["panels"] for n in panel.numbers}
    assert numbers["need a new owner"].count == 1
    listed = _as(officer).get(numbers["need a new owner"].url).context["page"]
    assert [f.pk for f in listed] == [finding.pk]
    assert overview.context["o"].orphaned >= 1

    # Someone who manages findings gives it a new owner from its page.
    detail = _as(officer).get(reverse("findings:detail", args=[finding.pk])).content.decode()
    assert "Needs a new owner" in detail
    taker = user_with_roles(Role.REQUESTER)
    response = _as(officer).post(
        reverse("findings:change_owner", args=[finding.pk]), {"owner": str(taker.pk)}
    )
    assert response.status_code == 302
    assert Finding.objects.get(pk=finding.pk).owner_id == taker.pk
    assert LedgerEvent.objects.filter(action="finding.owner_changed").count() == 1


def services_offer(deployment: Any, to_user: User, actor: User) -> OwnershipOffer:
    from governance.liability import services as liability

    return liability.ownership_offer_create(
        deployment=deployment, to_user=to_user, reason="Runs it", actor=actor
    )


def test_deactivation_with_a_successor_hands_over_findings_and_offers_ownership() -> None:
    admin = user_with_roles(Role.ADMIN)
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    owner = user_with_roles(Role.REQUESTER)
    successor = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory()
    make_owner(deployment, owner, offered_by=officer)
    finding = raise_finding(owner=owner, actor=officer)

    response = _as(admin).post(
        reverse("accounts:user_deactivate", args=[owner.pk]),
        {"reason": "moved team", "successor": str(successor.pk)},
    )
    assert response.status_code == 302
    assert Finding.objects.get(pk=finding.pk).owner_id == successor.pk
    # Ownership is a signature: it waits for the successor's acceptance, orphaned until then.
    assert accountable_owner(deployment) is None
    offer = OwnershipOffer.objects.get(deployment=deployment, to_user=successor)
    assert offer.status == OfferStatus.PENDING and offer.offered_by_id == admin.pk
    [event] = _events("user.deactivated", owner)
    assert event.payload["successor"] == successor.username


def test_a_failed_deactivation_saves_nothing() -> None:
    admin = user_with_roles(Role.ADMIN)
    person = user_with_roles(Role.REQUESTER)
    gone = user_with_roles(Role.REQUESTER, is_active=False)
    with pytest.raises(InvalidInput):
        services.user_deactivate(user=person, actor=admin, successor=gone)
    person.refresh_from_db()
    assert person.is_active and not _events("user.deactivated", person)


# --- Reactivation -----------------------------------------------------------------------


def test_reactivation_restores_sign_in_with_the_same_roles_and_is_ledgered() -> None:
    admin = user_with_roles(Role.ADMIN)
    person = user_with_roles(Role.REVIEWER)
    services.user_deactivate(user=person, actor=admin, reason="leave")
    assert not _signs_in(person)
    response = _as(admin).post(
        reverse("accounts:user_reactivate", args=[person.pk]), {"reason": "back"}
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.is_active and person.roles == {Role.REVIEWER}
    assert _signs_in(person)
    [event] = _events("user.reactivated", person)
    assert event.payload == {"reason": "back"}


def test_every_transition_reads_as_a_sentence() -> None:
    admin = user_with_roles(Role.ADMIN, first_name="Ada", last_name="Admin")
    nina = services.user_invite(username="nina", email="n@example.com", roles=[], actor=admin)
    services.user_roles_set(user=nina, roles=[Role.LEGAL], actor=admin)
    services.user_deactivate(user=nina, actor=admin, reason="x")
    services.user_reactivate(user=nina, actor=admin)
    events = describe_events(LedgerEvent.objects.filter(subject_id=str(nina.pk)).order_by("seq"))
    sentences = [e.sentence for e in events]
    assert sentences == [
        "Ada Admin invited nina to the system",
        "Ada Admin changed the roles of nina",
        "Ada Admin deactivated the account of nina",
        "Ada Admin reactivated the account of nina",
    ]


def test_details_are_updated_through_the_service_and_ledgered() -> None:
    admin = user_with_roles(Role.ADMIN)
    person = user_with_roles(Role.REVIEWER, username="old")
    services.user_details_update(user=person, actor=admin, username="new", email="n@example.com")
    person.refresh_from_db()
    assert person.username == "new"
    [event] = _events("user.details_changed", person)
    assert event.payload["before"]["username"] == "old"
    with pytest.raises(InvalidInput):
        services.user_details_update(user=person, actor=admin, email="not-an-address")


def test_the_invited_filter_lists_people_without_a_password() -> None:
    admin = user_with_roles(Role.ADMIN)
    services.user_invite(username="nina", email="n@example.com", roles=[], actor=admin)
    page = _as(admin).get(reverse("accounts:user_list"), {"active": "invited"}).context["page"]
    assert [u.username for u in page] == ["nina"]


def test_an_expired_session_is_not_counted() -> None:
    person = user_with_roles(Role.REQUESTER)
    _signed_in(person)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert sessions_end_for_user(user=person) == 0
