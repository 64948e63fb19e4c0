"""Build a large portfolio quickly: 10,000 deployments and 1,000,000 ledger events.

    .venv/bin/python bench/seed_large.py [--deployments 10000] [--events 1000000]

Creates a fresh PostgreSQL database (127.0.0.1, user postgres) named governance_bench_large,
migrates it and fills it with bulk inserts: people with every role, AI systems (one in ten in
the employment area), model versions, deployments in every lifecycle state, submitted risk
assessments in every tier (a few stale, a few blocked), accepted owners (one in ten
orphaned), approval requests (pending at every stage and age, approved with expiry dates
spread over a year, closed), stage completions, a risk register, final bias audits, gate
decisions, and a valid ledger chain written with COPY. Approved dossiers are built with the
approvals room's own `build_dossier`, so their gates really are open. `bench/pages.py` times
the pages on this data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    fresh_postgres_database,
    machine,
    migrate,
    setup_django,
    write_section,
)

DB_NAME = "governance_bench_large"
VAR_DIR = ROOT / "var" / "bench-large"
# A throw-away account in a throw-away database.
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password-123")
BATCH = 2000
STATUS_SHARES = [
    ("draft", 15),
    ("in_review", 10),
    ("approved", 8),
    ("active", 55),
    ("suspended", 4),
    ("retired", 8),
]
TIER_SHARES = [("I", 30), ("II", 35), ("III", 24), ("IV", 9), ("blocked", 2)]
ROLES = [
    ("requester", 20),
    ("reviewer", 10),
    ("compliance_officer", 6),
    ("legal", 4),
    ("executive", 4),
    ("auditor", 3),
    ("admin", 2),
]
ACTIONS = [
    "deployment.updated",
    "deployment.transitioned",
    "risk_assessment.submitted",
    "signoff.recorded",
    "approval_stage.completed",
    "ownership.accepted",
    "risk.updated",
    "bias_audit.finalised",
    "report.generated",
]


def environment() -> None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["GOVERNANCE_VAR_DIR"] = str(VAR_DIR)


def _pick(rng: random.Random, shares: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in shares], weights=[w for _, w in shares])[0]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def people() -> dict[str, list[Any]]:
    from django.contrib.auth.hashers import make_password

    from governance.accounts.models import RoleGrant, User

    hashed = make_password(PASSWORD)
    users: dict[str, list[Any]] = {}
    grants = []
    rows = []
    for role, count in ROLES:
        for n in range(count):
            user = User(
                username=f"{role}{n}",
                first_name=role.replace("_", " ").title(),
                last_name=f"No. {n}",
                email=f"{role}{n}@example.com",
                password=hashed,
            )
            rows.append(user)
            users.setdefault(role, []).append(user)
            grants.append(RoleGrant(user=user, role=role))
    User.objects.bulk_create(rows, batch_size=BATCH)
    RoleGrant.objects.bulk_create(grants, batch_size=BATCH)
    return users


def inventory(rng: random.Random, users: dict[str, list[Any]], total: int) -> list[Any]:
    from django.utils import timezone

    from governance.inventory.fingerprint import compute_fingerprint
    from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion

    requesters = users["requester"]
    systems_count = max(total // 5, 1)
    areas = ["none"] * 6 + ["essential_services", "education", "critical_infrastructure"]
    systems = []
    for n in range(systems_count):
        area = "employment" if n % 10 == 0 else rng.choice(areas)
        systems.append(
            AISystem(
                name=f"{rng.choice(['Credit', 'Fraud', 'Claims', 'Hiring', 'Pricing', 'Churn'])} "
                f"{rng.choice(['scorer', 'ranker', 'detector', 'advisor', 'triage'])} {n}",
                purpose="Supports decisions of the business unit that runs it.",
                business_unit=rng.choice(["Retail credit", "Operations", "People", "Risk"]),
                annex_iii_area=area,
                profiles_natural_persons=area != "none",
                created_by=rng.choice(requesters),
            )
        )
    AISystem.objects.bulk_create(systems, batch_size=BATCH)
    dataset = Dataset.objects.create(
        name="Bench training data",
        source="Warehouse",
        collection_purpose="Training",
        legal_basis="contract",
        created_by=requesters[0],
    )
    versions = []
    for system in systems:
        for minor in range(rng.choice([2, 2, 3])):
            versions.append(
                ModelVersion(
                    system=system,
                    version_label=f"1.{minor}",
                    artifact_uri=f"s3://models/{system.pk}/1.{minor}/model.onnx",
                    artifact_sha256=_sha(f"{system.pk}-{minor}"),
                    created_by=rng.choice(requesters),
                )
            )
    ModelVersion.objects.bulk_create(versions, batch_size=BATCH)
    ModelVersion.training_datasets.through.objects.bulk_create(
        [
            ModelVersion.training_datasets.through(modelversion_id=v.pk, dataset_id=dataset.pk)
            for v in versions
        ],
        batch_size=BATCH,
    )
    now = timezone.now()
    deployments = []
    environments = ["prod-eu", "prod-us", "staging", "canary-eu", "shadow-us"]
    while len(deployments) < total:
        version = versions[len(deployments) % len(versions)]
        env = environments[(len(deployments) // len(versions)) % len(environments)]
        pattern = rng.choice(["full", "full", "canary", "shadow", "ab"])
        deployment = Deployment(
            model_version=version,
            environment=env,
            hosting=rng.choice(["cloud", "on_premises", "hybrid"]),
            region=rng.choice(["eu-west-1", "us-east-1", "eu-central-1"]),
            rollout_pattern=pattern,
            traffic_percent=rng.randint(1, 50) if pattern in ("canary", "ab") else None,
            requires_independent_bias_audit=rng.random() < 0.02,
            status=_pick(rng, STATUS_SHARES),
            status_changed_at=now - dt.timedelta(days=rng.randint(0, 300)),
            created_by=version.created_by,
        )
        deployment.fingerprint = compute_fingerprint(deployment)
        deployments.append(deployment)
    Deployment.objects.bulk_create(deployments, batch_size=BATCH)
    return deployments


def assessments(rng: random.Random, users: dict[str, list[Any]], deployments: list[Any]) -> dict:
    from django.utils import timezone

    from governance.risk.models import Methodology, RiskAssessment
    from governance.risk.services import methodologies_load

    methodologies_load(
        files=[
            (p.name, p.read_bytes())
            for p in sorted((ROOT / "governance/risk/methodologies").glob("*.yaml"))
        ],
        actor=None,
    )
    impact = Methodology.objects.get(slug="impact", version="1")
    eu = Methodology.objects.get(slug="eu-ai-act", version="1")
    now = timezone.now()
    rows = {}
    for deployment in deployments:
        if deployment.status == "draft" and rng.random() < 0.5:
            continue  # not assessed yet
        tier = _pick(rng, TIER_SHARES)
        if tier == "blocked" and deployment.status not in ("draft", "retired"):
            tier = "IV"  # a blocked deployment never got further than a draft
        level = "IV" if tier == "blocked" else tier
        stale = rng.random() < 0.03
        rows[deployment.pk] = RiskAssessment(
            deployment=deployment,
            methodology=impact,
            eu_methodology=eu,
            status="submitted",
            raw_score=10,
            max_raw_score=43,
            mitigation_score=10,
            max_mitigation_score=14,
            score=10,
            score_pct=23,
            level=level,
            eu_class="prohibited" if tier == "blocked" else "minimal",
            rationale="Art 5(1)(c): social scoring" if tier == "blocked" else "",
            tier=tier,
            fingerprint=_sha("old") if stale else deployment.fingerprint,
            created_by=deployment.created_by,
            submitted_by=deployment.created_by,
            submitted_at=now - dt.timedelta(days=rng.randint(1, 400)),
        )
    RiskAssessment.objects.bulk_create(rows.values(), batch_size=BATCH)
    return rows


def owners(rng: random.Random, users: dict[str, list[Any]], deployments: list[Any]) -> dict:
    from django.utils import timezone

    from governance.liability.models import Ownership, OwnershipOffer

    candidates = users["requester"] + users["reviewer"] + users["compliance_officer"]
    now = timezone.now()
    offers, chosen = [], {}
    for deployment in deployments:
        if rng.random() < 0.1:
            continue  # orphaned
        person = rng.choice(candidates)
        chosen[deployment.pk] = person
        offers.append(
            OwnershipOffer(
                deployment=deployment,
                to_user=person,
                offered_by=deployment.created_by,
                reason="Runs it",
                status="accepted",
                decided_at=now,
                decided_by=person,
            )
        )
    OwnershipOffer.objects.bulk_create(offers, batch_size=BATCH)
    Ownership.objects.bulk_create(
        [
            Ownership(
                deployment=o.deployment,
                user=o.to_user,
                offer=o,
                statement="I accept accountability for this deployment.",
                printed_name=o.to_user.get_full_name(),
                meaning="responsibility",
                accepted_at=now,
                fingerprint=o.deployment.fingerprint,
                signature_hash=_sha(f"signature-{o.pk}"),
            )
            for o in offers
        ],
        batch_size=BATCH,
    )
    return chosen


def bias_audits(rng: random.Random, users: dict[str, list[Any]], deployments: list[Any]) -> dict:
    """One audit made by the service, copied to the other deployments that need one."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from audits.bias import services
    from audits.bias.models import BiasAudit
    from audits.bias.services import add_months

    needing = [
        d
        for d in deployments
        if d.model_version.system.annex_iii_area == "employment"
        or d.requires_independent_bias_audit
    ]
    if not needing:
        return {}
    rows = "".join(
        f"{sex},{race},{int(i % 3 == 0)}\n"
        for i, (sex, race) in enumerate(
            (s, r)
            for s in ("Female", "Male")
            for r in ("White", "Asian", "Black")
            for _ in range(50)
        )
    )
    actor = users["compliance_officer"][0]
    today = timezone.localdate()
    template = services.bias_audit_create(
        actor=actor,
        file=SimpleUploadedFile("audit.csv", f"sex,race_ethnicity,selected\n{rows}".encode()),
        audit_type="selection",
        data_format="rows",
        auditor_name="Jordan Reyes",
        auditor_organisation="Fairness Assurance LLP",
        data_source="historical",
        data_description="Applicant tracking records",
        data_period_start=today - dt.timedelta(days=200),
        data_period_end=today - dt.timedelta(days=100),
        distribution_date=dt.date(2023, 6, 1),
        deployment=needing[0],
        attests_not_involved=True,
        attests_no_employment=True,
        attests_no_financial_interest=True,
    )
    template = services.bias_audit_finalize(audit=template, actor=actor)
    skip = {"id", "deployment", "model_version", "created_at", "updated_at", "supersedes"}
    fields = {
        f.attname: getattr(template, f.attname)
        for f in BiasAudit._meta.concrete_fields
        if f.name not in skip
    }
    copies = {needing[0].pk: template}
    for deployment in needing[1:]:
        if rng.random() < 0.15:
            continue  # required but missing
        audit_date = today - dt.timedelta(days=rng.randint(10, 420))
        copies[deployment.pk] = BiasAudit(
            **{
                **fields,
                "audit_date": audit_date,
                "next_due_date": add_months(audit_date, 12),
                "data_period_end": audit_date,
                "data_period_start": audit_date - dt.timedelta(days=90),
            },
            deployment_id=deployment.pk,
            model_version_id=deployment.model_version_id,
        )
    BiasAudit.objects.bulk_create(
        [a for a in copies.values() if a is not template], batch_size=BATCH
    )
    return copies


def approvals(
    rng: random.Random,
    users: dict[str, list[Any]],
    deployments: list[Any],
    risk: dict,
    owned: dict,
    audits: dict,
) -> None:
    from django.db import connection
    from django.utils import timezone

    from audits.bias.gate import LATEST_AUDIT
    from governance.approvals.dossier import build_dossier, dossier_hash
    from governance.approvals.gate_checks import GateFacts
    from governance.approvals.models import ApprovalPolicy, ApprovalRequest, StageCompletion

    policies = {
        p.tier: (p, list(p.stages.order_by("order")))
        for p in ApprovalPolicy.objects.filter(is_current=True)
    }
    now = timezone.now()
    requests, completions = [], []
    for deployment in deployments:
        assessment = risk.get(deployment.pk)
        if assessment is None or assessment.tier == "blocked":
            continue
        policy, stages = policies[assessment.tier]
        status = {
            "in_review": "pending",
            "approved": "approved",
            "active": "approved",
            "suspended": "approved",
            "retired": "expired",
        }.get(deployment.status)
        if status is None:
            if rng.random() < 0.7:
                continue  # a draft never submitted
            status = rng.choice(["changes_requested", "withdrawn", "rejected"])
        facts = GateFacts(deployment)
        audit = audits.get(deployment.pk)
        facts.memo(LATEST_AUDIT, lambda audit=audit: audit)
        owner = owned.get(deployment.pk)
        dossier = build_dossier(deployment, assessment=assessment, owner=owner, facts=facts)
        asked = now - dt.timedelta(hours=rng.randint(1, 24 * 14))
        stage = rng.randint(1, len(stages)) if status == "pending" else len(stages)
        request = ApprovalRequest(
            deployment=deployment,
            policy=policy,
            assessment_id=assessment.pk,
            tier=assessment.tier,
            dossier=dossier,
            dossier_hash=dossier_hash(dossier),
            status=status,
            current_stage=stage,
            stage_started_at=asked + dt.timedelta(hours=rng.randint(0, 24)) if stage > 1 else asked,
            requested_by=deployment.created_by,
            decided_at=None if status == "pending" else asked + dt.timedelta(days=2),
            expires_at=(
                now + dt.timedelta(days=rng.randint(1, 365))
                if status == "approved"
                else now - dt.timedelta(days=10)
                if status == "expired"
                else None
            ),
            closed_reason="" if status in ("pending", "approved") else "bench",
        )
        request.asked = asked
        requests.append(request)
        done = {"pending": stage - 1, "approved": len(stages), "expired": len(stages)}.get(
            status, 0
        )
        completions.extend(
            StageCompletion(request=request, stage_order=order, completed_at=asked)
            for order in range(1, done + 1)
        )
    ApprovalRequest.objects.bulk_create(requests, batch_size=BATCH)
    StageCompletion.objects.bulk_create(completions, batch_size=BATCH)
    # created_at is set on insert; the bench wants requests of every age.
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE approvals_approvalrequest SET created_at = %s WHERE id = %s",
            [(r.asked, r.pk) for r in requests],
        )


def register(rng: random.Random, users: dict[str, list[Any]], deployments: list[Any]) -> None:
    from governance.risk.models import Risk

    live = [d for d in deployments if d.status != "retired"]
    people = users["requester"] + users["reviewer"]
    rows = []
    for _ in range(len(deployments) * 2):
        deployment = rng.choice(live)
        likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
        rows.append(
            Risk(
                deployment=deployment,
                category=rng.choice(["fairness", "privacy", "security", "robustness"]),
                title="Outcomes may drift from the validated behaviour",
                description="Found in review.",
                inherent_likelihood=likelihood,
                inherent_impact=impact,
                treatment="mitigate",
                control_description="Monitoring with alert thresholds.",
                residual_likelihood=max(1, likelihood - 1),
                residual_impact=max(1, impact - 1),
                owner=rng.choice(people),
                status=rng.choice(["open", "open", "accepted", "closed"]),
                created_by=rng.choice(people),
            )
        )
    Risk.objects.bulk_create(rows, batch_size=BATCH)


def gate_decisions(rng: random.Random, users: dict[str, list[Any]], deployments: list[Any]) -> None:
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    askers = users["requester"]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY approvals_gatedecision (deployment_id, asked_by_id, asked_at, allowed, reasons, "
            "fingerprint) FROM STDIN"
        ) as copy,
    ):
        for _ in range(len(deployments) * 3):
            deployment = rng.choice(deployments)
            allowed = deployment.status in ("approved", "active") and rng.random() < 0.9
            copy.write_row(
                (
                    deployment.pk,
                    rng.choice(askers).pk,
                    now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                    allowed,
                    "[]" if allowed else '["no approval has been requested"]',
                    deployment.fingerprint,
                )
            )


def ledger(
    rng: random.Random, users: dict[str, list[Any]], deployments: list[Any], total: int
) -> None:
    """Extend the chain to `total` events with COPY, hashed exactly as `ledger_append` does."""
    from django.db import connection

    from governance.core.canonical import canonical_json, format_timestamp
    from governance.ledger.chain import event_canonical, event_hash
    from governance.ledger.models import LedgerHead

    head = LedgerHead.objects.get(pk=1)
    seq, prev = head.seq, head.hash
    people = [u for group in users.values() for u in group]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(seconds=max(1, int(3.0e7 / max(total, 1))))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY ledger_ledgerevent (seq, ts, actor_id, actor_name, action, subject_type, "
            "subject_id, deployment_id, data, prev_hash, hash) FROM STDIN"
        ) as copy,
    ):
        while seq < total:
            seq += 1
            ts = start + step * seq
            deployment = deployments[rng.randrange(len(deployments))]
            actor = people[rng.randrange(len(people))]
            action = ACTIONS[rng.randrange(len(ACTIONS))]
            fields = {
                "seq": seq,
                "ts": format_timestamp(ts),
                "actor_id": str(actor.pk),
                "actor_name": actor.username,
                "action": action,
                "subject_type": "inventory.deployment",
                "subject_id": str(deployment.pk),
                "deployment_id": str(deployment.pk),
            }
            data = canonical_json({"n": seq, "note": "bench"})
            digest = event_hash(prev, event_canonical(**fields, data=data))
            copy.write_row(
                (
                    seq,
                    ts,
                    fields["actor_id"],
                    fields["actor_name"],
                    action,
                    fields["subject_type"],
                    fields["subject_id"],
                    fields["deployment_id"],
                    data,
                    prev,
                    digest,
                )
            )
            prev = digest
    LedgerHead.objects.filter(pk=1).update(seq=seq, hash=prev)


def seed(database_url: str, deployments_total: int, events: int) -> dict[str, float]:
    """Fill the (migrated, empty) database; returns seconds per step."""
    setup_django(database_url)
    from django.db import connection, transaction

    rng = random.Random(20261128)  # the same portfolio every run
    timings: dict[str, float] = {}

    def step(name: str, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        with transaction.atomic():
            result = fn(*args)
        timings[name] = time.perf_counter() - started
        print(f"  {name}: {timings[name]:.1f} s", flush=True)
        return result

    users = step("people", people)
    deployments = step("inventory", inventory, rng, users, deployments_total)
    risk = step("risk assessments", assessments, rng, users, deployments)
    owned = step("owners", owners, rng, users, deployments)
    audits = step("bias audits", bias_audits, rng, users, deployments)
    step("approvals", approvals, rng, users, deployments, risk, owned, audits)
    step("risk register", register, rng, users, deployments)
    step("gate decisions", gate_decisions, rng, users, deployments)
    step("ledger", ledger, rng, users, deployments, events)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return timings


def database_url() -> str:
    return f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    environment()
    started = time.perf_counter()
    url = fresh_postgres_database(DB_NAME)
    migrate(url)
    timings = seed(url, args.deployments, args.events)
    total = time.perf_counter() - started
    rows = "\n".join(f"| {name} | {seconds:.1f} s |" for name, seconds in timings.items())
    write_section(
        "seed_large",
        f"""
## Large portfolio (`bench/seed_large.py`)

Command: `.venv/bin/python bench/seed_large.py --deployments {args.deployments} --events {args.events}`
on {machine()}, PostgreSQL 127.0.0.1: {args.deployments:,} deployments and {args.events:,}
ledger events in {total:.0f} s (fresh database and migrations included).

| step | time |
|---|---|
{rows}

Bulk inserts of 2,000 rows; the ledger and the gate decisions go through COPY. The ledger chain
is hashed as `ledger_append` hashes it, so `manage.py verify_audit_log` accepts it.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
