"""Indonesian number and date formatting for templates."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def number_id(value: int | float | None) -> str:
    """1073 -> '1.073' (Indonesian thousands separator)."""
    if value is None:
        return "-"
    return f"{value:,.0f}".replace(",", ".")


def rupiah(value: int | float | None) -> str:
    """1300000 -> 'Rp 1.300.000'."""
    return "-" if value is None else "Rp " + number_id(value)


def date_id(value: date | datetime | None, tz: str = "Asia/Jakarta") -> str:
    """A date (or aware datetime, shown in WIB) as '22 November 2026' or with time."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite drops the zone; every stored time is UTC
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(ZoneInfo(tz))
        return f"{value.day} {MONTHS[value.month - 1]} {value.year} {value:%H.%M}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def init_app(app) -> None:
    """Register the filters."""
    app.add_template_filter(number_id)
    app.add_template_filter(rupiah)
    app.add_template_filter(date_id)
    from nutera.models import PERSON_STATUSES, RELATIONS

    app.jinja_env.globals.update(RELATIONS=RELATIONS, PERSON_STATUSES=PERSON_STATUSES)
