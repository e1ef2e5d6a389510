"""Indonesian number and date formatting for templates."""

from datetime import date, datetime

from nutera import timeutil
from nutera.identity import mask_nik


def number_id(value: int | float | None) -> str:
    """1073 -> '1.073' (Indonesian thousands separator)."""
    if value is None:
        return "-"
    return f"{value:,.0f}".replace(",", ".")


def rupiah(value: int | float | None) -> str:
    """1300000 -> 'Rp 1.300.000'."""
    return "-" if value is None else "Rp " + number_id(value)


def date_id(value: date | datetime | None, tz: object = None) -> str:
    """A date as '22 November 2026'; a stored time with its hour in the kelurahan's zone."""
    if isinstance(value, datetime):
        return timeutil.format_datetime(value, tz, with_zone=False)
    return timeutil.format_date(value, tz)


def datetime_local(value: datetime | None, tz: object = None) -> str:
    """A stored time as '22 November 2026 15.32 WITA' in the kelurahan's zone."""
    return timeutil.format_datetime(value, tz)


def time_local(value: datetime | None, tz: object = None) -> str:
    """A stored time as '15.32' in the kelurahan's zone."""
    return timeutil.format_time(value, tz)


def zone_label(tz: object = None) -> str:
    """WIB, WITA or WIT for the kelurahan (or the current page)."""
    return timeutil.zone_label(tz)


def init_app(app) -> None:
    """Register the filters."""
    app.add_template_filter(number_id)
    app.add_template_filter(rupiah)
    app.add_template_filter(date_id)
    app.add_template_filter(datetime_local)
    app.add_template_filter(time_local)
    app.add_template_filter(mask_nik)
    app.add_template_global(zone_label)
    from nutera.models import PERSON_STATUSES, RELATIONS

    app.jinja_env.globals.update(RELATIONS=RELATIONS, PERSON_STATUSES=PERSON_STATUSES)
