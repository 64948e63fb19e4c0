"""What a web process loads at start: the heavy libraries only where they are used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# pyarrow (counting bias-audit files) and scipy (Fisher's exact test) cost about a second
# and 70 MB together; every gunicorn worker would carry them for pages that never compute.
PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # imports every view and API module
print(",".join(name for name in ("pyarrow", "scipy") if name in sys.modules))
"""


def test_a_web_process_loads_no_audit_computation_library(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "GOVERNANCE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
