"""Framework files: parse and validate the YAML, naming the line of every problem, and install.

A framework file is data: its requirements, who they apply to, from when, what evidence
proves them and which requirements of other frameworks they correspond to. `parse_framework`
checks one file on its own and returns a `ParsedFramework` (a JSON-safe definition plus the
line of each crosswalk reference) or raises `FrameworkFileError` with (line, message) pairs.
`install_frameworks` checks a batch against what is loaded (a changed file under a loaded
version, crosswalk references) and creates what is new; it takes a models registry so the data
migration (historical models) and the `load_framework` command (live models, through
`services.frameworks_load`) share it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from governance.core.canonical import sha256_hex
from governance.obligations.choices import DocumentKind
from governance.obligations.facts import FACTS, FLAG, SCALAR, SET

SHIPPED_DIR = Path(__file__).resolve().parent / "frameworks"
MAX_FILE_BYTES = 2_000_000

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()-]{0,59}$")
SHORT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")

TOP_KEYS = {
    "slug",
    "version",
    "name",
    "short_name",
    "source",
    "description",
    "scope",
    "applies_when",
    "assertion_validity_days",
    "requirements",
    "dates",
    "definitions",  # anchors (&name) the requirements refer to (*name); not read otherwise
}
REQUIRED_TOP = ("slug", "version", "name", "short_name", "requirements")
REQUIREMENT_KEYS = {
    "id",
    "ref",
    "title",
    "summary",
    "group",
    "applies_from",
    "applies_from_when",
    "applies_to",
    "applies_when",
    "evidence",
    "assertion_validity_days",
    "counterparts",
}
REQUIRED_REQUIREMENT = ("id", "ref", "title")

# Evidence rule kinds and the parameters each takes besides `kind` and `label`; the
# evaluators live in governance/obligations/evidence.py.
EVIDENCE_KINDS: dict[str, frozenset[str]] = {
    "risk_assessment": frozenset(),
    "bias_audit": frozenset({"max_age_days"}),
    "approval": frozenset(),
    "ledger": frozenset(),
    "accountable_owner": frozenset(),
    "raci": frozenset(),
    "dossier": frozenset(),
    "monitoring_plan": frozenset(),
    "incident_reporting": frozenset(),
    "document": frozenset({"document_kind"}),
    "fria": frozenset(),
    "dpia": frozenset(),
}
OPERATORS = {SCALAR: ("in",), SET: ("any_of", "all_of"), FLAG: ("is",)}


class FrameworkFileError(Exception):
    """A framework file that cannot be loaded; `errors` holds (file, line, message) triples."""

    def __init__(self, errors: Sequence[tuple[str, int, str]]):
        self.errors = sorted(errors, key=lambda e: (e[0], e[1]))
        super().__init__("; ".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{name}, line {line}: {message}" for name, line, message in self.errors]


# --- YAML that remembers lines ----------------------------------------------------------


class _Map(dict[Any, Any]):
    """A mapping with the line of itself and of each key."""

    line = 1
    key_lines: dict[Any, int]


class _List(list[Any]):
    line = 1
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    duplicate_keys: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicate_keys.append((line, f"the key {key!r} appears twice"))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(value: Any, default: int) -> int:
    return getattr(value, "line", default)


def _key_line(mapping: Any, key: str) -> int:
    lines = getattr(mapping, "key_lines", {})
    return lines.get(key, _line_of(mapping, 1))


# --- Parsing ----------------------------------------------------------------------------


@dataclass
class ParsedFramework:
    name: str
    content: bytes
    definition: dict[str, Any]
    # (requirement identifier, "slug:identifier", line) for every crosswalk reference
    crosswalk: list[tuple[str, str, int]] = field(default_factory=list)
    first_line: int = 1

    @property
    def slug(self) -> str:
        return str(self.definition["slug"])

    @property
    def version(self) -> str:
        return str(self.definition["version"])

    @property
    def sha256(self) -> str:
        return sha256_hex(self.content)


class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[tuple[str, int, str]] = []

    def fail(self, line: int, message: str) -> None:
        self.errors.append((self.name, line, message))

    def text(self, data: Any, key: str, *, required: bool, max_length: int = 0) -> str:
        value = data.get(key)
        line = _key_line(data, key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(line, f"{key} is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(line, f"{key} must be text")
            return ""
        text = str(value).strip()
        if max_length and len(text) > max_length:
            self.fail(line, f"{key} is longer than {max_length} characters")
        return text

    def date(self, data: Any, key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        line = _key_line(data, key)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        self.fail(line, f"{key} must be a date written YYYY-MM-DD, not {value!r}")
        return None

    def days(self, data: Any, key: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(_key_line(data, key), f"{key} must be a whole number of days above 0")
            return None
        return value

    def unknown_keys(self, data: Any, allowed: set[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(
                    _key_line(data, key),
                    f"unknown {what} field {key!r}; known: {', '.join(sorted(allowed))}",
                )

    # Applicability rules -------------------------------------------------------------

    def rule(self, rule: Any, line: int) -> dict[str, Any] | None:
        if not isinstance(rule, dict):
            self.fail(line, "an applicability rule must be a mapping (fact, all, any or not)")
            return None
        line = _line_of(rule, line)
        combinators = [k for k in ("all", "any", "not") if k in rule]
        if combinators:
            if len(rule) != 1:
                self.fail(line, f"{combinators[0]!r} must be alone in its mapping")
                return None
            key = combinators[0]
            inner = rule[key]
            if key == "not":
                checked = self.rule(inner, _key_line(rule, key))
                return {"not": checked} if checked is not None else None
            if not isinstance(inner, list) or not inner:
                self.fail(_key_line(rule, key), f"{key!r} needs a list of rules")
                return None
            lines = getattr(inner, "item_lines", [line] * len(inner))
            children = [self.rule(child, lines[i]) for i, child in enumerate(inner)]
            if any(child is None for child in children):
                return None
            return {key: children}
        return self.leaf(rule, line)

    def leaf(self, rule: Any, line: int) -> dict[str, Any] | None:
        name = rule.get("fact")
        if name is None:
            self.fail(
                line,
                f"unknown applicability rule {sorted(rule)!r}: use fact, all, any or not",
            )
            return None
        fact_line = _key_line(rule, "fact")
        spec = FACTS.get(name) if isinstance(name, str) else None
        if spec is None:
            self.fail(
                fact_line,
                f"applicability rule names unknown field {name!r}; known: {', '.join(FACTS)}",
            )
            return None
        operators = [k for k in rule if k != "fact"]
        allowed = OPERATORS[spec.kind]
        if len(operators) != 1 or operators[0] not in allowed:
            self.fail(
                line,
                f"the fact {name!r} takes exactly one of: {', '.join(allowed)}",
            )
            return None
        operator = operators[0]
        value = rule[operator]
        value_line = _key_line(rule, operator)
        if spec.kind == FLAG:
            if not isinstance(value, bool):
                self.fail(value_line, f"{name}: 'is' takes true or false")
                return None
            return {"fact": name, "is": value}
        if not isinstance(value, list) or not value:
            self.fail(value_line, f"{name}: {operator!r} takes a list of values")
            return None
        values = ["" if v is None else str(v) for v in value]
        unknown = [v for v in values if v not in spec.values]
        if unknown:
            self.fail(
                value_line,
                f"{name}: unknown value(s) {', '.join(repr(v) for v in unknown)}; "
                f"known: {', '.join(repr(v) for v in spec.values)}",
            )
            return None
        return {"fact": name, operator: values}

    def from_when(self, data: Any, key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            return []
        line = _key_line(data, key)
        if not isinstance(value, list):
            self.fail(line, f"{key} must be a list of {{when: rule, date: YYYY-MM-DD}}")
            return []
        result = []
        for index, item in enumerate(value):
            item_line = value.item_lines[index] if isinstance(value, _List) else line
            if not isinstance(item, dict) or set(item) != {"when", "date"}:
                self.fail(item_line, f"each {key} entry has exactly 'when' and 'date'")
                continue
            rule = self.rule(item["when"], _key_line(item, "when"))
            date = self.date(item, "date")
            if rule is not None and date is not None:
                result.append({"when": rule, "date": date})
        return result

    # Evidence rules --------------------------------------------------------------------

    def evidence(self, data: Any) -> list[dict[str, Any]]:
        value = data.get("evidence")
        if value is None:
            return []
        line = _key_line(data, "evidence")
        if not isinstance(value, list):
            self.fail(line, "evidence must be a list of {kind: ..., label: ...}")
            return []
        rules = []
        for index, item in enumerate(value):
            item_line = value.item_lines[index] if isinstance(value, _List) else line
            if not isinstance(item, dict):
                self.fail(item_line, "an evidence rule must be a mapping with kind and label")
                continue
            kind = item.get("kind")
            if kind not in EVIDENCE_KINDS:
                self.fail(
                    _key_line(item, "kind"),
                    f"unknown evidence kind {kind!r}; known: {', '.join(EVIDENCE_KINDS)}",
                )
                continue
            label = self.text(item, "label", required=True, max_length=200)
            rule: dict[str, Any] = {"kind": kind, "label": label}
            for key in item:
                if key in ("kind", "label"):
                    continue
                if key not in EVIDENCE_KINDS[kind]:
                    self.fail(_key_line(item, key), f"evidence kind {kind!r} takes no {key!r}")
                    continue
                rule[key] = item[key]
            if kind == "document":
                document_kind = item.get("document_kind")
                if document_kind not in DocumentKind.values:
                    self.fail(
                        _key_line(item, "document_kind"),
                        f"document evidence needs document_kind, one of "
                        f"{', '.join(DocumentKind.values)}",
                    )
                    continue
            if (
                kind == "bias_audit"
                and "max_age_days" in item
                and self.days(item, "max_age_days") is None
            ):
                continue
            rules.append(rule)
        return rules


def _load_yaml(content: bytes, checker: _Checker) -> Any:
    loader = _LineLoader(content.decode("utf-8"))
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        checker.fail(line, f"not valid YAML: {exc.problem or exc}")
        return None
    except yaml.YAMLError as exc:
        checker.fail(1, f"not valid YAML: {exc}")
        return None
    finally:
        loader.dispose()
    for line, message in loader.duplicate_keys:
        checker.fail(line, message)
    return data


def parse_framework(content: bytes, name: str = "framework file") -> ParsedFramework:
    """Check one framework file on its own; raise FrameworkFileError naming each line."""
    checker = _Checker(name)
    if len(content) > MAX_FILE_BYTES:
        raise FrameworkFileError([(name, 1, f"larger than {MAX_FILE_BYTES} bytes")])
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameworkFileError([(name, 1, "not UTF-8 text")]) from None
    data = _load_yaml(content, checker)
    if checker.errors:
        raise FrameworkFileError(checker.errors)
    if not isinstance(data, dict):
        raise FrameworkFileError([(name, 1, "a framework file is a YAML mapping")])
    checker.unknown_keys(data, TOP_KEYS, "framework")
    for key in REQUIRED_TOP:
        if key not in data:
            checker.fail(1, f"{key} is required")
    slug = checker.text(data, "slug", required=True)
    if slug and not SLUG_RE.match(slug):
        checker.fail(_key_line(data, "slug"), "slug: lowercase letters, digits and hyphens")
    version = checker.text(data, "version", required=True)
    if version and not VERSION_RE.match(version):
        checker.fail(_key_line(data, "version"), "version: letters, digits, dots, - and _")
    short_name = checker.text(data, "short_name", required=True)
    if short_name and not SHORT_NAME_RE.match(short_name):
        checker.fail(_key_line(data, "short_name"), "short_name: up to 20 letters, digits, -")
    definition: dict[str, Any] = {
        "slug": slug,
        "version": version,
        "name": checker.text(data, "name", required=True, max_length=200),
        "short_name": short_name,
        "source": checker.text(data, "source", required=False),
        "description": checker.text(data, "description", required=False),
        "scope": checker.text(data, "scope", required=False),
        "assertion_validity_days": checker.days(data, "assertion_validity_days"),
        "dates": {},
    }
    dates = data.get("dates") or {}
    if not isinstance(dates, dict):
        checker.fail(_key_line(data, "dates"), "dates must map names to YYYY-MM-DD")
    else:
        for key in dates:
            definition["dates"][str(key)] = checker.date(dates, key)
    framework_rule = None
    if data.get("applies_when") is not None:
        framework_rule = checker.rule(data["applies_when"], _key_line(data, "applies_when"))
    definition["applies_when"] = framework_rule
    requirements = data.get("requirements")
    parsed = ParsedFramework(name=name, content=content, definition=definition)
    if not isinstance(requirements, list) or not requirements:
        checker.fail(_key_line(data, "requirements"), "requirements must be a non-empty list")
        requirements = []
    seen: dict[str, int] = {}
    items = []
    for index, item in enumerate(requirements):
        line = requirements.item_lines[index] if isinstance(requirements, _List) else 1
        if not isinstance(item, dict):
            checker.fail(line, "each requirement is a mapping")
            continue
        items.append(_requirement(checker, item, line, definition, seen, parsed))
    definition["requirements"] = items
    if checker.errors:
        raise FrameworkFileError(checker.errors)
    return parsed


def _requirement(
    checker: _Checker,
    item: Any,
    line: int,
    definition: Mapping[str, Any],
    seen: dict[str, int],
    parsed: ParsedFramework,
) -> dict[str, Any]:
    checker.unknown_keys(item, REQUIREMENT_KEYS, "requirement")
    identifier = checker.text(item, "id", required=True, max_length=60)
    id_line = _key_line(item, "id")
    if identifier and not IDENTIFIER_RE.match(identifier):
        checker.fail(id_line, f"id {identifier!r}: letters, digits, . _ ( ) and -")
    if identifier in seen:
        checker.fail(
            id_line,
            f"duplicate identifier {identifier!r} (first used on line {seen[identifier]})",
        )
    elif identifier:
        seen[identifier] = id_line
    rule = None
    if item.get("applies_when") is not None:
        rule = checker.rule(item["applies_when"], _key_line(item, "applies_when"))
    framework_rule = definition.get("applies_when")
    if framework_rule is not None and rule is not None:
        combined: dict[str, Any] | None = {"all": [framework_rule, rule]}
    else:
        combined = framework_rule if rule is None else rule
    counterparts = item.get("counterparts") or []
    refs = []
    if not isinstance(counterparts, list):
        checker.fail(_key_line(item, "counterparts"), "counterparts must be a list")
        counterparts = []
    for index, ref in enumerate(counterparts):
        ref_line = (
            counterparts.item_lines[index]
            if isinstance(counterparts, _List)
            else _key_line(item, "counterparts")
        )
        text = str(ref).strip() if isinstance(ref, str | int | float) else ""
        framework_slug, _, target = text.partition(":")
        if not framework_slug or not target:
            checker.fail(
                ref_line,
                f"crosswalk reference {ref!r} must be written framework-slug:identifier",
            )
            continue
        if framework_slug == definition.get("slug"):
            checker.fail(ref_line, f"crosswalk reference {text!r} names this framework itself")
            continue
        refs.append(text)
        parsed.crosswalk.append((identifier, text, ref_line))
    return {
        "id": identifier,
        "ref": checker.text(item, "ref", required=True, max_length=60),
        "title": checker.text(item, "title", required=True, max_length=300),
        "summary": checker.text(item, "summary", required=False),
        "group": checker.text(item, "group", required=False, max_length=120),
        "applies_from": checker.date(item, "applies_from"),
        "applicability": {
            "when": combined,
            "scope": checker.text(item, "applies_to", required=False)
            or definition.get("scope", ""),
            "from_when": checker.from_when(item, "applies_from_when"),
        },
        "evidence": checker.evidence(item),
        "assertion_validity_days": checker.days(item, "assertion_validity_days")
        or definition.get("assertion_validity_days"),
        "counterparts": refs,
        "line": line,
    }


# --- Installing -------------------------------------------------------------------------


def shipped_files() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(SHIPPED_DIR.glob("*.yaml"))]


@dataclass
class InstallResult:
    framework: Any
    created: bool
    requirements: int


def _check_batch(
    parsed: Sequence[ParsedFramework], apps: Any
) -> tuple[list[ParsedFramework], list[tuple[ParsedFramework, Any]]]:
    """Split the batch into new versions and unchanged ones; refuse changed files."""
    framework_model = apps.get_model("obligations", "Framework")
    errors: list[tuple[str, int, str]] = []
    slugs: dict[str, str] = {}
    new: list[ParsedFramework] = []
    unchanged: list[tuple[ParsedFramework, Any]] = []
    for item in parsed:
        if item.slug in slugs:
            errors.append(
                (item.name, 1, f"{item.slug} is also loaded from {slugs[item.slug]} in this batch")
            )
            continue
        slugs[item.slug] = item.name
        loaded = framework_model.objects.filter(slug=item.slug, version=item.version).first()
        if loaded is None:
            new.append(item)
        elif loaded.content_sha256 == item.sha256:
            unchanged.append((item, loaded))
        else:
            errors.append(
                (
                    item.name,
                    _key_line_of_version(item),
                    f"{item.slug} version {item.version} is already loaded with different "
                    f"content (sha256 {loaded.content_sha256[:12]}…); a changed file needs a "
                    "new version",
                )
            )
    if errors:
        raise FrameworkFileError(errors)
    return new, unchanged


def _key_line_of_version(item: ParsedFramework) -> int:
    checker = _Checker(item.name)
    data = _load_yaml(item.content, checker)
    return _key_line(data, "version") if isinstance(data, dict) else 1


def _known_identifiers(parsed: Sequence[ParsedFramework], apps: Any) -> dict[str, set[str]]:
    """Identifiers a crosswalk may name: the batch's files, else the current loaded versions."""
    requirement_model = apps.get_model("obligations", "Requirement")
    known: dict[str, set[str]] = defaultdict(set)
    batch = {item.slug for item in parsed}
    rows = requirement_model.objects.filter(framework__is_current=True).values_list(
        "framework__slug", "identifier"
    )
    for slug, identifier in rows:
        if slug not in batch:
            known[slug].add(identifier)
    for item in parsed:
        known[item.slug] = {r["id"] for r in item.definition["requirements"]}
    return known


def _check_crosswalk(parsed: Sequence[ParsedFramework], apps: Any) -> None:
    known = _known_identifiers(parsed, apps)
    errors = []
    for item in parsed:
        for _identifier, ref, line in item.crosswalk:
            slug, _, target = ref.partition(":")
            if slug not in known:
                errors.append(
                    (item.name, line, f"crosswalk reference {ref!r}: no framework {slug!r} loaded")
                )
            elif target not in known[slug]:
                errors.append(
                    (
                        item.name,
                        line,
                        f"crosswalk reference {ref!r}: {slug} has no requirement {target!r}",
                    )
                )
    if errors:
        raise FrameworkFileError(errors)


def _create(item: ParsedFramework, apps: Any, actor: Any) -> Any:
    framework_model = apps.get_model("obligations", "Framework")
    requirement_model = apps.get_model("obligations", "Requirement")
    definition = item.definition
    # One current version per slug (a partial unique index): the old one steps down first.
    framework_model.objects.filter(slug=item.slug, is_current=True).update(is_current=False)
    framework = framework_model.objects.create(
        slug=item.slug,
        version=item.version,
        name=definition["name"],
        short_name=definition["short_name"],
        source=definition["source"],
        content_sha256=item.sha256,
        document=definition,
        is_current=True,
        loaded_by=actor,
    )
    requirement_model.objects.bulk_create(
        [
            requirement_model(
                framework=framework,
                identifier=req["id"],
                ref=f"{definition['short_name']} {req['ref']}",
                title=req["title"],
                summary=req["summary"],
                group=req["group"],
                position=position,
                applies_from=(
                    dt.date.fromisoformat(req["applies_from"]) if req["applies_from"] else None
                ),
                applicability=req["applicability"],
                evidence_rules=req["evidence"],
                assertion_validity_days=req["assertion_validity_days"],
            )
            for position, req in enumerate(definition["requirements"], start=1)
        ]
    )
    return framework


def _link_crosswalk(apps: Any, created_slugs: Iterable[str]) -> None:
    """Link counterparts among current versions wherever one side was just created.

    A file names its counterparts in other frameworks; the link is symmetrical, so a new
    version of one framework is also linked from the current files that name it.
    """
    created = set(created_slugs)
    if not created:
        return
    framework_model = apps.get_model("obligations", "Framework")
    requirement_model = apps.get_model("obligations", "Requirement")
    through = requirement_model.counterparts.through
    current = list(framework_model.objects.filter(is_current=True))
    rows = {
        (slug, identifier): pk
        for pk, slug, identifier in requirement_model.objects.filter(
            framework__is_current=True
        ).values_list("pk", "framework__slug", "identifier")
    }
    pairs: set[tuple[Any, Any]] = set()
    for framework in current:
        for req in framework.document.get("requirements", []):
            for ref in req.get("counterparts", []):
                slug, _, target = ref.partition(":")
                if framework.slug not in created and slug not in created:
                    continue
                source = rows.get((framework.slug, req["id"]))
                other = rows.get((slug, target))
                if source is None or other is None:
                    continue
                pairs.add((source, other))
                pairs.add((other, source))
    existing = set(
        through.objects.filter(from_requirement_id__in={a for a, _ in pairs}).values_list(
            "from_requirement_id", "to_requirement_id"
        )
    )
    through.objects.bulk_create(
        [
            through(from_requirement_id=a, to_requirement_id=b)
            for a, b in sorted(pairs, key=str)
            if (a, b) not in existing
        ]
    )


def install_frameworks(
    files: Sequence[tuple[str, bytes]], apps: Any = None, actor: Any = None
) -> list[InstallResult]:
    """Check every file, then create each new version; all files load or none does.

    Callers run it inside a transaction. Loading an identical file again does nothing; a
    changed file under a loaded version, an unknown crosswalk reference or any malformed
    part refuses the whole batch with FrameworkFileError naming file and line.
    """
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    errors: list[tuple[str, int, str]] = []
    parsed = []
    for name, content in files:
        try:
            parsed.append(parse_framework(content, name))
        except FrameworkFileError as exc:
            errors.extend(exc.errors)
    if errors:
        raise FrameworkFileError(errors)
    new, unchanged = _check_batch(parsed, apps)
    _check_crosswalk(parsed, apps)
    results = [
        InstallResult(framework, False, len(item.definition["requirements"]))
        for item, framework in unchanged
    ]
    for item in new:
        framework = _create(item, apps, actor)
        results.append(InstallResult(framework, True, len(item.definition["requirements"])))
    _link_crosswalk(apps, [item.slug for item in new])
    order = {item.slug: index for index, item in enumerate(parsed)}
    results.sort(key=lambda r: order[r.framework.slug])
    return results


def load_shipped_frameworks(apps: Any = None) -> list[str]:
    """The data migration's entry: install the shipped files not yet present."""
    return [
        f"{r.framework.slug} v{r.framework.version}"
        for r in install_frameworks(shipped_files(), apps)
        if r.created
    ]
