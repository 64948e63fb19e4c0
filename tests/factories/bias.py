from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.bias import services
from audits.bias.models import BiasAudit
from tests.factories.accounts import UserFactory
from tests.factories.inventory import DeploymentFactory


def csv_bytes(header: str, rows: list[tuple[Any, ...]]) -> bytes:
    lines = [header, *(",".join("" if v is None else str(v) for v in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def grouped_rows(spec: dict[tuple[str, ...], tuple[int, int]]) -> list[tuple[Any, ...]]:
    """Row-level data from {(category values…): (people, selected)}."""
    rows: list[tuple[Any, ...]] = []
    for values, (people, selected) in spec.items():
        rows.extend((*values, 1) for _ in range(selected))
        rows.extend((*values, 0) for _ in range(people - selected))
    return rows


# 60 women (30 selected), 40 men (16 selected): rates 0.5 and 0.4, impact ratio 0.8 exactly.
DEFAULT_CSV = csv_bytes(
    "sex,race_ethnicity,selected",
    grouped_rows(
        {
            ("Female", "White"): (40, 20),
            ("Female", "Asian"): (20, 10),
            ("Male", "White"): (25, 10),
            ("Male", "Asian"): (15, 6),
        }
    ),
)


class BiasAuditFactory(factory.Factory[BiasAudit]):
    """A bias audit made through the upload service (file stored, results computed, ledgered)."""

    class Meta:
        model = BiasAudit

    deployment = factory.SubFactory(DeploymentFactory)
    actor = factory.SubFactory(UserFactory)
    audit_type = "selection"
    data_format = "rows"
    auditor_name = "Jordan Reyes"
    auditor_organisation = "Fairness Assurance LLP"
    attests_not_involved = True
    attests_no_employment = True
    attests_no_financial_interest = True
    data_source = "historical"
    data_description = "Applicant tracking records for the audited period."
    data_period_start = dt.date(2024, 1, 1)
    data_period_end = dt.date(2024, 12, 31)
    distribution_date = dt.date(2023, 6, 1)

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *args: Any,
        csv: bytes = DEFAULT_CSV,
        finalize: bool = False,
        **kwargs: Any,
    ) -> BiasAudit:
        upload = SimpleUploadedFile("audit.csv", csv, content_type="text/csv")
        audit = services.bias_audit_create(file=upload, **kwargs)
        if finalize:
            audit = services.bias_audit_finalize(audit=audit, actor=kwargs["actor"])
        return audit
