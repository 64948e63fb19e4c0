from __future__ import annotations

import factory

from audits.reports.models import Export, JobStatus, Report, ReportKind
from tests.factories.accounts import UserFactory
from tests.factories.inventory import DeploymentFactory


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    """A queued dossier row (no ledger event: use `report_request` for the audited path)."""

    class Meta:
        model = Report

    kind = ReportKind.DEPLOYMENT_DOSSIER
    deployment = factory.SubFactory(DeploymentFactory)
    subject_key = factory.LazyAttribute(lambda r: f"deployment:{r.deployment.pk}")
    title = factory.LazyAttribute(lambda r: f"Deployment dossier: {r.deployment}")
    requested_by = factory.SubFactory(UserFactory)
    status = JobStatus.QUEUED


class ExportFactory(factory.django.DjangoModelFactory[Export]):
    """A queued export row for one deployment (no ledger event)."""

    class Meta:
        model = Export
        skip_postgeneration_save = True

    recipient = "Supervisory authority"
    requested_by = factory.SubFactory(UserFactory)
    status = JobStatus.QUEUED

    @factory.post_generation
    def deployments(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.deployments.set(extracted or [DeploymentFactory()])  # type: ignore[arg-type]
