from __future__ import annotations

import pytest

from audits.bias import demo
from audits.bias.models import BiasAudit
from governance.accounts.demo import ensure_demo_users
from governance.inventory import demo as inventory_demo
from governance.inventory.models import Deployment

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_final_independent_audit_computed_from_generated_rows() -> None:
    users = ensure_demo_users()
    inventory_demo.seed(users)
    demo.seed(users)
    demo.seed(users)  # idempotent
    deployment = Deployment.objects.get(environment="prod-us-nyc")
    audits = {a.audit_type: a for a in BiasAudit.objects.filter(deployment=deployment)}
    assert set(audits) == {"selection", "scoring"}
    final, draft = audits["selection"], audits["scoring"]
    assert final.is_final and final.is_independent and not draft.is_final
    assert final.total_count == demo.APPLICANTS
    # The stored figures are those of the generated rows.
    rows = demo.applicant_rows()
    women = [r for r in rows if r[0] == "Female"]
    stored = final.results.get(dimension="sex", category="Female")
    assert (stored.n, stored.selected) == (len(women), sum(r[2] for r in women))
    assert final.results.filter(excluded=True).count() == 1
    assert final.unknown_count == sum(1 for r in rows if r[0] == "" or r[1] == "Unknown")
    assert draft.median_score is not None
