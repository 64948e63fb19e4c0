"""Every HTML page, found by walking the URL patterns, answers errors the same way.

Anonymous visitors are sent to the login page (PUBLIC_PAGES names the pages open to everyone,
and why); every demo role gets 200, 302, 403 or 404 and never a server error (form targets
that take POST only answer GET with 405); junk query strings never cause a server error, and
malformed or unknown record ids give 404; an auditor's post is refused and changes nothing;
an admin's empty or junk post shows the form's errors or redirects, and a page shown again
with errors has saved nothing (no ledger event, no row). The JSON API has its own contract
(test_api_contract.py).

New pages are covered as soon as they are routed. A page with a path parameter needs a kind
of sample record in SAMPLES, or test_every_parameterised_page_has_a_sample_record fails.
Each test crawls every page over one demo portfolio (seed_demo takes seconds, so there are
few tests) and reports every failing page at once. Each request runs in a transaction that
is rolled back, so every request starts from the same portfolio.
"""

from __future__ import annotations

import copy
import functools
import inspect
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_filters import FilterSet

from audits.bias.models import BiasAudit
from audits.reports.models import Export, Report, ReportKind
from audits.reports.services import exports as export_services
from audits.reports.services import reports as report_services
from governance.accounts.models import ApiToken, User
from governance.accounts.services import api_token_create
from governance.approvals.models import ApprovalRequest
from governance.findings.models import Finding, FindingEvidence
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion
from governance.liability.models import AccountabilityAssignment, Contract, OwnershipOffer, Party
from governance.monitoring.models import Incident
from governance.notifications.models import Notification
from governance.notifications.services import notification_create
from governance.obligations.models import DeploymentObligation, EvidenceDocument
from governance.risk.methodology import KIND_IMPACT
from governance.risk.models import Methodology, Risk, RiskAssessment, StatutoryAssessment
from governance.risk.services.assessments import risk_assessment_create

# A list paged in no stable order (rows repeat or go missing between pages) counts as an error.
pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")

# The Django admin, the JSON API with its schema and docs (test_api_contract.py), and the SCIM
# endpoints for identity providers, which answer in SCIM's own JSON (accounts/test_scim.py).
SKIPPED_PREFIXES = ("admin/", "api/", "scim/")

PUBLIC_PAGES = {
    "accounts:login": "the login form itself",
    "accounts:logout": "logging out asks for no login (Django's logout takes POST only)",
    "reports:verify": "anyone holding one of our documents may check that we issued it",
    "core:favicon": "browsers fetch the site icon before anyone logs in",
    "accounts:invite_accept": "an invited person chooses their first password before they can",
    "sso:login": "signing in through the organisation's provider starts before any login",
    "sso:callback": "the provider sends the browser back here to finish signing in",
}

# Pages whose POST changes something only with a valid signed link in the body, whoever posts
# (the crawl has none, so its posts change nothing).
LINK_POSTS = {"accounts:invite_accept": "the invitation link sets the first password"}

# Public pages that exist only once configured (OIDC_ISSUER): until then they are a 404.
OFF_UNLESS_CONFIGURED = {"sso:login", "sso:callback"}

# Pages whose POST changes no record; whoever may open them may post to them.
READ_ONLY_POSTS = {
    "accounts:login": "logging in",
    "accounts:logout": "logging out",
    "reports:verify": "checking a document against the records",
}

# Pages where people manage their own API tokens, auditors included: a token acts with its
# holder's roles, so an auditor's token only reads (docs/ci-gate.md). These posts change the
# poster's tokens (and ledger that), nothing else.
OWN_ACCOUNT_POSTS = {
    "accounts:token_create": {"accounts_apitoken", "ledger_ledgerevent"},
    "accounts:token_revoke": {"accounts_apitoken", "ledger_ledgerevent"},
    # Marking one's own notifications read: inbox state, not ledgered (docs/notifications.md).
    "notifications:mark_read": {"notifications_notification"},
    "notifications:mark_all_read": {"notifications_notification"},
}

# Pages that open only the visitor's own records (anyone else's is a 404, like an unknown
# id): they are visited with a record of the admin's, who crawls every post.
OWN_RECORDS = {"notifications:mark_read": "recipient__username"}

# Pages whose successful POST answers with the page itself (201) instead of a redirect,
# because what it shows must not be kept anywhere for a next page to show.
SHOWN_ONCE_POSTS = {"accounts:token_create": "a new token's key, shown in that answer alone"}

# The kind of record named by each page's path parameter. Pages are visited with one record
# of each status of that kind, since what a page offers depends on the status.
SAMPLES: dict[str, type[models.Model]] = {
    "monitoring:deployment_monitoring": Deployment,
    "monitoring:incident_new": Deployment,
    "monitoring:incident_detail": Incident,
    "monitoring:incident_transition": Incident,
    "monitoring:incident_deployment_action": Incident,
    "accounts:token_revoke": ApiToken,
    "approvals:request_detail": ApprovalRequest,
    "approvals:request_sign": ApprovalRequest,
    "approvals:request_withdraw": ApprovalRequest,
    "approvals:deployment_approvals": Deployment,
    "approvals:deployment_request_create": Deployment,
    "inventory:system_detail": AISystem,
    "inventory:system_edit": AISystem,
    "inventory:system_history": AISystem,
    "inventory:dataset_detail": Dataset,
    "inventory:dataset_edit": Dataset,
    "inventory:dataset_history": Dataset,
    "inventory:model_version_detail": ModelVersion,
    "inventory:model_version_edit": ModelVersion,
    "inventory:model_version_history": ModelVersion,
    "inventory:deployment_detail": Deployment,
    "inventory:deployment_edit": Deployment,
    "inventory:deployment_history": Deployment,
    "inventory:deployment_transition": Deployment,
    "liability:offer_detail": OwnershipOffer,
    "liability:offer_accept": OwnershipOffer,
    "liability:offer_decline": OwnershipOffer,
    "liability:offer_withdraw": OwnershipOffer,
    "liability:party_detail": Party,
    "liability:party_edit": Party,
    "liability:contract_edit": Contract,
    "liability:assignment_end": AccountabilityAssignment,
    "liability:deployment_accountability": Deployment,
    "liability:offer_create": Deployment,
    "liability:assignment_create": Deployment,
    "liability:role_shift_create": Deployment,
    "liability:system_accountability": AISystem,
    "risk:methodology_detail": Methodology,
    "risk:deployment_risk": Deployment,
    "risk:assessment_start": Deployment,
    "risk:risk_create": Deployment,
    "risk:assessment_detail": RiskAssessment,
    "risk:assessment_wizard": RiskAssessment,
    "risk:assessment_preview": RiskAssessment,
    "risk:assessment_submit": RiskAssessment,
    "risk:assessment_discard": RiskAssessment,
    "risk:risk_detail": Risk,
    "risk:statutory_list": Deployment,
    "risk:statutory_start": Deployment,
    "risk:statutory_detail": StatutoryAssessment,
    "risk:statutory_edit": StatutoryAssessment,
    "risk:statutory_submit": StatutoryAssessment,
    "risk:statutory_sign": StatutoryAssessment,
    "risk:statutory_reopen": StatutoryAssessment,
    "risk:statutory_discard": StatutoryAssessment,
    "risk:risk_edit": Risk,
    "risk:risk_accept": Risk,
    "risk:risk_close": Risk,
    "risk:risk_reopen": Risk,
    "risk:risk_delete": Risk,
    "bias:audit_detail": BiasAudit,
    "bias:audit_edit": BiasAudit,
    "bias:audit_exclusions": BiasAudit,
    "bias:audit_finalize": BiasAudit,
    "bias:audit_discard": BiasAudit,
    "bias:audit_verify": BiasAudit,
    "bias:audit_download": BiasAudit,
    "bias:audit_summary": BiasAudit,
    "bias:audit_summary_print": BiasAudit,
    "bias:deployment_audits": Deployment,
    "reports:report_detail": Report,
    "reports:report_progress": Report,
    "reports:report_download": Report,
    "reports:report_regenerate": Report,
    "reports:deployment_reports": Deployment,
    "reports:export_detail": Export,
    "reports:export_progress": Export,
    "reports:export_download": Export,
    "findings:detail": Finding,
    "findings:start_remediation": Finding,
    "findings:resolve": Finding,
    "findings:add_evidence": Finding,
    "findings:verify": Finding,
    "findings:close": Finding,
    "findings:reopen": Finding,
    "findings:accept_risk": Finding,
    "findings:evidence_download": FindingEvidence,
    "findings:deployment_findings": Deployment,
    "obligations:deployment_obligations": Deployment,
    "obligations:obligation_detail": DeploymentObligation,
    "obligations:obligation_assert": DeploymentObligation,
    "obligations:obligation_link": DeploymentObligation,
    "obligations:obligation_raise_finding": DeploymentObligation,
    "obligations:document_detail": EvidenceDocument,
    "obligations:document_new_version": EvidenceDocument,
    "obligations:document_download": EvidenceDocument,
    "notifications:mark_read": Notification,
    "accounts:user_detail": User,
    "accounts:user_roles": User,
    "accounts:user_deactivate": User,
    "accounts:user_reactivate": User,
    "accounts:user_invite_resend": User,
    "findings:change_owner": Finding,
}

ROLE_USERS = ("requester", "reviewer", "compliance", "legal", "executive", "auditor", "admin")

# Values no field accepts. The NUL leads the long text so that views which cut text to a
# length keep it (PostgreSQL refuses NUL in text; the length overflows short columns).
NOT_A_VALUE = "not-a-date"
HUGE_NUMBER = "9" * 30  # past a 64-bit integer column
LONG_WITH_NUL = "\x00" + "x" * 5000
SUPERSCRIPT_TWO = "²"  # a digit to str.isdigit(), not to int()
# Query parameters that pages read without a filter form; filter forms add their fields.
QUERY_PARAMS = (
    "page",
    "sort",
    "format",
    "q",
    "status",
    "tier",
    "person",
    "dimension",
    "deployment",
    "system",
    "model_version",
    "party",
    "step",
    "created_after",
    "created_before",
)
# Form values that views read from request.POST directly; form fields are added to these.
POST_PARAMS = ("name", "reason", "step", "go", "deployment", "audit_type", "data_format")


# --- The pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    route: str
    params: tuple[str, ...]
    view: Any

    @property
    def public(self) -> bool:
        return self.name in PUBLIC_PAGES

    @property
    def takes_post(self) -> bool:
        """Whether the view handles POST; function views say so in their code."""
        view_class = getattr(self.view, "view_class", None)
        if view_class is not None:
            return hasattr(view_class, "post")
        return "POST" in inspect.getsource(inspect.unwrap(self.view))

    @property
    def changes_records(self) -> bool:
        excluded = {**READ_ONLY_POSTS, **OWN_ACCOUNT_POSTS, **LINK_POSTS}
        return self.takes_post and self.name not in excluded


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and not route.startswith(SKIPPED_PREFIXES):
            converters = getattr(entry.pattern, "converters", {})
            name = f"{namespace}{entry.name}" if entry.name else route
            yield Page(name, route, tuple(converters), entry.callback)


PAGES = list(_walk(get_resolver().url_patterns))


@dataclass(frozen=True)
class Visit:
    page: Page
    url: str

    def with_id(self, value: str) -> str:
        """This page's URL with another value in place of its record id."""
        for part in self.url.split("/"):
            try:
                uuid.UUID(part)
            except ValueError:
                continue
            return self.url.replace(part, value)
        raise AssertionError(f"no record id in {self.url}")


def _sample_ids(model: type[models.Model], owner_field: str | None = None) -> list[Any]:
    """One record of each status (or the first record, for kinds without a status); of the
    admin's records only, for pages that open only the visitor's own."""
    records = model._default_manager.order_by("pk")
    if owner_field is not None:
        records = records.filter(**{owner_field: "admin"})
    if not any(f.name == "status" for f in model._meta.fields):
        return list(records.values_list("pk", flat=True)[:1])
    first_of: dict[str, Any] = {}
    for pk, status in records.values_list("pk", "status"):
        first_of.setdefault(status, pk)
    return list(first_of.values())


def _visits(*, turn: int | None = None) -> list[Visit]:
    """Every page, with a record of each status; or, given a turn, with one record per page,
    taking turns through the statuses (so that crawls by several people cover them all)."""
    visits = []
    for page in PAGES:
        if not page.params:
            visits.append(Visit(page, reverse(page.name)))
            continue
        ids = _sample_ids(SAMPLES[page.name], OWN_RECORDS.get(page.name))
        assert ids, f"the demo portfolio has no {SAMPLES[page.name].__name__} for {page.name}"
        for pk in ids if turn is None else [ids[turn % len(ids)]]:
            visits.append(Visit(page, reverse(page.name, kwargs={page.params[0]: pk})))
    return visits


# --- Requests over the demo portfolio -----------------------------------------------------


@functools.cache
def _state_query() -> tuple[str, tuple[str, ...]]:
    """One SELECT of every product table's row count and latest update (names from the
    model registry, not from input)."""
    parts, tables = [], []
    quote = connection.ops.quote_name
    for model in apps.get_models(include_auto_created=True):
        if not model.__module__.startswith(("governance.", "audits.")):
            continue
        table = quote(model._meta.db_table)
        tables.append(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")  # noqa: S608
        updated = "updated_at" in {f.name for f in model._meta.fields}
        parts.append(f"(SELECT MAX(updated_at) FROM {table})" if updated else "NULL")  # noqa: S608
    return "SELECT " + ", ".join(parts), tuple(tables)


def _state() -> dict[str, tuple[Any, ...]]:
    """Each product table's row count and latest update, read in one query: a request that
    saved anything (a ledger event, a record, a change to a record) changes this."""
    sql, tables = _state_query()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return {table: (row[2 * n], row[2 * n + 1]) for n, table in enumerate(tables)}


@dataclass
class Answer:
    method: str
    url: str
    response: Any
    changed: list[str] = field(default_factory=list)  # tables the request wrote to

    @property
    def status(self) -> int:
        return int(self.response.status_code)

    @property
    def refuses_get(self) -> bool:
        """A form target that takes POST only (its form is on another page)."""
        return self.status == 405 and "GET" not in self.response.get("Allow", "")

    @property
    def sends_to_login(self) -> bool:
        location = self.response.get("Location", "")
        return self.status == 302 and location.startswith(reverse("accounts:login"))

    def __str__(self) -> str:
        exc_info = getattr(self.response, "exc_info", None)
        detail = (
            f"{exc_info[0].__name__}: {str(exc_info[1])[:300]}"
            if exc_info
            else self.response.get("Location", "")
        )
        wrote = f" wrote {', '.join(self.changed)}" if self.changed else ""
        return f"{self.method.upper()} {self.url[:150]!r} → {self.status} {detail}{wrote}"


class Demo:
    """The demo portfolio, plus the records seed_demo does not make (a draft assessment, an
    API token, a report, an export, a notification of the admin's), all made through the
    services."""

    def __init__(self) -> None:
        call_command("seed_demo", stdout=io.StringIO())
        self.users = {u.username: u for u in User.objects.filter(username__in=ROLE_USERS)}
        deployment = Deployment.objects.order_by("environment").first()
        assert deployment is not None
        api_token_create(user=self.users["admin"], name="page contract", scopes=["read"])
        risk_assessment_create(
            deployment=deployment,
            methodology=Methodology.objects.filter(kind=KIND_IMPACT).order_by("slug").first(),
            actor=self.users["requester"],
        )
        report_services.report_request(
            actor=self.users["requester"], kind=ReportKind.DEPLOYMENT_DOSSIER, deployment=deployment
        )
        export_services.export_request(
            actor=self.users["compliance"],
            recipient="Supervisory authority",
            deployments=[deployment],
        )
        notification_create(
            recipient=self.users["admin"],
            kind="generic",
            title="The page contract's notification",
            link="/",
        )
        self.state = _state()

    def client(self, username: str | None = None) -> Client:
        client = Client(raise_request_exception=False)
        if username is not None:
            client.force_login(self.users[username])
        return client

    def ask(
        self, client: Client, method: str, url: str, data: Any = None, *, watch: bool = True
    ) -> Answer:
        """The answer to one request, which is then rolled back, with the tables it wrote to
        (unless `watch` is off: reading them costs a query). A streamed body (CSV exports,
        downloads) is read to its end, where the test client closes the response. The
        client's cookies are kept too, so that logging out does not end the crawl's session."""
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():
            response = getattr(client, method)(url, data)
            try:
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
            except Exception as exc:  # a broken stream is a 500 the browser never sees
                response.status_code = 500
                response.exc_info = (type(exc), exc, exc.__traceback__)
            after = _state() if watch else self.state
            transaction.set_rollback(True)
        client.cookies = cookies
        changed = sorted(table for table, seen in after.items() if seen != self.state[table])
        return Answer(method, url, response, changed)


@pytest.fixture(autouse=True)
def _queue_stays_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks that pages queue directly are dropped instead of reaching the broker in var/."""
    from celery.app.task import Task

    monkeypatch.setattr(Task, "apply_async", lambda *args, **kwargs: None)


def _context_values(answer: Answer | None) -> list[Any]:
    """Everything the page's templates were given."""
    context = answer.response.context if answer is not None else None
    if context is None:
        return []
    contexts = list(context) if isinstance(context, ContextList) else [context]
    return [value for each in contexts for value in each.flatten().values()]


def _filter_fields(answer: Answer) -> list[str]:
    """The fields of the filter forms a list page shows."""
    filters = [value for value in _context_values(answer) if isinstance(value, FilterSet)]
    return sorted({name for filterset in filters for name in filterset.form.fields})


def _form_fields(answer: Answer | None = None) -> set[str]:
    """The fields of every form in the product, and of the forms the page shows."""
    names = set(POST_PARAMS)
    stack = list(forms.BaseForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        if form.__module__.startswith(("governance.", "audits.")):
            names.update(getattr(form, "base_fields", {}))
    for value in _context_values(answer):
        if isinstance(value, forms.BaseForm):
            names.update(value.fields)
    return names


def _junk_queries(names: list[str]) -> list[dict[str, str]]:
    """Query strings no page offers: each of the page's parameters set to each junk value."""
    return [
        {**dict.fromkeys(names, SUPERSCRIPT_TWO), "page": "999999", "sort": "x", "format": "x"},
        {"format": "csv"},
        {**dict.fromkeys(names, NOT_A_VALUE), "page": "abc", "sort": "-"},
        {**dict.fromkeys(names, NOT_A_VALUE), "format": "csv"},
        dict.fromkeys(names, HUGE_NUMBER),
        dict.fromkeys(names, LONG_WITH_NUL),
    ]


def _junk_bodies(names: set[str]) -> list[dict[str, Any]]:
    """An empty post, and posts with every form field set to each junk value."""
    junk_file = SimpleUploadedFile("junk.csv", b"\x00\xff,\n" + LONG_WITH_NUL.encode())
    return [
        {},
        {name: junk_file if name == "file" else NOT_A_VALUE for name in names},
        dict.fromkeys(names, HUGE_NUMBER),
        dict.fromkeys(names, LONG_WITH_NUL),
    ]


# --- The contract -------------------------------------------------------------------------


def test_every_parameterised_page_has_a_sample_record() -> None:
    names = {page.name for page in PAGES}
    assert {"core:home", "inventory:deployment_detail", "reports:verify"} <= names
    assert not any(page.route.startswith(SKIPPED_PREFIXES) for page in PAGES)
    unnamed = [page.route for page in PAGES if ":" not in page.name]
    assert not unnamed, f"name these routes so that pages can be reversed: {unnamed}"
    parameterised = {page.name: page.params for page in PAGES if page.params}
    missing = sorted(set(parameterised) - set(SAMPLES))
    assert not missing, f"add the record kind these pages take to SAMPLES: {missing}"
    stale = sorted(set(SAMPLES) - set(parameterised))
    assert not stale, f"SAMPLES names pages that are no longer routed: {stale}"
    several = {name: params for name, params in parameterised.items() if len(params) != 1}
    assert not several, f"teach the crawl pages with several parameters: {several}"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login_except_on_public_pages() -> None:
    demo = Demo()
    client = demo.client()
    failures = []
    for visit in _visits():
        got = demo.ask(client, "get", visit.url, watch=False)
        if visit.page.public:
            ok = got.status == 200 or got.refuses_get
            ok = ok or (visit.page.name in OFF_UNLESS_CONFIGURED and got.status == 404)
        else:
            # A form target refuses GET before asking who is there, which reveals nothing.
            ok = got.sends_to_login or got.refuses_get
        if not ok:
            failures.append(got)
        if not visit.page.takes_post:
            continue
        if not visit.page.public:
            got = demo.ask(client, "post", visit.url, {"name": "x"})
            if not got.sends_to_login or got.changed:
                failures.append(got)
            continue
        for body in _junk_bodies(_form_fields()):  # what anyone may post to a public page
            got = demo.ask(client, "post", visit.url, body)
            if got.status >= 500 or got.changed:
                failures.append(got)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.django_db
def test_every_role_opens_every_page_without_a_server_error() -> None:
    demo = Demo()
    failures = []
    for turn, username in enumerate(ROLE_USERS):
        client = demo.client(username)
        # The admin opens every page with a record of each status; the others take turns.
        for visit in _visits(turn=None if username == "admin" else turn):
            got = demo.ask(client, "get", visit.url)
            if got.status not in (200, 302, 403, 404) and not got.refuses_get:
                failures.append(f"{username}: {got}")
            elif username == "admin" and got.status == 403:
                # The admin role holds every permission; refusing it means the page checks
                # something other than permissions.
                failures.append(f"{username} refused: {got}")
            elif got.changed:
                failures.append(f"{username} changed records by looking: {got}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_junk_query_strings_never_cause_a_server_error() -> None:
    demo = Demo()
    client = demo.client("admin")
    failures = []
    for visit in _visits(turn=0):
        page = demo.ask(client, "get", visit.url, watch=False)
        if page.refuses_get:
            continue
        names = sorted({*QUERY_PARAMS, *_filter_fields(page)})
        for query in _junk_queries(names):
            got = demo.ask(client, "get", visit.url, query, watch=False)
            if got.status >= 500:
                failures.append(f"{got} for ?{urlencode(query)[:120]}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_malformed_and_unknown_record_ids_give_404() -> None:
    demo = Demo()
    client = demo.client("admin")
    failures = []
    for visit in _visits(turn=0):
        if not visit.page.params:
            continue
        tries = [("get", visit.with_id("not-a-uuid")), ("get", visit.with_id("%00"))]
        unknown = visit.with_id(str(uuid.uuid4()))
        tries += [("get", unknown), ("post", unknown)]
        for method, url in tries:
            got = demo.ask(client, method, url, watch=False)
            # A form target refuses GET before it looks for the record.
            if got.status != 404 and not (method == "get" and got.refuses_get):
                failures.append(got)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.django_db
def test_auditors_posts_are_refused_and_change_nothing() -> None:
    demo = Demo()
    client = demo.client("auditor")
    failures = []
    for visit in _visits(turn=0):
        may_change = OWN_ACCOUNT_POSTS.get(visit.page.name, set())
        # Auditors reach no form with a number field; the huge number is left out.
        for body in [b for b in _junk_bodies(_form_fields()) if HUGE_NUMBER not in b.values()]:
            got = demo.ask(client, "post", visit.url, body)
            refused = got.status == 403 or not visit.page.changes_records
            if got.status >= 500 or not refused or not set(got.changed) <= may_change:
                failures.append(got)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.django_db
def test_admins_empty_or_junk_posts_show_errors_or_redirect_and_never_half_save() -> None:
    demo = Demo()
    client = demo.client("admin")
    failures = []
    fields: dict[str, set[str]] = {}  # the fields of each page's form, as the page shows it
    for visit in _visits():
        if not visit.page.takes_post or visit.page.name in READ_ONLY_POSTS:
            continue
        if visit.page.name not in fields:
            form_page = demo.ask(client, "get", visit.url, watch=False)
            fields[visit.page.name] = _form_fields(form_page)
        for body in _junk_bodies(fields[visit.page.name]):
            got = demo.ask(client, "post", visit.url, body)
            # 403 and 409 are object rules refusing with their reason on the page (only the
            # addressee answers an offer; a submitted assessment never changes).
            created = got.status == 201 and visit.page.name in SHOWN_ONCE_POSTS
            if got.status not in (200, 302, 400, 403, 409) and not created:
                failures.append(got)
            elif got.status != 302 and not created and got.changed:
                failures.append(got)  # shown again with errors, yet something was saved
    assert not failures, "\n".join(map(str, failures))
