"""Logging filters wired in settings.LOGGING."""

from __future__ import annotations

import logging


class RefusalsAsOneLine(logging.Filter):
    """A 403 is an expected refusal (segregation of duties, a missing role), not a fault.

    django.request logs it as a WARNING with the traceback of the PermissionDenied it caught;
    the traceback says nothing an operator needs and buries real errors, so the record is
    kept as one line at INFO.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
