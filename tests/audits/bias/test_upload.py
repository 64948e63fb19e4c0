"""Uploads: formats, column mapping, scoring, unknown categories, and every kind of bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audits.bias import engine, services
from audits.bias.engine import ColumnMapping
from audits.bias.models import BiasAudit, BiasAuditResult
from governance.core.errors import InvalidInput
from governance.ledger.models import LedgerEvent
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import csv_bytes, grouped_rows

pytestmark = pytest.mark.django_db


def _results(audit: BiasAudit) -> dict[tuple[str, str], BiasAuditResult]:
    return {(r.dimension, r.category): r for r in audit.results.all()}


def test_upload_stores_the_file_with_its_sha256_size_and_library_versions(settings: Any) -> None:
    audit = BiasAuditFactory()
    stored = Path(settings.MEDIA_ROOT) / audit.data_file.name
    content = stored.read_bytes()
    assert audit.file_sha256 == hashlib.sha256(content).hexdigest()
    assert audit.file_size == len(content) and audit.file_name == "audit.csv"
    assert {"pyarrow", "scipy", "numpy", "engine"} <= set(audit.library_versions)
    event = LedgerEvent.objects.get(action="bias_audit.created")
    assert event.payload["file_sha256"] == audit.file_sha256
    assert event.deployment_id == str(audit.deployment_id)


def test_columns_are_guessed_from_the_header_names() -> None:
    mapping = engine.guess_mapping(["Gender", "Race/Ethnicity", "Hired", "id"], "selection", "rows")
    assert mapping.dimensions == ("Gender", "Race/Ethnicity")
    assert mapping.roles == {"selected": "Hired"}
    counts = engine.guess_mapping(["sex", "applicants", "selected"], "selection", "counts")
    assert counts.roles == {"applicants": "applicants", "selected": "selected"}


def test_row_level_selection_rates_impact_ratios_and_intersection() -> None:
    audit = BiasAuditFactory()
    rows = _results(audit)
    assert rows[("sex", "Female")].rate == 0.5 and rows[("sex", "Male")].rate == 0.4
    assert rows[("sex", "Male")].impact_ratio == pytest.approx(0.8)
    assert rows[("sex", "Male")].flagged is False  # exactly 0.80
    intersection = [r for r in rows.values() if r.is_intersection]
    assert {r.category for r in intersection} == {
        "Female × Asian",
        "Female × White",
        "Male × Asian",
        "Male × White",
    }
    assert audit.dimension_summaries[-1]["dimension"] == "sex × race_ethnicity"


def test_unknown_categories_are_counted_and_reported_not_dropped() -> None:
    data = csv_bytes(
        "sex,race_ethnicity,selected",
        [
            *grouped_rows({("Female", "White"): (10, 5), ("Male", "Asian"): (10, 4)}),
            ("", "White", 1),
            ("Unknown", "Asian", 0),
            (" prefer not to say ", "Asian", 1),
            ("Female", "", 0),
        ],
    )
    audit = BiasAuditFactory(csv=data)
    by_dimension = {s["dimension"]: s["unknown"] for s in audit.dimension_summaries}
    assert by_dimension == {"sex": 3, "race_ethnicity": 1, "sex × race_ethnicity": 4}
    assert audit.unknown_count == 4 and audit.total_count == 24
    # A person unknown in one dimension still counts in the other.
    assert _results(audit)[("race_ethnicity", "White")].n == 11


def test_scoring_uses_the_share_strictly_above_the_whole_sample_median() -> None:
    rows = [
        ("Female", 1.0), ("Female", 2.0), ("Female", 3.0), ("Female", 4.0),
        ("Male", 3.0), ("Male", 3.0), ("Male", 5.0), ("Male", 6.0),
        ("", 9.0),
    ]  # fmt: skip
    audit = BiasAuditFactory(
        csv=csv_bytes("sex,score", rows),
        audit_type="scoring",
    )
    # Median of all nine scores is 3.0; a score equal to the median is not above it.
    assert audit.median_score == 3.0
    results = _results(audit)
    assert results[("sex", "Female")].selected == 1  # only 4.0
    assert results[("sex", "Male")].selected == 2  # 5.0 and 6.0, not the two 3.0s
    assert results[("sex", "Female")].rate == 0.25 and results[("sex", "Male")].rate == 0.5
    assert results[("sex", "Female")].impact_ratio == 0.5


def test_scoring_median_matches_numpy_on_many_scores() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(60, 12, 2001).round(2)
    sexes = rng.choice(["Female", "Male"], 2001)
    data = csv_bytes("sex,score", list(zip(sexes, scores, strict=True)))
    audit = BiasAuditFactory(
        csv=data,
        audit_type="scoring",
        mapping=ColumnMapping(("sex",), {"score": "score"}),
    )
    assert audit.median_score == float(np.median(scores))
    above = int((scores > np.median(scores)).sum())
    assert sum(r.selected for r in audit.results.all()) == above


def test_aggregated_counts_give_the_same_figures_as_rows() -> None:
    counts = csv_bytes(
        "sex,race_ethnicity,applicants,selected",
        [
            ("Female", "White", 40, 20),
            ("Female", "Asian", 20, 10),
            ("Male", "White", 25, 10),
            ("Male", "Asian", 15, 6),
            ("", "Asian", 5, 1),
        ],
    )
    aggregated = BiasAuditFactory(csv=counts, data_format="counts")
    people = {
        ("Female", "White"): (40, 20),
        ("Female", "Asian"): (20, 10),
        ("Male", "White"): (25, 10),
        ("Male", "Asian"): (15, 6),
        ("", "Asian"): (5, 1),
    }
    rows = BiasAuditFactory(csv=csv_bytes("sex,race_ethnicity,selected", grouped_rows(people)))
    a, b = _results(aggregated), _results(rows)
    assert a.keys() == b.keys()
    for key, row in b.items():
        assert (a[key].n, a[key].selected, a[key].impact_ratio) == (
            row.n,
            row.selected,
            row.impact_ratio,
        )
    assert aggregated.unknown_count == 5 and aggregated.total_count == 105


def test_classification_audit_stores_true_and_false_positive_rates() -> None:
    data = csv_bytes(
        "sex,race_ethnicity,label,prediction",
        [("F", "A", 1, 1), ("F", "A", 1, 0), ("F", "B", 0, 1), ("F", "B", 0, 0),
         ("M", "A", 1, 1), ("M", "B", 0, 0), ("M", "B", 0, 0), ("M", "A", 1, 1)],
    )  # fmt: skip
    audit = BiasAuditFactory(csv=data, audit_type="classification")
    women, men = _results(audit)[("sex", "F")], _results(audit)[("sex", "M")]
    assert (women.tpr, women.fpr, women.rate) == (0.5, 0.5, 0.5)
    assert (men.tpr, men.fpr, men.rate) == (1.0, 0.0, 0.5)
    metrics = audit.dimension_summaries[0]["metrics"]
    assert metrics["equalized_odds_difference"] == 0.5
    assert metrics["equalized_odds_ratio"] == 0.0


# --- Bad input ----------------------------------------------------------------------------

GOOD_HEADER = "sex,race_ethnicity,selected"
GOOD = [("Female", "White", 1), ("Male", "Asian", 0), ("Female", "Asian", 0), ("Male", "White", 1)]


def _csv(rows: list[tuple[Any, ...]], header: str = GOOD_HEADER) -> bytes:
    return csv_bytes(header, rows)


BAD_FILES: list[tuple[str, bytes, dict[str, Any], str]] = [
    ("empty", b"", {}, "empty"),
    ("header only", b"sex,race_ethnicity,selected\n", {}, "no data rows"),
    ("latin-1", _csv(GOOD).replace(b"Male,Asian", b"M\xe4le,Asian"), {}, "Line 3"),
    ("utf-16", _csv(GOOD).decode().encode("utf-16"), {}, "Line 1"),
    ("not 0/1", _csv([*GOOD, ("Male", "White", "yes")]), {}, "Line 6, column 'selected'"),
    ("empty outcome", _csv([*GOOD[:2], ("Male", "White", ""), *GOOD[2:]]), {}, "Line 4"),
    ("ragged row", _csv(GOOD) + b"Female,White\n", {}, "Line 6"),
    (
        "missing column",
        _csv([(s, r) for s, r, _ in GOOD], header="sex,race_ethnicity"),
        {},
        "selected",
    ),
    (
        "unknown column",
        _csv(GOOD),
        {"mapping": ColumnMapping(("sex", "religion"), {"selected": "selected"})},
        "religion",
    ),
    ("single category", _csv([(s, "White", y) for s, _, y in GOOD]), {}, "race_ethnicity"),
    (
        "non-numeric score",
        _csv([("F", "A", 1.5), ("M", "B", "n/a")], header="sex,race_ethnicity,score"),
        {"audit_type": "scoring"},
        "Line 3, column 'score'",
    ),
    (
        "negative count",
        _csv(
            [("F", "A", 10, 2), ("M", "B", -3, 0)], header="sex,race_ethnicity,applicants,selected"
        ),
        {"data_format": "counts"},
        "Line 3, column 'applicants': '-3' is negative",
    ),
    (
        "count too large",
        _csv(
            [("F", "A", 10, 2), ("M", "B", 10**16, 0)],
            header="sex,race_ethnicity,applicants,selected",
        ),
        {"data_format": "counts"},
        "Line 3, column 'applicants': '10000000000000000' is too large for a count of people",
    ),
    (
        "fractional count",
        _csv(
            [("F", "A", 10, 2), ("M", "B", 10, 2.5)],
            header="sex,race_ethnicity,applicants,selected",
        ),
        {"data_format": "counts"},
        "Line 3, column 'selected': '2.5' is not a whole number",
    ),
    (
        "selected over applicants",
        _csv(
            [("F", "A", 10, 2), ("M", "B", 10, 12)], header="sex,race_ethnicity,applicants,selected"
        ),
        {"data_format": "counts"},
        "Line 3, column 'selected': 12 selected is more than the 10 applicants",
    ),
    (
        "counts for scoring",
        _csv([("F", "A", 10, 2)], header="sex,race_ethnicity,applicants,selected"),
        {"data_format": "counts", "audit_type": "scoring"},
        "Aggregated counts",
    ),
    ("duplicate header", b"sex,sex,selected\nF,M,1\n", {}, "appears twice"),
    (
        "identifier as dimension",
        _csv([(f"person-{i}", "White" if i % 2 else "Asian", i % 2) for i in range(150)]),
        {},
        "'sex' has 150 different categories",
    ),
    (
        "category too long",
        _csv([*GOOD, ("F" * 101, "White", 1)]),
        {},
        "longer than 100 characters",
    ),
    (
        "CR-only line breaks",
        _csv(GOOD).replace(b"\n", b"\r"),
        {},
        "Line 1: a carriage return (CR) without a line feed",
    ),
    (
        "CR inside a line",
        _csv(GOOD).replace(b"Male,Asian", b"Ma\rle,Asian"),
        {},
        "Line 3: a carriage return (CR) without a line feed",
    ),
    (
        "quoted line break",
        _csv(GOOD).replace(b"Male,Asian", b'"Ma\nle",Asian'),
        {},
        "Line 3: a quoted value runs over more than one line",
    ),
    (
        "quoted CRLF line break",
        _csv(GOOD).replace(b"\n", b"\r\n").replace(b"Male,Asian", b'"Ma\r\nle",Asian'),
        {},
        "Line 3: a quoted value runs over more than one line",
    ),
    (
        "quoted line break in an unused column",
        b'sex,race_ethnicity,selected,note\nFemale,White,1,"two\nlines"\nMale,Asian,0,x\n',
        {},
        "Line 2: a quoted value runs over more than one line",
    ),
]


@pytest.mark.parametrize(
    ("data", "overrides", "expected"),
    [pytest.param(d, o, e, id=name) for name, d, o, e in BAD_FILES],
)
def test_bad_uploads_name_the_problem_and_save_nothing(
    settings: Any, data: bytes, overrides: dict[str, Any], expected: str
) -> None:
    actor = user_with_roles("requester")
    deployment = DeploymentFactory()
    events_before = LedgerEvent.objects.count()
    with pytest.raises(InvalidInput) as caught:
        BiasAuditFactory(csv=data, actor=actor, deployment=deployment, **overrides)
    assert expected in caught.value.message, caught.value.message
    assert not BiasAudit.objects.exists() and not BiasAuditResult.objects.exists()
    assert LedgerEvent.objects.count() == events_before
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_row_errors_give_line_and_column_as_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        BiasAuditFactory(csv=_csv([*GOOD, ("Male", "White", 7)]))
    assert caught.value.fields["line"] == ["6"]
    assert caught.value.fields["column"] == ["selected"]


def test_line_numbers_count_blank_lines() -> None:
    data = b"sex,race_ethnicity,selected\nFemale,White,1\n\nMale,Asian,0\nMale,Asian,x\n"
    with pytest.raises(InvalidInput, match="Line 5, column 'selected'"):
        BiasAuditFactory(csv=data)


def test_files_over_the_size_limit_are_refused(settings: Any) -> None:
    settings.BIAS_UPLOAD_MAX_BYTES = 50
    with pytest.raises(InvalidInput, match="larger than the limit of 50 bytes"):
        BiasAuditFactory()
    assert not BiasAudit.objects.exists()


def test_a_failure_while_saving_removes_the_stored_file(settings: Any, monkeypatch: Any) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(services, "ledger_append", broken)
    with pytest.raises(RuntimeError):
        BiasAuditFactory()
    assert not BiasAudit.objects.exists() and not BiasAuditResult.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_metadata_is_checked_before_the_file() -> None:
    with pytest.raises(InvalidInput) as caught:
        BiasAuditFactory(csv=b"", data_source="test", test_data_explanation="")
    assert "explanation" in caught.value.message.lower()


def test_audit_date_cannot_be_in_the_future_nor_next_due_beyond_a_year() -> None:
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    with pytest.raises(InvalidInput) as future:
        BiasAuditFactory(audit_date=today + dt.timedelta(days=1))
    assert "audit_date" in future.value.fields
    with pytest.raises(InvalidInput) as late:
        BiasAuditFactory(audit_date=today, next_due_date=today + dt.timedelta(days=400))
    assert "next_due_date" in late.value.fields
    audit = BiasAuditFactory(audit_date=dt.date(2024, 2, 29), data_period_end=dt.date(2024, 1, 31))
    assert audit.next_due_date == dt.date(2025, 2, 28)


def test_crlf_files_and_quoted_values_are_read_whatever_the_chunk_boundaries(
    monkeypatch: Any,
) -> None:
    # Chunks of 3 bytes split every CRLF and every pair of quotes somewhere.
    monkeypatch.setattr(engine, "CHUNK", 3)
    rows = [(f'"{s}"', f'"{r}, ""{r}"""', y) for s, r, y in GOOD]
    audit = BiasAuditFactory(csv=_csv(rows).replace(b"\n", b"\r\n"))
    assert {r.category for r in audit.results.filter(dimension="sex")} == {"Female", "Male"}
    assert 'White, "White"' in {r.category for r in audit.results.all()}


def test_a_quoted_line_break_is_refused_across_chunk_boundaries(monkeypatch: Any) -> None:
    monkeypatch.setattr(engine, "CHUNK", 3)
    data = _csv(GOOD).replace(b"Female,Asian", b'"Fe\nmale",Asian')
    with pytest.raises(InvalidInput, match="Line 4: a quoted value runs over more than one line"):
        BiasAuditFactory(csv=data)


def test_a_quote_inside_an_unquoted_value_is_an_ordinary_character() -> None:
    rows = [(s.replace("Male", 'Ma"le'), r, y) for s, r, y in GOOD]
    audit = BiasAuditFactory(csv=_csv(rows))
    assert {r.category for r in audit.results.filter(dimension="sex")} == {"Female", 'Ma"le'}


def test_a_quoted_value_left_open_past_the_csv_field_limit_is_refused_naming_its_line() -> None:
    data = _csv(GOOD) + b'"Female,White,1\n' + b"x" * 200_000 + b"\n"
    with pytest.raises(InvalidInput, match="Line 6"):
        BiasAuditFactory(csv=data)
