"""Concurrent submissions on PostgreSQL: one current assessment, a clean supersession chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from governance.core.errors import DomainError
from governance.ledger.verify import verify_chain
from governance.risk.models import RiskAssessment
from governance.risk.selectors import current_assessment
from governance.risk.services import risk_assessment_create, risk_assessment_submit
from tests.factories import DeploymentFactory
from tests.factories.risk import complete_answers, load_shipped

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 10


def _race(fns: list[Any]) -> list[object]:
    barrier = threading.Barrier(len(fns))
    outcomes: list[object] = []

    def run(fn: Any) -> None:
        try:
            barrier.wait()
            outcomes.append(fn())
        except DomainError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_simultaneous_submissions_form_one_supersession_chain(requester: Any) -> None:
    impact = load_shipped()
    for _ in range(ROUNDS):
        deployment = DeploymentFactory()
        drafts = [
            risk_assessment_create(
                deployment=deployment,
                methodology=impact,
                actor=requester,
                answers=complete_answers(),
            )
            for _ in range(3)
        ]
        outcomes = _race(
            [lambda d=d: risk_assessment_submit(assessment=d, actor=requester) for d in drafts]
        )
        assert len(outcomes) == 3 and all(isinstance(o, RiskAssessment) for o in outcomes), outcomes
        submitted = list(RiskAssessment.objects.filter(deployment=deployment))
        superseded = {a.supersedes_id for a in submitted if a.supersedes_id}
        assert len(superseded) == 2  # each older one is superseded exactly once
        current = current_assessment(deployment)
        assert current is not None and current.pk not in superseded


def test_the_same_draft_submitted_twice_at_once_is_submitted_once(requester: Any) -> None:
    impact = load_shipped()
    for _ in range(ROUNDS):
        draft = risk_assessment_create(
            deployment=DeploymentFactory(),
            methodology=impact,
            actor=requester,
            answers=complete_answers(),
        )
        outcomes = _race(
            [lambda d=draft: risk_assessment_submit(assessment=d, actor=requester)] * 2
        )
        assert len(outcomes) == 2, outcomes
        assert sum(isinstance(o, RiskAssessment) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, DomainError) and o.status_code == 409 for o in outcomes) == 1
    assert verify_chain().ok
