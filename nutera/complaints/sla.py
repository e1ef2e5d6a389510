"""The service-level clock in working days (Monday to Friday, minus listed holidays).

As the national LAPOR! service promises: a complaint is verified within 3 working days
of its arrival and answered within 5 working days of its verification. A deadline is the
last day on which the work is still on time; the day a complaint arrives does not count.
"""

from collections.abc import Collection
from datetime import date, timedelta

VERIFY_WORKING_DAYS = 3
ANSWER_WORKING_DAYS = 5


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date `days` working days after start (start itself never counts)."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            counted += 1
    return current


def working_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Working days after start up to and including end; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start, holidays)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), holidays)
    )


def verify_deadline(received: date, holidays: Collection[date] = ()) -> date:
    """Last day to verify a complaint received on that day."""
    return add_working_days(received, VERIFY_WORKING_DAYS, holidays)


def answer_deadline(verified: date, holidays: Collection[date] = ()) -> date:
    """Last day to answer a complaint verified on that day."""
    return add_working_days(verified, ANSWER_WORKING_DAYS, holidays)


def parse_holidays(text: str) -> set[date]:
    """Holidays written as ISO dates separated by commas, spaces or new lines."""
    found = set()
    for token in text.replace(",", " ").split():
        try:
            found.add(date.fromisoformat(token))
        except ValueError:
            continue
    return found
