"""The methodologies shipped with the product, loaded by a data migration.

`manage.py migrate` alone then yields a product that can assess risk: a production install
needs no demo command. The loader takes a models registry (the migration's historical
models, or the live ones) and is idempotent: a slug and version already present is left as
it is, so `seed_demo`, `load_methodology` and re-running migrations find them loaded.
Newer versions are shipped as new files and loaded by `load_methodology` (or a later data
migration); a loaded version never changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from governance.core.canonical import sha256_hex
from governance.risk.methodology import KIND_EU, parse_methodology

SHIPPED_DIR = Path(__file__).resolve().parent / "methodologies"


def shipped_files() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(SHIPPED_DIR.glob("*.yaml"))]


def load_shipped_methodologies(apps: Any = None) -> list[str]:
    """Create each shipped methodology version not yet present; returns the ones created.

    Classifications first, so impact methodologies can link the one they name.
    """
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    methodology_model = apps.get_model("risk", "Methodology")
    # Only the kinds the schema at this point of the migrations knows: a later migration
    # that adds a kind loads the files of that kind.
    known = {value for value, _ in methodology_model._meta.get_field("kind").choices}
    parsed = [(name, content, parse_methodology(content)) for name, content in shipped_files()]
    parsed = [item for item in parsed if item[2]["kind"] in known]
    parsed.sort(key=lambda item: item[2]["kind"] != KIND_EU)
    created = []
    for name, content, definition in parsed:
        slug, version = definition["slug"], definition["version"]
        if methodology_model.objects.filter(slug=slug, version=version).exists():
            continue
        reference = definition.get("eu_classification")
        linked = None
        if reference is not None:
            linked = methodology_model.objects.get(
                slug=reference["slug"], version=reference["version"]
            )
        methodology_model.objects.create(
            slug=slug,
            version=version,
            kind=definition["kind"],
            title=definition["title"],
            sha256=sha256_hex(content),
            source=content.decode("utf-8"),
            file_name=name,
            definition=definition,
            eu_classification=linked,
        )
        created.append(f"{slug} v{version}")
    return created
