"""Which law a bias audit's summary is presented under, decided by what the tool is used for.

NYC Local Law 144 governs automated employment decision tools only: its §5-303 public summary
is the right frame for a system used in employment (EU AI Act Annex III area 4). The same
figures for any other use (housing, credit, education) are a disparate-impact analysis under
the four-fifths rule, and calling such a tool an "automated employment decision tool" would
misstate the law that applies to it.
"""

from __future__ import annotations

from typing import Any

from governance.inventory.choices import AnnexIIIArea


def is_employment_tool(system: Any) -> bool:
    return bool(system.annex_iii_area == AnnexIIIArea.EMPLOYMENT)


def framing(system: Any) -> dict[str, Any]:
    """JSON-safe wording for a summary of an audit of `system` (stored in report snapshots)."""
    if is_employment_tool(system):
        return {
            "employment": True,
            "tool_label": "Automated employment decision tool",
            "heading": "Summary of the results of the bias audit (LL144 §5-303)",
            "basis": "published under NYC Local Law 144 of 2021 (6 RCNY §5-303)",
            "intro": (
                "The summary of the results of a bias audit of an automated employment "
                "decision tool, as 6 RCNY §5-303 requires an employer or employment agency "
                "to publish before using the tool."
            ),
            "subjects": "applicants",
            "exclusion_note": (
                "Under 6 RCNY §5-301(d), a category representing less than 2 % of the data "
                "may be excluded from the impact-ratio calculations."
            ),
        }
    use = system.get_annex_iii_area_display() if system.annex_iii_area != "none" else ""
    return {
        "employment": False,
        "tool_label": "AI system",
        "heading": "Disparate-impact analysis (four-fifths rule)",
        "basis": "disparate-impact analysis under the four-fifths rule",
        "intro": (
            "A disparate-impact analysis of the AI system"
            + (f" (used in: {use.lower()})" if use else "")
            + ": each category's rate is compared with the highest category's rate, and an "
            "impact ratio below 0.80 (the four-fifths rule) indicates adverse impact. The "
            "system is not used in employment decisions, so NYC Local Law 144 does not apply."
        ),
        "subjects": "individuals",
        "exclusion_note": (
            "A category representing less than 2 % of the data was excluded from the "
            "impact-ratio calculations; its individuals and rate are still given."
        ),
    }
