"""A pipeline asking the same question again gets the kept answer for one statement, and
only while the token, its user and everything recorded are as they were."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.types.json import Jsonb
from rest_framework.test import APIClient

from governance.accounts.models import ApiToken, User
from governance.accounts.roles import Role
from governance.accounts.services import api_token_create, api_token_revoke, user_roles_set
from governance.approvals import gate_replay, services
from governance.approvals.models import GateDecision
from governance.inventory.services import deployment_update
from tests.factories import user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = pytest.mark.django_db


def _approved_deployment(tier: str = "II") -> tuple[Any, User]:
    deployment, requester, _ = ready_deployment(tier)
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    return deployment, requester


def _pipeline(user: User) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, scopes=['gate:read'])}"
    )
    return client


def _replayed(client: APIClient, url: str, **extra: Any) -> tuple[bool, Any]:
    """Ask; True if the answer was a replay (one statement), with the response."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return len(queries.captured_queries) == 1, response


def _kept_for(client: APIClient, url: str) -> None:
    """Ask twice and make sure the second answer was a replay."""
    assert client.get(url).status_code == 200
    replayed, response = _replayed(client, url)
    assert replayed and response.status_code == 200


def _auditor_with_a_kept_answer() -> tuple[Any, User, APIClient, str]:
    """An approved deployment, an auditor's pipeline, the gate's URL, the answer kept."""
    deployment, _ = _approved_deployment()
    auditor = user_with_roles(Role.AUDITOR)
    pipeline = _pipeline(auditor)
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    _kept_for(pipeline, url)
    return deployment, auditor, pipeline, url


def _decisions(deployment: Any) -> list[tuple[Any, ...]]:
    return list(
        GateDecision.objects.filter(deployment=deployment)
        .order_by("id")
        .values_list("asked_by_id", "allowed", "reasons", "fingerprint", "approval_id")
    )


def test_asking_again_costs_one_statement_and_gives_and_records_the_same_answer(
    django_assert_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    deployment, _ = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    first = pipeline.get(url)
    assert first.json()["allowed"] is True
    with django_assert_num_queries(1):
        again = pipeline.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert dict(again.headers) == dict(first.headers)
    first_record, replayed_record = _decisions(deployment)
    assert replayed_record == first_record
    assert replayed_record[0] is not None and replayed_record[1] is True


def test_a_closed_gate_is_replayed_with_its_reasons(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    deployment, _, _ = ready_deployment("II")
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    first = pipeline.get(url).json()
    assert first["allowed"] is False and first["reasons"]
    with django_assert_num_queries(1):
        assert pipeline.get(url).json() == first
    replayed = GateDecision.objects.filter(deployment=deployment).order_by("id").last()
    assert replayed is not None and replayed.reasons == first["reasons"]
    assert replayed.allowed is False and replayed.approval_id is None


def test_the_lookup_by_name_is_replayed_too(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    deployment, _ = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    query = {
        "system": deployment.model_version.system.name,
        "version": deployment.model_version.version_label,
        "environment": deployment.environment,
    }
    first = pipeline.get("/api/v1/gate/", query)
    assert first.json()["allowed"] is True
    with django_assert_num_queries(1):
        assert pipeline.get("/api/v1/gate/", query).content == first.content
    # A different question is not answered from the kept one.
    assert pipeline.get("/api/v1/gate/", {**query, "environment": "elsewhere"}).status_code == 404


def test_a_recorded_change_is_seen_on_the_very_next_call() -> None:
    deployment, requester = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    _kept_for(pipeline, url)
    deployment_update(deployment=deployment, actor=requester, fields={"region": "us-east-1"})
    body = pipeline.get(url).json()
    assert body["allowed"] is False
    assert any("invalidated" in reason for reason in body["reasons"]), body["reasons"]
    assert [allowed for _, allowed, *_ in _decisions(deployment)] == [True, True, False]


def test_a_revoked_token_is_refused_on_the_very_next_call() -> None:
    deployment, auditor, pipeline, url = _auditor_with_a_kept_answer()
    api_token_revoke(token=ApiToken.objects.get(user=auditor), actor=auditor)
    assert pipeline.get(url).status_code == 401
    assert len(_decisions(deployment)) == 2


def test_a_token_or_user_switched_off_behind_the_ledgers_back_is_still_refused() -> None:
    # The replay reads the token and the user themselves, not only the ledger head.
    deployment, auditor, pipeline, url = _auditor_with_a_kept_answer()
    User.objects.filter(pk=auditor.pk).update(is_active=False)
    assert pipeline.get(url).status_code == 401
    User.objects.filter(pk=auditor.pk).update(is_active=True)
    _kept_for(pipeline, url)
    ApiToken.objects.filter(user=auditor).update(revoked_at=timezone.now())
    assert pipeline.get(url).status_code == 401
    assert len(_decisions(deployment)) == 4


def test_losing_the_role_that_let_a_caller_see_deployments_is_seen_on_the_next_call() -> None:
    deployment, auditor, pipeline, url = _auditor_with_a_kept_answer()
    user_roles_set(user=auditor, roles=[], actor=user_with_roles(Role.ADMIN))
    assert pipeline.get(url).status_code == 403
    assert len(_decisions(deployment)) == 2


def test_a_role_lost_while_an_answer_is_being_made_is_not_hidden_by_keeping_it(
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    # The caller passes the role check, then loses the role before the answer is made: the
    # answer is given (it was asked with the role) but not kept for the next call.
    from governance.approvals import api as gate_api

    deployment, _ = _approved_deployment()
    auditor = user_with_roles(Role.AUDITOR)
    pipeline = _pipeline(auditor)
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    answer = gate_api.gate_answer

    def answer_after_losing_the_role(*args: Any, **kwargs: Any) -> Any:
        user_roles_set(user=auditor, roles=[], actor=None)
        monkeypatch.setattr(gate_api, "gate_answer", answer)
        return answer(*args, **kwargs)

    monkeypatch.setattr(gate_api, "gate_answer", answer_after_losing_the_role)
    assert pipeline.get(url).status_code == 200
    assert pipeline.get(url).status_code == 403


def test_a_kept_answer_is_not_replayed_after_its_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    deployment, _ = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    _kept_for(pipeline, url)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    replayed, response = _replayed(pipeline, url)
    assert not replayed and response.json()["allowed"] is True
    assert len(_decisions(deployment)) == 3


def test_an_answer_is_kept_no_longer_than_the_approval_it_relies_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from governance.approvals.models import ApprovalRequest

    deployment, _ = _approved_deployment()
    soon = timezone.now() + dt.timedelta(seconds=10)
    ApprovalRequest.objects.filter(deployment=deployment).update(expires_at=soon)
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    _kept_for(pipeline, url)
    after_expiry = soon.timestamp() + 1
    monkeypatch.setattr(time, "time", lambda: after_expiry)
    replayed, _ = _replayed(pipeline, url)
    assert not replayed


def test_callers_without_a_token_always_take_the_full_path(api, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    deployment, _ = _approved_deployment()
    browser = api(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    browser.get(url)
    with django_assert_num_queries(2):  # deployment with head, decision (user forced)
        assert browser.get(url).json()["allowed"] is True


def test_the_oldest_kept_answers_make_room(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gate_replay, "KEPT_ANSWERS_MAX", 2)
    gate_replay.forget_all()
    deployments = [_approved_deployment("I")[0] for _ in range(3)]
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    for deployment in deployments:
        pipeline.get(f"/api/v1/deployments/{deployment.pk}/gate/")
    kept = [question[-1] for question in gate_replay._kept]
    assert kept == [str(deployment.pk) for deployment in deployments[1:]]


def test_expired_answers_make_room_before_the_oldest_live_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gate_replay, "KEPT_ANSWERS_MAX", 2)
    deployments = [_approved_deployment("I")[0] for _ in range(3)]
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    for deployment in deployments[:2]:
        pipeline.get(f"/api/v1/deployments/{deployment.pk}/gate/")
    first = next(iter(gate_replay._kept))
    second = list(gate_replay._kept)[1]
    gate_replay._kept[second] = dataclasses.replace(gate_replay._kept[second], until=0.0)
    pipeline.get(f"/api/v1/deployments/{deployments[2].pk}/gate/")
    assert first in gate_replay._kept and second not in gate_replay._kept


def test_only_what_the_full_path_would_answer_the_same_way_is_replayed() -> None:
    deployment, _ = _approved_deployment()
    key = api_token_create(user=user_with_roles(Role.AUDITOR), scopes=["gate:read"])
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    pipeline = APIClient()
    pipeline.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    _kept_for(pipeline, url)
    # A separator DRF does not split on: refused by the full path, so never replayed.
    header_only = APIClient()
    replayed, response = _replayed(header_only, url, HTTP_AUTHORIZATION=f"Token\xa0{key}")
    assert not replayed and response.status_code == 401
    # The keyword in any case, as DRF accepts it.
    replayed, response = _replayed(header_only, url, HTTP_AUTHORIZATION=f"token {key}")
    assert replayed and response.status_code == 200
    # Another representation, or a query the full path rejects, goes to the full path.
    replayed, response = _replayed(pipeline, url, HTTP_ACCEPT="text/html")
    assert not replayed and response.status_code == 406
    replayed, response = _replayed(pipeline, url + "?format=xml")
    assert not replayed and response.status_code == 404
    # HEAD and OPTIONS are not replayed.
    with CaptureQueriesContext(connection) as queries:
        assert pipeline.head(url).status_code == 200
    assert len(queries.captured_queries) > 1
    assert pipeline.options(url).status_code == 200
    assert len(_decisions(deployment)) == 4  # two GETs, the replay, HEAD


def test_the_lookup_with_anything_else_in_the_query_takes_the_full_path() -> None:
    deployment, _ = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    query = (
        f"/api/v1/gate/?system={deployment.model_version.system.name}"
        f"&version={deployment.model_version.version_label}&environment={deployment.environment}"
    )
    _kept_for(pipeline, query)
    replayed, response = _replayed(pipeline, query + "&extra=1")
    assert not replayed and response.status_code == 200
    replayed, _ = _replayed(pipeline, query + f"&environment={deployment.environment}")
    assert not replayed


def test_another_caller_asking_the_same_question_gets_their_own_full_answer() -> None:
    deployment, _ = _approved_deployment()
    first, second = user_with_roles(Role.AUDITOR), user_with_roles(Role.AUDITOR)
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    _kept_for(_pipeline(first), url)
    replayed, response = _replayed(_pipeline(second), url)
    assert not replayed and response.status_code == 200
    askers = [asked_by for asked_by, *_ in _decisions(deployment)]
    assert askers == [first.pk, first.pk, second.pk]


@pytest.mark.postgres
def test_a_replay_never_relaxes_the_commit_of_an_enclosing_transaction() -> None:
    deployment, _ = _approved_deployment()
    pipeline = _pipeline(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    pipeline.get(url)
    with transaction.atomic():
        assert pipeline.get(url).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert len(_decisions(deployment)) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_replayed_decision_alone_commits_without_waiting(
    settings,
) -> None:  # type: ignore[no-untyped-def]
    settings.GATE_DECISIONS_ASYNC_COMMIT = True  # the operator's opt-out of durability
    deployment, auditor, pipeline, url = _auditor_with_a_kept_answer()
    # The statement as replayed, asked what its own transaction commits with.
    token = ApiToken.objects.get(user=auditor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM ledger_ledgerhead WHERE id = 1")
        head = cursor.fetchone()[0]
        values = [deployment.pk, timezone.now(), True, Jsonb([]), "f" * 64, None]
        guard = gate_replay.guard_values(token.key_hash, auditor.pk, timezone.now(), head)
        cursor.execute(
            gate_replay._replay_sql() + " RETURNING current_setting('synchronous_commit')",
            [*values, *guard],
        )
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW synchronous_commit")  # and only that transaction
        assert cursor.fetchone()[0] == "on"
    settings.GATE_DECISIONS_ASYNC_COMMIT = False
    assert "synchronous_commit" not in gate_replay._replay_sql()
    replayed, response = _replayed(pipeline, url)
    assert replayed and response.status_code == 200
