from __future__ import annotations

from django.template.loader import render_to_string


def test_verification_section_names_the_organisation_in_a_sentence_that_reads() -> None:
    html = render_to_string(
        "reports/sections/verification.html", {"data": {"organisation": "Model Governance"}}
    )
    assert "governance records kept by Model Governance" in html
    assert "Model Governance's model governance system" not in html
