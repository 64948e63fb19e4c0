"""Risk benchmark: time to score a 60-question assessment, in memory and through the service.

    .venv/bin/python bench/risk.py [--repeat 201] [--submits 25]

The assessment has 54 generated impact questions (single and multi choice, risk and
mitigation) plus the 6 questions of the shipped EU AI Act questionnaire: 60 answers. Scoring
alone is pure Python; "create and submit" is the whole write path on a fresh PostgreSQL
database (validation, prefill, scoring, classification, row locks, ledger event).
"""

from __future__ import annotations

import argparse
import os
import statistics
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

DB_NAME = "governance_bench_risk"
IMPACT_QUESTIONS = 54


def methodology_document() -> dict[str, Any]:
    """54 questions over 6 sections; every third is multi choice, the last 9 are mitigation."""
    questions = []
    for index in range(IMPACT_QUESTIONS):
        mitigation = index >= IMPACT_QUESTIONS - 9
        multi = index % 3 == 0
        options = [{"id": f"o{p}", "label": f"Option worth {p}", "points": p} for p in (0, 1, 2, 4)]
        if multi:
            options[0]["exclusive"] = True
        questions.append(
            {
                "id": f"q{index:02d}",
                "section": "Safeguards" if mitigation else f"Section {index // 9 + 1}",
                "text": f"Benchmark question {index}?",
                "type": "multi" if multi else "single",
                "scores": "mitigation" if mitigation else "risk",
                "required": True,
                "options": options,
            }
        )
    return {
        "slug": "bench-60",
        "version": "1",
        "title": "Benchmark methodology (54 + 6 questions)",
        "mitigation_deduction": {"threshold": 0.8, "factor": 0.85},
        "levels": [
            {"level": "I", "max_pct": 25},
            {"level": "II", "max_pct": 50},
            {"level": "III", "max_pct": 75},
            {"level": "IV", "max_pct": 100},
        ],
        "eu_classification": {"slug": "eu-ai-act", "version": "1"},
        "questions": questions,
    }


def answers_for(document: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for index, question in enumerate(document["questions"]):
        ids = [o["id"] for o in question["options"]]
        answers[question["id"]] = ids[1:3] if question["type"] == "multi" else ids[index % 4]
    answers.update(
        eu_prohibited=["none"],
        annex_iii_area="employment",
        annex_i_product="no",
        profiling="yes",
        art6_3_exemption="no",
        eu_transparency=["interacts_with_people"],
    )
    return answers


def timings_ms(fn: Any, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=201, help="in-memory scoring repetitions")
    parser.add_argument("--submits", type=int, default=25, help="create-and-submit repetitions")
    args = parser.parse_args()

    url = fresh_postgres_database(DB_NAME)
    migrate(url)
    setup_django(url)
    import yaml

    from governance.accounts.roles import Role
    from governance.accounts.services import user_create
    from governance.inventory.services import (
        ai_system_create,
        deployment_create,
        model_version_create,
    )
    from governance.risk.services import methodologies_load, methodology_load
    from governance.risk.services.assessments import evaluate_answers, risk_assessment_create

    files = [
        (p.name, p.read_bytes())
        for p in sorted((ROOT / "governance/risk/methodologies").glob("*.yaml"))
    ]
    methodologies_load(files=files, actor=None)
    document = methodology_document()
    methodology, _ = methodology_load(
        content=yaml.safe_dump(document, sort_keys=False).encode(), actor=None
    )
    answers = answers_for(document)
    assert len(answers) == 60
    evaluation = evaluate_answers(methodology, answers)
    assert not evaluation.unanswered

    score_median, score_p95 = timings_ms(
        lambda: evaluate_answers(methodology, answers), args.repeat
    )

    actor = user_create(
        username="bench",
        password="bench-password-long-enough",  # noqa: S106 - a throw-away benchmark database
        roles=[Role.REQUESTER],
    )
    system = ai_system_create(
        actor=actor, name="Bench system", purpose="Benchmark", annex_iii_area="employment"
    )
    version = model_version_create(
        actor=actor,
        system=system,
        version_label="1",
        artifact_uri="s3://bench",
        artifact_sha256="a" * 64,
    )
    deployments = [
        deployment_create(
            actor=actor,
            model_version=version,
            environment=f"bench-{i}",
            hosting="cloud",
            region="eu-west-1",
        )
        for i in range(args.submits)
    ]
    queue = iter(deployments)

    def submit() -> None:
        risk_assessment_create(
            deployment=next(queue),
            methodology=methodology,
            actor=actor,
            answers=answers,
            submit=True,
        )

    submit_median, submit_p95 = timings_ms(submit, args.submits)
    write_section(
        "risk",
        f"""
## Risk scoring (`bench/risk.py`)

Command: `.venv/bin/python bench/risk.py --repeat {args.repeat} --submits {args.submits}`
on {machine()}, PostgreSQL 127.0.0.1, one run.

An assessment of 60 answered questions: 54 impact questions (a third multi choice, 9 of
them mitigation) and the 6 of the shipped EU AI Act questionnaire. Result: level
{evaluation.impact.level}, class {evaluation.eu_class}, tier {evaluation.tier}.

| measure | median | 95th percentile |
|---|---|---|
| validate, score and classify (in memory, {args.repeat} runs) | {score_median:.2f} ms | {score_p95:.2f} ms |
| create and submit through the service ({args.submits} runs: prefill, scoring, locks, two ledger events) | {submit_median:.1f} ms | {submit_p95:.1f} ms |

Scoring is linear in the number of answers and needs no database access: the methodology's
validated definition is stored with the record and built into a frozen spec when it is read.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
