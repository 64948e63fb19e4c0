"""Calendar arithmetic shared by every room (approval expiry, audit freshness, due dates)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TypeVar

DateT = TypeVar("DateT", dt.date, dt.datetime)


def add_months(moment: DateT, months: int) -> DateT:
    """The same day `months` later (or earlier); a day the target month lacks becomes its last.

    The 29th of February plus twelve months is the 28th; the 31st of January plus one month is
    the 28th (or 29th) of February. Works for dates and datetimes alike (time and zone kept).
    """
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
