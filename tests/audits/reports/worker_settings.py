"""Settings for the Celery worker that tests start: the project's settings, pointed at the test
database and at the test's own queue (set by the `celery_worker` fixture)."""

import os

from governance.settings import *  # noqa: F403
from governance.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["TEST_WORKER_DB_NAME"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_WORKER_QUEUE"]
