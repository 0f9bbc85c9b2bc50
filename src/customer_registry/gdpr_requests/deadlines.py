"""The deadlines of GDPR Art. 12(3), counted in calendar months in Finnish time."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

FINNISH_TIME = ZoneInfo("Europe/Helsinki")
ANSWER_MONTHS = 1
MAXIMUM_EXTENSION_MONTHS = 2


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def receipt_day(received_at: dt.datetime) -> dt.date:
    """The calendar day of receipt in Finland."""
    return received_at.astimezone(FINNISH_TIME).date()


def answer_due(received_at: dt.datetime) -> dt.date:
    """One month after receipt (Art. 12(3))."""
    return add_months(receipt_day(received_at), ANSWER_MONTHS)


def extended_due(received_at: dt.datetime, extra_months: int) -> dt.date:
    """The deadline extended by up to two further months."""
    return add_months(receipt_day(received_at), ANSWER_MONTHS + extra_months)


def today_in_finland(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(FINNISH_TIME).date()
