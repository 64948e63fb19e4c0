"""`make bench`: run every benchmark in this folder, one after another, against real services.

Each writes its own section of docs/benchmarks.md. Pass names to run a subset:
    .venv/bin/python bench/run_all.py ledger gate
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "ledger",
    "risk",
    "gate",
    "bias",
    "liability",
    "reports",
    "seed_large",
    "pages",
    "findings",
    "monitoring",
    "obligations",
]


def main() -> int:
    wanted = sys.argv[1:] or [name for name in ORDER if (HERE / f"{name}.py").exists()]
    failures = 0
    for name in wanted:
        print(f"=== bench/{name}.py ===", flush=True)
        failures += (
            subprocess.call([sys.executable, str(HERE / f"{name}.py")], cwd=HERE.parent) != 0
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
