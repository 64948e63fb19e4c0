"""Settings for the Celery worker and beat the monitoring worker tests start: the report
tests' worker settings (test database, the test's own queue), with only the monitoring sweeps
on the beat schedule, so the beat sends nothing else to the test's queue."""

from tests.audits.reports.worker_settings import *  # noqa: F403
from tests.audits.reports.worker_settings import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    name: entry for name, entry in CELERY_BEAT_SCHEDULE.items() if name.startswith("monitoring-")
}
