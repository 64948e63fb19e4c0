"""Demo bias audits for the CV screening deployment, computed from generated applicant data.

The applicants are drawn with a seeded random generator (so every run makes the same file);
the figures shown in the demo are computed from that file by the same upload service a
real audit goes through, never typed in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from audits.bias import services
from audits.bias.models import BiasAudit
from audits.bias.services import Exclusion
from governance.inventory.models import Deployment

SEED = 144
APPLICANTS = 4800
SEX = [("Female", 0.47), ("Male", 0.51), ("", 0.02)]
# EEO-1 Component 1 race/ethnicity categories, with a few people who did not answer.
RACE = [
    ("Hispanic or Latino", 0.18),
    ("White", 0.43),
    ("Black or African American", 0.17),
    ("Asian", 0.15),
    ("Native Hawaiian or Other Pacific Islander", 0.012),
    ("American Indian or Alaska Native", 0.013),
    ("Two or More Races", 0.03),
    ("Unknown", 0.015),
]
# Chance of being advanced by the tool; the generator, not the figures, is what is chosen.
BASE_RATE = 0.24
RATE_FACTOR = {"Female": 0.93, "Black or African American": 0.78, "Hispanic or Latino": 0.9}
SCORE_SHIFT = {"Female": -1.5, "Black or African American": -3.0, "Two or More Races": -1.0}

AUDITOR = {
    "auditor_name": "Priya Raman",
    "auditor_organisation": "Civic Metrics Audit LLC",
    "attests_not_involved": True,
    "attests_no_employment": True,
    "attests_no_financial_interest": True,
}


def _pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def applicant_rows(seed: int = SEED, count: int = APPLICANTS) -> list[tuple[str, str, int, float]]:
    """(sex, race_ethnicity, selected, score) per generated applicant."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    rows = []
    for _ in range(count):
        sex, race = _pick(rng, SEX), _pick(rng, RACE)
        chance = BASE_RATE * RATE_FACTOR.get(sex, 1.0) * RATE_FACTOR.get(race, 1.0)
        score = rng.gauss(62, 11) + SCORE_SHIFT.get(sex, 0.0) + SCORE_SHIFT.get(race, 0.0)
        rows.append((sex, race, int(rng.random() < chance), round(score, 1)))
    return rows


def applicant_csv(columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    index = {"sex": 0, "race_ethnicity": 1, "selected": 2, "score": 3}
    for row in applicant_rows():
        writer.writerow([row[index[c]] for c in columns])
    return buffer.getvalue().encode()


def seed(users: dict[str, Any]) -> None:
    deployment = (
        Deployment.objects.select_related("model_version")
        .filter(model_version__system__name="CV screening assistant", environment="prod-us-nyc")
        .first()
    )
    if deployment is None or BiasAudit.objects.filter(deployment=deployment).exists():
        return
    actor = users["compliance"]
    today = timezone.localdate()
    audit_date = today - dt.timedelta(days=340)  # due again within the month
    common = {
        "actor": actor,
        "deployment": deployment,
        "data_source": "historical",
        "distribution_date": dt.date(2023, 3, 1),
        **AUDITOR,
    }
    selection = services.bias_audit_create(
        file=ContentFile(applicant_csv(("sex", "race_ethnicity", "selected")), name="ats-2024.csv"),
        audit_type="selection",
        data_format="rows",
        data_description=(
            "Applicant tracking records of every candidate the tool assessed for New York City "
            "roles in the period, with self-reported sex and race/ethnicity (EEO-1 categories) "
            "and whether the tool advanced the candidate to recruiter review."
        ),
        data_period_start=audit_date - dt.timedelta(days=365),
        data_period_end=audit_date - dt.timedelta(days=14),
        audit_date=audit_date,
        **common,
    )
    small = selection.results.filter(
        dimension="race_ethnicity", below_two_percent=True, is_intersection=False
    )
    services.bias_audit_set_exclusions(
        audit=selection,
        actor=actor,
        exclusions=[
            Exclusion(
                r.dimension,
                r.category,
                f"{r.n} applicants, under 2 % of the data: a rate from so few people would "
                "make the impact ratios of every other category unreliable.",
            )
            for r in small[:1]
        ],
        privileged_groups={"sex": "Male"},
    )
    services.bias_audit_finalize(audit=selection, actor=actor)
    services.bias_audit_create(
        file=ContentFile(applicant_csv(("sex", "race_ethnicity", "score")), name="scores.csv"),
        audit_type="scoring",
        data_format="rows",
        data_description=(
            "The tool's match scores for the same applicants, to audit the score itself "
            "(share of each category strictly above the median score)."
        ),
        data_period_start=today - dt.timedelta(days=365),
        data_period_end=today - dt.timedelta(days=1),
        audit_date=today,
        **common,
    )
