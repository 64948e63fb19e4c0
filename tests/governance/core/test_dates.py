from __future__ import annotations

import datetime as dt

from governance.core.dates import add_months


def test_add_months_keeps_the_day_when_the_target_month_has_it() -> None:
    assert add_months(dt.date(2026, 3, 15), 12) == dt.date(2027, 3, 15)


def test_add_months_clamps_to_the_last_day_of_a_shorter_month() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


def test_add_months_goes_backwards_across_a_year() -> None:
    assert add_months(dt.date(2026, 2, 10), -3) == dt.date(2025, 11, 10)


def test_add_months_keeps_time_and_zone_of_a_datetime() -> None:
    moment = dt.datetime(2026, 8, 31, 17, 45, tzinfo=dt.UTC)
    assert add_months(moment, 6) == dt.datetime(2027, 2, 28, 17, 45, tzinfo=dt.UTC)
