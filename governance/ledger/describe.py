"""Sentences a person reads for ledger events ("Lena Novak approved Scorer 3.0 → prod-eu").

The ledger imports no other room, so it only keeps registries: each room registers, from
its AppConfig.ready() (a module `events.py`), the sentence of every event kind it emits and,
for records that are not about one deployment, how to name them in bulk. Names are looked
up per page, not per event: one query for the deployments, one for the people, and one per
kind of record that is not about a deployment, so a page costs the same whatever its rows.

Sentences are `str.format` templates. Every template may use `{actor}` (the person or
"the system"), `{target}` (the deployment the event concerns, else the record's name) and
`{deployment}`; any top-level key of the event's data may be used too (`{name}`, `{to}`).
A template whose key the event lacks falls back to the generic sentence built from the code.
"""

from __future__ import annotations

import json
import string
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

# The namers that the events' own ids point at: deployments and the people who acted.
DEPLOYMENT_TYPE = "inventory.deployment"
USER_TYPE = "accounts.user"

Namer = Callable[[Collection[str]], Mapping[str, str]]

_SENTENCES: dict[str, str] = {}
_DECLARED: dict[str, frozenset[str]] = {}
_NAMERS: dict[str, Namer] = {}
# Data values that are codes (states, decisions) read better without underscores.
_CODE_KEYS = frozenset({"from", "to", "status", "decision", "kind", "role", "signed_as"})


class UnknownEventKind(LookupError):
    """An event kind without a registered sentence (raised only where settings demand it)."""


def register_event_sentences(
    sentences: Mapping[str, str], *, emitted_by: Mapping[str, Iterable[str]] | None = None
) -> None:
    """Register the sentence of each event kind a room emits.

    `emitted_by` names, per module, the kinds its non-literal `ledger_append(action=...)`
    calls can produce (an f-string or a variable): the coverage test reads it, since those
    kinds cannot be read from the source.
    """
    for kind, template in sentences.items():
        string.Formatter().parse(template)  # a malformed template fails at start-up
        _SENTENCES[kind] = template
    for module, kinds in (emitted_by or {}).items():
        _DECLARED[module] = _DECLARED.get(module, frozenset()) | frozenset(kinds)


def register_subject_namer(subject_type: str, namer: Namer) -> None:
    """Name records of `subject_type` ("app_label.model") in bulk: ids in, names out."""
    _NAMERS[subject_type] = namer


def is_known_kind(action: str) -> bool:
    return action in _SENTENCES


def registered_kinds() -> frozenset[str]:
    return frozenset(_SENTENCES)


def declared_kinds() -> Mapping[str, frozenset[str]]:
    return dict(_DECLARED)


def event_sentences() -> Mapping[str, str]:
    return dict(_SENTENCES)


def action_label(kind: str) -> str:
    """A kind in words: "approval_stage.completed" → "Approval stage completed"."""
    record, _, verb = kind.partition(".")
    return _capitalised(f"{record} {verb}".replace("_", " ").strip())


@dataclass
class SubjectNames:
    """The names a page of events needs, read in bulk by `subject_names`."""

    deployments: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    records: Mapping[tuple[str, str], str] = field(default_factory=dict)


def subject_names(events: Sequence[Any]) -> SubjectNames:
    deployment_ids = {e.deployment_id for e in events if e.deployment_id}
    people_ids = {e.actor_id for e in events if e.actor_id}
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.subject_type and not e.deployment_id and e.subject_type in _NAMERS:
            wanted[e.subject_type].add(e.subject_id)
    if USER_TYPE in wanted:
        people_ids |= wanted.pop(USER_TYPE)
    people = _named(USER_TYPE, people_ids)
    records = {
        (stype, sid): name
        for stype, ids in wanted.items()
        for sid, name in _named(stype, ids).items()
    }
    records.update({(USER_TYPE, pk): name for pk, name in people.items()})
    return SubjectNames(
        deployments=_named(DEPLOYMENT_TYPE, deployment_ids), people=people, records=records
    )


def _named(subject_type: str, ids: Collection[str]) -> Mapping[str, str]:
    namer = _NAMERS.get(subject_type)
    if not ids or namer is None:
        return {}
    return namer(ids)


def record_type_label(subject_type: str) -> str:
    """ "approvals.approvalrequest" → "Approval request" (the model's verbose name)."""
    if not subject_type:
        return ""
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        return _capitalised(subject_type.rsplit(".", 1)[-1].replace("_", " "))
    return _capitalised(str(model._meta.verbose_name))


def describe(event: Any, names: SubjectNames) -> str:
    """The sentence for one event; a generic one built from the code if none is registered."""
    values = _values(event, names)
    template = _SENTENCES.get(event.action)
    if template is not None:
        try:
            return _capitalised(template.format_map(values))
        except (KeyError, IndexError, ValueError, AttributeError):
            pass  # the event lacks a key the sentence needs: say it generically
    return _capitalised(generic_sentence(event.action, values["actor"], values.get("target", "")))


def generic_sentence(action: str, actor: str, target: str) -> str:
    words = action_label(action).lower()
    return f"{actor}: {words}" + (f" — {target}" if target else "")


def describe_events(events: Iterable[Any]) -> list[Any]:
    """The events with `.sentence` and `.record_type` set, names read in bulk."""
    rows = list(events)
    names = subject_names(rows)
    for event in rows:
        event.sentence = describe(event, names)
        event.record_type = record_type_label(event.subject_type)
    return rows


def _values(event: Any, names: SubjectNames) -> dict[str, Any]:
    try:
        data = json.loads(event.data) if isinstance(event.data, str) else dict(event.data)
    except ValueError:
        data = {}
    values: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and key in _CODE_KEYS:
                value = value.replace("_", " ")
            values[str(key)] = value
    deployment = names.deployments.get(event.deployment_id, "")
    record = names.records.get((event.subject_type, event.subject_id), "")
    fallback_name = data.get("name", "") if isinstance(data, dict) else ""
    values["actor"] = _actor(event, names)
    # A name that cannot be found is left out, so a sentence that needs it falls back.
    for key, name in (
        ("deployment", deployment),
        ("target", deployment or record or fallback_name),
        ("subject", record or fallback_name or deployment),
    ):
        if name:
            values[key] = str(name)
        else:
            values.pop(key, None)
    return values


def _actor(event: Any, names: SubjectNames) -> str:
    if event.actor_id:
        return names.people.get(event.actor_id) or event.actor_name or "someone"
    return f"the {event.actor_name or 'system'}"


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def queryset_namer(queryset: Any, label: Callable[[Any], str] = str) -> Namer:
    """A namer that reads the records of `queryset` by primary key, in one query."""

    def namer(ids: Collection[str]) -> Mapping[str, str]:
        return {str(obj.pk): label(obj) for obj in queryset.filter(pk__in=list(ids))}

    return namer
